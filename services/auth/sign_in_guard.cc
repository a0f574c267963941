#include "services/auth/sign_in_guard.h"

#include <algorithm>
#include <iterator>

namespace casecoord::auth {

FailureTracker::FailureTracker(const Clock& clock, Options options)
    : clock_(clock), options_(options) {}

bool FailureTracker::Locked(std::string_view user_id) const {
  return LockedUntil(user_id).has_value();
}

std::optional<std::chrono::system_clock::time_point> FailureTracker::LockedUntil(
    std::string_view user_id) const {
  const auto now = clock_.Now();
  MutexLock lock(mutex_);
  auto found = entries_.find(user_id);
  if (found == entries_.end() || !LockActive(found->second, now)) return std::nullopt;
  return found->second.locked_until;
}

LockState FailureTracker::RecordFailure(std::string_view user_id) {
  const auto now = clock_.Now();
  MutexLock lock(mutex_);
  auto found = entries_.find(user_id);
  if (found == entries_.end()) {
    MakeRoomLocked(now);
    by_recency_.emplace_back(user_id);
    found =
        entries_.emplace(std::string(user_id), Entry{0, std::nullopt, std::prev(by_recency_.end())})
            .first;
  } else {
    by_recency_.splice(by_recency_.end(), by_recency_, found->second.recency);
  }
  Entry& entry = found->second;
  if (LockActive(entry, now)) return LockState::kAlreadyLocked;
  if (entry.locked_until) {
    // The previous lock has run out: counting starts again.
    entry.locked_until.reset();
    entry.failures = 0;
  }
  if (++entry.failures < std::max(options_.max_failures, 1)) return LockState::kNotLocked;
  entry.locked_until = now + options_.lock_duration;
  return LockState::kLockedNow;
}

void FailureTracker::RecordSuccess(std::string_view user_id) {
  MutexLock lock(mutex_);
  auto found = entries_.find(user_id);
  if (found != entries_.end()) EraseLocked(found);
}

bool FailureTracker::Unlock(std::string_view user_id) {
  const auto now = clock_.Now();
  MutexLock lock(mutex_);
  auto found = entries_.find(user_id);
  if (found == entries_.end()) return false;
  const bool was_locked = LockActive(found->second, now);
  EraseLocked(found);
  return was_locked;
}

size_t FailureTracker::size() const {
  MutexLock lock(mutex_);
  return entries_.size();
}

bool FailureTracker::LockActive(const Entry& entry,
                                std::chrono::system_clock::time_point now) const {
  return entry.locked_until.has_value() && now < *entry.locked_until;
}

void FailureTracker::MakeRoomLocked(std::chrono::system_clock::time_point now) {
  const size_t bound = std::max<size_t>(options_.max_entries, 1);
  while (entries_.size() >= bound) {
    // The least recently failed entry without an active lock; failing that, the least recently
    // failed of all.
    auto victim = by_recency_.begin();
    for (auto it = by_recency_.begin(); it != by_recency_.end(); ++it) {
      if (!LockActive(entries_.find(*it)->second, now)) {
        victim = it;
        break;
      }
    }
    EraseLocked(entries_.find(*victim));
  }
}

void FailureTracker::EraseLocked(std::map<std::string, Entry, std::less<>>::iterator entry) {
  by_recency_.erase(entry->second.recency);
  entries_.erase(entry);
}

}  // namespace casecoord::auth
