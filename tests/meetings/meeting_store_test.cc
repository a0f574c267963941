#include "services/meetings/meeting_store.h"

#include <gtest/gtest.h>

#include "services/cases/case_counting.h"
#include "services/cases/case_store.h"
#include "services/common/fiscal_year.h"
#include "services/meetings/plan_store.h"
#include "services/storage/key_encoding.h"
#include "services/worklist/due_index.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::meetings {
namespace {

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

class MeetingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<directory::AgencyStore>(*storage_, *terms_, clock_);
    keys_ = std::make_unique<cases::CaseKeyring>(keyring_);
    cases_ = std::make_unique<cases::CaseStore>(*storage_, *agencies_, *terms_, *keys_, clock_);
    meetings_ = std::make_unique<MeetingStore>(*storage_, *cases_, *keys_, clock_);
    plans_ = std::make_unique<PlanStore>(*storage_, *cases_, *meetings_, clock_);
    counting_ = std::make_unique<cases::CaseCounting>(*storage_);
    counting_->AddRecounter([this] { return meetings_->RecountCounters(); });
    v1::Agency agency;
    agency.set_display_name("架空市北第一地域包括支援センター");
    agency.set_kana("カクウシキタダイイチ");
    agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(agencies_->PrepareCreate("kita-1", agency, &batch).ok());
    Commit(batch);
    v1::Case input;
    auto* member = input.add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 四郎");
    input.add_household_issue_tags("8050");
    input.set_district("kita");
    input.set_referring_agency("agencies/kita-1");
    input.set_presenting_problem("相談");
    // Received before the meetings the tests hold (nothing on a case may precede its intake).
    input.mutable_intake_date()->set_year(2026);
    input.mutable_intake_date()->set_month(1);
    input.mutable_intake_date()->set_day(5);
    storage::WriteBatch intake(*storage_);
    auto created = cases_->PrepareCreate("coordinator", "r1", input, &intake);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Commit(intake);
  }

  void Commit(storage::WriteBatch& batch) { ASSERT_TRUE(storage_->Commit(batch).ok()); }

  Result<v1::Meeting> Hold(v1::MeetingType type, const std::string& case_name,
                           const std::string& request_id, const v1::Date& held) {
    v1::Meeting input;
    input.set_type(type);
    input.set_case_(case_name);
    input.mutable_scheduled_time()->set_seconds(1);
    auto* participant = input.add_participants();
    participant->set_user("users/coordinator");
    participant->set_role(v1::FACILITATOR);
    storage::WriteBatch create(*storage_);
    auto meeting = meetings_->PrepareCreate("coordinator", request_id, input, &create);
    if (!meeting.ok()) return meeting.status();
    Commit(create);
    v1::RecordMinutesRequest minutes;
    minutes.set_name(meeting->name());
    *minutes.mutable_held_date() = held;
    auto* assignment = minutes.mutable_minutes()->add_assignments();
    assignment->set_agency("agencies/kita-1");
    assignment->set_action("訪問");
    *assignment->mutable_due_date() = Day(2026, 12, 1);
    storage::WriteBatch record(*storage_);
    auto recorded = meetings_->PrepareRecordMinutes("coordinator", minutes, &record);
    if (!recorded.ok()) return recorded.status();
    Commit(record);
    return recorded;
  }

  int64_t Count(int fiscal_year, const char* metric) {
    return *stats::ReadCounter(*storage_, {fiscal_year, metric, "", ""});
  }

  testing::TempDir dir_;
  ManualClock clock_{*JstMidnight(2026, 11, 22)};
  std::shared_ptr<storage::Keyring> keyring_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<cases::CaseKeyring> keys_;
  std::unique_ptr<cases::CaseStore> cases_;
  std::unique_ptr<cases::CaseCounting> counting_;
  std::unique_ptr<MeetingStore> meetings_;
  std::unique_ptr<PlanStore> plans_;
};

