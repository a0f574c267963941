// The access matrix: every RPC of the API, called by a caller of every kind, over the real server.
//
// kMatrix below must name every method of every casecoord service; a new RPC without an entry fails
// MatrixCoversEveryRpcAndThePolicyTable. Each call is made with an empty request, which is enough
// to see the gate's decision: a caller whose role is allowed gets past it (any answer but
// UNAUTHENTICATED / PERMISSION_DENIED), one whose role is not gets PERMISSION_DENIED, an unknown or
// disabled user gets UNAUTHENTICATED, and a client without a certificate cannot connect.
//
// Every cell is made twice: over gRPC, and over HTTP (the Connect API, issue 17) with an empty
// application/proto body (connect+proto envelopes for the streaming methods). Both must end with
// the same code and leave the same audit entry. Over HTTP a client without a certificate does
// connect (a browser signs in instead) and is refused UNAUTHENTICATED by the gatekeeper, audited.
#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <map>
#include <set>

#include "casecoord/v1/admin.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/auth/policy.h"
#include "services/common/grpc_errors.h"
#include "services/http/connect_codec.h"
#include "tests/support/connect_client.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using testing::TestServer;

// Every service of the API. Adding a service means adding it here.
const std::vector<std::string> kServices = {
    "casecoord.v1.Admin",      "casecoord.v1.AgencyDirectory", "casecoord.v1.Cases",
    "casecoord.v1.Monitoring", "casecoord.v1.Meetings",        "casecoord.v1.Advisers",
    "casecoord.v1.Statistics", "casecoord.v1.Vocabularies"};

