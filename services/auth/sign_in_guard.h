// Lockout after repeated sign-in failures (issue 17): max_failures failed sign-ins in a row lock a
// user id for lock_duration; the lock ends by itself at its time, on a success it never reaches
// (a locked user id cannot sign in), or when an administrator unlocks it.
//
// The tracker counts failures for any user id it is given, existing or not, so that an unknown user
// is treated like a known one. Its table is bounded (max_entries): when a new user id arrives at
// the bound, the entry least recently failed that is not locked is dropped; only when every entry
// is locked does the least recently failed locked one go. A flood of random names thus costs a
// bounded amount of memory and cannot unlock anyone while unlocked entries remain.
//
// State is in memory: a restart clears counts and locks (as with sessions; a restart is rare and
// audited, and the failures before it remain in the audit trail).
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/clock.h"
#include "services/common/thread_annotations.h"

namespace casecoord::auth {

enum class LockState {
  kNotLocked,      // counted; the user id is not locked
  kLockedNow,      // this failure reached max_failures and locked the user id (audit it)
  kAlreadyLocked,  // the user id was locked already; the lock is not extended
};

class FailureTracker {
 public:
  struct Options {
    int max_failures = 5;
    std::chrono::seconds lock_duration = std::chrono::minutes(15);
    size_t max_entries = 10000;
  };

  // `clock` must outlive the tracker.
  FailureTracker(const Clock& clock, Options options);
  FailureTracker(const FailureTracker&) = delete;
  FailureTracker& operator=(const FailureTracker&) = delete;

  // Whether `user_id` is locked now. A lock ends at its time: at exactly LockedUntil() it is over.
  bool Locked(std::string_view user_id) const;

  // Counts a failed sign-in of `user_id` (wrong password or code, or an unknown user).
  LockState RecordFailure(std::string_view user_id);

  // A successful sign-in: forgets the failures of `user_id`.
  void RecordSuccess(std::string_view user_id);

  // Ends a lock of `user_id` and forgets its failures. True if it was locked.
  bool Unlock(std::string_view user_id);

  // When the lock of `user_id` ends; nullopt if it is not locked.
  std::optional<std::chrono::system_clock::time_point> LockedUntil(std::string_view user_id) const;

  // User ids tracked (with failures or a lock, possibly expired).
  size_t size() const;

 private:
  struct Entry {
    int failures = 0;
    std::optional<std::chrono::system_clock::time_point> locked_until;
    std::list<std::string>::iterator recency;  // position in by_recency_
  };

  bool LockActive(const Entry& entry, std::chrono::system_clock::time_point now) const;
  void MakeRoomLocked(std::chrono::system_clock::time_point now) CASECOORD_REQUIRES(mutex_);
  void EraseLocked(std::map<std::string, Entry, std::less<>>::iterator entry)
      CASECOORD_REQUIRES(mutex_);

  const Clock& clock_;
  const Options options_;

  mutable Mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_ CASECOORD_GUARDED_BY(mutex_);
  // User ids, least recently failed first.
  std::list<std::string> by_recency_ CASECOORD_GUARDED_BY(mutex_);
};

}  // namespace casecoord::auth
