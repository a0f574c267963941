// Advisers over the real server: the registry, and a dispatch (アドバイザー派遣) through its whole
// lifecycle with the assigned adviser recording the session; every refusal as the client sees it;
// need to know (agency staff off the team, and advisers not assigned, cannot tell it exists).
#include <gtest/gtest.h>

#include <set>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/advisers.grpc.pb.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/server/config.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

constexpr char kNote[] = "長男の就労に向けた関わり方について助言がほしい";

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

std::set<std::string> Fields(const Status& status) {
  std::set<std::string> fields;
  for (const auto& violation : status.field_violations()) fields.insert(violation.field);
  return fields;
}

class AdvisersServiceTest : public ::testing::Test {
 protected:
  AdvisersServiceTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    for (const char* id : {"a1", "a2"}) {
      v1::CreateAgencyRequest create;
      create.set_agency_id(id);
      create.mutable_agency()->set_display_name(std::string("架空相談支援センター") + id);
      create.mutable_agency()->set_kana("カクウソウダンシエン");
      create.mutable_agency()->set_kind(v1::DISABILITY_CONSULTATION_OFFICE);
      v1::Agency created;
      grpc::ClientContext context;
      ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
    }
    // A second adviser user, to be the adviser who is not assigned.
    auto admin = v1::Admin::NewStub(server_.ChannelFor("admin"));
    v1::CreateUserRequest user;
    user.set_user_id("adviser-2");
    user.mutable_user()->set_display_name("アドバイザー 二");
    user.mutable_user()->add_roles(v1::ADVISER);
    v1::User created_user;
    grpc::ClientContext user_context;
    ASSERT_TRUE(admin->CreateUser(&user_context, user, &created_user).ok());