// Method -> the users (from testing::kSampleUsers) whose role allows it.
const std::map<std::string, std::set<std::string>> kMatrix = {
    {"/casecoord.v1.Admin/GetServerInfo",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "planner", "auditor"}},
    {"/casecoord.v1.Admin/CreateBackup", {"admin"}},
    {"/casecoord.v1.Admin/ListBackups", {"admin"}},
    {"/casecoord.v1.Admin/RestoreBackup", {"admin"}},
    {"/casecoord.v1.Admin/CreateUser", {"admin"}},
    {"/casecoord.v1.Admin/GetUser", {"admin"}},
    {"/casecoord.v1.Admin/ListUsers", {"admin"}},
    {"/casecoord.v1.Admin/UpdateUser", {"admin"}},
    {"/casecoord.v1.Admin/LookupUsers",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.Admin/ListAuditEntries", {"auditor"}},
    {"/casecoord.v1.Admin/VerifyAuditChain", {"auditor", "admin"}},
    {"/casecoord.v1.Admin/RequestEmergencyAccess",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Admin/ListEmergencyAccesses", {"auditor", "admin"}},
    {"/casecoord.v1.Admin/ResetUserPassword", {"admin"}},
    {"/casecoord.v1.Admin/ResetUserSecondFactor", {"admin"}},
    {"/casecoord.v1.Admin/UnlockUser", {"admin"}},
    {"/casecoord.v1.Admin/ListSessions",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "planner", "auditor"}},
    {"/casecoord.v1.Admin/RevokeSession",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "planner", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/CreateAgency", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/GetAgency",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/ListAgencies",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/UpdateAgency", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/DeleteAgency", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/SearchAgencies",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/FindPartners",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/ImportAgencies", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/ExportAgencies",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/RecordCooperationSurveyAnswer", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/ListCooperationSurveyAnswers",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.AgencyDirectory/DeleteCooperationSurveyAnswer", {"admin", "coordinator"}},
    {"/casecoord.v1.AgencyDirectory/GetCooperationSurveySummary",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.Cases/CreateCase", {"coordinator"}},
    {"/casecoord.v1.Cases/GetCase", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/ListCases", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/TransitionCase", {"coordinator"}},
    {"/casecoord.v1.Cases/GetCaseHistory", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/AppendConsultation", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/ListConsultations", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/CreateReferral", {"coordinator"}},
    {"/casecoord.v1.Cases/ListReferrals", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/AcceptReferral", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/DeclineReferral", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Cases/RevokeReferral", {"coordinator"}},
    {"/casecoord.v1.Cases/RemoveTeamMember", {"coordinator"}},
    {"/casecoord.v1.Cases/UpdateCase", {"coordinator"}},
    {"/casecoord.v1.Cases/PurgeCase", {"admin"}},
    {"/casecoord.v1.Cases/RebuildCaseCounters", {"admin"}},
    {"/casecoord.v1.Cases/ImportCases", {"coordinator"}},
    {"/casecoord.v1.Cases/SearchCases", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Meetings/CreateMeeting", {"coordinator"}},
    {"/casecoord.v1.Meetings/GetMeeting",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Meetings/ListMeetings",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Meetings/UpdateMeeting", {"coordinator"}},
    {"/casecoord.v1.Meetings/AcknowledgeConfidentiality",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Meetings/RecordMinutes", {"coordinator"}},
    {"/casecoord.v1.Meetings/CancelMeeting", {"coordinator"}},
    {"/casecoord.v1.Meetings/UpdateAssignment", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Meetings/ExportMeetingRecord",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Meetings/CreatePlanVersion", {"coordinator"}},
    {"/casecoord.v1.Meetings/GetPlan", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Meetings/ListPlanVersions", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Meetings/ReviewPlan", {"coordinator"}},
    {"/casecoord.v1.Monitoring/SetMonitoringSchedule", {"coordinator"}},
    {"/casecoord.v1.Monitoring/GetMonitoring", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Monitoring/RecordCheck", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Monitoring/ListDueItems", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Monitoring/WatchDueItems", {"coordinator", "agency-staff", "other-staff"}},
    {"/casecoord.v1.Advisers/CreateAdviser", {"admin", "coordinator"}},
    {"/casecoord.v1.Advisers/GetAdviser",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.Advisers/ListAdvisers",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "auditor"}},
    {"/casecoord.v1.Advisers/UpdateAdviser", {"admin", "coordinator"}},
    {"/casecoord.v1.Advisers/CreateDispatch", {"coordinator"}},
    {"/casecoord.v1.Advisers/GetDispatch",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Advisers/ListDispatches",
     {"coordinator", "agency-staff", "other-staff", "adviser"}},
    {"/casecoord.v1.Advisers/ApproveDispatch", {"coordinator"}},
    {"/casecoord.v1.Advisers/DeclineDispatch", {"coordinator"}},
    {"/casecoord.v1.Advisers/RecordSession", {"coordinator", "adviser"}},
    {"/casecoord.v1.Advisers/RecordFollowUp", {"coordinator", "adviser"}},
    {"/casecoord.v1.Advisers/CloseDispatch", {"coordinator"}},
    {"/casecoord.v1.Statistics/GetYearlyReport", {"planner", "coordinator", "admin", "auditor"}},
    {"/casecoord.v1.Statistics/PublishYear", {"planner"}},
    {"/casecoord.v1.Statistics/CreateWelfarePlan", {"planner"}},
    {"/casecoord.v1.Statistics/GetWelfarePlan", {"planner", "coordinator", "admin", "auditor"}},
    {"/casecoord.v1.Statistics/ListWelfarePlans", {"planner", "coordinator", "admin", "auditor"}},
    {"/casecoord.v1.Statistics/UpdateWelfarePlan", {"planner"}},
    {"/casecoord.v1.Statistics/RecordIndicatorYear", {"planner"}},
    {"/casecoord.v1.Statistics/GetPlanProgress", {"planner", "coordinator", "admin", "auditor"}},
    {"/casecoord.v1.Vocabularies/ListTerms",
     {"admin", "coordinator", "agency-staff", "other-staff", "adviser", "planner", "auditor"}},
    {"/casecoord.v1.Vocabularies/CreateTerm", {"admin"}},
    {"/casecoord.v1.Vocabularies/UpdateTerm", {"admin"}},
    {"/casecoord.v1.Vocabularies/RetireTerm", {"admin"}},
    {"/casecoord.v1.Vocabularies/ReactivateTerm", {"admin"}},
    {"/casecoord.v1.Vocabularies/ImportTerms", {"admin"}},
};

// A server-streaming call with an empty request: the status it ends with, or OK as soon as a
// first message arrives (the call passed the gate; a watch never ends by itself, so it is
// cancelled then).
class FirstMessageCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  FirstMessageCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method)
      : stub_(channel) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice empty("");
    request_ = grpc::ByteBuffer(&empty, 1);
    stub_.PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    got_message_ = true;
    context_.TryCancel();
  }
  void OnDone(const grpc::Status& status) override {
    done_.set_value(got_message_ ? grpc::Status::OK : status);
  }
  grpc::Status Await() { return done_.get_future().get(); }

 private:
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  bool got_message_ = false;
  std::promise<grpc::Status> done_;
};

bool ServerStreaming(const std::string& method) {
  const size_t slash = method.rfind('/');
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      method.substr(1, slash - 1));
  const auto* descriptor =
      service == nullptr ? nullptr : service->FindMethodByName(method.substr(slash + 1));
  return descriptor != nullptr && descriptor->server_streaming() && !descriptor->client_streaming();
}

grpc::Status CallEmpty(const std::shared_ptr<grpc::Channel>& channel, const std::string& method) {
  if (ServerStreaming(method)) return FirstMessageCall(channel, method).Await();
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::ByteBuffer request;  // an empty message
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

grpc::StatusCode CodeNamed(const std::string& name) {
  for (int code = 1; code <= 16; ++code) {  // 0 (OK) has no Connect name
    if (http::ConnectCodeName(static_cast<grpc::StatusCode>(code)) == name) {
      return static_cast<grpc::StatusCode>(code);
    }
  }
  ADD_FAILURE() << "no Connect code " << name;
  return grpc::StatusCode::UNKNOWN;
}

// CallEmpty over HTTP: the code the call ends with, or OK as soon as a stream's first message
// arrives. `unary_client` serves unary calls; each stream gets a client from `new_client`.
grpc::StatusCode CallEmptyOverHttp(
    httplib::SSLClient& unary_client,
    const std::function<std::unique_ptr<httplib::SSLClient>()>& new_client,
    const std::string& method) {
  const size_t slash = method.rfind('/');
  const auto* descriptor = google::protobuf::DescriptorPool::generated_pool()
                               ->FindServiceByName(method.substr(1, slash - 1))
                               ->FindMethodByName(method.substr(slash + 1));
  if (!descriptor->client_streaming() && !descriptor->server_streaming()) {
    http_testing::HttpAnswer answer =
        http_testing::Post(unary_client, method, "application/proto", "");
    if (answer.status == 200) return grpc::StatusCode::OK;
    const auto error = nlohmann::json::parse(answer.body, nullptr, false);
    if (answer.status == 0 || error.is_discarded() || !error.contains("code")) {
      ADD_FAILURE() << method << ": " << answer.status << " " << answer.error << answer.body;
      return grpc::StatusCode::UNKNOWN;
    }
    return CodeNamed(error["code"]);
  }
  http_testing::HttpWatch stream(
      new_client(), {method, "application/connect+proto", http_testing::Envelope(0, "")});
  auto first = stream.First();
  if (!first) {
    ADD_FAILURE() << method << ": no envelope";
    return grpc::StatusCode::UNKNOWN;
  }
  if ((first->flags & http_testing::kEndStream) == 0) return grpc::StatusCode::OK;
  const auto end = nlohmann::json::parse(first->data, nullptr, false);
  if (end.is_discarded()) ADD_FAILURE() << method << ": " << first->data;
  if (end.is_discarded() || !end.contains("error")) return grpc::StatusCode::OK;
  return CodeNamed(end["error"].value("code", ""));
}

struct ExpectedEntry {
  std::string user_id;
  std::string method;
  std::string outcome;
  bool operator==(const ExpectedEntry&) const = default;
};

std::ostream& operator<<(std::ostream& out, const ExpectedEntry& e) {
  return out << e.user_id << " " << e.method << " " << e.outcome;
}

std::vector<v1::AuditEntry> AuditEntriesAfter(TestServer& server, int64_t after) {
  auto stub = v1::Admin::NewStub(server.ChannelFor("auditor"));
  std::vector<v1::AuditEntry> out;
  v1::ListAuditEntriesRequest request;
  request.set_page_size(100);
  do {
    v1::ListAuditEntriesResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub->ListAuditEntries(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const auto& entry : response.entries()) {
      if (entry.sequence() > after) out.push_back(entry);
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return out;
}

TEST(AccessMatrixTest, MatrixCoversEveryRpcAndThePolicyTable) {
  std::set<std::string> api_methods;
  for (const auto& name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      api_methods.insert("/" + name + "/" + service->method(i)->name());
    }
  }
  std::set<std::string> matrix_methods;
  for (const auto& [method, users] : kMatrix) matrix_methods.insert(method);
  EXPECT_EQ(matrix_methods, api_methods) << "every RPC needs an access-matrix entry";
  std::set<std::string> policy_methods;
  for (const auto& rule : auth::Policy::Default().rules()) policy_methods.insert(rule.method);
  EXPECT_EQ(policy_methods, api_methods) << "every RPC needs exactly one policy rule";
}

// Planners see aggregates only: the statistics, the labels of the vocabularies their rows use
// (no personal data), and the server's own description.
TEST(AccessMatrixTest, PlannersReachTheStatisticsAndNothingElse) {
  std::set<std::string> reachable;
  for (const auto& rule : auth::Policy::Default().rules()) {
    if (rule.roles.contains(v1::PLANNER)) reachable.insert(rule.method);
  }
  // ... and their own sign-in sessions, which everyone may list and end.
  std::set<std::string> expected = {
      "/casecoord.v1.Admin/GetServerInfo", "/casecoord.v1.Admin/ListSessions",
      "/casecoord.v1.Admin/RevokeSession", "/casecoord.v1.Vocabularies/ListTerms"};
  const auto* statistics = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      "casecoord.v1.Statistics");
  ASSERT_NE(statistics, nullptr);
  for (int i = 0; i < statistics->method_count(); ++i) {
    expected.insert("/casecoord.v1.Statistics/" + statistics->method(i)->name());
  }
  EXPECT_EQ(reachable, expected);
}

TEST(AccessMatrixTest, EveryRpcForEveryCallerAndTheAuditTrailRecordsExactlyThoseAccesses) {
  testing::TestServerOptions options;
  options.http = true;
  TestServer server(options);
  const int64_t before = [&] {
    auto entries = AuditEntriesAfter(server, 0);
    return entries.empty() ? 0 : entries.back().sequence() + 1;  // +1: that listing's own entry
  }();

  std::vector<std::string> callers = testing::kSampleUsers;
  callers.push_back("unknown-user");  // a valid certificate for a user not in the registry
  std::map<std::string, std::unique_ptr<httplib::SSLClient>> http_clients;
  for (const auto& caller : callers) http_clients[caller] = server.HttpClientFor(caller);
  auto no_certificate = server.HttpClientWithoutCertificate();
  std::vector<ExpectedEntry> expected;
  for (const auto& [method, allowed] : kMatrix) {
    const auth::MethodRule* rule = auth::Policy::Default().Find(method);
    ASSERT_NE(rule, nullptr);
    for (const auto& caller : callers) {
      grpc::Status status = CallEmpty(server.ChannelFor(caller), method);
      const std::string what = caller + " -> " + method + ": " + DescribeGrpcError(status);
      if (caller == "unknown-user" || caller == "disabled") {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << what;
      } else if (allowed.count(caller) > 0) {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << what;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << what;
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE) << what;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << what;
      }
      const bool passed_gate = status.error_code() != grpc::StatusCode::PERMISSION_DENIED &&
                               status.error_code() != grpc::StatusCode::UNAUTHENTICATED;
      const grpc::StatusCode over_http = CallEmptyOverHttp(
          *http_clients[caller], [&] { return server.HttpClientFor(caller); }, method);
      EXPECT_EQ(over_http, status.error_code()) << "over HTTP: " << what;
      if (!(passed_gate && rule->audit == auth::AuditKind::kNone)) {
        expected.push_back(
            {caller, method, StatusCodeName(static_cast<StatusCode>(status.error_code()))});
        expected.push_back({caller, method, StatusCodeName(static_cast<StatusCode>(over_http))});
      }
    }
    // No certificate: the TLS handshake fails, nothing reaches the server's handlers.
    EXPECT_EQ(CallEmpty(server.ChannelWithoutCertificate(), method).error_code(),
              grpc::StatusCode::UNAVAILABLE)
        << method;
    // Over HTTP the gatekeeper refuses it, and audits the refusal.
    EXPECT_EQ(CallEmptyOverHttp(
                  *no_certificate, [&] { return server.HttpClientWithoutCertificate(); }, method),
              grpc::StatusCode::UNAUTHENTICATED)
        << "over HTTP without a certificate: " << method;
    expected.push_back({"", method, "UNAUTHENTICATED"});
  }

  // Listing the trail is itself audited: entries past the matrix's are the listing's own calls.
  std::vector<ExpectedEntry> recorded;
  for (const auto& entry : AuditEntriesAfter(server, before)) {
    ExpectedEntry seen{entry.user_id(), entry.method(), entry.outcome()};
    if (recorded.size() < expected.size()) {
      recorded.push_back(seen);
    } else {
      EXPECT_EQ(seen, (ExpectedEntry{"auditor", "/casecoord.v1.Admin/ListAuditEntries", "OK"}));
    }
  }
  EXPECT_EQ(recorded, expected);

  auto auditor = v1::Admin::NewStub(server.ChannelFor("auditor"));
  v1::VerifyAuditChainResponse verified;
  grpc::ClientContext context;
  ASSERT_TRUE(auditor->VerifyAuditChain(&context, v1::VerifyAuditChainRequest(), &verified).ok());
  EXPECT_TRUE(verified.intact()) << verified.problem();
}

TEST(AccessMatrixTest, OneUserOverTheRateLimitDoesNotSlowAnother) {
  ManualClock clock(std::chrono::system_clock::now());  // frozen: no refill during the test
  testing::TestServerOptions options;
  options.clock = &clock;
  options.rate_limit_per_second = 5;
  options.rate_limit_burst = 20;  // the harness itself makes 7 calls as admin
  TestServer server(options);
  auto runaway = v1::Admin::NewStub(server.ChannelFor("planner"));
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 30; ++i) {
    v1::ServerInfo info;
    grpc::ClientContext context;
    grpc::Status status = runaway->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
    if (status.ok()) ++ok;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
      EXPECT_EQ(FromGrpcStatus(status).reason(), "RATE_LIMITED");
    }
  }
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(exhausted, 10);
  auto other = v1::Admin::NewStub(server.ChannelFor("coordinator"));
  for (int i = 0; i < 5; ++i) {
    v1::ServerInfo info;
    grpc::ClientContext context;
    EXPECT_TRUE(other->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).ok());
  }
}

