#include "services/common/handoff_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <shared_mutex>
#include <thread>

namespace casecoord {
namespace {

using std::chrono::milliseconds;

// Whether `task` is still blocked after a short while (it is given time to get past the lock).
bool StillWaiting(std::future<void>& task) {
  return task.wait_for(milliseconds(50)) == std::future_status::timeout;
}

TEST(HandoffLockTest, AMutexTakenOnOneThreadIsReleasedOnAnother) {
  HandoffMutex mutex;
  std::unique_lock<HandoffMutex> held(mutex);
  std::atomic<bool> entered{false};
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock<HandoffMutex> lock(mutex);
    entered = true;
  });
  EXPECT_TRUE(StillWaiting(waiter));
  EXPECT_FALSE(entered);
  // The holder hands the lock to another thread, which releases it.
  std::thread([lock = std::move(held)]() mutable { lock.unlock(); }).join();
  waiter.get();
  EXPECT_TRUE(entered);
}

TEST(HandoffLockTest, SharedAndExclusiveHoldersExcludeEachOtherWhoeverReleases) {
  HandoffSharedMutex mutex;
  std::shared_lock<HandoffSharedMutex> first(mutex);
  std::shared_lock<HandoffSharedMutex> second(mutex);  // shared holders coexist
  auto exclusive =
      std::async(std::launch::async, [&] { std::unique_lock<HandoffSharedMutex> lock(mutex); });
  EXPECT_TRUE(StillWaiting(exclusive));
  // A waiting exclusive holder keeps new shared holders out, so it cannot be starved.
  auto late_reader =
      std::async(std::launch::async, [&] { std::shared_lock<HandoffSharedMutex> lock(mutex); });
  EXPECT_TRUE(StillWaiting(late_reader));
  std::thread([lock = std::move(first)]() mutable { lock.unlock(); }).join();
  EXPECT_TRUE(StillWaiting(exclusive));  // one shared holder remains
  std::thread([lock = std::move(second)]() mutable { lock.unlock(); }).join();
  exclusive.get();
  late_reader.get();
}

TEST(HandoffLockTest, ManyThreadsNeverOverlapInsideTheExclusiveSection) {
  HandoffSharedMutex mutex;
  int inside = 0;
  int overlaps = 0;
  int64_t total = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if ((i + t) % 4 == 0) {
          std::unique_lock<HandoffSharedMutex> lock(mutex);
          if (++inside != 1) ++overlaps;
          ++total;
          --inside;
        } else {
          std::shared_lock<HandoffSharedMutex> lock(mutex);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(total, 8 * 2000 / 4);
}

}  // namespace
}  // namespace casecoord
