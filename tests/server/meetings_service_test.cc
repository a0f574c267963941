// Meetings and support plans over the real server: a support meeting's whole life with
// participants of different agencies (a non-participant agency gets NOT_FOUND, a participant
// without the confidentiality acknowledgement cannot read the minutes), role assignments marked by
// the agencies, plan versions and reviews, and the counters against a rebuild.
#include <gtest/gtest.h>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/meetings.grpc.pb.h"
#include "casecoord/v1/monitoring.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

v1::Date DateOf(std::chrono::system_clock::time_point time) {
  const std::string day = FormatJstDate(time);
  v1::Date date;
  date.set_year(std::stoi(day.substr(0, 4)));
  date.set_month(std::stoi(day.substr(5, 2)));
  date.set_day(std::stoi(day.substr(8, 2)));
  return date;
}

class MeetingsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    for (const char* id : {"a1", "a2"}) {
      v1::CreateAgencyRequest create;
      create.set_agency_id(id);
      create.mutable_agency()->set_display_name(std::string("架空支援機関") + id);
      create.mutable_agency()->set_kana("カクウシエンキカン");
      create.mutable_agency()->set_kind(v1::SELF_RELIANCE_SUPPORT_CENTER);
      v1::Agency created;
      grpc::ClientContext context;
      ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
    }
    v1::CreateCaseRequest intake;
    intake.set_request_id("meeting-case");
    auto* member = intake.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 三郎");
    member->set_principal(true);
    member->add_issue_tags("debt");
    intake.mutable_case_()->set_district("kita");
    intake.mutable_case_()->set_referring_agency("agencies/a1");
    intake.mutable_case_()->set_presenting_problem("多重債務と就労の課題");
    grpc::ClientContext context;
    ASSERT_TRUE(Cases("coordinator")->CreateCase(&context, intake, &case_).ok());
  }

  std::unique_ptr<v1::Meetings::Stub> Meetings(const std::string& user) {
    return v1::Meetings::NewStub(server_.ChannelFor(user));
  }
  std::unique_ptr<v1::Cases::Stub> Cases(const std::string& user) {
    return v1::Cases::NewStub(server_.ChannelFor(user));
  }

  v1::Meeting Schedule(v1::MeetingType type, const std::string& case_name,
                       const std::string& request_id) {
    v1::CreateMeetingRequest request;
    request.set_request_id(request_id);
    v1::Meeting* meeting = request.mutable_meeting();
    meeting->set_type(type);
    meeting->set_case_(case_name);
    meeting->set_title("第1回ケース検討会議");
    meeting->mutable_scheduled_time()->set_seconds(std::time(nullptr) + 3600);
    auto add = [&](const char* user, const char* agency, v1::ParticipantRole role) {
      auto* participant = meeting->add_participants();
      participant->set_user(user);
      participant->set_agency(agency);
      participant->set_role(role);
    };
    add("users/coordinator", "", v1::FACILITATOR);
    add("users/agency-staff", "agencies/a1", v1::PRINCIPAL_SUPPORT_ROLE);
    add("users/adviser", "", v1::ADVISER_ROLE);
    meeting->set_materials("債務状況の一覧（本人同意なし・支援会議限り）");
    v1::Meeting created;
    grpc::ClientContext context;
    grpc::Status status = Meetings("coordinator")->CreateMeeting(&context, request, &created);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return created;
  }

  testing::TestServer server_;
  v1::Case case_;
};

