// Locks that may be released on a thread other than the one that took them.
//
// A write holds its locks from preparation, on a worker, until its batch is durable. With a
// std::mutex the worker must wait for the fsync so that it can unlock (unlocking on another thread
// is undefined behaviour), which caps the writes sharing one fsync at the number of workers. With
// these, the worker goes back to the pool and the audit committer releases the locks once the
// group is durable (see auth::Call::HoldUntilCommitted).
//
// Both meet the standard Lockable requirements, so std::unique_lock and std::shared_lock work with
// them; neither is recursive, and neither checks who releases it. Waiting is on a condition
// variable, so they suit locks held for milliseconds, not spin-length critical sections.
#pragma once

#include <condition_variable>
#include <mutex>

namespace casecoord {

class HandoffMutex {
 public:
  void lock() {
    std::unique_lock<std::mutex> guard(mutex_);
    released_.wait(guard, [this] { return !held_; });
    held_ = true;
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      held_ = false;
    }
    released_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
};

// Shared by many holders or exclusive to one. A waiting exclusive holder blocks new shared ones,
// so that a steady stream of shared holders cannot starve it.
class HandoffSharedMutex {
 public:
  void lock() {
    std::unique_lock<std::mutex> guard(mutex_);
    ++exclusive_waiting_;
    released_.wait(guard, [this] { return !exclusive_ && shared_ == 0; });
    --exclusive_waiting_;
    exclusive_ = true;
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      exclusive_ = false;
    }
    released_.notify_all();
  }
  void lock_shared() {
    std::unique_lock<std::mutex> guard(mutex_);
    released_.wait(guard, [this] { return !exclusive_ && exclusive_waiting_ == 0; });
    ++shared_;
  }
  void unlock_shared() {
    bool last = false;
    {
      std::lock_guard<std::mutex> guard(mutex_);
      last = --shared_ == 0;
    }
    if (last) released_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  int shared_ = 0;
  int exclusive_waiting_ = 0;
  bool exclusive_ = false;
};

}  // namespace casecoord
