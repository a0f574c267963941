// Issue 14's findings replayed against the real server: what an attacker with an ordinary account,
// or a bad day, did to it. Each test fails on the code before the fix.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/meetings.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

// Opens a case referred by agencies/a1 (made in the directory on first use).
v1::Case OpenCase(testing::TestServer& server, const std::string& request_id) {
  auto directory = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  v1::CreateAgencyRequest agency;
  agency.set_agency_id("a1");
  agency.mutable_agency()->set_display_name("架空地域包括支援センター");
  agency.mutable_agency()->set_kana("カクウチイキホウカツ");
  agency.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
  v1::Agency created;
  grpc::Status made = directory->CreateAgency(Context().get(), agency, &created);
  EXPECT_TRUE(made.ok() || made.error_code() == grpc::StatusCode::ALREADY_EXISTS)
      << DescribeGrpcError(made);
  auto cases = v1::Cases::NewStub(server.ChannelFor("coordinator"));
  v1::CreateCaseRequest request;
  request.set_request_id(request_id);
  auto* person = request.mutable_case_()->add_members();
  person->set_member_id("m1");
  person->set_display_name("架空 一郎");
  person->set_principal(true);
  request.mutable_case_()->set_district("kita");
  request.mutable_case_()->set_consent(v1::CONSENTED);
  request.mutable_case_()->set_referring_agency("agencies/a1");
  request.mutable_case_()->set_presenting_problem("架空の相談");
  v1::Case opened;
  auto context = Context();
  grpc::Status status = cases->CreateCase(context.get(), request, &opened);
  EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  return opened;
}

// A page token in the keyless format: version '1', the first 8 bytes of SHA-256 of the request's
// own parameters, then any position the forger likes.
std::string ForgedPageToken(std::string_view fingerprint, std::string_view position) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(fingerprint.data(), fingerprint.size(), digest, &size, EVP_sha256(), nullptr);
  std::string bytes = "1" + std::string(reinterpret_cast<char*>(digest), 8) + std::string(position);
  std::string token(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  token.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(token.data()),
                               reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size())));
  for (auto& c : token) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!token.empty() && token.back() == '=') token.pop_back();
  return token;
}

void ExpectPageTokenRefused(const grpc::Status& answer) {
  Status status = FromGrpcStatus(answer);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  ASSERT_EQ(status.field_violations().size(), 1u) << status.ToString();
  EXPECT_EQ(status.field_violations()[0].field, "page_token");
}

