#include "services/http/sign_in_routes.h"

#include <array>
#include <memory>
#include <nlohmann/json.hpp>

namespace casecoord::http {
namespace {

constexpr size_t kMaxSignInBodyBytes = 4096;

std::string SessionCookie(const std::string& secret) {
  return std::string(kSessionCookie) + "=" + secret + "; HttpOnly; Secure; SameSite=Strict; Path=/";
}

std::string ExpiredCookie() {
  return std::string(kSessionCookie) + "=; Max-Age=0; HttpOnly; Secure; SameSite=Strict; Path=/";
}

std::string Dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The JSON object of the request, checked for the headers every route needs; an error otherwise.
Result<nlohmann::json> ReadRequest(const httplib::Request& request) {
  if (request.get_header_value("Connect-Protocol-Version") != "1") {
    return Status(Reason::kConnectHeaderRequired,
                  "sign-in requests must send Connect-Protocol-Version: 1");
  }
  if (!request.get_header_value("Content-Type").starts_with("application/json")) {
    return Status(Reason::kUnsupportedContentType, "Content-Type must be application/json");
  }
  if (request.body.size() > kMaxSignInBodyBytes) {
    return Status(Reason::kRequestTooLarge, "a sign-in request is at most 4 KiB");
  }
  nlohmann::json body = nlohmann::json::parse(request.body.empty() ? "{}" : request.body, nullptr,
                                              /*allow_exceptions=*/false);
  if (!body.is_object()) return Status::InvalidArgument("body", "must be a JSON object");
  return body;
}

// The string `field` of `body` ("" when absent); INVALID_ARGUMENT when it is not a string.
Result<std::string> Text(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(field, "must be a string");
  return it->get<std::string>();
}

void SignedIn(const std::string& user_id, const auth::SessionTable::Created& session,
              httplib::Response& response) {
  response.set_header("Set-Cookie", SessionCookie(session.secret));
  response.set_content(Dump({{"userId", user_id}, {"sessionId", session.session_id}}),
                       "application/json");
}

// Three string fields of a request body, in order; the first that is not a string otherwise.
Result<std::array<std::string, 3>> Fields(const nlohmann::json& body,
                                          const std::array<const char*, 3>& names) {
  std::array<std::string, 3> values;
  for (size_t i = 0; i < names.size(); ++i) {
    auto value = Text(body, names[i]);
    if (!value.ok()) return value.status();
    values[i] = std::move(value).value();
  }
  return values;
}

// The four routes, sharing the sign-in, the error writer and the attempt limit.
class Routes {
 public:
  Routes(auth::SignIn& sign_in, const ConnectGateway& gateway, auth::RateLimiter& attempts)
      : sign_in_(sign_in), gateway_(gateway), attempts_(attempts) {}

  void SignIn(const httplib::Request& request, httplib::Response& response) {
    auto fields = AllowedFields(request, response, {"userId", "password", "code"});
    if (!fields) return;
    const auto& [user_id, password, code] = *fields;
    auto result = sign_in_.Start(user_id, password, code, request.get_header_value("User-Agent"));
    if (!result.ok()) return Fail(result.status(), response);
    if (result->session) return SignedIn(user_id, *result->session, response);
    const auth::Enrollment& enrollment = *result->enrollment;
    response.set_content(Dump({{"enrollment",
                                {{"token", enrollment.token},
                                 {"newPasswordRequired", enrollment.new_password_required},
                                 {"otpauthUri", enrollment.otpauth_uri},
                                 {"secret", enrollment.secret_base32},
                                 {"qrSvg", enrollment.qr_svg}}}}),
                         "application/json");
  }

  void Enroll(const httplib::Request& request, httplib::Response& response) {
    auto fields = AllowedFields(request, response, {"token", "newPassword", "code"});
    if (!fields) return;
    const auto& [token, new_password, code] = *fields;
    std::string user_id;
    auto session = sign_in_.Enroll(token, new_password, code,
                                   request.get_header_value("User-Agent"), &user_id);
    if (!session.ok()) return Fail(session.status(), response);
    SignedIn(user_id, *session, response);
  }