TEST_F(MeetingsServiceTest, ASupportMeetingIsReadOnlyByAcknowledgedParticipants) {
  const v1::Meeting meeting = Schedule(v1::SUPPORT_MEETING, case_.name(), "m-1");
  ASSERT_FALSE(meeting.name().empty());
  v1::GetMeetingRequest get;
  get.set_name(meeting.name());
  v1::Meeting seen;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("other-staff")->GetMeeting(&context, get, &seen).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  v1::ExportMeetingRecordRequest export_request;
  export_request.set_name(meeting.name());
  v1::ExportMeetingRecordResponse exported;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("other-staff")
                  ->ExportMeetingRecord(&context, export_request, &exported)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    grpc::Status refused = Meetings("agency-staff")->GetMeeting(&context, get, &seen);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(refused.error_message().find("confidentiality"), std::string::npos);
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("agency-staff")
                  ->ExportMeetingRecord(&context, export_request, &exported)
                  .error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  v1::AcknowledgeConfidentialityRequest acknowledge;
  acknowledge.set_name(meeting.name());
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("other-staff")
                  ->AcknowledgeConfidentiality(&context, acknowledge, &seen)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    grpc::Status status =
        Meetings("agency-staff")->AcknowledgeConfidentiality(&context, acknowledge, &seen);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(seen.materials(), "債務状況の一覧（本人同意なし・支援会議限り）");

  // The minutes, with role assignments for a participant's agency and for another agency.
  v1::RecordMinutesRequest minutes;
  minutes.set_name(meeting.name());
  *minutes.mutable_held_date() = DateOf(std::chrono::system_clock::now());
  minutes.mutable_minutes()->set_support_policy("家計再建と就労準備を並行して進める");
  minutes.mutable_minutes()->add_decisions("債務整理の相談に同行する");
  auto* first = minutes.mutable_minutes()->add_assignments();
  first->set_agency("agencies/a1");
  first->set_action("法律相談への同行");
  *first->mutable_due_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 7));
  auto* second = minutes.mutable_minutes()->add_assignments();
  second->set_agency("agencies/a2");
  second->set_action("就労準備支援の面談");
  *second->mutable_due_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 14));
  v1::Meeting held;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("agency-staff")->RecordMinutes(&context, minutes, &held).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    grpc::Status status = Meetings("coordinator")->RecordMinutes(&context, minutes, &held);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(held.state(), v1::HELD);
  ASSERT_EQ(held.minutes().assignments_size(), 2);
  EXPECT_EQ(held.minutes().assignments(1).assignment_id(), "r2");
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("coordinator")->RecordMinutes(&context, minutes, &held).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION)
        << "minutes are recorded once";
  }
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("agency-staff")->GetMeeting(&context, get, &seen).ok());
  }
  EXPECT_EQ(seen.minutes().support_policy(), "家計再建と就労準備を並行して進める");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        Meetings("agency-staff")->ExportMeetingRecord(&context, export_request, &exported).ok());
  }
  EXPECT_NE(exported.text().find("社会福祉法第106条の6"), std::string::npos);
  EXPECT_NE(exported.text().find("法律相談への同行"), std::string::npos);

  // Each agency marks its own assignment; the other agency's staff, outside the meeting, learn
  // nothing of the minutes.
  v1::UpdateAssignmentRequest done;
  done.set_meeting(meeting.name());
  done.set_assignment_id("r1");
  done.set_status(v1::DONE);
  v1::Meeting updated;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("other-staff")->UpdateAssignment(&context, done, &updated).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("agency-staff")->UpdateAssignment(&context, done, &updated).ok());
  }
  EXPECT_EQ(updated.minutes().assignments(0).status(), v1::DONE);
  done.set_assignment_id("r2");
  {
    grpc::ClientContext context;
    grpc::Status status = Meetings("other-staff")->UpdateAssignment(&context, done, &updated);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_FALSE(updated.has_minutes());
  EXPECT_TRUE(updated.materials().empty());

  // Listing: participants and coordinators see it; another agency does not.
  v1::ListMeetingsRequest list;
  list.set_filter("case = \"" + case_.name() + "\"");
  v1::ListMeetingsResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("other-staff")->ListMeetings(&context, list, &listed).ok());
  }
  EXPECT_EQ(listed.meetings_size(), 0);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("adviser")->ListMeetings(&context, list, &listed).ok());
  }
  ASSERT_EQ(listed.meetings_size(), 1);
  EXPECT_TRUE(listed.meetings(0).minutes().support_policy().empty())
      << "the adviser has not acknowledged yet";
}

