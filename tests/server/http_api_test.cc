// The Connect API (issue 17) over the real server with a real HTTP client: cpp-httplib over TLS,
// with a client certificate from the server's CA. Every answer is compared with what gRPC answers
// for the same call, since the HTTP listener promises the same gatekeeper and the same errors.
#include <arpa/inet.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/meetings.grpc.pb.h"
#include "casecoord/v1/monitoring.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc_errors.h"
#include "tests/fuzz/rpc_seeds.h"
#include "tests/support/connect_client.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;
using http_testing::AuditEntriesAfter;
using http_testing::CallGrpc;
using http_testing::DetailsOf;
using http_testing::Envelope;
using http_testing::ExpectSecurityHeaders;
using http_testing::Get;
using http_testing::GrpcAnswer;
using http_testing::HttpAnswer;
using http_testing::HttpWatch;
using http_testing::kEndStream;
using http_testing::LastAuditSequence;
using http_testing::NewInput;
using http_testing::NewOutput;
using http_testing::Post;
using http_testing::ReadEnvelope;
using http_testing::ReasonOf;
using http_testing::SplitAnswer;
using http_testing::StreamCall;
using http_testing::ToJson;
using http_testing::Unpack;
using testing::TestServer;

// The seeds of the fuzz corpus that make one record of each kind, as their users.
const char* const kSetUpSeeds[] = {
    "casecoord.v1.AgencyDirectory.CreateAgency", "casecoord.v1.Cases.CreateCase",
    "casecoord.v1.Meetings.CreateMeeting", "casecoord.v1.Advisers.CreateAdviser",
    "casecoord.v1.Statistics.CreateWelfarePlan"};

std::string PathOf(const std::string& full_name) {
  const size_t dot = full_name.rfind('.');
  return "/" + full_name.substr(0, dot) + "/" + full_name.substr(dot + 1);
}

class HttpApiTest : public ::testing::Test {
 protected:
  static testing::TestServerOptions Options() {
    testing::TestServerOptions options;
    options.http = true;
    return options;
  }

  void SetUp() override {
    for (const char* name : kSetUpSeeds) {
      for (const auto& seed : fuzz::RpcSeeds()) {
        if (seed.method != name) continue;
        const std::string path = PathOf(seed.method);
        auto request = NewInput(path);
        ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(seed.text, request.get()));
        if (seed.method == "casecoord.v1.Meetings.CreateMeeting") {
          // The seed's participant is a bare user id (the fuzzer wants it refused sometimes).
          auto* meeting = static_cast<v1::CreateMeetingRequest*>(request.get())->mutable_meeting();
          meeting->mutable_participants(0)->set_user("users/coordinator");
          meeting->mutable_participants()->RemoveLast();
        }
        GrpcAnswer made = CallGrpc(server_, seed.user, path, request->SerializeAsString());
        ASSERT_TRUE(made.status.ok()) << path << ": " << DescribeGrpcError(made.status);
        auto answer = NewOutput(path);
        ASSERT_TRUE(answer->ParseFromString(made.bytes));
        const auto* name_field = answer->GetDescriptor()->FindFieldByName("name");
        if (name_field != nullptr) {
          made_[seed.method] = answer->GetReflection()->GetString(*answer, name_field);
        }
      }
    }
  }

  TestServer server_{Options()};
  std::map<std::string, std::string> made_;  // seed method -> the name of what it made
};

struct UnaryCase {
  std::string path;
  std::string user;
  std::string request;  // text format
};