  void SignOut(const httplib::Request& request, httplib::Response& response) {
    auto body = ReadRequest(request);
    if (!body.ok()) return Fail(body.status(), response);
    if (auto cookie = SessionCookieOf(request)) sign_in_.SignOut(*cookie);
    response.set_header("Set-Cookie", ExpiredCookie());
    response.set_content("{}", "application/json");
  }

  void Session(const httplib::Request& request, httplib::Response& response) {
    auto body = ReadRequest(request);
    if (!body.ok()) return Fail(body.status(), response);
    std::optional<auth::CallOrigin> origin;
    if (auto cookie = SessionCookieOf(request)) origin = sign_in_.Authenticate(*cookie);
    if (!origin) {
      return Fail(Status(Reason::kSessionUnknown, "not signed in, or the session ended"), response);
    }
    response.set_content(Dump(DescribeSession(*origin)), "application/json");
  }

 private:
  void Fail(const Status& status, httplib::Response& response) const {
    gateway_.WriteError(status, response);
  }

  // The request's fields, if it is well formed and an attempt is allowed for its client address
  // (else the refusal is written into `response`).
  std::optional<std::array<std::string, 3>> AllowedFields(const httplib::Request& request,
                                                          httplib::Response& response,
                                                          const std::array<const char*, 3>& names) {
    auto body = ReadRequest(request);
    if (!body.ok()) {
      Fail(body.status(), response);
      return std::nullopt;
    }
    std::chrono::milliseconds retry_after{0};
    if (!attempts_.TryAcquire("address:" + request.remote_addr, 1, &retry_after)) {
      Fail(Status(Reason::kRateLimited,
                  "too many sign-in attempts from this address; wait and retry")
               .WithRetryAfter(retry_after),
           response);
      return std::nullopt;
    }
    auto fields = Fields(*body, names);
    if (!fields.ok()) {
      Fail(fields.status(), response);
      return std::nullopt;
    }
    return std::move(fields).value();
  }

  // What the console needs to know of the signed-in user: who, in which roles and agency, and
  // how long a session may stay idle (to warn before it ends).
  nlohmann::json DescribeSession(const auth::CallOrigin& origin) const {
    const std::string user_id = origin.user_id.value_or("");
    nlohmann::json described = {
        {"userId", user_id},
        {"sessionId", origin.session_id},
        {"idleTimeoutSeconds", sign_in_.options().sessions.idle_timeout.count()},
        {"absoluteTimeoutSeconds", sign_in_.options().sessions.absolute_timeout.count()}};
    if (auto user = sign_in_.FindUser(user_id)) {
      described["displayName"] = user->display_name();
      described["agency"] = user->agency();
      nlohmann::json roles = nlohmann::json::array();
      for (int role : user->roles()) roles.push_back(v1::Role_Name(static_cast<v1::Role>(role)));
      described["roles"] = std::move(roles);
    }
    return described;
  }

  auth::SignIn& sign_in_;
  const ConnectGateway& gateway_;
  auth::RateLimiter& attempts_;
};

}  // namespace

void AddSignInRoutes(httplib::SSLServer& server, auth::SignIn& sign_in,
                     const ConnectGateway& gateway, auth::RateLimiter& attempts) {
  auto routes = std::make_shared<Routes>(sign_in, gateway, attempts);
  using Member = void (Routes::*)(const httplib::Request&, httplib::Response&);
  const std::pair<const char*, Member> table[] = {{"/auth/sign-in", &Routes::SignIn},
                                                  {"/auth/enroll", &Routes::Enroll},
                                                  {"/auth/sign-out", &Routes::SignOut},
                                                  {"/auth/session", &Routes::Session}};
  for (const auto& route : table) {
    const Member member = route.second;
    server.Post(route.first,
                [routes, member](const httplib::Request& request, httplib::Response& response) {
                  ((*routes).*member)(request, response);
                });
  }
}

}  // namespace casecoord::http
