// Cases over the real server: a coordinator opens and moves a case; agency staff outside its team
// cannot tell it exists; every access is in the audit trail.
#include <gtest/gtest.h>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

v1::CreateCaseRequest Intake(const std::string& request_id) {
  v1::CreateCaseRequest request;
  request.set_request_id(request_id);
  v1::Case* household = request.mutable_case_();
  auto* son = household->add_members();
  son->set_member_id("m1");
  son->set_display_name("架空 一郎");
  son->set_relationship("本人");
  son->set_principal(true);
  son->add_issue_tags("hikikomori");
  auto* mother = household->add_members();
  mother->set_member_id("m2");
  mother->set_display_name("架空 花子");
  mother->set_relationship("母");
  mother->add_issue_tags("dementia");
  household->add_household_issue_tags("8050");
  household->set_district("kita");
  household->set_referring_agency("agencies/a1");
  household->set_presenting_problem("母の認知症が進み、50代の長男は外出していない");
  household->set_urgency(v1::PROMPT);
  household->set_consent(v1::CONSENTED);
  return request;
}

class CasesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a1");
    create.mutable_agency()->set_display_name("北地域包括支援センター");
    create.mutable_agency()->set_kana("キタチイキホウカツ");
    create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    v1::Agency created;
    grpc::ClientContext context;
    ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
  }

  std::unique_ptr<v1::Cases::Stub> Stub(const std::string& user) {
    return v1::Cases::NewStub(server_.ChannelFor(user));
  }

  testing::TestServer server_;
};

TEST_F(CasesServiceTest, CoordinatorOpensAndMovesACaseThatOutsidersCannotSee) {
  auto coordinator = Stub("coordinator");
  v1::Case opened;
  {
    grpc::ClientContext context;
    grpc::Status status = coordinator->CreateCase(&context, Intake("intake-1"), &opened);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(opened.state(), v1::INTAKE);
  EXPECT_FALSE(opened.case_number().empty());
  EXPECT_EQ(opened.members(0).display_name(), "架空 一郎");

  // The same request_id again (a retry after a lost answer) gives the same case.
  v1::Case retried;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->CreateCase(&context, Intake("intake-1"), &retried).ok());
  }
  EXPECT_EQ(retried.name(), opened.name());
  v1::ListCasesResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->ListCases(&context, v1::ListCasesRequest(), &listed).ok());
  }
  EXPECT_EQ(listed.cases_size(), 1);

  // Agency staff not on the team: NOT_FOUND, exactly as for a case that does not exist.
  auto staff = Stub("agency-staff");
  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case seen;
  {
    grpc::ClientContext context;
    EXPECT_EQ(staff->GetCase(&context, get, &seen).error_code(), grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::ListCasesResponse none;
    ASSERT_TRUE(staff->ListCases(&context, v1::ListCasesRequest(), &none).ok());
    EXPECT_EQ(none.cases_size(), 0);
  }

  // Lifecycle: an illegal move names the state; a stale etag is ABORTED.
  v1::TransitionCaseRequest move;
  move.set_name(opened.name());
  move.set_to(v1::IN_SUPPORT);
  v1::Case moved;
  {
    grpc::ClientContext context;
    Status refused = FromGrpcStatus(coordinator->TransitionCase(&context, move, &moved));
    EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.message().find("INTAKE"), std::string::npos) << refused.message();
  }
  move.set_to(v1::COORDINATING);
  move.set_etag(opened.etag());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->TransitionCase(&context, move, &moved).ok());
  }
  move.set_to(v1::IN_SUPPORT);
  {
    grpc::ClientContext context;
    EXPECT_EQ(coordinator->TransitionCase(&context, move, &moved).error_code(),
              grpc::StatusCode::ABORTED);
  }
  v1::GetCaseHistoryRequest history_request;
  history_request.set_name(opened.name());
  history_request.set_page_size(1);
  std::vector<v1::CaseEventKind> kinds;
  do {
    v1::GetCaseHistoryResponse history;
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->GetCaseHistory(&context, history_request, &history).ok());
    for (const auto& event : history.events()) kinds.push_back(event.kind());
    history_request.set_page_token(history.next_page_token());
  } while (!history_request.page_token().empty());
  EXPECT_EQ(kinds, (std::vector<v1::CaseEventKind>{v1::OPENED, v1::STATE_CHANGED}));

  // The consultation log: the coordinator appends; an agency outside the team cannot.
  v1::AppendConsultationRequest append;
  append.set_parent(opened.name());
  append.mutable_entry()->set_kind(v1::COORDINATION_CONTACT);
  append.mutable_entry()->set_agency("agencies/a1");
  append.mutable_entry()->set_method(v1::PHONE);
  append.mutable_entry()->set_summary("包括と同行訪問の日程を調整");
  const std::string today = FormatJstDate(std::chrono::system_clock::now());
  append.mutable_entry()->mutable_date()->set_year(std::stoi(today.substr(0, 4)));
  append.mutable_entry()->mutable_date()->set_month(std::stoi(today.substr(5, 2)));
  append.mutable_entry()->mutable_date()->set_day(std::stoi(today.substr(8, 2)));
  v1::ConsultationEntry logged;
  {
    grpc::ClientContext context;
    grpc::Status status = coordinator->AppendConsultation(&context, append, &logged);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(staff->AppendConsultation(&context, append, &logged).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  v1::ListConsultationsRequest list_log;
  list_log.set_parent(opened.name());
  v1::ListConsultationsResponse log;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->ListConsultations(&context, list_log, &log).ok());
  }
  ASSERT_EQ(log.entries_size(), 1);
  EXPECT_EQ(log.entries(0).summary(), "包括と同行訪問の日程を調整");

  // A referral to agencies/a1 (agency-staff's agency): its staff see it in their inbox, accept,
  // and only then see the case; another agency's staff cannot answer it; leaving ends access.
  v1::CreateReferralRequest refer;
  refer.set_parent(opened.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::PRINCIPAL_SUPPORT);
  refer.mutable_referral()->set_note("母の介護サービス調整をお願いしたい");
  v1::Referral referral;
  {
    grpc::ClientContext context;
    grpc::Status status = coordinator->CreateReferral(&context, refer, &referral);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  v1::ListReferralsRequest inbox_request;
  inbox_request.set_parent("cases/-");
  v1::ListReferralsResponse inbox;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(staff->ListReferrals(&context, inbox_request, &inbox).ok());
  }
  ASSERT_EQ(inbox.referrals_size(), 1);
  EXPECT_EQ(inbox.referrals(0).note(), "母の介護サービス調整をお願いしたい");
  v1::AnswerReferralRequest answer;
  answer.set_name(referral.name());
  v1::Referral answered;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("other-staff")->AcceptReferral(&context, answer, &answered).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    grpc::Status status = staff->AcceptReferral(&context, answer, &answered);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(answered.state(), v1::Referral::ACCEPTED);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(staff->GetCase(&context, get, &seen).ok());
    ASSERT_EQ(seen.team_size(), 1);
    EXPECT_EQ(seen.team(0).role(), v1::PRINCIPAL_SUPPORT);
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(staff->AcceptReferral(&context, answer, &answered).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION)
        << "a referral is answered once";
  }
  v1::RemoveTeamMemberRequest leave;
  leave.set_name(opened.name());
  leave.set_agency("agencies/a1");
  leave.set_reason("支援終了");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->RemoveTeamMember(&context, leave, &moved).ok());
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(staff->GetCase(&context, get, &seen).error_code(), grpc::StatusCode::NOT_FOUND);
  }

  // The trail names who read and changed the case, including the refused outsider.
  auto auditor = v1::Admin::NewStub(server_.ChannelFor("auditor"));
  v1::ListAuditEntriesRequest audit_request;
  audit_request.set_page_size(200);
  v1::ListAuditEntriesResponse entries;
  grpc::ClientContext context;
  ASSERT_TRUE(auditor->ListAuditEntries(&context, audit_request, &entries).ok());
  bool outsider_recorded = false, transition_recorded = false;
  for (const auto& entry : entries.entries()) {
    if (entry.user_id() == "agency-staff" && entry.method() == "/casecoord.v1.Cases/GetCase" &&
        entry.resource() == opened.name() && entry.outcome() == "NOT_FOUND") {
      outsider_recorded = true;
    }
    if (entry.user_id() == "coordinator" &&
        entry.method() == "/casecoord.v1.Cases/TransitionCase" && entry.outcome() == "OK") {
      transition_recorded = true;
    }
  }
  EXPECT_TRUE(outsider_recorded);
  EXPECT_TRUE(transition_recorded);
}

