// Sign-in for people over the real HTTP listener (issue 17): a temporary password leads to the
// enrolment, the session cookie then makes calls only with the Connect header, every wrong
// credential gets the same answer, and sessions end on sign-out, revocation and a disabled user.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "casecoord/v1/admin.grpc.pb.h"
#include "services/auth/totp.h"
#include "tests/support/connect_client.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using http_testing::AuditEntriesAfter;
using http_testing::ExpectSecurityHeaders;
using http_testing::HttpAnswer;
using http_testing::LastAuditSequence;
using http_testing::Post;
using http_testing::ReasonOf;

constexpr char kNewPassword[] = "a passphrase of my own";
const httplib::Headers kConnect = {{"Connect-Protocol-Version", "1"}};

class HttpSignInTest : public ::testing::Test {
 protected:
  explicit HttpSignInTest(const Clock* clock = nullptr)
      : clock_(clock != nullptr ? *clock : SystemClock::Instance()),
        server_(testing::TestServerOptions{.clock = clock, .http = true}) {}

  // The admin's temporary password for `user`.
  std::string ResetPassword(const std::string& user) {
    auto stub = v1::Admin::NewStub(server_.ChannelFor("admin"));
    grpc::ClientContext context;
    v1::ResetUserPasswordRequest request;
    request.set_name("users/" + user);
    v1::ResetUserPasswordResponse response;
    const grpc::Status status = stub->ResetUserPassword(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.temporary_password();
  }

  HttpAnswer PostJson(const std::string& path, const nlohmann::json& body,
                      const httplib::Headers& headers = kConnect) {
    auto client = server_.HttpClientWithoutCertificate();
    return Post(*client, path, "application/json", body.dump(), headers);
  }

  // Signs `user` in through the enrolment: the session cookie ("__Host-casecoord=...") and the
  // session's public id.
  std::pair<std::string, std::string> Enrol(const std::string& user) {
    const std::string temporary = ResetPassword(user);
    const HttpAnswer started =
        PostJson("/auth/sign-in", {{"userId", user}, {"password", temporary}, {"code", ""}});
    EXPECT_EQ(started.status, 200) << started.body;
    const auto enrollment = nlohmann::json::parse(started.body)["enrollment"];
    EXPECT_TRUE(enrollment["newPasswordRequired"].get<bool>());
    EXPECT_TRUE(enrollment["otpauthUri"].get<std::string>().starts_with("otpauth://totp/"));
    EXPECT_TRUE(enrollment["qrSvg"].get<std::string>().starts_with("<svg"));
    EXPECT_FALSE(started.headers.count("Set-Cookie")) << "no session before the enrolment";
    const std::string secret =
        auth::FromBase32(enrollment["secret"].get<std::string>()).value_or("");
    secret_ = secret;
    const HttpAnswer enrolled =
        PostJson("/auth/enroll", {{"token", enrollment["token"]},
                                  {"newPassword", kNewPassword},
                                  {"code", auth::TotpCode(secret, clock_.Now())}});
    EXPECT_EQ(enrolled.status, 200) << enrolled.body;
    const std::string cookie = enrolled.headers.count("Set-Cookie")
                                   ? enrolled.headers.find("Set-Cookie")->second
                                   : std::string();
    EXPECT_NE(cookie.find("; HttpOnly; Secure; SameSite=Strict; Path=/"), std::string::npos)
        << cookie;
    return {cookie.substr(0, cookie.find(';')),
            nlohmann::json::parse(enrolled.body)["sessionId"].get<std::string>()};
  }

  HttpAnswer ListCasesWith(const std::string& cookie, bool connect_header = true) {
    httplib::Headers headers = {{"Cookie", cookie}};
    if (connect_header) headers.emplace("Connect-Protocol-Version", "1");
    return PostJson("/casecoord.v1.Cases/ListCases", nlohmann::json::object(), headers);
  }

  const Clock& clock_;
  std::string secret_;  // the TOTP secret of the last enrolment
  testing::TestServer server_;
};

// The same over a server whose clock the test moves.
class HttpSignInClockTest : public HttpSignInTest {
 protected:
  HttpSignInClockTest() : HttpSignInTest(&manual_) {}