TEST_F(HttpApiTest, EveryServiceAnswersJsonAndProtoAsGrpcDoes) {
  const std::string plan = made_["casecoord.v1.Statistics.CreateWelfarePlan"];
  ASSERT_FALSE(plan.empty());
  const std::vector<UnaryCase> calls = {
      {"/casecoord.v1.Admin/GetUser", "admin", R"(name: "users/coordinator")"},
      {"/casecoord.v1.AgencyDirectory/GetAgency", "coordinator", R"(name: "agencies/a1")"},
      {"/casecoord.v1.Cases/GetCase", "coordinator", R"(name: "cases/1")"},
      {"/casecoord.v1.Meetings/ListMeetings", "coordinator", R"(filter: "case = \"cases/1\"")"},
      {"/casecoord.v1.Advisers/GetAdviser", "coordinator", R"(name: "advisers/adv1")"},
      // Empty: monitoring needs a case in support, and the seeds' dates are fixed in the past.
      {"/casecoord.v1.Monitoring/ListDueItems", "coordinator", R"(page_size: 5)"},
      {"/casecoord.v1.Statistics/GetWelfarePlan", "planner", "name: \"" + plan + "\""},
      {"/casecoord.v1.Vocabularies/ListTerms", "planner", R"(parent: "vocabularies/districts")"},
  };
  for (const UnaryCase& call : calls) {
    SCOPED_TRACE(call.path);
    auto request = NewInput(call.path);
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(call.request, request.get()));
    GrpcAnswer grpc_answer = CallGrpc(server_, call.user, call.path, request->SerializeAsString());
    ASSERT_TRUE(grpc_answer.status.ok()) << DescribeGrpcError(grpc_answer.status);
    auto expected = NewOutput(call.path);
    ASSERT_TRUE(expected->ParseFromString(grpc_answer.bytes));
    if (call.path != "/casecoord.v1.Monitoring/ListDueItems") {
      ASSERT_GT(expected->ByteSizeLong(), 0u) << "an empty answer would compare equal to anything";
    }

    auto client = server_.HttpClientFor(call.user);
    HttpAnswer json = Post(*client, call.path, "application/json", ToJson(*request));
    ASSERT_EQ(json.status, 200) << json.body;
    EXPECT_EQ(json.content_type, "application/json");
    auto from_json = NewOutput(call.path);
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json.body, from_json.get()).ok())
        << json.body;
    EXPECT_TRUE(MessageDifferencer::Equals(*from_json, *expected))
        << from_json->DebugString() << "\nvs gRPC\n"
        << expected->DebugString();

    HttpAnswer binary = Post(*client, call.path, "application/proto", request->SerializeAsString());
    ASSERT_EQ(binary.status, 200) << binary.body;
    EXPECT_EQ(binary.content_type, "application/proto");
    auto from_binary = NewOutput(call.path);
    ASSERT_TRUE(from_binary->ParseFromString(binary.body));
    EXPECT_TRUE(MessageDifferencer::Equals(*from_binary, *expected))
        << from_binary->DebugString() << "\nvs gRPC\n"
        << expected->DebugString();
  }
}

std::vector<v1::ExportAgenciesResponse> ExportOverGrpc(TestServer& server,
                                                       const std::string& user) {
  auto stub = v1::AgencyDirectory::NewStub(server.ChannelFor(user));
  grpc::ClientContext context;
  v1::ExportAgenciesRequest request;
  request.set_format(v1::CSV_UTF8_BOM);
  auto reader = stub->ExportAgencies(&context, request);
  std::vector<v1::ExportAgenciesResponse> messages;
  v1::ExportAgenciesResponse message;
  while (reader->Read(&message)) messages.push_back(message);
  EXPECT_TRUE(reader->Finish().ok());
  return messages;
}

TEST_F(HttpApiTest, AServerStreamDeliversEnvelopesThenTheEndOfStream) {
  const std::vector<v1::ExportAgenciesResponse> expected = ExportOverGrpc(server_, "coordinator");
  ASSERT_FALSE(expected.empty());
  auto client = server_.HttpClientFor("coordinator");
  for (const bool json : {true, false}) {
    SCOPED_TRACE(json ? "connect+json" : "connect+proto");
    const std::string type = json ? "application/connect+json" : "application/connect+proto";
    v1::ExportAgenciesRequest request;
    request.set_format(v1::CSV_UTF8_BOM);
    HttpAnswer answer = Post(*client, "/casecoord.v1.AgencyDirectory/ExportAgencies", type,
                             Envelope(0, json ? ToJson(request) : request.SerializeAsString()));
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.content_type, type);
    std::vector<ReadEnvelope> envelopes = SplitAnswer(answer.body);
    ASSERT_EQ(envelopes.size(), expected.size() + 1);
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(envelopes[i].flags, 0);
      v1::ExportAgenciesResponse message;
      if (json) {
        ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(envelopes[i].data, &message).ok());
      } else {
        ASSERT_TRUE(message.ParseFromString(envelopes[i].data));
      }
      EXPECT_TRUE(MessageDifferencer::Equals(message, expected[i])) << i;
    }
    EXPECT_EQ(envelopes.back().flags, kEndStream);
    EXPECT_EQ(envelopes.back().data, "{}");
  }

  // A refusal ends the stream with the error in the end-of-stream message (HTTP 200).
  auto planner = server_.HttpClientFor("planner");
  HttpAnswer refused = Post(*planner, "/casecoord.v1.AgencyDirectory/ExportAgencies",
                            "application/connect+json", Envelope(0, "{}"));
  ASSERT_EQ(refused.status, 200);
  std::vector<ReadEnvelope> envelopes = SplitAnswer(refused.body);
  ASSERT_EQ(envelopes.size(), 1u);
  EXPECT_EQ(envelopes[0].flags, kEndStream);
  const auto end = nlohmann::json::parse(envelopes[0].data);
  EXPECT_EQ(end["error"]["code"], "permission_denied") << envelopes[0].data;
}

