// A case's whole life over the real server, with a caller of each role, and concurrent writers:
// intake → log → refer → accept → coordinate → support decision → closure → purge after the
// retention period, with the statistics counters checked against a rebuild at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
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

class CaseFlowTest : public ::testing::Test {
 protected:
  CaseFlowTest() : server_(Options(clock_)) {}

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
  }

  std::unique_ptr<v1::Cases::Stub> Stub(const std::string& user) {
    return v1::Cases::NewStub(server_.ChannelFor(user));
  }

  v1::Case Open(const std::string& request_id) {
    v1::CreateCaseRequest request;
    request.set_request_id(request_id);
    auto* member = request.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 次郎");
    member->set_principal(true);
    member->add_issue_tags("hikikomori");
    request.mutable_case_()->set_district("kita");
    request.mutable_case_()->set_referring_agency("agencies/a1");
    request.mutable_case_()->set_presenting_problem("長期のひきこもりと家計の困窮");
    v1::Case opened;
    grpc::ClientContext context;
    grpc::Status status = Stub("coordinator")->CreateCase(&context, request, &opened);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return opened;
  }

  grpc::Status Log(const std::string& user, const std::string& name, v1::ConsultationKind kind,
                   const std::string& summary, v1::ConsultationEntry* logged) {
    v1::AppendConsultationRequest append;
    append.set_parent(name);
    append.mutable_entry()->set_kind(kind);
    if (kind == v1::COORDINATION_CONTACT) append.mutable_entry()->set_agency("agencies/a1");
    append.mutable_entry()->set_summary(summary);
    *append.mutable_entry()->mutable_date() = DateOf(clock_.Now());
    grpc::ClientContext context;
    return Stub(user)->AppendConsultation(&context, append, logged);
  }

  grpc::Status Move(const std::string& name, v1::CaseState to, v1::CaseOutcome outcome,
                    v1::Case* moved) {
    v1::TransitionCaseRequest move;
    move.set_name(name);
    move.set_to(to);
    move.set_outcome(outcome);
    move.set_decider("複合課題ケース検討会議");
    grpc::ClientContext context;
    return Stub("coordinator")->TransitionCase(&context, move, moved);
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  testing::TestServer server_;
};

