#include "services/auth/sign_in_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace casecoord::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class FailureTrackerTest : public ::testing::Test {
 protected:
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 56))};
  FailureTracker tracker_{clock_, FailureTracker::Options{}};
};

TEST_F(FailureTrackerTest, FiveFailuresInARowLock) {
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kNotLocked) << i;
    EXPECT_FALSE(tracker_.Locked("tanaka")) << i;
  }
  const auto now = clock_.Now();
  EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kLockedNow);
  EXPECT_TRUE(tracker_.Locked("tanaka"));
  EXPECT_EQ(tracker_.LockedUntil("tanaka"), now + minutes(15));
  // The sixth attempt finds the account locked; failing again does not extend the lock.
  clock_.Advance(minutes(5));
  EXPECT_TRUE(tracker_.Locked("tanaka"));
  EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kAlreadyLocked);
  EXPECT_EQ(tracker_.LockedUntil("tanaka"), now + minutes(15));
  EXPECT_FALSE(tracker_.Locked("suzuki"));
  EXPECT_EQ(tracker_.LockedUntil("suzuki"), std::nullopt);
}

TEST_F(FailureTrackerTest, TheLockExpiresAtItsTimeAndCountingStartsAgain) {
  for (int i = 0; i < 5; ++i) (void)tracker_.RecordFailure("tanaka");
  clock_.Advance(minutes(15) - seconds(1));
  EXPECT_TRUE(tracker_.Locked("tanaka"));
  clock_.Advance(seconds(1));
  EXPECT_FALSE(tracker_.Locked("tanaka"));
  EXPECT_EQ(tracker_.LockedUntil("tanaka"), std::nullopt);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kNotLocked);
  EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kLockedNow);
}

TEST_F(FailureTrackerTest, SuccessResetsTheCount) {
  for (int i = 0; i < 4; ++i) (void)tracker_.RecordFailure("tanaka");
  tracker_.RecordSuccess("tanaka");
  EXPECT_EQ(tracker_.size(), 0u);
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kNotLocked);
  EXPECT_FALSE(tracker_.Locked("tanaka"));
  EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kLockedNow);
}

TEST_F(FailureTrackerTest, Unlock) {
  EXPECT_FALSE(tracker_.Unlock("tanaka"));
  for (int i = 0; i < 5; ++i) (void)tracker_.RecordFailure("tanaka");
  ASSERT_TRUE(tracker_.Locked("tanaka"));
  EXPECT_TRUE(tracker_.Unlock("tanaka"));
  EXPECT_FALSE(tracker_.Locked("tanaka"));
  EXPECT_FALSE(tracker_.Unlock("tanaka"));
  // Unlocking also forgets the failures: five more are needed to lock again.
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kNotLocked);
  EXPECT_EQ(tracker_.RecordFailure("tanaka"), LockState::kLockedNow);
}

TEST_F(FailureTrackerTest, OptionsAreHonoured) {
  FailureTracker tracker(clock_, FailureTracker::Options{3, minutes(1), 100});
  EXPECT_EQ(tracker.RecordFailure("tanaka"), LockState::kNotLocked);
  EXPECT_EQ(tracker.RecordFailure("tanaka"), LockState::kNotLocked);
  EXPECT_EQ(tracker.RecordFailure("tanaka"), LockState::kLockedNow);
  clock_.Advance(minutes(1));
  EXPECT_FALSE(tracker.Locked("tanaka"));
}

TEST_F(FailureTrackerTest, TheTableIsBoundedAndKeepsLocks) {
  FailureTracker tracker(clock_, FailureTracker::Options{5, minutes(15), 100});
  for (int i = 0; i < 5; ++i) (void)tracker.RecordFailure("tanaka");
  ASSERT_TRUE(tracker.Locked("tanaka"));
  (void)tracker.RecordFailure("suzuki");
  (void)tracker.RecordFailure("suzuki");
  // A flood of random names: the table stays at its bound, the lock of tanaka survives, and the
  // least recently failed unlocked entries (suzuki first) make room.
  for (int i = 0; i < 10000; ++i) {
    (void)tracker.RecordFailure("random-" + std::to_string(i));
    ASSERT_LE(tracker.size(), 100u);
  }
  EXPECT_EQ(tracker.size(), 100u);
  EXPECT_TRUE(tracker.Locked("tanaka"));
  for (int i = 1; i <= 4; ++i) EXPECT_EQ(tracker.RecordFailure("suzuki"), LockState::kNotLocked);
  // The most recent names are still counted.
  for (int i = 0; i < 4; ++i) (void)tracker.RecordFailure("random-9999");
  EXPECT_TRUE(tracker.Locked("random-9999"));
}

TEST_F(FailureTrackerTest, WhenEveryEntryIsLockedTheLeastRecentLockGoes) {
  FailureTracker tracker(clock_, FailureTracker::Options{1, minutes(15), 3});
  EXPECT_EQ(tracker.RecordFailure("a"), LockState::kLockedNow);
  EXPECT_EQ(tracker.RecordFailure("b"), LockState::kLockedNow);
  EXPECT_EQ(tracker.RecordFailure("c"), LockState::kLockedNow);
  EXPECT_EQ(tracker.RecordFailure("d"), LockState::kLockedNow);
  EXPECT_EQ(tracker.size(), 3u);
  EXPECT_FALSE(tracker.Locked("a"));
  EXPECT_TRUE(tracker.Locked("b"));
  EXPECT_TRUE(tracker.Locked("d"));
}

}  // namespace
}  // namespace casecoord::auth