TEST_F(HttpApiTest, AClientThatDisconnectsMidStreamEndsTheCall) {
  // watch-streams-per-user is 4: four open watches fill the coordinator's slots.
  std::vector<std::unique_ptr<HttpWatch>> open;
  for (int i = 0; i < 4; ++i) {
    open.push_back(std::make_unique<HttpWatch>(server_.HttpClientFor("coordinator")));
    auto first = open.back()->First();
    ASSERT_TRUE(first.has_value());
    ASSERT_EQ(first->flags, 0) << first->data;
    v1::WatchDueItemsResponse message;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(first->data, &message).ok());
  }
  {
    HttpWatch fifth(server_.HttpClientFor("coordinator"));
    auto first = fifth.First();
    ASSERT_TRUE(first.has_value());
    ASSERT_EQ(first->flags, kEndStream) << first->data;
    const auto end = nlohmann::json::parse(first->data);
    EXPECT_EQ(end["error"]["code"], "resource_exhausted") << first->data;
    EXPECT_EQ(ReasonOf(end["error"]), "TOO_MANY_STREAMS") << first->data;
  }
  // The client goes away without a word: the server notices and ends the call, freeing its slot.
  open.back()->Disconnect();
  open.pop_back();
  bool admitted = false;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!admitted && std::chrono::steady_clock::now() < give_up) {
    HttpWatch again(server_.HttpClientFor("coordinator"));
    auto first = again.First();
    ASSERT_TRUE(first.has_value());
    admitted = first->flags == 0;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(admitted) << "the disconnected watch still holds its slot";
}

// Shutting the server down ends an open HTTP stream with UNAVAILABLE, like a gRPC one, and
// does not wait for the client to leave.
TEST_F(HttpApiTest, ShutdownEndsAnOpenHttpStreamWithUnavailable) {
  StreamCall call;
  call.hold_after_first = false;
  HttpWatch watch(server_.HttpClientFor("coordinator"), call);
  auto first = watch.First();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->flags, 0) << first->data;
  const auto started = std::chrono::steady_clock::now();
  std::thread stopper([this] { server_.Stop(); });
  auto envelopes = watch.Finished(std::chrono::seconds(30));
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
  ASSERT_TRUE(envelopes.has_value()) << "the stream did not end";
  ASSERT_FALSE(envelopes->empty());
  EXPECT_EQ(envelopes->back().flags, kEndStream);
  const auto end = nlohmann::json::parse(envelopes->back().data, nullptr, false);
  EXPECT_EQ(end.is_discarded() ? "" : end["error"].value("code", ""), "unavailable")
      << envelopes->back().data;
}

// Browsers send Accept-Encoding: gzip. A stream's messages must still arrive as they are sent,
// not when a compressor's buffer fills.
TEST_F(HttpApiTest, AStreamToAClientAcceptingGzipDeliversItsFirstMessageAtOnce) {
  StreamCall call;
  call.headers = {{"Accept-Encoding", "gzip, deflate"}};
  HttpWatch watch(server_.HttpClientFor("coordinator"), call);
  auto first = watch.First();
  ASSERT_TRUE(first.has_value()) << "no message within the wait";
  EXPECT_EQ(first->flags, 0) << first->data;
}