// Issue 16, deliverable 7: a refusal of the rate limiter said "retry later" in prose only. Its
// details carry google.rpc.RetryInfo: when the user's bucket can pay for the call again.
TEST(AccessMatrixTest, ARateLimitedCallSaysWhenToRetry) {
  ManualClock clock(std::chrono::system_clock::now());  // frozen: refills only when advanced
  testing::TestServerOptions options;
  options.clock = &clock;
  options.rate_limit_per_second = 5;
  options.rate_limit_burst = 20;
  TestServer server(options);
  auto runaway = v1::Admin::NewStub(server.ChannelFor("planner"));
  auto call = [&] {
    v1::ServerInfo info;
    grpc::ClientContext context;
    return runaway->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  };
  grpc::Status refused;
  for (int i = 0; i < 30 && refused.ok(); ++i) refused = call();
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(refused.error_details()));
  std::vector<google::rpc::RetryInfo> retries;
  bool error_info = false;
  for (const auto& detail : rich.details()) {
    google::rpc::RetryInfo retry;
    if (detail.Is<google::rpc::RetryInfo>() && detail.UnpackTo(&retry)) retries.push_back(retry);
    error_info = error_info || detail.Is<google::rpc::ErrorInfo>();
  }
  EXPECT_TRUE(error_info);
  ASSERT_EQ(retries.size(), 1u);
  // One token at 5 per second: 200 ms.
  EXPECT_EQ(retries[0].retry_delay().seconds(), 0);
  EXPECT_EQ(retries[0].retry_delay().nanos(), 200 * 1000 * 1000);
  EXPECT_EQ(FromGrpcStatus(refused).retry_after(), std::chrono::milliseconds(200));

  // Not a moment before.
  clock.Advance(std::chrono::milliseconds(100));
  grpc::Status early = call();
  EXPECT_EQ(early.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(FromGrpcStatus(early).retry_after(), std::chrono::milliseconds(100));
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(call().ok());
  // Other refusals carry no RetryInfo.
  v1::ServerInfo info;
  grpc::ClientContext context;
  grpc::Status denied = v1::Admin::NewStub(server.ChannelFor("disabled"))
                            ->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  ASSERT_FALSE(denied.ok());
  EXPECT_FALSE(FromGrpcStatus(denied).retry_after().has_value());
}