    ASSERT_TRUE(AddAdviser("kobayashi", "users/adviser", true).ok());
    ASSERT_TRUE(AddAdviser("suzuki", "users/adviser-2", true).ok());
    ASSERT_TRUE(AddAdviser("resting", "", false).ok());
    case_name_ = OpenCaseWithTeamA1();
  }

  std::unique_ptr<v1::Advisers::Stub> Stub(const std::string& user) {
    return v1::Advisers::NewStub(server_.ChannelFor(user));
  }

  grpc::Status AddAdviser(const std::string& id, const std::string& user, bool active) {
    v1::CreateAdviserRequest request;
    request.set_adviser_id(id);
    request.mutable_adviser()->set_display_name("アドバイザー " + id);
    request.mutable_adviser()->set_kind(v1::COMPLEX_ISSUE_ADVISER);
    request.mutable_adviser()->add_fields(v1::DISABILITY);
    request.mutable_adviser()->set_user(user);
    request.mutable_adviser()->set_active(active);
    v1::Adviser created;
    grpc::ClientContext context;
    return Stub("coordinator")->CreateAdviser(&context, request, &created);
  }

  // A case with agencies/a1 (agency-staff's) on its team.
  std::string OpenCaseWithTeamA1() {
    auto cases = v1::Cases::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateCaseRequest create;
    create.set_request_id("case-1");
    auto* member = create.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 次郎");
    member->set_principal(true);
    create.mutable_case_()->set_district("kita");
    create.mutable_case_()->set_referring_agency("agencies/a1");
    create.mutable_case_()->set_presenting_problem("長期のひきこもり");
    v1::Case opened;
    {
      grpc::ClientContext context;
      grpc::Status status = cases->CreateCase(&context, create, &opened);
      EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    }
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
    grpc::ClientContext context;
    EXPECT_TRUE(v1::Cases::NewStub(server_.ChannelFor("agency-staff"))
                    ->AcceptReferral(&context, accept, &referral)
                    .ok());
    return opened.name();
  }

  v1::Dispatch Request(const std::string& request_id, const std::string& group = "") {
    v1::CreateDispatchRequest request;
    request.set_request_id(request_id);
    if (group.empty()) {
      request.mutable_dispatch()->set_case_(case_name_);
    } else {
      request.mutable_dispatch()->set_community_group(group);
    }
    request.mutable_dispatch()->set_field(v1::DISABILITY);
    request.mutable_dispatch()->set_request_note(kNote);
    v1::Dispatch created;
    grpc::ClientContext context;
    grpc::Status status = Stub("coordinator")->CreateDispatch(&context, request, &created);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return created;
  }

  Status Get(const std::string& user, const std::string& name, v1::Dispatch* dispatch) {
    v1::GetDispatchRequest request;
    request.set_name(name);
    grpc::ClientContext context;
    return FromGrpcStatus(Stub(user)->GetDispatch(&context, request, dispatch));
  }

  std::vector<std::string> List(const std::string& user, const std::string& filter = "") {
    v1::ListDispatchesRequest request;
    request.set_filter(filter);
    v1::ListDispatchesResponse response;
    grpc::ClientContext context;
    grpc::Status status = Stub(user)->ListDispatches(&context, request, &response);
    EXPECT_TRUE(status.ok()) << user << ": " << DescribeGrpcError(status);
    std::vector<std::string> names;
    for (const auto& dispatch : response.dispatches()) names.push_back(dispatch.name());
    return names;
  }

  Status Approve(const std::string& name, const std::string& adviser, const std::string& etag,
                 v1::Dispatch* out) {
    v1::ApproveDispatchRequest request;
    request.set_name(name);
    request.set_adviser(adviser);
    request.set_etag(etag);
    grpc::ClientContext context;
    return FromGrpcStatus(Stub("coordinator")->ApproveDispatch(&context, request, out));
  }

  Status Decline(const std::string& name, const std::string& reason, v1::Dispatch* out) {
    v1::DeclineDispatchRequest request;
    request.set_name(name);
    request.set_reason(reason);
    grpc::ClientContext context;
    return FromGrpcStatus(Stub("coordinator")->DeclineDispatch(&context, request, out));
  }

  Status Session(const std::string& user, const std::string& name, const v1::Date& date,
                 v1::Dispatch* out, const std::string& request_id = "") {
    v1::RecordSessionRequest request;
    request.set_request_id(request_id);
    request.set_name(name);
    *request.mutable_session_date() = date;
    request.set_report("本人・母と面談。就労移行支援の見学から始める方針を助言");
    grpc::ClientContext context;
    return FromGrpcStatus(Stub(user)->RecordSession(&context, request, out));
  }

  Status FollowUp(const std::string& user, const std::string& name, const v1::Date& date,
                  const std::string& note, v1::Dispatch* out, const std::string& request_id = "") {
    v1::RecordFollowUpRequest request;
    request.set_request_id(request_id);
    request.set_name(name);
    *request.mutable_follow_up()->mutable_date() = date;
    request.mutable_follow_up()->set_note(note);
    grpc::ClientContext context;
    return FromGrpcStatus(Stub(user)->RecordFollowUp(&context, request, out));
  }

  Status Close(const std::string& name, v1::Dispatch* out) {
    v1::CloseDispatchRequest request;
    request.set_name(name);
    grpc::ClientContext context;
    return FromGrpcStatus(Stub("coordinator")->CloseDispatch(&context, request, out));
  }

  // 2026-11-22 10:00 JST.
  ManualClock clock_{*JstMidnight(2026, 11, 22) + std::chrono::hours(10)};
  testing::TestServer server_;
  std::string case_name_;
};

