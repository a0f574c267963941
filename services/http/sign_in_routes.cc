#include "services/http/sign_in_routes.h"

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

}  // namespace

void AddSignInRoutes(httplib::SSLServer& server, auth::SignIn& sign_in,
                     const ConnectGateway& gateway, auth::RateLimiter& attempts) {
  const auto fail = [&gateway](const Status& status, httplib::Response& response) {
    gateway.WriteError(status, response);
  };
  // An attempt allowed for the request's client address, or the refusal written into `response`.
  const auto allowed = [&attempts, fail](const httplib::Request& request,
                                         httplib::Response& response) {
    std::chrono::milliseconds retry_after{0};
    if (attempts.TryAcquire("address:" + request.remote_addr, 1, &retry_after)) return true;
    fail(Status(Reason::kRateLimited, "too many sign-in attempts from this address; wait and retry")
             .WithRetryAfter(retry_after),
         response);
    return false;
  };
  server.Post("/auth/sign-in", [&sign_in, fail, allowed](const httplib::Request& request,
                                                         httplib::Response& response) {
    auto body = ReadRequest(request);
    if (!body.ok()) return fail(body.status(), response);
    if (!allowed(request, response)) return;
    auto user_id = Text(*body, "userId");
    auto password = Text(*body, "password");
    auto code = Text(*body, "code");
    for (const auto* field : {&user_id, &password, &code}) {
      if (!field->ok()) return fail(field->status(), response);
    }
    auto result = sign_in.Start(*user_id, *password, *code, request.get_header_value("User-Agent"));
    if (!result.ok()) return fail(result.status(), response);
    if (result->session) return SignedIn(*user_id, *result->session, response);
    const auth::Enrollment& enrollment = *result->enrollment;
    response.set_content(Dump({{"enrollment",
                                {{"token", enrollment.token},
                                 {"newPasswordRequired", enrollment.new_password_required},
                                 {"otpauthUri", enrollment.otpauth_uri},
                                 {"secret", enrollment.secret_base32},
                                 {"qrSvg", enrollment.qr_svg}}}}),
                         "application/json");
  });
  server.Post("/auth/enroll", [&sign_in, fail, allowed](const httplib::Request& request,
                                                        httplib::Response& response) {
    auto body = ReadRequest(request);
    if (!body.ok()) return fail(body.status(), response);
    if (!allowed(request, response)) return;
    auto token = Text(*body, "token");
    auto new_password = Text(*body, "newPassword");
    auto code = Text(*body, "code");
    for (const auto* field : {&token, &new_password, &code}) {
      if (!field->ok()) return fail(field->status(), response);
    }
    std::string user_id;
    auto session = sign_in.Enroll(*token, *new_password, *code,
                                  request.get_header_value("User-Agent"), &user_id);
    if (!session.ok()) return fail(session.status(), response);
    SignedIn(user_id, *session, response);
  });
  server.Post("/auth/sign-out",
              [&sign_in, fail](const httplib::Request& request, httplib::Response& response) {
                auto body = ReadRequest(request);
                if (!body.ok()) return fail(body.status(), response);
                if (auto cookie = SessionCookieOf(request)) sign_in.SignOut(*cookie);
                response.set_header("Set-Cookie", ExpiredCookie());
                response.set_content("{}", "application/json");
              });
  server.Post("/auth/session", [&sign_in, fail](const httplib::Request& request,
                                                httplib::Response& response) {
    auto body = ReadRequest(request);
    if (!body.ok()) return fail(body.status(), response);
    std::optional<auth::CallOrigin> origin;
    if (auto cookie = SessionCookieOf(request)) origin = sign_in.Authenticate(*cookie);
    if (!origin) {
      return fail(Status(Reason::kSessionUnknown, "not signed in, or the session ended"), response);
    }
    response.set_content(
        Dump({{"userId", origin->user_id.value_or("")}, {"sessionId", origin->session_id}}),
        "application/json");
  });
}

}  // namespace casecoord::http
