#include "services/worklist/due_index.h"

#include <gtest/gtest.h>

#include <set>

#include "services/common/fiscal_year.h"
#include "tests/support/temp_dir.h"

namespace casecoord::worklist {
namespace {

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

class DueIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    storage_ = std::move(storage::Storage::Open(options)).value();
  }

  void SetDue(const std::string& subject, const v1::Date* due,
              const std::vector<std::string>& owners) {
    v1::DueItem item;
    item.set_kind(v1::CHECK_DUE);
    item.set_subject(subject);
    item.set_case_("cases/1");
    if (due != nullptr) *item.mutable_due_date() = *due;
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(PrepareSetDue(*storage_, item, owners, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  std::vector<std::string> Subjects(const std::string& owner, const v1::Date& due_by,
                                    int limit = 100, std::string* next = nullptr,
                                    const std::string& after = "") {
    auto page = ListDue(*storage_, owner, due_by, Day(2026, 11, 22), after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    for (const auto& item : page->items) {
      out.push_back(item.subject() + (item.overdue() ? "!" : ""));
    }
    if (next != nullptr) *next = page->next_after;
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
};

TEST_F(DueIndexTest, ListsAnOwnersItemsSoonestFirstUpToTheDayAndFlagsOverdue) {
  const v1::Date early = Day(2026, 11, 1), today = Day(2026, 11, 22), later = Day(2026, 12, 24);
  SetDue("cases/1/monitoring", &later, {"users/c1", "agencies/a1"});
  SetDue("meetings/1#r1", &early, {"agencies/a1", "users/c1"});
  SetDue("cases/2/plans/1", &today, {"users/c1"});
  SetDue("cases/9/monitoring", &early, {"users/other"});
  using Names = std::vector<std::string>;
  EXPECT_EQ(Subjects("users/c1", Day(2027, 1, 1)),
            (Names{"meetings/1#r1!", "cases/2/plans/1", "cases/1/monitoring"}));
  EXPECT_EQ(Subjects("users/c1", today), (Names{"meetings/1#r1!", "cases/2/plans/1"}));
  EXPECT_EQ(Subjects("agencies/a1", Day(2027, 1, 1)),
            (Names{"meetings/1#r1!", "cases/1/monitoring"}));
  EXPECT_TRUE(Subjects("agencies/a2", Day(2027, 1, 1)).empty());
}

TEST_F(DueIndexTest, ANewDueDateOrOwnerReplacesTheOldEntriesAndClearingRemovesThem) {
  const v1::Date first = Day(2026, 11, 10), second = Day(2026, 12, 10);
  SetDue("cases/1/monitoring", &first, {"users/c1", "agencies/a1"});
  SetDue("cases/1/monitoring", &second, {"users/c2"});
  using Names = std::vector<std::string>;
  EXPECT_TRUE(Subjects("users/c1", Day(2027, 1, 1)).empty());
  EXPECT_TRUE(Subjects("agencies/a1", Day(2027, 1, 1)).empty());
  EXPECT_EQ(Subjects("users/c2", Day(2027, 1, 1)), Names{"cases/1/monitoring"});
  SetDue("cases/1/monitoring", nullptr, {"users/c2"});  // no more dates
  EXPECT_TRUE(Subjects("users/c2", Day(2027, 1, 1)).empty());
  SetDue("cases/1/monitoring", &first, {"users/c2"});
  storage::WriteBatch clear(*storage_);
  ASSERT_TRUE(PrepareClearDue(*storage_, "cases/1/monitoring", &clear).ok());
  ASSERT_TRUE(storage_->Commit(clear).ok());
  EXPECT_TRUE(Subjects("users/c2", Day(2027, 1, 1)).empty());
}

TEST_F(DueIndexTest, PagesCoverEveryItemOnce) {
  for (int i = 1; i <= 25; ++i) {
    const v1::Date due = Day(2026, 12, 1 + i % 7);
    SetDue("cases/" + std::to_string(i) + "/monitoring", &due, {"users/c1"});
  }
  std::vector<std::string> all;
  std::string after;
  int pages = 0;
  do {
    std::string next;
    auto page = Subjects("users/c1", Day(2027, 1, 1), 10, &next, after);
    all.insert(all.end(), page.begin(), page.end());
    after = next;
    ++pages;
  } while (!after.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(all.size(), 25u);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 25u);
}

TEST_F(DueIndexTest, RefusesItemsWithoutASubjectOrWithAnImpossibleDate) {
  v1::DueItem item;
  storage::WriteBatch batch(*storage_);
  EXPECT_EQ(PrepareSetDue(*storage_, item, {"users/c1"}, &batch).code(),
            StatusCode::kInvalidArgument);
  item.set_subject("cases/1/monitoring");
  *item.mutable_due_date() = Day(2026, 2, 30);
  EXPECT_EQ(PrepareSetDue(*storage_, item, {"users/c1"}, &batch).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(batch.count(), 0u);
}

TEST(DueDatesTest, TodayIsTheJstDayAndDaysMoveAcrossMonthsYearsAndLeapDays) {
  // 2026-11-22 23:30 UTC is already the 23rd in Japan.
  const auto late_utc = std::chrono::sys_days(std::chrono::year(2026) / 11 / 22) +
                        std::chrono::hours(23) + std::chrono::minutes(30);
  EXPECT_EQ(DayNumber(JstDateOf(late_utc)), 20261123);
  EXPECT_EQ(DayNumber(AddDays(Day(2026, 11, 22), 14)), 20261206);
  EXPECT_EQ(DayNumber(AddDays(Day(2026, 12, 25), 10)), 20270104);
  EXPECT_EQ(DayNumber(AddDays(Day(2028, 2, 28), 1)), 20280229);
  EXPECT_EQ(DayNumber(AddDays(Day(2027, 3, 1), -1)), 20270228);
  EXPECT_EQ(DayNumber(AddDays(Day(2026, 1, 1), 366)), 20270102);
}

}  // namespace
}  // namespace casecoord::worklist