TEST_F(HttpApiTest, AClientStreamImportsThroughEnvelopes) {
  const std::string csv =
      "\xEF\xBB\xBF機関ID,機関名,フリガナ,種別\r\nb2,架空障害者相談支援センター,"
      "カクウショウガイシャ,障害者基幹相談支援センター\r\nb3,架空センター,カクウ,役所\r\n";
  v1::ImportAgenciesRequest options;
  options.mutable_options()->set_validate_only(true);
  v1::ImportAgenciesRequest chunk;
  chunk.set_chunk(csv);

  auto stub = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
  v1::ImportAgenciesResponse expected;
  {
    grpc::ClientContext context;
    auto writer = stub->ImportAgencies(&context, &expected);
    ASSERT_TRUE(writer->Write(options));
    ASSERT_TRUE(writer->Write(chunk));
    ASSERT_TRUE(writer->WritesDone());
    grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  ASSERT_EQ(expected.rows_read(), 2);

  auto client = server_.HttpClientFor("coordinator");
  HttpAnswer answer =
      Post(*client, "/casecoord.v1.AgencyDirectory/ImportAgencies", "application/connect+json",
           Envelope(0, ToJson(options)) + Envelope(0, ToJson(chunk)));
  ASSERT_EQ(answer.status, 200) << answer.body;
  std::vector<ReadEnvelope> envelopes = SplitAnswer(answer.body);
  ASSERT_EQ(envelopes.size(), 2u);
  EXPECT_EQ(envelopes[0].flags, 0);
  v1::ImportAgenciesResponse imported;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(envelopes[0].data, &imported).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(imported, expected))
      << imported.DebugString() << "\nvs gRPC\n"
      << expected.DebugString();
  EXPECT_EQ(envelopes[1].flags, kEndStream);
  EXPECT_EQ(envelopes[1].data, "{}");
  // A dry run made nothing.
  GrpcAnswer lookup =
      CallGrpc(server_, "coordinator", "/casecoord.v1.AgencyDirectory/GetAgency", [] {
        v1::GetAgencyRequest request;
        request.set_name("agencies/b2");
        return request.SerializeAsString();
      }());
  EXPECT_EQ(lookup.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

struct ErrorCase {
  std::string path;
  std::string user;
  std::string request;  // text format
  int http_status;
  std::string code;
};

TEST_F(HttpApiTest, AnErrorCarriesTheSameDetailsAsOverGrpc) {
  const std::vector<ErrorCase> calls = {
      {"/casecoord.v1.Admin/CreateUser", "admin", R"(user_id: "Bad Id")", 400, "invalid_argument"},
      {"/casecoord.v1.Cases/GetCase", "coordinator", R"(name: "cases/999")", 404, "not_found"},
      {"/casecoord.v1.AgencyDirectory/CreateAgency", "coordinator",
       R"(agency_id: "a1" agency { display_name: "重複" kana: "ジュウフク"
          kind: COMMUNITY_GENERAL_SUPPORT_CENTER })",
       409, "already_exists"},
      {"/casecoord.v1.Admin/GetUser", "planner", R"(name: "users/admin")", 403,
       "permission_denied"},
      {"/casecoord.v1.Admin/GetServerInfo", "disabled", "", 401, "unauthenticated"},
  };
  for (const ErrorCase& call : calls) {
    SCOPED_TRACE(call.path + " as " + call.user);
    auto request = NewInput(call.path);
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(call.request, request.get()));
    GrpcAnswer grpc_answer = CallGrpc(server_, call.user, call.path, request->SerializeAsString());
    ASSERT_FALSE(grpc_answer.status.ok());
    google::rpc::Status grpc_details;
    ASSERT_TRUE(grpc_details.ParseFromString(grpc_answer.status.error_details()));

    auto client = server_.HttpClientFor(call.user);
    for (const bool json : {true, false}) {
      HttpAnswer answer =
          json ? Post(*client, call.path, "application/json", ToJson(*request))
               : Post(*client, call.path, "application/proto", request->SerializeAsString());
      EXPECT_EQ(answer.status, call.http_status) << answer.body;
      EXPECT_EQ(answer.content_type, "application/json");
      const auto error = nlohmann::json::parse(answer.body);
      EXPECT_EQ(error["code"], call.code) << answer.body;
      EXPECT_EQ(error["message"], grpc_answer.status.error_message()) << answer.body;
      const google::rpc::Status http_details = DetailsOf(error);
      EXPECT_EQ(http_details.details_size(), grpc_details.details_size()) << answer.body;
      for (int i = 0; i < std::min(http_details.details_size(), grpc_details.details_size()); ++i) {
        EXPECT_EQ(http_details.details(i).type_url(), grpc_details.details(i).type_url());
        EXPECT_EQ(http_details.details(i).value(), grpc_details.details(i).value())
            << http_details.details(i).type_url();
      }
      // The kinds of detail a client relies on are there, and decode.
      google::rpc::ErrorInfo info;
      google::rpc::LocalizedMessage localized;
      EXPECT_TRUE(Unpack(http_details, &info));
      EXPECT_EQ(info.reason(), FromGrpcStatus(grpc_answer.status).reason());
      EXPECT_TRUE(Unpack(http_details, &localized));
      EXPECT_FALSE(localized.message().empty());
      EXPECT_EQ(localized.locale(), "ja-JP");
      if (call.code == "invalid_argument") {
        google::rpc::BadRequest bad_request;
        ASSERT_TRUE(Unpack(http_details, &bad_request));
        std::set<std::string> fields;
        for (const auto& v : bad_request.field_violations()) fields.insert(v.field());
        EXPECT_EQ(fields, (std::set<std::string>{"user.display_name", "user.roles", "user_id"}));
      }
    }
  }
}