TEST_F(MeetingStoreTest, HeldMeetingsAreCountedByTypeAndFiscalYearOfTheDayHeld) {
  ASSERT_TRUE(Hold(v1::SUPPORT_MEETING, "cases/1", "a", Day(2026, 3, 31)).ok());  // FY2025
  ASSERT_TRUE(Hold(v1::MULTI_AGENCY_SUPPORT_MEETING, "cases/1", "b", Day(2026, 4, 1)).ok());
  ASSERT_TRUE(Hold(v1::CASE_REVIEW, "cases/1", "c", Day(2026, 5, 1)).ok());  // not counted
  ASSERT_TRUE(Hold(v1::ADVISER_MEETING, "cases/1", "d", Day(2026, 6, 1)).ok());
  ASSERT_TRUE(Hold(v1::ADVISER_MEETING, "", "e", Day(2026, 7, 1)).ok());
  EXPECT_EQ(Count(2025, stats::kCaseMeetings), 1);
  EXPECT_EQ(Count(2026, stats::kCaseMeetings), 1);
  EXPECT_EQ(Count(2026, stats::kAdviserMeetings), 2);
  EXPECT_EQ(*stats::ReadCounter(*storage_, {2026, stats::kCaseMeetings, stats::kDistrict, "kita"}),
            1);
  // A held meeting of the future is refused and counts nothing.
  EXPECT_EQ(Hold(v1::SUPPORT_MEETING, "cases/1", "f", Day(2026, 11, 23)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(2026, stats::kCaseMeetings), 1);
  // So is one held before the case was received (2026-01-05).
  EXPECT_TRUE(Hold(v1::SUPPORT_MEETING, "cases/1", "g", Day(2026, 1, 4))
                  .status()
                  .Is(Reason::kDatedBeforeIntake));
  EXPECT_EQ(Count(2025, stats::kCaseMeetings), 1);

  storage::WriteBatch rebuild(*storage_);
  auto checked = counting_->PrepareRebuildCounters(/*validate_only=*/true, &rebuild);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_TRUE(checked->differences.empty())
      << checked->differences.front().key.ToString() << " stored "
      << checked->differences.front().stored << " recomputed "
      << checked->differences.front().recomputed;
  EXPECT_EQ(rebuild.count(), 0u);
}

TEST_F(MeetingStoreTest, OpenAssignmentsAndThePlanReviewAreInTheWorkLists) {
  auto held = Hold(v1::SUPPORT_MEETING, "cases/1", "a", Day(2026, 11, 20));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  auto subjects = [&](const std::string& owner) {
    std::vector<std::string> out;
    auto page = worklist::ListDue(*storage_, owner, Day(2027, 12, 31), Day(2026, 11, 22), "", 100);
    EXPECT_TRUE(page.ok());
    for (const auto& item : page->items) out.push_back(item.subject());
    return out;
  };
  const std::string assignment = held->name() + "#r1";
  EXPECT_EQ(subjects("agencies/kita-1"), std::vector<std::string>{assignment});
  EXPECT_EQ(subjects("users/coordinator"), std::vector<std::string>{assignment});

  v1::SupportPlan plan;
  plan.add_goals()->set_goal("生活の安定");
  // A review due before the case was received (2026-01-05) is refused.
  *plan.mutable_next_review_date() = Day(2026, 1, 4);
  {
    storage::WriteBatch refused(*storage_);
    EXPECT_TRUE(plans_->PrepareCreateVersion("coordinator", "cases/1", plan, &refused)
                    .status()
                    .Is(Reason::kDatedBeforeIntake));
  }
  *plan.mutable_next_review_date() = Day(2027, 1, 15);
  storage::WriteBatch create(*storage_);
  auto created = plans_->PrepareCreateVersion("coordinator", "cases/1", plan, &create);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Commit(create);
  EXPECT_EQ(subjects("users/coordinator"), (std::vector<std::string>{assignment, "cases/1/plan"}));

  {
    // Ending the case takes its plan review off the list (the agency's assignment stays).
    storage::WriteBatch peek(*storage_);
    v1::TransitionCaseRequest end;
    end.set_name("cases/1");
    end.set_to(v1::COMPLETED_BY_ADVICE);
    ASSERT_TRUE(cases_->PrepareTransition("coordinator", end, &peek).ok());
    Commit(peek);
    EXPECT_EQ(subjects("users/coordinator"), std::vector<std::string>{assignment});
    EXPECT_EQ(subjects("agencies/kita-1"), std::vector<std::string>{assignment});
  }
  v1::UpdateAssignmentRequest done;
  done.set_meeting(held->name());
  done.set_assignment_id("r1");
  done.set_status(v1::DONE);
  storage::WriteBatch mark(*storage_);
  ASSERT_TRUE(meetings_->PrepareUpdateAssignment(done, &mark).ok());
  Commit(mark);
  EXPECT_TRUE(subjects("agencies/kita-1").empty());

  v1::ReviewPlanRequest review;
  review.set_name(created->name());
  review.mutable_review()->set_evaluation("安定");
  review.mutable_review()->set_decision(v1::CLOSE);
  storage::WriteBatch close(*storage_);
  ASSERT_TRUE(plans_->PrepareReview("coordinator", review, &close).ok());
  Commit(close);
  EXPECT_TRUE(subjects("users/coordinator").empty());
}

TEST_F(MeetingStoreTest, ContentIsSealedAndBoundToItsMeeting) {
  auto held = Hold(v1::SUPPORT_MEETING, "cases/1", "a", Day(2026, 11, 20));
  ASSERT_TRUE(held.ok());
  auto second = Hold(v1::SUPPORT_MEETING, "cases/1", "b", Day(2026, 11, 21));
  ASSERT_TRUE(second.ok());
  // Swap the stored values of the two meetings: neither opens.
  auto key = [](uint64_t id) {
    std::string k;
    storage::AppendString(&k, "meeting");
    storage::AppendUint64(&k, id);
    return k;
  };
  const std::string first_value = **storage_->Get(storage::ColumnFamily::kRecords, key(1));
  const std::string second_value = **storage_->Get(storage::ColumnFamily::kRecords, key(2));
  EXPECT_EQ(first_value.find("訪問"), std::string::npos);
  storage::WriteBatch swap(*storage_);
  swap.Put(storage::ColumnFamily::kRecords, key(1), second_value);
  swap.Put(storage::ColumnFamily::kRecords, key(2), first_value);
  Commit(swap);
  EXPECT_EQ(meetings_->Get("meetings/1").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(meetings_->Get("meetings/2").status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace casecoord::meetings