// Issue 14, finding 11: removing an agency from the team left its staff reading the case's
// meetings and the agency's work-list items of the case. Both go with the agency.
TEST_F(MeetingsServiceTest, AnAgencyTakenOffTheTeamLosesTheCasesMeetingsAndWorkItems) {
  v1::CreateReferralRequest refer;
  refer.set_parent(case_.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::PRINCIPAL_SUPPORT);
  refer.mutable_referral()->set_note("債務整理の同行をお願いしたい");
  v1::Referral referral;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Cases("coordinator")->CreateReferral(&context, refer, &referral).ok());
  }
  v1::AnswerReferralRequest accept;
  accept.set_name(referral.name());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Cases("agency-staff")->AcceptReferral(&context, accept, &referral).ok());
  }
  const v1::Meeting meeting = Schedule(v1::SUPPORT_MEETING, case_.name(), "m-team");
  v1::AcknowledgeConfidentialityRequest acknowledge;
  acknowledge.set_name(meeting.name());
  v1::Meeting seen;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        Meetings("agency-staff")->AcknowledgeConfidentiality(&context, acknowledge, &seen).ok());
  }
  v1::RecordMinutesRequest minutes;
  minutes.set_name(meeting.name());
  *minutes.mutable_held_date() = DateOf(std::chrono::system_clock::now());
  minutes.mutable_minutes()->set_support_policy("家計再建を進める");
  auto* assignment = minutes.mutable_minutes()->add_assignments();
  assignment->set_agency("agencies/a1");
  assignment->set_action("法律相談への同行");
  *assignment->mutable_due_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 7));
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->RecordMinutes(&context, minutes, &seen).ok());
  }
  auto a1_items = [this] {
    v1::ListDueItemsRequest request;
    request.set_owner("agencies/a1");
    *request.mutable_due_by() =
        DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 365));
    v1::ListDueItemsResponse response;
    grpc::ClientContext context;
    grpc::Status status = v1::Monitoring::NewStub(server_.ChannelFor("agency-staff"))
                              ->ListDueItems(&context, request, &response);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    int of_case = 0;
    for (const auto& item : response.items()) of_case += item.case_() == case_.name();
    return of_case;
  };
  EXPECT_EQ(a1_items(), 1);
  v1::GetMeetingRequest get;
  get.set_name(meeting.name());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("agency-staff")->GetMeeting(&context, get, &seen).ok());
  }

  v1::RemoveTeamMemberRequest remove;
  remove.set_name(case_.name());
  remove.set_agency("agencies/a1");
  remove.set_reason("支援終了");
  v1::Case after;
  {
    grpc::ClientContext context;
    grpc::Status status = Cases("coordinator")->RemoveTeamMember(&context, remove, &after);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("agency-staff")->GetMeeting(&context, get, &seen).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  v1::ListMeetingsRequest list;
  v1::ListMeetingsResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("agency-staff")->ListMeetings(&context, list, &listed).ok());
  }
  for (const auto& listed_meeting : listed.meetings()) {
    EXPECT_NE(listed_meeting.name(), meeting.name());
  }
  EXPECT_EQ(a1_items(), 0);
  // The adviser, invited in person, still sees it.
  {
    grpc::ClientContext context;
    grpc::Status status =
        Meetings("adviser")->AcknowledgeConfidentiality(&context, acknowledge, &seen);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
}

