#include "services/monitoring/due_watcher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "services/common/fiscal_year.h"
#include "services/worklist/due_index.h"
#include "tests/support/temp_dir.h"

namespace casecoord::monitoring {
namespace {

using Names = std::vector<std::string>;

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

v1::DueItem Item(const std::string& subject, const v1::Date& due) {
  v1::DueItem item;
  item.set_kind(v1::CHECK_DUE);
  item.set_subject(subject);
  item.set_case_("cases/1");
  *item.mutable_due_date() = due;
  return item;
}

Names Subjects(const std::vector<v1::DueItem>& items) {
  Names out;
  for (const auto& item : items) out.push_back(item.subject());
  return out;
}

TEST(SentItemsTest, SendsEachItemOnceUntilItsDateChangesOrItLeavesAndComesBack) {
  SentItems sent;
  const auto a = Item("cases/1/monitoring", Day(2026, 11, 1));
  const auto b = Item("meetings/2#r1", Day(2026, 11, 2));
  EXPECT_EQ(Subjects(sent.Update({a})), Names{"cases/1/monitoring"});
  EXPECT_EQ(Subjects(sent.Update({a, b})), Names{"meetings/2#r1"});
  EXPECT_TRUE(sent.Update({a, b}).empty());
  const auto a_moved = Item("cases/1/monitoring", Day(2026, 11, 3));
  EXPECT_EQ(Subjects(sent.Update({b, a_moved})), Names{"cases/1/monitoring"});
  EXPECT_TRUE(sent.Update({b}).empty());  // a was checked: it left the list
  EXPECT_EQ(Subjects(sent.Update({b, a_moved})), Names{"cases/1/monitoring"});
}

// Records what the watcher offers; ends after `end_after` offers if positive.
class Recorder final : public DueWatcher::Subscriber {
 public:
  explicit Recorder(int end_after = 0) : end_after_(end_after) {}

  bool Offer(const std::vector<v1::DueItem>& due_now) override {
    std::lock_guard<std::mutex> lock(mutex_);
    offers_.push_back(due_now);
    changed_.notify_all();
    return end_after_ <= 0 || static_cast<int>(offers_.size()) < end_after_;
  }
  void Stopped() override {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }

  // Waits (at most 30 s) for an offer after the first `seen` that satisfies `wanted`.
  bool WaitFor(size_t seen, const std::function<bool(const std::vector<v1::DueItem>&)>& wanted) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] {
      for (size_t i = seen; i < offers_.size(); ++i) {
        if (wanted(offers_[i])) return true;
      }
      return false;
    });
  }
  size_t offers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return offers_.size();
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }

 private:
  const int end_after_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<v1::DueItem>> offers_;
  bool stopped_ = false;
};

class DueWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    // Encrypted, as the server's always is.
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
  }

  void SetDue(const v1::DueItem& item, const std::vector<std::string>& owners) {
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(worklist::PrepareSetDue(*storage_, item, owners, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  testing::TempDir dir_;
  // 2026-11-22 23:00 JST.
  ManualClock clock_{*JstMidnight(2026, 11, 22) + std::chrono::hours(23)};
  std::unique_ptr<storage::Storage> storage_;
};

TEST_F(DueWatcherTest, OffersTheOwnersItemsDueNowAsTheClockMoves) {
  SetDue(Item("cases/1/monitoring", Day(2026, 11, 20)), {"users/c1", "agencies/a1"});
  SetDue(Item("cases/2/monitoring", Day(2026, 11, 23)), {"users/c1"});
  SetDue(Item("cases/3/monitoring", Day(2026, 11, 21)), {"users/c2"});
  DueWatcher watcher(*storage_, clock_, {std::chrono::milliseconds(10)});
  auto due = watcher.DueNow("users/c1");
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(Subjects(*due), Names{"cases/1/monitoring"});

  auto recorder = std::make_shared<Recorder>();
  ASSERT_TRUE(watcher.Add("users/c1", recorder));
  ASSERT_TRUE(recorder->WaitFor(
      0, [](const auto& offered) { return Subjects(offered) == Names{"cases/1/monitoring"}; }));
  // Midnight passes: the second falls due.
  const size_t seen = recorder->offers();
  clock_.Advance(std::chrono::hours(1));
  EXPECT_TRUE(recorder->WaitFor(seen, [](const auto& offered) {
    return Subjects(offered) == Names{"cases/1/monitoring", "cases/2/monitoring"};
  }));

  watcher.Stop();
  EXPECT_TRUE(recorder->stopped());
  EXPECT_FALSE(watcher.Add("users/c1", std::make_shared<Recorder>()));
  watcher.Stop();  // idempotent
}

TEST_F(DueWatcherTest, ASubscriberThatEndedIsForgottenAndOthersGoOn) {
  DueWatcher watcher(*storage_, clock_, {std::chrono::milliseconds(10)});
  auto ending = std::make_shared<Recorder>(/*end_after=*/1);
  auto staying = std::make_shared<Recorder>();
  ASSERT_TRUE(watcher.Add("users/c1", ending));
  ASSERT_TRUE(watcher.Add("users/c1", staying));
  ASSERT_TRUE(staying->WaitFor(0, [](const auto&) { return true; }));
  const size_t seen = staying->offers();
  ASSERT_TRUE(staying->WaitFor(seen, [](const auto&) { return true; }));
  EXPECT_EQ(ending->offers(), 1u);
  EXPECT_EQ(watcher.subscriber_count(), 1u);
  watcher.Stop();
  EXPECT_FALSE(ending->stopped());
  EXPECT_TRUE(staying->stopped());
  EXPECT_EQ(watcher.subscriber_count(), 0u);
}

TEST_F(DueWatcherTest, FollowsAtMostTheSoonestItems) {
  for (int i = 1; i <= 5; ++i) {
    SetDue(Item("cases/" + std::to_string(i) + "/monitoring", Day(2026, 11, i)), {"users/c1"});
  }
  DueWatcherOptions options;
  options.max_items = 3;
  DueWatcher watcher(*storage_, clock_, options);
  auto due = watcher.DueNow("users/c1");
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(Subjects(*due),
            (Names{"cases/1/monitoring", "cases/2/monitoring", "cases/3/monitoring"}));
}

}  // namespace
}  // namespace casecoord::monitoring