TEST_F(HttpApiTest, ConnectTimeoutMsIsTheCallsDeadline) {
  auto client = server_.HttpClientFor("coordinator");
  // A watch never ends by itself: the deadline ends it, in the end-of-stream message.
  const auto started = std::chrono::steady_clock::now();
  HttpAnswer watched =
      Post(*client, "/casecoord.v1.Monitoring/WatchDueItems", "application/connect+json",
           Envelope(0, "{}"), {{"Connect-Timeout-Ms", "300"}});
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(watched.status, 200) << watched.error;
  std::vector<ReadEnvelope> envelopes = SplitAnswer(watched.body);
  ASSERT_GE(envelopes.size(), 2u);
  EXPECT_EQ(envelopes.back().flags, kEndStream);
  EXPECT_EQ(nlohmann::json::parse(envelopes.back().data)["error"]["code"], "deadline_exceeded")
      << envelopes.back().data;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(10));

  // An unary call whose deadline passes (here while its 3 MB JSON body is converted) answers 504.
  v1::GetCaseRequest huge;
  huge.set_name("cases/" + std::string(3 << 20, '9'));
  HttpAnswer late = Post(*client, "/casecoord.v1.Cases/GetCase", "application/json", ToJson(huge),
                         {{"Connect-Timeout-Ms", "1"}});
  EXPECT_EQ(late.status, 504) << late.body.substr(0, 200);
  EXPECT_EQ(nlohmann::json::parse(late.body)["code"], "deadline_exceeded");
  HttpAnswer in_time = Post(*client, "/casecoord.v1.Cases/GetCase", "application/json",
                            ToJson(huge), {{"Connect-Timeout-Ms", "60000"}});
  EXPECT_NE(in_time.status, 504) << in_time.body.substr(0, 200);

  for (const char* bad : {"abc", "0", "12345678901", "-5", "1.5"}) {
    HttpAnswer refused = Post(*client, "/casecoord.v1.Cases/GetCase", "application/json",
                              R"({"name":"cases/1"})", {{"Connect-Timeout-Ms", bad}});
    EXPECT_EQ(refused.status, 400) << bad << ": " << refused.body;
    EXPECT_EQ(nlohmann::json::parse(refused.body)["code"], "invalid_argument") << bad;
  }
}

TEST_F(HttpApiTest, EveryAnswerCarriesTheSecurityHeaders) {
  auto client = server_.HttpClientFor("coordinator");
  struct Seen {
    std::string what;
    HttpAnswer answer;
    int status;
    bool api;
  };
  std::vector<Seen> answers;
  answers.push_back(
      {"a 200 answer",
       Post(*client, "/casecoord.v1.Cases/GetCase", "application/json", R"({"name":"cases/1"})"),
       200, true});
  answers.push_back(
      {"an error",
       Post(*client, "/casecoord.v1.Cases/GetCase", "application/json", R"({"name":"cases/999"})"),
       404, true});
  answers.push_back({"an unknown method",
                     Post(*client, "/casecoord.v1.Cases/NoSuchMethod", "application/json", "{}"),
                     404, true});
  answers.push_back({"an unknown path", Get(*client, "/no/such/page"), 404, false});
  answers.push_back({"healthz", Get(*client, "/healthz"), 200, true});
  answers.push_back({"readyz", Get(*client, "/readyz"), 200, true});
  answers.push_back({"a stream",
                     Post(*client, "/casecoord.v1.AgencyDirectory/ExportAgencies",
                          "application/connect+json", Envelope(0, "{}")),
                     200, true});
  for (const Seen& seen : answers) {
    SCOPED_TRACE(seen.what);
    EXPECT_EQ(seen.answer.status, seen.status) << seen.answer.body;
    ExpectSecurityHeaders(seen.answer, seen.api);
  }
}