TEST_F(CaseFlowTest, TheWholeLifeOfACaseWithACallerOfEachRole) {
  const v1::Case opened = Open("flow-1");
  ASSERT_FALSE(opened.name().empty());
  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case seen;
  // Roles that never see cases are refused by the policy, whatever the case.
  for (const char* outsider : {"planner", "adviser", "auditor", "admin"}) {
    grpc::ClientContext context;
    EXPECT_EQ(Stub(outsider)->GetCase(&context, get, &seen).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << outsider;
  }

  // Outside the team, a case that exists and one that does not are refused alike, to the byte.
  {
    grpc::ClientContext hidden_context, missing_context;
    grpc::Status hidden = Stub("agency-staff")->GetCase(&hidden_context, get, &seen);
    v1::GetCaseRequest missing_request;
    missing_request.set_name(opened.name() + "9");
    grpc::Status missing = Stub("agency-staff")->GetCase(&missing_context, missing_request, &seen);
    EXPECT_EQ(hidden.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
    std::string hidden_message = hidden.error_message(), missing_message = missing.error_message();
    const std::string hidden_name = opened.name(), missing_name = opened.name() + "9";
    hidden_message.replace(hidden_message.find(hidden_name), hidden_name.size(), "X");
    missing_message.replace(missing_message.find(missing_name), missing_name.size(), "X");
    EXPECT_EQ(hidden_message, missing_message);
    EXPECT_EQ(FromGrpcStatus(hidden).reason(), FromGrpcStatus(missing).reason());
  }

  v1::ConsultationEntry logged;
  ASSERT_TRUE(Log("coordinator", opened.name(), v1::CONSULTATION, "本人と面談", &logged).ok());
  v1::CreateReferralRequest refer;
  refer.set_parent(opened.name());
  refer.mutable_referral()->set_agency("agencies/a1");
  refer.mutable_referral()->set_role(v1::LEAD);
  v1::Referral referral;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->CreateReferral(&context, refer, &referral).ok());
  }
  v1::AnswerReferralRequest answer;
  answer.set_name(referral.name());
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("agency-staff")->AcceptReferral(&context, answer, &referral).ok());
  }
  // On the team, agency staff log what they did, see the case and list it as their agency's.
  ASSERT_TRUE(
      Log("agency-staff", opened.name(), v1::HOME_VISIT, "自宅を訪問し本人と会えた", &logged).ok());
  v1::ListCasesRequest mine;
  mine.set_filter("my_agency = true");
  v1::ListCasesResponse listed;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("agency-staff")->ListCases(&context, mine, &listed).ok());
  }
  ASSERT_EQ(listed.cases_size(), 1);
  EXPECT_EQ(listed.cases(0).members(0).display_name(), "架空 次郎");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("other-staff")->ListCases(&context, mine, &listed).ok());
  }
  EXPECT_EQ(listed.cases_size(), 0);
  // Only coordinators change the sheet and the lifecycle.
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(opened.name());
  update.mutable_case_()->add_household_issue_tags("debt");
  update.mutable_update_mask()->add_paths("household_issue_tags");
  v1::Case updated;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("agency-staff")->UpdateCase(&context, update, &updated).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    grpc::Status status = Stub("coordinator")->UpdateCase(&context, update, &updated);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(updated.household_issue_tags(0), "debt");

  v1::Case moved;
  ASSERT_TRUE(Move(opened.name(), v1::COORDINATING, {}, &moved).ok());
  ASSERT_TRUE(
      Log("coordinator", opened.name(), v1::COORDINATION_CONTACT, "包括と役割分担を確認", &logged)
          .ok());
  ASSERT_TRUE(Move(opened.name(), v1::IN_SUPPORT, {}, &moved).ok());
  grpc::Status early = Move(opened.name(), v1::COMPLETED_BY_ADVICE, {}, &moved);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("IN_SUPPORT"), std::string::npos) << early.error_message();
  ASSERT_TRUE(Move(opened.name(), v1::CLOSED, v1::RESOLVED, &moved).ok());
  EXPECT_EQ(moved.outcome(), v1::RESOLVED);

  // The counters agree with a rebuild from the records.
  auto admin = Stub("admin");
  v1::RebuildCaseCountersRequest verify;
  verify.set_validate_only(true);
  v1::RebuildCaseCountersResponse verified;
  {
    grpc::ClientContext context;
    grpc::Status status = admin->RebuildCaseCounters(&context, verify, &verified);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(verified.differences_size(), 0);
  EXPECT_GT(verified.counters_recomputed(), 5);
  EXPECT_FALSE(verified.replaced());

  // Purge: refused within the retention period, done after it.
  v1::PurgeCaseRequest purge;
  purge.set_name(opened.name());
  purge.set_confirmation("PURGE " + opened.case_number());
  v1::Case purged;
  {
    grpc::ClientContext context;
    EXPECT_EQ(admin->PurgeCase(&context, purge, &purged).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("coordinator")->PurgeCase(&context, purge, &purged).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  clock_.Advance(std::chrono::hours(24 * (365 * 5 + 2)));
  {
    grpc::ClientContext context;
    grpc::Status status = admin->PurgeCase(&context, purge, &purged);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->GetCase(&context, get, &seen).ok());
  }
  EXPECT_TRUE(seen.has_purge_time());
  EXPECT_TRUE(seen.members(0).display_name().empty());
  EXPECT_TRUE(seen.presenting_problem().empty());
  v1::ListConsultationsRequest list_log;
  list_log.set_parent(opened.name());
  v1::ListConsultationsResponse log;
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("coordinator")->ListConsultations(&context, list_log, &log).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext context;
    ASSERT_TRUE(admin->RebuildCaseCounters(&context, verify, &verified).ok());
  }
  EXPECT_EQ(verified.differences_size(), 0) << "a purge keeps the counts";
}