// Finding 1: a forged page token whose position is not a number reached std::stoll/stoull/stoi,
// and the exception ended the process.
TEST(HardeningTest, ForgedPageTokensAreRefusedAndTheServerLivesOn) {
  testing::TestServer server;
  auto cases = v1::Cases::NewStub(server.ChannelFor("coordinator"));
  auto meetings = v1::Meetings::NewStub(server.ChannelFor("coordinator"));
  const v1::Case opened = OpenCase(server, "hardening-forged-token");
  ASSERT_FALSE(opened.name().empty());

  for (const char* position : {"not-a-number", "99999999999999999999999", "-1"}) {
    SCOPED_TRACE(position);
    {
      v1::ListCasesRequest request;
      request.set_page_token(ForgedPageToken("|", position));
      v1::ListCasesResponse response;
      ExpectPageTokenRefused(cases->ListCases(Context().get(), request, &response));
    }
    {
      v1::ListMeetingsRequest request;
      request.set_page_token(ForgedPageToken("", position));
      v1::ListMeetingsResponse response;
      ExpectPageTokenRefused(meetings->ListMeetings(Context().get(), request, &response));
    }
    {
      v1::GetCaseHistoryRequest request;
      request.set_name(opened.name());
      request.set_page_token(ForgedPageToken(opened.name(), position));
      v1::GetCaseHistoryResponse response;
      ExpectPageTokenRefused(cases->GetCaseHistory(Context().get(), request, &response));
    }
    {
      v1::ListConsultationsRequest request;
      request.set_parent(opened.name());
      request.set_page_token(ForgedPageToken(opened.name(), position));
      v1::ListConsultationsResponse response;
      ExpectPageTokenRefused(cases->ListConsultations(Context().get(), request, &response));
    }
    {
      v1::ListPlanVersionsRequest request;
      request.set_parent(opened.name() + "/plans");
      request.set_page_token(ForgedPageToken(request.parent(), position));
      v1::ListPlanVersionsResponse response;
      ExpectPageTokenRefused(meetings->ListPlanVersions(Context().get(), request, &response));
    }
  }
  // Still serving, and a genuine token still pages.
  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case read;
  EXPECT_TRUE(cases->GetCase(Context().get(), get, &read).ok());
  OpenCase(server, "hardening-forged-token-2");
  v1::ListCasesRequest first;
  first.set_page_size(1);
  v1::ListCasesResponse page;
  ASSERT_TRUE(cases->ListCases(Context().get(), first, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  first.set_page_token(page.next_page_token());
  v1::ListCasesResponse second;
  ASSERT_TRUE(cases->ListCases(Context().get(), first, &second).ok());
  ASSERT_EQ(second.cases_size(), 1);
  EXPECT_NE(second.cases(0).name(), page.cases(0).name());
}

// Finding 8: one UpdateUser adding COORDINATOR to users/admin gave the admin the households; admins
// could also disable every auditor.
TEST(HardeningTest, AdminsCannotGiveThemselvesCaseAccessOrSilenceTheLastAuditor) {
  testing::TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));
  auto cases = v1::Cases::NewStub(server.ChannelFor("coordinator"));
  const v1::Case opened = OpenCase(server, "hardening-separation");

  for (v1::Role role : {v1::COORDINATOR, v1::AGENCY_STAFF, v1::ADVISER, v1::AUDITOR}) {
    SCOPED_TRACE(v1::Role_Name(role));
    v1::UpdateUserRequest update;
    update.mutable_user()->set_name("users/admin");
    update.mutable_user()->add_roles(v1::ADMIN);
    update.mutable_user()->add_roles(role);
    update.mutable_user()->set_agency("agencies/a1");
    update.mutable_update_mask()->add_paths("roles");
    update.mutable_update_mask()->add_paths("agency");
    v1::User updated;
    Status refused = FromGrpcStatus(admin->UpdateUser(Context().get(), update, &updated));
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(refused.reason(), "SEPARATION_OF_DUTIES");
  }
  auto as_admin = v1::Cases::NewStub(server.ChannelFor("admin"));
  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case seen;
  EXPECT_EQ(as_admin->GetCase(Context().get(), get, &seen).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The sample server has one auditor: it can be neither disabled nor stripped of the role.
  v1::UpdateUserRequest disable;
  disable.mutable_user()->set_name("users/auditor");
  disable.mutable_user()->set_state(v1::User::DISABLED);
  disable.mutable_update_mask()->add_paths("state");
  v1::User updated;
  Status last = FromGrpcStatus(admin->UpdateUser(Context().get(), disable, &updated));
  EXPECT_EQ(last.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(last.reason(), "LAST_AUDITOR");
  v1::UpdateUserRequest demote;
  demote.mutable_user()->set_name("users/auditor");
  demote.mutable_user()->add_roles(v1::PLANNER);
  demote.mutable_update_mask()->add_paths("roles");
  EXPECT_EQ(FromGrpcStatus(admin->UpdateUser(Context().get(), demote, &updated)).reason(),
            "LAST_AUDITOR");
  // With a second auditor, the first may be disabled.
  v1::CreateUserRequest second;
  second.set_user_id("auditor-2");
  second.mutable_user()->set_display_name("監査担当 2");
  second.mutable_user()->add_roles(v1::AUDITOR);
  v1::User created;
  ASSERT_TRUE(admin->CreateUser(Context().get(), second, &created).ok());
  grpc::Status disabled = admin->UpdateUser(Context().get(), disable, &updated);
  EXPECT_TRUE(disabled.ok()) << DescribeGrpcError(disabled);
}

// Finding 11: break-glass was open to coordinators only (who see every case anyway), and granted
// access to names like "../../etc/passwd", "cases/-1" or cases that do not exist.
TEST(HardeningTest, BreakGlassServesAgencyStaffAndAdvisersOnExistingRecordsOnly) {
  testing::TestServer server;
  auto cases = v1::Cases::NewStub(server.ChannelFor("coordinator"));
  const v1::Case opened = OpenCase(server, "hardening-break-glass");
  for (const char* user : {"agency-staff", "adviser"}) {
    SCOPED_TRACE(user);
    const bool adviser = std::string(user) == "adviser";
    auto admin = v1::Admin::NewStub(server.ChannelFor(user));
    auto reader = v1::Cases::NewStub(server.ChannelFor(user));
    v1::GetCaseRequest get;
    get.set_name(opened.name());
    v1::Case seen;
    EXPECT_EQ(reader->GetCase(Context().get(), get, &seen).error_code(),
              adviser ? grpc::StatusCode::PERMISSION_DENIED : grpc::StatusCode::NOT_FOUND);
    for (const char* bad :
         {"../../etc/passwd", "cases/-1", "cases/R8-0001", "users/coordinator", "cases/1/../2"}) {
      v1::RequestEmergencyAccessRequest request;
      request.set_resource(bad);
      request.set_reason("夜間の安否確認のため");
      v1::EmergencyAccess grant;
      Status refused =
          FromGrpcStatus(admin->RequestEmergencyAccess(Context().get(), request, &grant));
      EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << bad;
    }
    v1::RequestEmergencyAccessRequest missing;
    missing.set_resource(adviser ? "meetings/999999" : "cases/999999");
    missing.set_reason("夜間の安否確認のため");
    v1::EmergencyAccess grant;
    EXPECT_EQ(admin->RequestEmergencyAccess(Context().get(), missing, &grant).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::RequestEmergencyAccessRequest request;
    request.set_resource(opened.name());
    request.set_reason("夜間の安否確認のため");
    if (adviser) {
      // Advisers read meetings and dispatches, never a case itself: no grant on one.
      v1::EmergencyAccess refused;
      EXPECT_EQ(admin->RequestEmergencyAccess(Context().get(), request, &refused).error_code(),
                grpc::StatusCode::INVALID_ARGUMENT);
      continue;
    }
    grpc::Status granted = admin->RequestEmergencyAccess(Context().get(), request, &grant);
    ASSERT_TRUE(granted.ok()) << DescribeGrpcError(granted);
    grpc::Status read = reader->GetCase(Context().get(), get, &seen);
    ASSERT_TRUE(read.ok()) << DescribeGrpcError(read);
    EXPECT_EQ(seen.name(), opened.name());
  }
}

bool Contains(const std::vector<std::string>& trail, const std::string& line) {
  return std::find(trail.begin(), trail.end(), line) != trail.end();
}

// Finding 7: ListCases, ListMeetings and the referral inbox were audited once under the
// collection, so "who read cases/1" could not be answered from the trail.
TEST(HardeningTest, EveryListIsInTheTrailOfEachRecordItReturned) {
  testing::TestServer server;
  const v1::Case first = OpenCase(server, "hardening-list-1");
  const v1::Case second = OpenCase(server, "hardening-list-2");
  auto cases = v1::Cases::NewStub(server.ChannelFor("coordinator"));

  v1::ListCasesRequest list;
  list.set_page_size(1);
  v1::ListCasesResponse listed;
  grpc::Status status = cases->ListCases(Context().get(), list, &listed);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  ASSERT_EQ(listed.cases_size(), 1);
  const std::string shown = listed.cases(0).name();
  const std::string not_shown = shown == first.name() ? second.name() : first.name();
  const std::string list_cases = "coordinator /casecoord.v1.Cases/ListCases OK";
  EXPECT_TRUE(Contains(server.AuditTrailOf(shown), list_cases));
  EXPECT_FALSE(Contains(server.AuditTrailOf(not_shown), list_cases));
  list.set_page_token(listed.next_page_token());
  ASSERT_TRUE(cases->ListCases(Context().get(), list, &listed).ok());
  EXPECT_TRUE(Contains(server.AuditTrailOf(not_shown), list_cases));

  // The agency's inbox: the referral and its case.
  v1::CreateReferralRequest refer;
  refer.set_parent(second.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::LEAD);
  v1::Referral referral;
  ASSERT_TRUE(cases->CreateReferral(Context().get(), refer, &referral).ok());
  v1::ListReferralsRequest inbox;
  inbox.set_parent("cases/-");
  v1::ListReferralsResponse received;
  status = v1::Cases::NewStub(server.ChannelFor("agency-staff"))
               ->ListReferrals(Context().get(), inbox, &received);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  ASSERT_EQ(received.referrals_size(), 1);
  const std::string list_referrals = "agency-staff /casecoord.v1.Cases/ListReferrals OK";
  EXPECT_TRUE(Contains(server.AuditTrailOf(referral.name()), list_referrals));
  EXPECT_TRUE(Contains(server.AuditTrailOf(second.name()), list_referrals));
  EXPECT_FALSE(Contains(server.AuditTrailOf(first.name()), list_referrals));

  // Meetings: the meeting and its case.
  v1::CreateMeetingRequest schedule;
  schedule.set_request_id("hardening-meeting");
  schedule.mutable_meeting()->set_type(v1::CASE_REVIEW);
  schedule.mutable_meeting()->set_case_(first.name());
  schedule.mutable_meeting()->set_title("第1回ケース検討会議");
  schedule.mutable_meeting()->mutable_scheduled_time()->set_seconds(std::time(nullptr) + 3600);
  auto* facilitator = schedule.mutable_meeting()->add_participants();
  facilitator->set_user("users/coordinator");
  facilitator->set_role(v1::FACILITATOR);
  auto meetings = v1::Meetings::NewStub(server.ChannelFor("coordinator"));
  v1::Meeting meeting;
  status = meetings->CreateMeeting(Context().get(), schedule, &meeting);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  v1::ListMeetingsResponse scheduled;
  ASSERT_TRUE(meetings->ListMeetings(Context().get(), v1::ListMeetingsRequest(), &scheduled).ok());
  ASSERT_EQ(scheduled.meetings_size(), 1);
  const std::string list_meetings = "coordinator /casecoord.v1.Meetings/ListMeetings OK";
  EXPECT_TRUE(Contains(server.AuditTrailOf(meeting.name()), list_meetings));
  EXPECT_TRUE(Contains(server.AuditTrailOf(first.name()), list_meetings));
}

}  // namespace
}  // namespace casecoord