TEST_F(HttpApiTest, RequestsOutsideTheProtocolAreRefused) {
  auto client = server_.HttpClientFor("coordinator");
  const std::string get_case = "/casecoord.v1.Cases/GetCase";
  const std::string body = R"({"name":"cases/1"})";

  HttpAnswer text = Post(*client, get_case, "text/plain", body);
  EXPECT_EQ(text.status, 415) << text.body;
  ExpectSecurityHeaders(text, true);
  HttpAnswer enveloped = Post(*client, get_case, "application/connect+json", Envelope(0, body));
  EXPECT_EQ(enveloped.status, 415) << enveloped.body;
  HttpAnswer unary_type =
      Post(*client, "/casecoord.v1.AgencyDirectory/ExportAgencies", "application/json", "{}");
  EXPECT_EQ(unary_type.status, 415) << unary_type.body;

  HttpAnswer gzipped =
      Post(*client, get_case, "application/json", body, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(gzipped.status, 415) << gzipped.body;
  ExpectSecurityHeaders(gzipped, true);
  HttpAnswer compressed_envelope = Post(*client, "/casecoord.v1.AgencyDirectory/ExportAgencies",
                                        "application/connect+json", Envelope(1, "{}"));
  ASSERT_EQ(compressed_envelope.status, 200);
  std::vector<ReadEnvelope> envelopes = SplitAnswer(compressed_envelope.body);
  ASSERT_EQ(envelopes.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(envelopes[0].data)["error"]["code"], "invalid_argument");

  HttpAnswer unknown = Post(*client, "/casecoord.v1.Cases/NoSuchMethod", "application/json", "{}");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown.body)["code"], "not_found") << unknown.body;
  HttpAnswer unknown_service =
      Post(*client, "/casecoord.v1.NoSuchService/GetCase", "application/json", "{}");
  EXPECT_EQ(unknown_service.status, 404);
  EXPECT_EQ(nlohmann::json::parse(unknown_service.body)["code"], "not_found");

  HttpAnswer get = Get(*client, get_case);
  EXPECT_EQ(get.status, 405) << get.body;
  EXPECT_EQ(get.headers.count("Allow") ? get.headers.find("Allow")->second : "", "POST");
  ExpectSecurityHeaders(get, true);

  HttpAnswer bad_json = Post(*client, get_case, "application/json", R"({"name":)");
  EXPECT_EQ(bad_json.status, 400) << bad_json.body;
  EXPECT_EQ(nlohmann::json::parse(bad_json.body)["code"], "invalid_argument");
  HttpAnswer unknown_field =
      Post(*client, get_case, "application/json", R"({"name":"cases/1","nope":1})");
  EXPECT_EQ(unknown_field.status, 400) << unknown_field.body;
  HttpAnswer bad_version =
      Post(*client, get_case, "application/json", body, {{"Connect-Protocol-Version", "2"}});
  EXPECT_EQ(bad_version.status, 400) << bad_version.body;
}

// A refused body that the server did not read must not be read as the next request of a
// kept-alive connection (a request smuggled past whatever sits in front of the server).
TEST_F(HttpApiTest, ARefusedUnreadBodyIsNotTakenForTheNextRequest) {
  const int64_t last = LastAuditSequence(server_);
  auto client = server_.HttpClientFor("coordinator");
  client->set_keep_alive(true);
  // An audited read, to see whether the server ran it at all (not only whether it answered).
  const std::string smuggled =
      "POST /casecoord.v1.Cases/GetCase HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"name\":\"cases/1\"}";
  HttpAnswer gzipped = Post(*client, "/casecoord.v1.Admin/GetServerInfo", "application/json",
                            smuggled, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(gzipped.status, 415) << gzipped.body;
  HttpAnswer next = Get(*client, "/healthz");
  EXPECT_EQ(next.status, 200) << next.error;
  EXPECT_EQ(next.body, "ok\n") << "the answer to the smuggled request came back";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const auto& entry : AuditEntriesAfter(server_, last)) {
    ADD_FAILURE() << "the smuggled request ran: " << entry.method() << " " << entry.resource();
  }
}