  // Declared before the base's server is built: static storage outlives every test.
  static ManualClock manual_;
};

ManualClock HttpSignInClockTest::manual_{std::chrono::system_clock::now()};

TEST_F(HttpSignInTest, TheEnrolledSessionCallsTheApiOnlyWithTheConnectHeader) {
  const auto [cookie, session_id] = Enrol("coordinator");
  const int64_t before = LastAuditSequence(server_);
  const HttpAnswer listed = ListCasesWith(cookie);
  EXPECT_EQ(listed.status, 200) << listed.body;
  ExpectSecurityHeaders(listed, /*api=*/true);
  const auto entries = AuditEntriesAfter(server_, before);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].user_id(), "coordinator");
  EXPECT_EQ(entries[0].channel(), "http");
  EXPECT_EQ(entries[0].session_id(), session_id);

  const HttpAnswer without_header = ListCasesWith(cookie, /*connect_header=*/false);
  EXPECT_EQ(without_header.status, 400);
  EXPECT_EQ(ReasonOf(nlohmann::json::parse(without_header.body)), "CONNECT_HEADER_REQUIRED");
  EXPECT_EQ(AuditEntriesAfter(server_, before).size(), 1u) << "the refused call reached nothing";

  const HttpAnswer session = PostJson("/auth/session", nlohmann::json::object(),
                                      {{"Cookie", cookie}, {"Connect-Protocol-Version", "1"}});
  const nlohmann::json described = nlohmann::json::parse(session.body);
  EXPECT_EQ(described["userId"], "coordinator");
  EXPECT_EQ(described["sessionId"], session_id);
  // What the console shows and how it times its idle warning.
  EXPECT_EQ(described["roles"], nlohmann::json::array({"COORDINATOR"}));
  EXPECT_FALSE(described["displayName"].get<std::string>().empty());
  EXPECT_EQ(described["idleTimeoutSeconds"], 30 * 60);
  ExpectSecurityHeaders(session, /*api=*/true);
}

TEST_F(HttpSignInTest, WrongPasswordWrongCodeAndUnknownUserAreIndistinguishable) {
  const std::string temporary = ResetPassword("planner");
  (void)Enrol("coordinator");
  const std::vector<nlohmann::json> attempts = {
      {{"userId", "coordinator"}, {"password", "not my passphrase"}, {"code", "123456"}},
      {{"userId", "coordinator"}, {"password", kNewPassword}, {"code", "000000"}},
      {{"userId", "nobody-at-all"}, {"password", kNewPassword}, {"code", "123456"}},
      {{"userId", "planner"}, {"password", temporary + "x"}, {"code", ""}},
  };
  std::vector<HttpAnswer> answers;
  for (const auto& attempt : attempts) answers.push_back(PostJson("/auth/sign-in", attempt));
  for (const HttpAnswer& answer : answers) {
    EXPECT_EQ(answer.status, 401);
    EXPECT_EQ(answer.body, answers[0].body);
    EXPECT_EQ(answer.headers.count("Set-Cookie"), 0u);
    ExpectSecurityHeaders(answer, /*api=*/true);
  }
  EXPECT_EQ(ReasonOf(nlohmann::json::parse(answers[0].body)), "SIGN_IN_FAILED");
}

