// Monitoring over the real server with a simulated clock: schedules and checks under the case's
// need to know, work lists that become overdue as days pass, and the watch stream that pushes what
// falls due and ends cleanly when the client cancels or the server shuts down.
#include "services/monitoring/monitoring_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/monitoring.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/worklist/due_index.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using Names = std::vector<std::string>;

std::string Text(const v1::Date& date) {
  return date.year() == 0 ? "none" : std::to_string(worklist::DayNumber(date));
}

std::set<std::string> Fields(const grpc::Status& status) {
  std::set<std::string> fields;
  const Status converted = FromGrpcStatus(status);
  for (const auto& violation : converted.field_violations()) {
    fields.insert(violation.field);
  }
  return fields;
}

// "cases/1@20261125!" per item (the ! when overdue).
Names Items(const google::protobuf::RepeatedPtrField<v1::DueItem>& items) {
  Names out;
  for (const auto& item : items) {
    out.push_back(item.case_() + "@" + Text(item.due_date()) + (item.overdue() ? "!" : ""));
  }
  return out;
}

class MonitoringServiceTest : public ::testing::Test {
 protected:
  MonitoringServiceTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    options.due_watch_interval_ms = 20;
    return options;
  }

  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    for (const char* id : {"a1", "a2"}) {
      v1::CreateAgencyRequest create;
      create.set_agency_id(id);
      create.mutable_agency()->set_display_name(std::string("北地域包括支援センター") + id);
      create.mutable_agency()->set_kana("キタチイキホウカツ");
      create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
      v1::Agency created;
      grpc::ClientContext context;
      ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
    }
  }

  std::unique_ptr<v1::Monitoring::Stub> Stub(const std::string& user) {
    return v1::Monitoring::NewStub(server_.ChannelFor(user));
  }

  // A case opened by the coordinator with agencies/a1 (agency-staff's) on its team, COORDINATING
  // unless `coordinate` is false.
  std::string OpenCase(const std::string& request_id, bool coordinate = true) {
    auto cases = v1::Cases::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateCaseRequest create;
    create.set_request_id(request_id);
    auto* member = create.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 一郎");
    member->set_principal(true);
    create.mutable_case_()->set_district("kita");
    create.mutable_case_()->set_referring_agency("agencies/a1");
    create.mutable_case_()->set_presenting_problem("長男が外出していない");
    v1::Case opened;
    {
      grpc::ClientContext context;
      grpc::Status status = cases->CreateCase(&context, create, &opened);
      EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    }
    if (!coordinate) return opened.name();
    v1::CreateReferralRequest refer;
    refer.set_parent(opened.name());
    refer.mutable_referral()->set_agency("agencies/a1");
    refer.mutable_referral()->set_role(v1::LEAD);
    v1::Referral referral;
    {
      grpc::ClientContext context;
      EXPECT_TRUE(cases->CreateReferral(&context, refer, &referral).ok());
    }
    v1::AnswerReferralRequest accept;
    accept.set_name(referral.name());
    {
      grpc::ClientContext context;
      auto staff = v1::Cases::NewStub(server_.ChannelFor("agency-staff"));
      EXPECT_TRUE(staff->AcceptReferral(&context, accept, &referral).ok());
    }
    v1::TransitionCaseRequest move;
    move.set_name(opened.name());
    move.set_to(v1::COORDINATING);
    v1::Case moved;
    grpc::ClientContext context;
    grpc::Status status = cases->TransitionCase(&context, move, &moved);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return opened.name();
  }

  grpc::Status SetInterval(const std::string& user, const std::string& case_name, int days,
                           v1::MonitoringRecord* record) {
    v1::SetMonitoringScheduleRequest request;
    request.set_name(case_name + "/monitoring");
    request.set_track(v1::LIFE);
    request.mutable_schedule()->set_interval_days(days);
    grpc::ClientContext context;
    return Stub(user)->SetMonitoringSchedule(&context, request, record);
  }

  grpc::Status Check(const std::string& user, const std::string& case_name,
                     v1::MonitoringStage stage, v1::MonitoringRecord* record,
                     const std::string& request_id = "") {
    v1::RecordCheckRequest request;
    request.set_request_id(request_id);
    request.set_name(case_name + "/monitoring");
    request.mutable_check()->set_kind(v1::ROUTINE_CHECK);
    *request.mutable_check()->mutable_date() = Today();
    request.mutable_check()->set_stage(stage);
    request.mutable_check()->set_note("本人と面談し、生活の様子を確認した");
    grpc::ClientContext context;
    return Stub(user)->RecordCheck(&context, request, record);
  }

  grpc::Status List(const std::string& user, v1::ListDueItemsRequest request,
                    v1::ListDueItemsResponse* response) {
    grpc::ClientContext context;
    return Stub(user)->ListDueItems(&context, request, response);
  }

  // The items of `user`'s list for `owner` (all pages).
  Names ListAll(const std::string& user, const std::string& owner = "") {
    v1::ListDueItemsRequest request;
    request.set_owner(owner);
    Names all;
    do {
      v1::ListDueItemsResponse response;
      grpc::Status status = List(user, request, &response);
      EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
      if (!status.ok()) break;
      Names page = Items(response.items());
      all.insert(all.end(), page.begin(), page.end());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return all;
  }

  v1::Date Today() const { return JstDateOf(clock_.Now()); }
  std::string InDays(int days) const { return Text(worklist::AddDays(Today(), days)); }
  void AdvanceDays(int days) { clock_.Advance(std::chrono::hours(24) * days); }

  // Waits (at most 30 s) until no watch stream is open on the server.
  bool StreamsEnded() {
    for (int i = 0; i < 3000; ++i) {
      if (server_.server().monitoring_service().open_streams() == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // 2026-11-22 10:00 JST.
  ManualClock clock_{*JstMidnight(2026, 11, 22) + std::chrono::hours(10)};
  testing::TestServer server_;
};

TEST_F(MonitoringServiceTest, SchedulesAndChecksFollowTheCasesNeedToKnow) {
  const std::string name = OpenCase("m-1");
  v1::MonitoringRecord record;
  {
    grpc::Status status = SetInterval("coordinator", name, 14, &record);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(Text(record.next_check_date()), InDays(14));
  // The schedule is the coordinator's to set; the team reads and records checks.
  EXPECT_EQ(SetInterval("agency-staff", name, 7, &record).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetMonitoringRequest get;
  get.set_name(name + "/monitoring");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("agency-staff")->GetMonitoring(&context, get, &record).ok());
  }
  {
    grpc::Status status = Check("agency-staff", name, v1::STAGE_VISIT, &record);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  ASSERT_EQ(record.checks_size(), 1);
  EXPECT_EQ(record.checks(0).author(), "users/agency-staff");
  EXPECT_EQ(record.checks(0).note(), "本人と面談し、生活の様子を確認した");
  EXPECT_EQ(record.stage(), v1::STAGE_VISIT);
  EXPECT_EQ(Text(record.next_check_date()), InDays(14));

  // Outside the team the record does not exist, as for a case that does not.
  for (const std::string& hidden : {name, std::string("cases/999")}) {
    get.set_name(hidden + "/monitoring");
    grpc::ClientContext context;
    EXPECT_EQ(Stub("other-staff")->GetMonitoring(&context, get, &record).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << hidden;
    EXPECT_EQ(Check("other-staff", hidden, v1::STAGE_VISIT, &record).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << hidden;
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("planner")->GetMonitoring(&context, get, &record).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  grpc::Status wrong = Check("coordinator", name, v1::STAGE_TRIAL, &record);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Fields(wrong), std::set<std::string>{"check.stage"});
  const std::string intake = OpenCase("m-2", /*coordinate=*/false);
  grpc::Status early = SetInterval("coordinator", intake, 14, &record);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("INTAKE"), std::string::npos) << early.error_message();
  get.set_name(intake + "/monitoring");
  grpc::ClientContext context;
  EXPECT_EQ(Stub("coordinator")->GetMonitoring(&context, get, &record).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Issue 14, finding 9: a check whose answer was lost is retried with its request id and lands
// once; request ids are per user.
TEST_F(MonitoringServiceTest, ARetriedCheckLandsOnce) {
  const std::string name = OpenCase("m-retry");
  v1::MonitoringRecord record;
  ASSERT_TRUE(SetInterval("coordinator", name, 14, &record).ok());
  ASSERT_TRUE(Check("agency-staff", name, v1::STAGE_VISIT, &record, "check-1").ok());
  const int checks = record.checks_size();
  v1::MonitoringRecord retried;
  grpc::Status status = Check("agency-staff", name, v1::STAGE_VISIT, &retried, "check-1");
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(retried.checks_size(), checks);
  // The same id from another user is that user's own request.
  ASSERT_TRUE(Check("coordinator", name, v1::STAGE_VISIT, &retried, "check-1").ok());
  EXPECT_EQ(retried.checks_size(), checks + 1);
  EXPECT_EQ(FromGrpcStatus(Check("agency-staff", name, v1::STAGE_STABLE_LIFE, &retried, "check-1"))
                .reason(),
            "REQUEST_ID_REUSED");
}

TEST_F(MonitoringServiceTest, WorkListsBelongToTheirOwnersAndTurnOverdueAsDaysPass) {
  const std::string first = OpenCase("m-1");
  const std::string second = OpenCase("m-2");
  const std::string third = OpenCase("m-3");
  v1::MonitoringRecord record;
  ASSERT_TRUE(SetInterval("coordinator", first, 10, &record).ok());
  ASSERT_TRUE(SetInterval("coordinator", second, 3, &record).ok());
  ASSERT_TRUE(SetInterval("coordinator", third, 20, &record).ok());

  // Two weeks ahead by default; the third is due later.
  const Names soon = {second + "@" + InDays(3), first + "@" + InDays(10)};
  EXPECT_EQ(ListAll("coordinator"), soon);
  EXPECT_EQ(ListAll("coordinator", "users/coordinator"), soon);
  EXPECT_EQ(ListAll("agency-staff"), soon);
  EXPECT_EQ(ListAll("agency-staff", "agencies/a1"), soon);
  EXPECT_TRUE(ListAll("other-staff").empty());  // agencies/a2 is on no team

  // Somebody else's list does not exist for the caller.
  v1::ListDueItemsResponse response;
  v1::ListDueItemsRequest request;
  for (const auto& [user, owner] :
       std::vector<std::pair<std::string, std::string>>{{"other-staff", "agencies/a1"},
                                                        {"coordinator", "users/agency-staff"},
                                                        {"agency-staff", "users/coordinator"}}) {
    request.set_owner(owner);
    EXPECT_EQ(List(user, request, &response).error_code(), grpc::StatusCode::NOT_FOUND)
        << user << " " << owner;
  }
  request.set_owner("coordinator");
  EXPECT_EQ(Fields(List("coordinator", request, &response)), std::set<std::string>{"owner"});
  request.set_owner("");
  request.mutable_due_by()->set_year(2026);
  request.mutable_due_by()->set_month(2);
  request.mutable_due_by()->set_day(30);
  EXPECT_EQ(Fields(List("coordinator", request, &response)), std::set<std::string>{"due_by"});

  AdvanceDays(12);
  EXPECT_EQ(ListAll("coordinator"),
            (Names{second + "@" + InDays(-9) + "!", first + "@" + InDays(-2) + "!",
                   third + "@" + InDays(8)}));
  // A check moves its item; due_by limits only what is not overdue.
  ASSERT_TRUE(Check("agency-staff", second, v1::STAGE_VISIT, &record).ok());
  *request.mutable_due_by() = Today();
  ASSERT_TRUE(List("coordinator", request, &response).ok());
  EXPECT_EQ(Items(response.items()), Names{first + "@" + InDays(-2) + "!"});

  // Pages, soonest first; a token is bound to its request.
  request.clear_due_by();
  request.set_page_size(2);
  ASSERT_TRUE(List("coordinator", request, &response).ok());
  EXPECT_EQ(Items(response.items()),
            (Names{first + "@" + InDays(-2) + "!", second + "@" + InDays(3)}));
  ASSERT_FALSE(response.next_page_token().empty());
  request.set_page_token(response.next_page_token());
  v1::ListDueItemsResponse rest;
  ASSERT_TRUE(List("coordinator", request, &rest).ok());
  EXPECT_EQ(Items(rest.items()), Names{third + "@" + InDays(8)});
  EXPECT_TRUE(rest.next_page_token().empty());
  request.set_owner("agencies/a1");
  EXPECT_EQ(Fields(List("agency-staff", request, &rest)), std::set<std::string>{"page_token"});
}

TEST_F(MonitoringServiceTest, TheStreamPushesWhatFallsDueAndEndsWhenTheClientCancels) {
  const std::string name = OpenCase("m-1");
  v1::MonitoringRecord record;
  ASSERT_TRUE(SetInterval("coordinator", name, 2, &record).ok());

  auto stub = Stub("coordinator");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = stub->WatchDueItems(&context, v1::WatchDueItemsRequest());
  v1::WatchDueItemsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_TRUE(message.items().empty()) << "nothing is due yet";

  AdvanceDays(2);
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(Items(message.items()), Names{name + "@" + InDays(0)});

  // Checked, it leaves the list; two days later it falls due again and is pushed again.
  ASSERT_TRUE(Check("agency-staff", name, v1::STAGE_PROGRESS_CHECK, &record).ok());
  AdvanceDays(3);
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(Items(message.items()), Names{name + "@" + InDays(-1) + "!"});

  context.TryCancel();
  while (reader->Read(&message)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(StreamsEnded());
}

// Issue 14, finding 7: WatchDueItems was audited at its start only, so what it pushed later was
// in no one's trail, and a user disabled meanwhile went on receiving.
TEST_F(MonitoringServiceTest, EveryPushIsInTheTrailOfItsCaseAndStopsOnceTheUserIsDisabled) {
  const std::string name = OpenCase("m-1");
  v1::MonitoringRecord record;
  ASSERT_TRUE(SetInterval("coordinator", name, 2, &record).ok());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchDueItemsRequest request;
  request.set_owner("agencies/a1");
  auto reader = Stub("agency-staff")->WatchDueItems(&context, request);
  v1::WatchDueItemsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  ASSERT_TRUE(message.items().empty());
  const std::string pushed = "agency-staff /casecoord.v1.Monitoring/WatchDueItems OK";
  auto pushes = [&] {
    auto trail = server_.AuditTrailOf(name);
    return std::count(trail.begin(), trail.end(), pushed);
  };
  EXPECT_EQ(pushes(), 0);

  AdvanceDays(2);
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(Items(message.items()), Names{name + "@" + InDays(0)});
  EXPECT_EQ(pushes(), 1);

  v1::UpdateUserRequest disable;
  disable.mutable_user()->set_name("users/agency-staff");
  disable.mutable_user()->set_state(v1::User::DISABLED);
  disable.mutable_update_mask()->add_paths("state");
  v1::User updated;
  {
    grpc::ClientContext admin_context;
    ASSERT_TRUE(v1::Admin::NewStub(server_.ChannelFor("admin"))
                    ->UpdateUser(&admin_context, disable, &updated)
                    .ok());
  }
  ASSERT_TRUE(Check("coordinator", name, v1::STAGE_PROGRESS_CHECK, &record).ok());
  AdvanceDays(3);
  EXPECT_FALSE(reader->Read(&message)) << "a disabled user was sent " << message.DebugString();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(pushes(), 1);
  EXPECT_TRUE(StreamsEnded());
}

TEST_F(MonitoringServiceTest, AStreamFirstSendsEverythingDueAndRefusesOtherOwners) {
  const std::string first = OpenCase("m-1");
  const std::string second = OpenCase("m-2");
  v1::MonitoringRecord record;
  ASSERT_TRUE(SetInterval("coordinator", first, 1, &record).ok());
  ASSERT_TRUE(SetInterval("coordinator", second, 5, &record).ok());
  AdvanceDays(2);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchDueItemsRequest request;
    request.set_owner("agencies/a1");
    auto reader = Stub("agency-staff")->WatchDueItems(&context, request);
    v1::WatchDueItemsResponse message;
    ASSERT_TRUE(reader->Read(&message));
    EXPECT_EQ(Items(message.items()), Names{first + "@" + InDays(-1) + "!"});
    context.TryCancel();
    while (reader->Read(&message)) {
    }
    reader->Finish();
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchDueItemsRequest request;
  request.set_owner("agencies/a1");
  auto reader = Stub("other-staff")->WatchDueItems(&context, request);
  v1::WatchDueItemsResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(StreamsEnded());
}

// "REFERRAL_PENDING cases/1/referrals/1 agencies/a2@20261122" per item.
Names Referrals(const google::protobuf::RepeatedPtrField<v1::DueItem>& items) {
  Names out;
  for (const auto& item : items) {
    out.push_back(v1::DueKind_Name(item.kind()) + " " + item.subject() + " " + item.agency() + "@" +
                  Text(item.due_date()) + (item.overdue() ? "!" : ""));
  }
  return out;
}

// Issue 16, deliverable 6: a referral reached the agency only through its inbox, which it had to
// poll. Now it is an item of the agency's work list, pushed to its open watch, and the answer an
// item of the coordinator's list until the coordinator acts on the case.
TEST_F(MonitoringServiceTest, AReferralReachesTheAgencyAndItsAnswerTheCoordinator) {
  const std::string name = OpenCase("m-1", /*coordinate=*/false);
  grpc::ClientContext watch;
  watch.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = Stub("other-staff")->WatchDueItems(&watch, v1::WatchDueItemsRequest());
  v1::WatchDueItemsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_TRUE(message.items().empty());

  auto cases = v1::Cases::NewStub(server_.ChannelFor("coordinator"));
  auto refer = [&](const std::string& agency) {
    v1::CreateReferralRequest request;
    request.set_parent(name);
    request.mutable_referral()->set_agency(agency);
    request.mutable_referral()->set_role(v1::PRINCIPAL_SUPPORT);
    v1::Referral referral;
    grpc::ClientContext context;
    grpc::Status status = cases->CreateReferral(&context, request, &referral);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return referral.name();
  };
  const std::string first = refer("agencies/a2");
  const Names pending = {"REFERRAL_PENDING " + first + " agencies/a2@" + InDays(0)};
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_EQ(Referrals(message.items()), pending);
  v1::ListDueItemsResponse listed;
  ASSERT_TRUE(List("other-staff", v1::ListDueItemsRequest(), &listed).ok());
  EXPECT_EQ(Referrals(listed.items()), pending);
  EXPECT_EQ(listed.items(0).case_(), name);
  EXPECT_FALSE(listed.items(0).case_number().empty());
  EXPECT_TRUE(ListAll("coordinator").empty());
  EXPECT_TRUE(ListAll("agency-staff").empty()) << "only the agency asked";

  // Unanswered the next day, it is overdue.
  AdvanceDays(1);
  ASSERT_TRUE(List("other-staff", v1::ListDueItemsRequest(), &listed).ok());
  EXPECT_EQ(Referrals(listed.items()),
            Names{"REFERRAL_PENDING " + first + " agencies/a2@" + InDays(-1) + "!"});

  // Accepted, it leaves the agency's list and the answer is the coordinator's item.
  v1::AnswerReferralRequest answer;
  answer.set_name(first);
  v1::Referral answered;
  {
    grpc::ClientContext context;
    auto staff = v1::Cases::NewStub(server_.ChannelFor("other-staff"));
    ASSERT_TRUE(staff->AcceptReferral(&context, answer, &answered).ok());
  }
  EXPECT_TRUE(ListAll("other-staff").empty());
  ASSERT_TRUE(List("coordinator", v1::ListDueItemsRequest(), &listed).ok());
  EXPECT_EQ(Referrals(listed.items()),
            Names{"REFERRAL_ANSWERED " + first + " agencies/a2@" + InDays(0)});
  watch.TryCancel();
  while (reader->Read(&message)) {
  }
  reader->Finish();

  // A decline too; a revoked referral is on no list.
  const std::string second = refer("agencies/a1");
  EXPECT_TRUE(ListAll("coordinator").empty()) << "referring again acts on the earlier answers";
  answer.set_name(second);
  answer.set_reason("担当地区外のため");
  {
    grpc::ClientContext context;
    auto staff = v1::Cases::NewStub(server_.ChannelFor("agency-staff"));
    ASSERT_TRUE(staff->DeclineReferral(&context, answer, &answered).ok());
  }
  EXPECT_TRUE(ListAll("agency-staff").empty());
  ASSERT_TRUE(List("coordinator", v1::ListDueItemsRequest(), &listed).ok());
  EXPECT_EQ(Referrals(listed.items()),
            Names{"REFERRAL_ANSWERED " + second + " agencies/a1@" + InDays(0)});
  // A transition of the case is acting on it too.
  {
    v1::TransitionCaseRequest move;
    move.set_name(name);
    move.set_to(v1::COORDINATING);
    v1::Case moved;
    grpc::ClientContext context;
    grpc::Status status = cases->TransitionCase(&context, move, &moved);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_TRUE(ListAll("coordinator").empty());
  const std::string third = refer("agencies/a1");
  EXPECT_EQ(ListAll("agency-staff").size(), 1u);
  answer.set_name(third);
  answer.clear_reason();
  {
    grpc::ClientContext context;
    ASSERT_TRUE(cases->RevokeReferral(&context, answer, &answered).ok());
  }
  EXPECT_TRUE(ListAll("agency-staff").empty());
  EXPECT_TRUE(ListAll("coordinator").empty());
  EXPECT_TRUE(StreamsEnded());
}

TEST_F(MonitoringServiceTest, ShutdownEndsOpenStreamsWithUnavailable) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  auto reader = Stub("coordinator")->WatchDueItems(&context, v1::WatchDueItemsRequest());
  v1::WatchDueItemsResponse message;
  ASSERT_TRUE(reader->Read(&message));
  std::thread stopper([this] { server_.Stop(); });
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  stopper.join();
}

// Issue 14, finding 4: WatchDueItems had no per-user cap; one user could hold any number of
// streams. The fifth is refused (watch-streams-per-user = 4), and a slot frees when one ends.
TEST_F(MonitoringServiceTest, AUserHoldsAtMostFourStreams) {
  auto stub = Stub("coordinator");
  struct Open {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::WatchDueItemsResponse>> reader;
  };
  std::vector<std::unique_ptr<Open>> open;
  for (int i = 0; i < 4; ++i) {
    open.push_back(std::make_unique<Open>());
    open.back()->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    open.back()->reader = stub->WatchDueItems(&open.back()->context, v1::WatchDueItemsRequest());
    v1::WatchDueItemsResponse first;
    ASSERT_TRUE(open.back()->reader->Read(&first));
  }
  auto refused_once = [&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto reader = stub->WatchDueItems(&context, v1::WatchDueItemsRequest());
    v1::WatchDueItemsResponse message;
    if (reader->Read(&message)) {
      context.TryCancel();
      while (reader->Read(&message)) {
      }
      reader->Finish();
      return false;
    }
    Status status = FromGrpcStatus(reader->Finish());
    EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(status.reason(), "TOO_MANY_STREAMS");
    return true;
  };
  EXPECT_TRUE(refused_once());
  // Another user is not affected.
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchDueItemsRequest request;
    auto reader = Stub("agency-staff")->WatchDueItems(&context, request);
    v1::WatchDueItemsResponse message;
    EXPECT_TRUE(reader->Read(&message));
    context.TryCancel();
    while (reader->Read(&message)) {
    }
    reader->Finish();
  }
  // Closing one frees its slot (once the server has seen the stream end).
  open.back()->context.TryCancel();
  v1::WatchDueItemsResponse rest;
  while (open.back()->reader->Read(&rest)) {
  }
  open.back()->reader->Finish();
  open.pop_back();
  bool admitted = false;
  for (int attempt = 0; attempt < 200 && !admitted; ++attempt) {
    admitted = !refused_once();
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(admitted);
  for (auto& stream : open) {
    stream->context.TryCancel();
    while (stream->reader->Read(&rest)) {
    }
    stream->reader->Finish();
  }
}

}  // namespace
}  // namespace casecoord