// httplib reads no body for a GET: one sent anyway must not be run as the next request either.
TEST_F(HttpApiTest, ABodyOnAGetIsNotTakenForTheNextRequest) {
  const int64_t last = LastAuditSequence(server_);
  auto client = server_.HttpClientFor("coordinator");
  client->set_keep_alive(true);
  const std::string smuggled =
      "POST /casecoord.v1.Cases/GetCase HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: 18\r\n\r\n{\"name\":\"cases/1\"}";
  httplib::Request request;
  request.method = "GET";
  request.path = "/healthz";
  request.body = smuggled;
  request.set_header("Content-Type", "text/plain");
  auto result = client->send(request);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 400) << result->body;
  EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff");
  HttpAnswer next = Get(*client, "/healthz");
  EXPECT_EQ(next.status, 200) << next.error;
  EXPECT_EQ(next.body, "ok\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (const auto& entry : AuditEntriesAfter(server_, last)) {
    ADD_FAILURE() << "the smuggled request ran: " << entry.method() << " " << entry.resource();
  }
}

TEST(HttpLimitsTest, ABodyOverTheLimitIsRefusedWith413) {
  testing::TestServerOptions options;
  options.http = true;
  options.http_max_body_bytes = 64 << 10;
  TestServer server(options);
  auto client = server.HttpClientFor("coordinator");
  v1::GetCaseRequest request;
  request.set_name("cases/" + std::string(100 << 10, '1'));
  HttpAnswer too_large =
      Post(*client, "/casecoord.v1.Cases/GetCase", "application/json", ToJson(request));
  EXPECT_EQ(too_large.status, 413) << too_large.error;
  ExpectSecurityHeaders(too_large, true);
  EXPECT_EQ(nlohmann::json::parse(too_large.body)["code"], "resource_exhausted");
  // Just under the limit is served.
  request.set_name("cases/" + std::string(60 << 10, '1'));
  auto again = server.HttpClientFor("coordinator");
  HttpAnswer served =
      Post(*again, "/casecoord.v1.Cases/GetCase", "application/json", ToJson(request));
  EXPECT_NE(served.status, 413) << served.body.substr(0, 200);
  EXPECT_NE(served.status, 0) << served.error;
}

// Seconds until the server closes a TCP connection to `port` on which the client sends `prefix`
// and then nothing; nullopt if it is still open after `limit`.
std::optional<double> SecondsUntilClosed(int port, const std::string& prefix,
                                         std::chrono::seconds limit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    ADD_FAILURE() << "cannot connect";
    return std::nullopt;
  }
  if (!prefix.empty()) {
    EXPECT_EQ(::send(fd, prefix.data(), prefix.size(), 0), static_cast<ssize_t>(prefix.size()));
  }
  const auto started = std::chrono::steady_clock::now();
  std::optional<double> closed;
  while (std::chrono::steady_clock::now() - started < limit) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, 100) <= 0) continue;
    char buffer[4096];
    const ssize_t read = ::recv(fd, buffer, sizeof(buffer), 0);
    if (read <= 0) {
      closed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      break;
    }
  }
  ::close(fd);
  return closed;
}

// A connection that never completes its TLS handshake, or stalls inside it, is cut after the
// read timeout, so idle sockets cannot hold the listener's threads for ever.
TEST(HttpLimitsTest, StalledConnectionsAreCut) {
  testing::TestServerOptions options;
  options.http = true;
  options.http_read_timeout_ms = 500;
  TestServer server(options);
  auto silent = SecondsUntilClosed(server.http_port(), "", std::chrono::seconds(10));
  ASSERT_TRUE(silent.has_value()) << "a silent connection stayed open";
  EXPECT_LT(*silent, 5.0);
  // The first bytes of a TLS ClientHello record, then nothing.
  auto stalled = SecondsUntilClosed(server.http_port(), std::string("\x16\x03\x01\x02\x00", 5),
                                    std::chrono::seconds(10));
  ASSERT_TRUE(stalled.has_value()) << "a stalled handshake stayed open";
  EXPECT_LT(*stalled, 5.0);
  // And the listener still serves.
  auto client = server.HttpClientFor("coordinator");
  EXPECT_EQ(Get(*client, "/healthz").status, 200);
}