TEST_F(AdvisersServiceTest, ADispatchThroughEveryStateWithTheAdviserRecordingTheSession) {
  const v1::Dispatch requested = Request("dispatch-1");
  EXPECT_EQ(requested.state(), v1::REQUESTED);
  EXPECT_EQ(requested.request_note(), kNote);
  EXPECT_EQ(requested.requested_by(), "users/coordinator");
  // A retried create gives the same dispatch.
  EXPECT_EQ(Request("dispatch-1").name(), requested.name());
  EXPECT_EQ(List("coordinator"), (std::vector<std::string>{requested.name()}));

  v1::Dispatch approved;
  ASSERT_TRUE(Approve(requested.name(), "advisers/kobayashi", requested.etag(), &approved).ok());
  EXPECT_EQ(approved.state(), v1::APPROVED);
  EXPECT_NE(approved.etag(), requested.etag());

  // The assigned adviser records the session and the follow-ups.
  v1::Dispatch held;
  Status session = Session("adviser", requested.name(), Day(2026, 11, 20), &held);
  ASSERT_TRUE(session.ok()) << session.ToString();
  EXPECT_EQ(held.state(), v1::SESSION_HELD);
  EXPECT_EQ(held.session_minutes(), 120);
  EXPECT_EQ(held.follow_up_deadline().year(), 2027);
  EXPECT_EQ(held.follow_up_deadline().month(), 1);
  EXPECT_EQ(held.follow_up_deadline().day(), 20);
  v1::Dispatch followed;
  ASSERT_TRUE(
      FollowUp("adviser", requested.name(), Day(2026, 11, 21), "見学の日程を調整", &followed).ok());
  clock_.Advance(std::chrono::hours(24 * 20));  // 2026-12-12
  ASSERT_TRUE(
      FollowUp("adviser", requested.name(), Day(2026, 12, 11), "通所を開始", &followed).ok());
  ASSERT_EQ(followed.follow_ups_size(), 2);
  EXPECT_EQ(followed.follow_ups(1).number(), 2);
  EXPECT_EQ(followed.follow_ups(1).note(), "通所を開始");
  // A third follow-up is beyond dispatch-max-follow-ups (2).
  v1::Dispatch unchanged;
  Status third = FollowUp("adviser", requested.name(), Day(2026, 12, 12), "三回目", &unchanged);
  EXPECT_EQ(third.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(third.reason(), "FOLLOW_UP_LIMIT");

  // The assigned adviser cannot close it: that is the coordinator's.
  {
    v1::CloseDispatchRequest request;
    request.set_name(requested.name());
    grpc::ClientContext context;
    EXPECT_EQ(Stub("adviser")->CloseDispatch(&context, request, &unchanged).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  v1::Dispatch closed;
  ASSERT_TRUE(Close(requested.name(), &closed).ok());
  EXPECT_EQ(closed.state(), v1::CLOSED_DISPATCH);
  Status again = Close(requested.name(), &unchanged);
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.message().find("CLOSED_DISPATCH"), std::string::npos) << again.ToString();

  // What the adviser reads back: every sealed field opened.
  v1::Dispatch seen;
  ASSERT_TRUE(Get("adviser", requested.name(), &seen).ok());
  EXPECT_EQ(seen.request_note(), kNote);
  EXPECT_EQ(seen.session_report(), "本人・母と面談。就労移行支援の見学から始める方針を助言");
  EXPECT_EQ(seen.follow_ups(0).note(), "見学の日程を調整");
  EXPECT_EQ(seen.etag(), closed.etag());
}

// Issue 14, finding 9: a session or follow-up whose answer was lost is retried with its request
// id and lands once; the id reused for another write is refused.
TEST_F(AdvisersServiceTest, RetriedSessionsAndFollowUpsLandOnce) {
  const v1::Dispatch requested = Request("dispatch-retry");
  v1::Dispatch approved;
  ASSERT_TRUE(Approve(requested.name(), "advisers/kobayashi", requested.etag(), &approved).ok());
  v1::Dispatch held, retried;
  ASSERT_TRUE(Session("adviser", requested.name(), Day(2026, 11, 20), &held, "s-1").ok());
  Status again = Session("adviser", requested.name(), Day(2026, 11, 20), &retried, "s-1");
  ASSERT_TRUE(again.ok()) << again.ToString();
  EXPECT_EQ(retried.state(), v1::SESSION_HELD);
  EXPECT_EQ(retried.etag(), held.etag());

  v1::Dispatch followed;
  ASSERT_TRUE(
      FollowUp("adviser", requested.name(), Day(2026, 11, 21), "見学の日程を調整", &followed, "f-1")
          .ok());
  for (int retry = 0; retry < 3; ++retry) {
    Status status = FollowUp("adviser", requested.name(), Day(2026, 11, 21), "見学の日程を調整",
                             &followed, "f-1");
    ASSERT_TRUE(status.ok()) << status.ToString();
  }
  EXPECT_EQ(followed.follow_ups_size(), 1);
  Status reused =
      FollowUp("adviser", requested.name(), Day(2026, 11, 21), "別の内容", &followed, "f-1");
  EXPECT_EQ(reused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(reused.reason(), "REQUEST_ID_REUSED");
  v1::Dispatch now;
  ASSERT_TRUE(
      FollowUp("adviser", requested.name(), Day(2026, 11, 21), "通所を開始", &now, "f-2").ok());
  EXPECT_EQ(now.follow_ups_size(), 2);
}

TEST_F(AdvisersServiceTest, EveryRefusalIsPreciseAndChangesNothing) {
  const v1::Dispatch requested = Request("dispatch-1");
  v1::Dispatch out;
  auto etag_now = [&] {
    v1::Dispatch now;
    EXPECT_TRUE(Get("coordinator", requested.name(), &now).ok());
    return now.etag();
  };

  Status no_reason = Decline(requested.name(), "", &out);
  EXPECT_EQ(no_reason.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(no_reason), (std::set<std::string>{"reason"}));

  Status early = Session("coordinator", requested.name(), Day(2026, 11, 20), &out);
  EXPECT_EQ(early.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(early.reason(), "ILLEGAL_TRANSITION");
  EXPECT_NE(early.message().find("REQUESTED"), std::string::npos) << early.ToString();

  Status inactive = Approve(requested.name(), "advisers/resting", "", &out);
  EXPECT_EQ(inactive.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(inactive.reason(), "ADVISER_INACTIVE");
  Status unknown = Approve(requested.name(), "advisers/nobody", "", &out);
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(unknown), (std::set<std::string>{"adviser"}));
  Status stale = Approve(requested.name(), "advisers/kobayashi", "99", &out);
  EXPECT_EQ(stale.code(), StatusCode::kAborted);
  EXPECT_EQ(etag_now(), requested.etag()) << "no refusal changed the dispatch";

  ASSERT_TRUE(Approve(requested.name(), "advisers/kobayashi", requested.etag(), &out).ok());
  Status before_session =
      FollowUp("coordinator", requested.name(), Day(2026, 11, 21), "メモ", &out);
  EXPECT_EQ(before_session.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(before_session.message().find("APPROVED"), std::string::npos);
  // The etag read before the approval is stale now.
  v1::RecordSessionRequest stale_session;
  stale_session.set_name(requested.name());
  *stale_session.mutable_session_date() = Day(2026, 11, 20);
  stale_session.set_report("報告");
  stale_session.set_etag(requested.etag());
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("coordinator")->RecordSession(&context, stale_session, &out).error_code(),
              grpc::StatusCode::ABORTED);
  }
  v1::Dispatch held;
  ASSERT_TRUE(Session("coordinator", requested.name(), Day(2026, 11, 20), &held).ok());

  // Past the window: the deadline is 2027-01-20; today becomes 2027-02-01.
  clock_.Advance(std::chrono::hours(24 * 71));
  Status late = FollowUp("coordinator", requested.name(), Day(2027, 1, 21), "メモ", &out);
  EXPECT_EQ(late.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(late), (std::set<std::string>{"follow_up.date"}));
  EXPECT_NE(late.message().find("2027-01-20"), std::string::npos) << late.ToString();
  Status undated = FollowUp("coordinator", requested.name(), v1::Date(), "", &out);
  EXPECT_EQ(Fields(undated), (std::set<std::string>{"follow_up.date", "follow_up.note"}));
  EXPECT_EQ(etag_now(), held.etag());

  ASSERT_TRUE(Close(requested.name(), &out).ok());
  Status twice = Close(requested.name(), &out);
  EXPECT_EQ(twice.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(twice.message().find("CLOSED_DISPATCH"), std::string::npos);

  // Bad names and filters.
  EXPECT_EQ(Fields(Get("coordinator", "dispatches/abc", &out)), (std::set<std::string>{"name"}));
  v1::ListDispatchesRequest bad_filter;
  bad_filter.set_filter("state = CLOSED");
  v1::ListDispatchesResponse listed;
  grpc::ClientContext context;
  Status refused =
      FromGrpcStatus(Stub("coordinator")->ListDispatches(&context, bad_filter, &listed));
  EXPECT_EQ(Fields(refused), (std::set<std::string>{"filter"}));
}

TEST_F(AdvisersServiceTest, OnlyThoseWhoNeedToKnowSeeADispatch) {
  const v1::Dispatch for_case = Request("dispatch-1");
  const v1::Dispatch for_group = Request("dispatch-2", "北地区 ふれあいサロン");
  v1::Dispatch out;
  ASSERT_TRUE(Approve(for_case.name(), "advisers/kobayashi", "", &out).ok());

  // Agency staff on the case's team see the case's dispatch, notes included, not the group's.
  v1::Dispatch seen;
  ASSERT_TRUE(Get("agency-staff", for_case.name(), &seen).ok());
  EXPECT_EQ(seen.request_note(), kNote);
  EXPECT_EQ(List("agency-staff"), (std::vector<std::string>{for_case.name()}));
  EXPECT_EQ(Get("agency-staff", for_group.name(), &seen).code(), StatusCode::kNotFound);

  // Another agency cannot tell the dispatch from one that does not exist.
  v1::Dispatch hidden;
  const Status outside = Get("other-staff", for_case.name(), &hidden);
  const Status absent = Get("other-staff", "dispatches/99", &hidden);
  EXPECT_EQ(outside.code(), StatusCode::kNotFound);
  EXPECT_EQ(outside.reason(), absent.reason());
  EXPECT_EQ(outside.message(), "dispatches/1 not found");
  EXPECT_EQ(absent.message(), "dispatches/99 not found");
  EXPECT_EQ(hidden.request_note(), "");
  EXPECT_TRUE(List("other-staff").empty());
  EXPECT_TRUE(List("other-staff", "case = \"" + case_name_ + "\"").empty());

  // The assigned adviser sees theirs; an adviser not assigned neither sees nor writes it.
  ASSERT_TRUE(Get("adviser", for_case.name(), &seen).ok());
  EXPECT_EQ(List("adviser"), (std::vector<std::string>{for_case.name()}));
  EXPECT_EQ(Get("adviser-2", for_case.name(), &hidden).code(), StatusCode::kNotFound);
  EXPECT_TRUE(List("adviser-2").empty());
  EXPECT_TRUE(List("adviser-2", "adviser = \"advisers/kobayashi\"").empty());
  EXPECT_EQ(Session("adviser-2", for_case.name(), Day(2026, 11, 20), &hidden).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Get("adviser", for_group.name(), &hidden).code(), StatusCode::kNotFound);

  // Agency staff who see it may not record the session (the policy: coordinators and advisers).
  EXPECT_EQ(Session("agency-staff", for_case.name(), Day(2026, 11, 20), &hidden).code(),
            StatusCode::kPermissionDenied);
  // Roles without dispatches are refused by the policy, whatever the dispatch.
  for (const char* outsider : {"planner", "auditor", "admin"}) {
    EXPECT_EQ(Get(outsider, for_case.name(), &hidden).code(), StatusCode::kPermissionDenied)
        << outsider;
  }
  // The coordinator sees both, newest first.
  EXPECT_EQ(List("coordinator"), (std::vector<std::string>{for_group.name(), for_case.name()}));
  // Reassigning the adviser entry to another user moves the access with it.
  v1::GetAdviserRequest get;
  get.set_name("advisers/kobayashi");
  v1::Adviser kobayashi;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("auditor")->GetAdviser(&context, get, &kobayashi).ok());
  }
  v1::Adviser suzuki;
  v1::UpdateAdviserRequest unlink;
  unlink.mutable_adviser()->set_name("advisers/suzuki");
  unlink.mutable_update_mask()->add_paths("user");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->UpdateAdviser(&context, unlink, &suzuki).ok());
  }
  v1::UpdateAdviserRequest relink;
  *relink.mutable_adviser() = kobayashi;
  relink.mutable_adviser()->set_user("users/adviser-2");
  relink.mutable_update_mask()->add_paths("user");
  {
    grpc::ClientContext context;
    v1::Adviser updated;
    ASSERT_TRUE(Stub("coordinator")->UpdateAdviser(&context, relink, &updated).ok());
  }
  EXPECT_TRUE(Get("adviser-2", for_case.name(), &seen).ok());
  EXPECT_EQ(Get("adviser", for_case.name(), &hidden).code(), StatusCode::kNotFound);
}

