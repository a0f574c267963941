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

#include "services/common/thread_annotations.h"

namespace casecoord {

// The capability annotations tell callers' analysis what lock() and unlock() do; the bodies are
// checked against the internal mutex, which guards the state.
class CASECOORD_CAPABILITY("mutex") HandoffMutex {
 public:
  void lock() CASECOORD_ACQUIRE() {
    MutexLock guard(mutex_);
    guard.Wait(released_, [this] {
      mutex_.AssertHeld();
      return !held_;
    });
    held_ = true;
  }
  void unlock() CASECOORD_RELEASE() {
    {
      MutexLock guard(mutex_);
      held_ = false;
    }
    released_.notify_one();
  }

 private:
  Mutex mutex_;
  std::condition_variable released_;
  bool held_ CASECOORD_GUARDED_BY(mutex_) = false;
};

// Shared by many holders or exclusive to one. A waiting exclusive holder blocks new shared ones,
// so that a steady stream of shared holders cannot starve it.
class CASECOORD_CAPABILITY("mutex") HandoffSharedMutex {
 public:
  void lock() CASECOORD_ACQUIRE() {
    MutexLock guard(mutex_);
    ++exclusive_waiting_;
    guard.Wait(released_, [this] {
      mutex_.AssertHeld();
      return !exclusive_ && shared_ == 0;
    });
    --exclusive_waiting_;
    exclusive_ = true;
  }
  void unlock() CASECOORD_RELEASE() {
    {
      MutexLock guard(mutex_);
      exclusive_ = false;
    }
    released_.notify_all();
  }
  void lock_shared() CASECOORD_ACQUIRE_SHARED() {
    MutexLock guard(mutex_);
    guard.Wait(released_, [this] {
      mutex_.AssertHeld();
      return !exclusive_ && exclusive_waiting_ == 0;
    });
    ++shared_;
  }
  void unlock_shared() CASECOORD_RELEASE_SHARED() {
    bool last = false;
    {
      MutexLock guard(mutex_);
      last = --shared_ == 0;
    }
    if (last) released_.notify_all();
  }

 private:
  Mutex mutex_;
  std::condition_variable released_;
  int shared_ CASECOORD_GUARDED_BY(mutex_) = 0;
  int exclusive_waiting_ CASECOORD_GUARDED_BY(mutex_) = 0;
  bool exclusive_ CASECOORD_GUARDED_BY(mutex_) = false;
};

}  // namespace casecoord