TEST(HttpLimitsTest, ARateLimitedCallIs429WithRetryInfoAndSharesTheGrpcBucket) {
  ManualClock clock(std::chrono::system_clock::now());  // frozen: no refill during the test
  testing::TestServerOptions options;
  options.http = true;
  options.clock = &clock;
  options.rate_limit_per_second = 5;
  options.rate_limit_burst = 20;
  TestServer server(options);
  auto client = server.HttpClientFor("planner");
  HttpAnswer answer;
  int ok = 0;
  for (int i = 0; i < 30; ++i) {
    answer = Post(*client, "/casecoord.v1.Admin/GetServerInfo", "application/json", "{}");
    if (answer.status != 200) break;
    ++ok;
  }
  EXPECT_EQ(ok, 20);
  ASSERT_EQ(answer.status, 429) << answer.body;
  const auto error = nlohmann::json::parse(answer.body);
  EXPECT_EQ(error["code"], "resource_exhausted");
  EXPECT_EQ(ReasonOf(error), "RATE_LIMITED");
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(Unpack(DetailsOf(error), &retry)) << answer.body;
  EXPECT_EQ(retry.retry_delay().nanos(), 200 * 1000 * 1000);
  // One gatekeeper: the same user over gRPC finds the bucket empty too.
  GrpcAnswer over_grpc = CallGrpc(server, "planner", "/casecoord.v1.Admin/GetServerInfo", "");
  EXPECT_EQ(over_grpc.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(HttpApiTest, AnAuditedReadOverHttpIsAuditedOnceAsOverGrpc) {
  v1::GetCaseRequest request;
  request.set_name("cases/1");
  int64_t last = LastAuditSequence(server_);
  auto client = server_.HttpClientFor("coordinator");
  HttpAnswer answer =
      Post(*client, "/casecoord.v1.Cases/GetCase", "application/json", ToJson(request));
  ASSERT_EQ(answer.status, 200) << answer.body;
  std::vector<v1::AuditEntry> over_http = AuditEntriesAfter(server_, last);
  ASSERT_EQ(over_http.size(), 1u);
  last = LastAuditSequence(server_);
  GrpcAnswer grpc_answer =
      CallGrpc(server_, "coordinator", "/casecoord.v1.Cases/GetCase", request.SerializeAsString());
  ASSERT_TRUE(grpc_answer.status.ok());
  std::vector<v1::AuditEntry> over_grpc = AuditEntriesAfter(server_, last);
  ASSERT_EQ(over_grpc.size(), 1u);

  EXPECT_EQ(over_http[0].channel(), "http");
  EXPECT_EQ(over_grpc[0].channel(), "grpc");
  EXPECT_EQ(over_http[0].session_id(), "");  // a certificate, not a session
  EXPECT_EQ(over_http[0].method(), "/casecoord.v1.Cases/GetCase");
  EXPECT_EQ(over_http[0].outcome(), "OK");
  MessageDifferencer differencer;
  for (const char* field :
       {"name", "sequence", "time", "previous_hash", "hash", "mac", "channel", "session_id"}) {
    differencer.IgnoreField(v1::AuditEntry::descriptor()->FindFieldByName(field));
  }
  std::string differences;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(over_http[0], over_grpc[0])) << differences;
}

TEST_F(HttpApiTest, NoCertificateIsUnauthenticatedAndAuditedAsHttp) {
  auto client = server_.HttpClientWithoutCertificate();
  const int64_t last = LastAuditSequence(server_);
  HttpAnswer answer = Post(*client, "/casecoord.v1.Admin/GetServerInfo", "application/json", "{}");
  EXPECT_EQ(answer.status, 401) << answer.body;
  EXPECT_EQ(nlohmann::json::parse(answer.body)["code"], "unauthenticated");
  ExpectSecurityHeaders(answer, true);
  std::vector<v1::AuditEntry> entries = AuditEntriesAfter(server_, last);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].method(), "/casecoord.v1.Admin/GetServerInfo");
  EXPECT_EQ(entries[0].outcome(), "UNAUTHENTICATED");
  EXPECT_EQ(entries[0].channel(), "http");
  EXPECT_EQ(entries[0].user_id(), "");
  // The probes need no certificate.
  EXPECT_EQ(Get(*client, "/healthz").status, 200);
  EXPECT_EQ(Get(*client, "/readyz").status, 200);
}

}  // namespace
}  // namespace casecoord