TEST_F(HttpSignInTest, SignOutRevocationAndDisablingEndTheSession) {
  const auto [first, first_id] = Enrol("coordinator");
  const HttpAnswer signed_out = PostJson("/auth/sign-out", nlohmann::json::object(),
                                         {{"Cookie", first}, {"Connect-Protocol-Version", "1"}});
  EXPECT_EQ(signed_out.status, 200);
  EXPECT_NE(signed_out.headers.find("Set-Cookie")->second.find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(ListCasesWith(first).status, 401);

  const auto [second, second_id] = Enrol("coordinator");
  auto as_user = v1::Admin::NewStub(server_.ChannelFor("coordinator"));
  {
    grpc::ClientContext context;
    v1::ListSessionsResponse sessions;
    ASSERT_TRUE(as_user->ListSessions(&context, v1::ListSessionsRequest(), &sessions).ok());
    ASSERT_EQ(sessions.sessions_size(), 1);
    EXPECT_EQ(sessions.sessions(0).session_id(), second_id);
  }
  {
    auto as_other = v1::Admin::NewStub(server_.ChannelFor("auditor"));
    grpc::ClientContext context;
    v1::RevokeSessionRequest request;
    request.set_session_id(second_id);
    v1::RevokeSessionResponse response;
    EXPECT_EQ(as_other->RevokeSession(&context, request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << "someone else's session is not theirs to end";
  }
  {
    grpc::ClientContext context;
    v1::RevokeSessionRequest request;
    request.set_session_id(second_id);
    v1::RevokeSessionResponse response;
    EXPECT_TRUE(as_user->RevokeSession(&context, request, &response).ok());
  }
  EXPECT_EQ(ListCasesWith(second).status, 401);

  const auto [third, third_id] = Enrol("coordinator");
  EXPECT_EQ(ListCasesWith(third).status, 200);
  auto admin = v1::Admin::NewStub(server_.ChannelFor("admin"));
  grpc::ClientContext context;
  v1::UpdateUserRequest disable;
  disable.mutable_user()->set_name("users/coordinator");
  disable.mutable_user()->set_state(v1::User::DISABLED);
  disable.mutable_update_mask()->add_paths("state");
  v1::User updated;
  ASSERT_TRUE(admin->UpdateUser(&context, disable, &updated).ok());
  EXPECT_EQ(ListCasesWith(third).status, 401);
}

TEST_F(HttpSignInTest, SignInRoutesNeedJsonAndTheConnectHeader) {
  const HttpAnswer no_header =
      PostJson("/auth/sign-in", {{"userId", "coordinator"}, {"password", "x"}}, {});
  EXPECT_EQ(no_header.status, 400);
  EXPECT_EQ(ReasonOf(nlohmann::json::parse(no_header.body)), "CONNECT_HEADER_REQUIRED");
  auto client = server_.HttpClientWithoutCertificate();
  const HttpAnswer form = Post(*client, "/auth/sign-in", "application/x-www-form-urlencoded",
                               "userId=coordinator&password=x", kConnect);
  EXPECT_EQ(form.status, 400);
  EXPECT_EQ(ReasonOf(nlohmann::json::parse(form.body)), "UNSUPPORTED_CONTENT_TYPE");
}

TEST_F(HttpSignInClockTest, ASessionEndsAfterItsIdleTimeAndALockAfterItsDuration) {
  const auto [cookie, session_id] = Enrol("coordinator");
  manual_.Advance(std::chrono::minutes(30));
  EXPECT_EQ(ListCasesWith(cookie).status, 200) << "still live at exactly 30 minutes";
  manual_.Advance(std::chrono::minutes(30) + std::chrono::seconds(1));
  EXPECT_EQ(ListCasesWith(cookie).status, 401);

  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        PostJson("/auth/sign-in",
                 {{"userId", "coordinator"}, {"password", "not my passphrase"}, {"code", "123456"}})
            .status,
        401);
  }
  // The enrolment's secret is the user's; the right password and code are refused while locked.
  auto right = [&] {
    return PostJson("/auth/sign-in", {{"userId", "coordinator"},
                                      {"password", kNewPassword},
                                      {"code", auth::TotpCode(secret_, manual_.Now())}});
  };
  manual_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(right().status, 401);
  manual_.Advance(std::chrono::minutes(15));
  EXPECT_EQ(right().status, 200) << "the lock expired";
}

// For networks whose policy demands it, browsers must present a client certificate too
// (http-require-client-certificate): without one the TLS handshake fails, before any sign-in.
TEST(HttpClientCertificateTest, RequiredCertificatesShutOutClientsWithoutOne) {
  testing::TestServer server(
      testing::TestServerOptions{.http = true, .http_require_client_certificate = true});
  auto without = server.HttpClientWithoutCertificate();
  const HttpAnswer refused = http_testing::Get(*without, "/healthz");
  EXPECT_EQ(refused.status, 0) << "answered " << refused.status << ": " << refused.body;
  auto with = server.HttpClientFor("coordinator");
  const HttpAnswer answered = http_testing::Get(*with, "/healthz");
  EXPECT_EQ(answered.status, 200) << answered.error;
}

}  // namespace
}  // namespace casecoord