TEST_F(CaseFlowTest, ConcurrentWritersWithStaleEtagsAreAbortedAndNothingIsLost) {
  const v1::Case opened = Open("race-1");
  // Sequentially first: a write from a stale read is ABORTED and changes nothing.
  v1::UpdateCaseRequest stale;
  stale.mutable_case_()->set_name(opened.name());
  stale.mutable_case_()->set_etag(opened.etag());
  stale.mutable_case_()->set_urgency(v1::URGENT);
  stale.mutable_update_mask()->add_paths("urgency");
  v1::Case updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->UpdateCase(&context, stale, &updated).ok());
  }
  stale.mutable_case_()->set_urgency(v1::ROUTINE);
  {
    grpc::ClientContext context;
    EXPECT_EQ(Stub("coordinator")->UpdateCase(&context, stale, &updated).error_code(),
              grpc::StatusCode::ABORTED);
  }

  // Then 8 writers, each adding its own tag by read-modify-write with the etag, retrying when
  // ABORTED, while 4 more append to the log: every tag and every entry must be there.
  constexpr int kTaggers = 8, kLoggers = 4, kEntriesEach = 5;
  std::atomic<int> aborted{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kTaggers; ++t) {
    threads.emplace_back([&, t] {
      auto stub = Stub("coordinator");
      for (int attempt = 0; attempt < 200; ++attempt) {
        v1::GetCaseRequest get;
        get.set_name(opened.name());
        v1::Case current;
        grpc::ClientContext read;
        if (!stub->GetCase(&read, get, &current).ok()) break;
        v1::UpdateCaseRequest update;
        *update.mutable_case_() = current;
        update.mutable_case_()->add_household_issue_tags("tag-" + std::to_string(t));
        update.mutable_update_mask()->add_paths("household_issue_tags");
        v1::Case written;
        grpc::ClientContext write;
        grpc::Status status = stub->UpdateCase(&write, update, &written);
        if (status.ok()) return;
        if (status.error_code() != grpc::StatusCode::ABORTED) break;
        ++aborted;
      }
      ++failed;
    });
  }
  for (int t = 0; t < kLoggers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEntriesEach; ++i) {
        v1::ConsultationEntry logged;
        if (!Log("coordinator", opened.name(), v1::PHONE_CALL,
                 "電話 " + std::to_string(t) + "-" + std::to_string(i), &logged)
                 .ok()) {
          ++failed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);

  v1::GetCaseRequest get;
  get.set_name(opened.name());
  v1::Case final_case;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->GetCase(&context, get, &final_case).ok());
  }
  std::set<std::string> tags(final_case.household_issue_tags().begin(),
                             final_case.household_issue_tags().end());
  for (int t = 0; t < kTaggers; ++t) EXPECT_EQ(tags.count("tag-" + std::to_string(t)), 1u) << t;
  EXPECT_EQ(final_case.urgency(), v1::URGENT);

  v1::ListConsultationsRequest list_log;
  list_log.set_parent(opened.name());
  list_log.set_page_size(100);
  v1::ListConsultationsResponse log;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Stub("coordinator")->ListConsultations(&context, list_log, &log).ok());
  }
  std::set<std::string> names, summaries;
  for (const auto& entry : log.entries()) {
    names.insert(entry.name());
    summaries.insert(entry.summary());
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kLoggers * kEntriesEach));
  EXPECT_EQ(summaries.size(), static_cast<size_t>(kLoggers * kEntriesEach));
  std::cout << "stale-etag retries: " << aborted.load() << "\n";
}

}  // namespace
}  // namespace casecoord