TEST(AccessMatrixTest, UsersAreManagedWithEtagsAndDisablingEndsAccess) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));
  v1::User user;
  {
    v1::GetUserRequest request;
    request.set_name("users/planner");
    grpc::ClientContext context;
    ASSERT_TRUE(admin->GetUser(&context, request, &user).ok());
    EXPECT_EQ(user.state(), v1::User::ACTIVE);
  }
  v1::UpdateUserRequest update;
  *update.mutable_user() = user;
  update.mutable_user()->set_state(v1::User::DISABLED);
  update.mutable_update_mask()->add_paths("state");
  v1::User disabled;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->UpdateUser(&context, update, &disabled).ok());
    EXPECT_NE(disabled.etag(), user.etag());
  }
  {
    // The same (now stale) etag again: ABORTED, nothing changed.
    update.mutable_user()->set_state(v1::User::ACTIVE);
    grpc::ClientContext context;
    v1::User unchanged;
    EXPECT_EQ(admin->UpdateUser(&context, update, &unchanged).error_code(),
              grpc::StatusCode::ABORTED);
  }
  v1::ServerInfo info;
  grpc::ClientContext context;
  auto planner = v1::Admin::NewStub(server.ChannelFor("planner"));
  EXPECT_EQ(planner->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Bad input names the fields and creates nothing.
  v1::CreateUserRequest create;
  create.set_user_id("Bad Id");
  grpc::ClientContext create_context;
  v1::User created;
  Status refused = FromGrpcStatus(admin->CreateUser(&create_context, create, &created));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& v : refused.field_violations()) fields.insert(v.field);
  EXPECT_EQ(fields, (std::set<std::string>{"user.display_name", "user.roles", "user_id"}));
}

TEST(AccessMatrixTest, AReadWhoseAuditEntryCannotBeWrittenIsRefusedOverTheWire) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));
  v1::GetUserRequest request;
  request.set_name("users/coordinator");
  server.server().audit_log().FailAppendsForTesting(
      Status(Reason::kIoError, "audit volume unavailable"));
  v1::User user;
  grpc::ClientContext context;
  grpc::Status status = admin->GetUser(&context, request, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(FromGrpcStatus(status).reason(), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(user.display_name(), "");  // no personal data left the server
  server.server().audit_log().FailAppendsForTesting(Status::Ok());
  grpc::ClientContext again;
  EXPECT_TRUE(admin->GetUser(&again, request, &user).ok());
}

}  // namespace
}  // namespace casecoord