// Issue 14, finding 7: ListDispatches was audited once under "dispatches", so the trail of a
// dispatch (or of its case) did not show who had listed it.
TEST_F(AdvisersServiceTest, AListOfDispatchesIsInTheTrailOfEachDispatchAndItsCase) {
  const v1::Dispatch for_case = Request("dispatch-1");
  const v1::Dispatch for_group = Request("dispatch-2", "北地区 ふれあいサロン");
  ASSERT_EQ(List("agency-staff"), (std::vector<std::string>{for_case.name()}));
  const std::string listed = "agency-staff /casecoord.v1.Advisers/ListDispatches OK";
  auto trail = server_.AuditTrailOf(for_case.name());
  EXPECT_NE(std::find(trail.begin(), trail.end(), listed), trail.end())
      << ::testing::PrintToString(trail);
  trail = server_.AuditTrailOf(case_name_);
  EXPECT_NE(std::find(trail.begin(), trail.end(), listed), trail.end())
      << ::testing::PrintToString(trail);
  // What the list did not return is not in its trail.
  trail = server_.AuditTrailOf(for_group.name());
  EXPECT_EQ(std::find(trail.begin(), trail.end(), listed), trail.end())
      << ::testing::PrintToString(trail);
}

TEST_F(AdvisersServiceTest, EveryoneButPlannersReadsTheRegistryAndOnlyEditorsChangeIt) {
  v1::ListAdvisersRequest list;
  list.set_filter("active = true AND field = DISABILITY");
  v1::ListAdvisersResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("auditor")->ListAdvisers(&context, list, &listed).ok());
  }
  ASSERT_EQ(listed.advisers_size(), 2);
  EXPECT_EQ(listed.advisers(0).name(), "advisers/kobayashi");
  EXPECT_EQ(listed.advisers(1).name(), "advisers/suzuki");

  {
    v1::CreateAdviserRequest create;
    create.set_adviser_id("tanaka");
    create.mutable_adviser()->set_display_name("田中");
    create.mutable_adviser()->set_kind(v1::FIELD_ADVISER);
    create.mutable_adviser()->add_fields(v1::COMMUNITY);
    v1::Adviser created;
    grpc::ClientContext context;
    EXPECT_EQ(Stub("agency-staff")->CreateAdviser(&context, create, &created).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  // A coordinator deactivates an adviser (with the etag read); the old etag is then stale, and a
  // dispatch cannot be approved with that adviser any more.
  v1::UpdateAdviserRequest update;
  update.mutable_adviser()->set_name("advisers/kobayashi");
  update.mutable_adviser()->set_etag(listed.advisers(0).etag());
  update.mutable_adviser()->set_active(false);
  update.mutable_update_mask()->add_paths("active");
  v1::Adviser updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->UpdateAdviser(&context, update, &updated).ok());
  }
  EXPECT_FALSE(updated.active());
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("admin")->UpdateAdviser(&context, update, &updated).error_code(),
              grpc::StatusCode::ABORTED);
  }
  const v1::Dispatch requested = Request("dispatch-1");
  v1::Dispatch out;
  EXPECT_EQ(Approve(requested.name(), "advisers/kobayashi", "", &out).reason(), "ADVISER_INACTIVE");
}

TEST(DispatchSettingsTest, TheFollowUpLimitAndWindowAreSettingsWithDefaultsAndRanges) {
  auto no_environment = [](const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  auto defaults = server::ResolveConfig({}, "", no_environment);
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->dispatch_max_follow_ups, 2);
  EXPECT_EQ(defaults->dispatch_follow_up_months, 2);
  auto set = server::ResolveConfig(
      {{"dispatch-max-follow-ups", "0"}, {"dispatch-follow-up-months", "6"}}, "", no_environment);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->dispatch_max_follow_ups, 0);
  EXPECT_EQ(set->dispatch_follow_up_months, 6);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"dispatch-max-follow-ups", "-1"},
                                                        {"dispatch-max-follow-ups", "13"},
                                                        {"dispatch-follow-up-months", "0"},
                                                        {"dispatch-follow-up-months", "two"}}) {
    auto refused = server::ResolveConfig({{name, value}}, "", no_environment);
    EXPECT_EQ(Fields(refused.status()), (std::set<std::string>{name})) << name << "=" << value;
  }
}

}  // namespace
}  // namespace casecoord