TEST_F(MeetingsServiceTest, PlanVersionsAndReviewsAndTheCountersAgreeWithARebuild) {
  const v1::Meeting meeting = Schedule(v1::MULTI_AGENCY_SUPPORT_MEETING, case_.name(), "m-2");
  v1::RecordMinutesRequest minutes;
  minutes.set_name(meeting.name());
  *minutes.mutable_held_date() = DateOf(std::chrono::system_clock::now());
  auto* assignment = minutes.mutable_minutes()->add_assignments();
  assignment->set_agency("agencies/a1");
  assignment->set_action("家計表の作成支援");
  *assignment->mutable_due_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 10));
  v1::Meeting held;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->RecordMinutes(&context, minutes, &held).ok());
  }
  // A cancelled meeting and an adviser meeting without a case.
  const v1::Meeting cancelled = Schedule(v1::CASE_REVIEW, case_.name(), "m-3");
  v1::CancelMeetingRequest cancel;
  cancel.set_name(cancelled.name());
  v1::Meeting result;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("coordinator")->CancelMeeting(&context, cancel, &result).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << "a reason is required";
  }
  cancel.set_reason("日程再調整");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->CancelMeeting(&context, cancel, &result).ok());
  }
  const v1::Meeting advisers = Schedule(v1::ADVISER_MEETING, "", "m-4");
  minutes.set_name(advisers.name());
  minutes.mutable_minutes()->clear_assignments();
  {
    grpc::ClientContext context;
    grpc::Status status = Meetings("coordinator")->RecordMinutes(&context, minutes, &held);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  // Plan v1 from the meeting: its actions are the meeting's assignments.
  v1::CreatePlanVersionRequest create;
  create.set_parent(case_.name());
  auto* goal = create.mutable_plan()->add_goals();
  goal->set_member_id("m1");
  goal->set_goal("返済計画を立て、生活費を確保する");
  create.mutable_plan()->add_evaluation_items("家計表が毎月作成されている");
  *create.mutable_plan()->mutable_next_review_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 30));
  create.mutable_plan()->set_meeting(meeting.name());
  v1::SupportPlan v1_plan;
  {
    grpc::ClientContext context;
    grpc::Status status = Meetings("coordinator")->CreatePlanVersion(&context, create, &v1_plan);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(v1_plan.name(), case_.name() + "/plans/1");
  ASSERT_EQ(v1_plan.actions_size(), 1);
  EXPECT_EQ(v1_plan.actions(0).action(), "家計表の作成支援");
  EXPECT_EQ(v1_plan.actions(0).assignment(), meeting.name() + "#r1");
  create.mutable_plan()->mutable_goals(0)->set_member_id("m9");
  {
    grpc::ClientContext context;
    v1::SupportPlan refused;
    grpc::Status status = Meetings("coordinator")->CreatePlanVersion(&context, create, &refused);
    EXPECT_EQ(FromGrpcStatus(status).field_violations().front().field, "plan.goals[0].member_id");
  }
  v1::ReviewPlanRequest review;
  review.set_name(v1_plan.name());
  review.mutable_review()->set_evaluation("家計表は2か月分作成できた");
  review.mutable_review()->set_decision(v1::ADJUST);
  {
    grpc::ClientContext context;
    v1::SupportPlan refused;
    EXPECT_EQ(Meetings("coordinator")->ReviewPlan(&context, review, &refused).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << "the next review date is required unless the plan closes";
  }
  *review.mutable_review()->mutable_next_review_date() =
      DateOf(std::chrono::system_clock::now() + std::chrono::hours(24 * 60));
  v1::SupportPlan reviewed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->ReviewPlan(&context, review, &reviewed).ok());
  }
  ASSERT_EQ(reviewed.reviews_size(), 1);
  EXPECT_EQ(reviewed.next_review_date().month(), review.review().next_review_date().month());
  create.mutable_plan()->mutable_goals(0)->set_member_id("");
  create.mutable_plan()->clear_meeting();
  create.set_request_id("plan-v2");
  v1::SupportPlan v2_plan;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->CreatePlanVersion(&context, create, &v2_plan).ok());
  }
  EXPECT_EQ(v2_plan.name(), case_.name() + "/plans/2");
  {
    // Issue 14, finding 9: a retry of a create whose answer was lost lands once.
    grpc::ClientContext context;
    v1::SupportPlan retried;
    ASSERT_TRUE(Meetings("coordinator")->CreatePlanVersion(&context, create, &retried).ok());
    EXPECT_EQ(retried.name(), v2_plan.name());
  }
  {
    grpc::ClientContext context;
    v1::SupportPlan refused;
    EXPECT_EQ(Meetings("coordinator")->ReviewPlan(&context, review, &refused).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION)
        << "only the plan in force is reviewed";
  }
  v1::ListPlanVersionsRequest versions;
  versions.set_parent(case_.name());
  versions.set_page_size(1);
  std::vector<std::string> names;
  do {
    v1::ListPlanVersionsResponse page;
    grpc::ClientContext context;
    ASSERT_TRUE(Meetings("coordinator")->ListPlanVersions(&context, versions, &page).ok());
    for (const auto& plan : page.plans())
      names.push_back(plan.name() + (plan.current() ? "*" : ""));
    versions.set_page_token(page.next_page_token());
  } while (!versions.page_token().empty());
  EXPECT_EQ(names,
            (std::vector<std::string>{case_.name() + "/plans/2*", case_.name() + "/plans/1"}));
  // Agency staff see a plan only through the case team.
  v1::GetPlanRequest current;
  current.set_name(case_.name() + "/plans/current");
  v1::SupportPlan seen;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Meetings("agency-staff")->GetPlan(&context, current, &seen).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // A reclassification moves the meeting's count with the case; the rebuild still agrees.
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(case_.name());
  update.mutable_case_()->set_district("minami");
  update.mutable_update_mask()->add_paths("district");
  v1::Case updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Cases("coordinator")->UpdateCase(&context, update, &updated).ok());
  }
  v1::RebuildCaseCountersRequest verify;
  verify.set_validate_only(true);
  v1::RebuildCaseCountersResponse verified;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Cases("admin")->RebuildCaseCounters(&context, verify, &verified).ok());
  }
  EXPECT_EQ(verified.differences_size(), 0)
      << verified.differences(0).metric() << " " << verified.differences(0).dimension();
}

}  // namespace
}  // namespace casecoord