// Issue 14, finding 9: consultations and referrals whose answers were lost are retried with their
// request ids and land once; an id reused for another write is refused and changes nothing.
TEST_F(CasesServiceTest, RetriedConsultationsAndReferralsLandOnce) {
  auto coordinator = Stub("coordinator");
  v1::Case opened;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->CreateCase(&context, Intake("retry-case"), &opened).ok());
  }
  v1::AppendConsultationRequest append;
  append.set_request_id("entry-1");
  append.set_parent(opened.name());
  append.mutable_entry()->set_kind(v1::COORDINATION_CONTACT);
  append.mutable_entry()->set_agency("agencies/a1");
  append.mutable_entry()->set_method(v1::PHONE);
  append.mutable_entry()->set_summary("包括と同行訪問の日程を調整");
  *append.mutable_entry()->mutable_date() = JstDateOf(std::chrono::system_clock::now());
  std::vector<std::string> names;
  for (int attempt = 0; attempt < 3; ++attempt) {
    v1::ConsultationEntry entry;
    grpc::ClientContext context;
    grpc::Status status = coordinator->AppendConsultation(&context, append, &entry);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    names.push_back(entry.name());
  }
  EXPECT_EQ(names[1], names[0]);
  EXPECT_EQ(names[2], names[0]);
  append.mutable_entry()->set_summary("別の連絡");
  {
    v1::ConsultationEntry entry;
    grpc::ClientContext context;
    Status reused = FromGrpcStatus(coordinator->AppendConsultation(&context, append, &entry));
    EXPECT_EQ(reused.reason(), "REQUEST_ID_REUSED");
    ASSERT_EQ(reused.field_violations().size(), 1u);
    EXPECT_EQ(reused.field_violations()[0].field, "request_id");
  }
  v1::ListConsultationsRequest list;
  list.set_parent(opened.name());
  v1::ListConsultationsResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->ListConsultations(&context, list, &listed).ok());
  }
  EXPECT_EQ(listed.entries_size(), 1);

  v1::CreateReferralRequest refer;
  refer.set_request_id("referral-1");
  refer.set_parent(opened.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::PRINCIPAL_SUPPORT);
  refer.mutable_referral()->set_note("母の介護サービス調整をお願いしたい");
  v1::Referral first, second;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->CreateReferral(&context, refer, &first).ok());
  }
  {
    // Without the ledger this retry was FAILED_PRECONDITION (a referral is pending), and the
    // client could not tell whether its first copy had landed.
    grpc::ClientContext context;
    grpc::Status status = coordinator->CreateReferral(&context, refer, &second);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(second.name(), first.name());
}

}  // namespace
}  // namespace casecoord
