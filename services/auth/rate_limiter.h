// Per-user token buckets, so that one runaway client cannot starve the others.
//
// Each user has a bucket of `burst` tokens refilled at `per_second`; a call takes its cost in
// tokens (1 for most, more for expensive ones: MethodRule::cost) or is refused (RESOURCE_EXHAUSTED
// with a retry delay). Work whose cost is known only once it is done is charged afterwards
// (Charge), which can leave the bucket in debt. Thread safe.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

#include "services/common/clock.h"
#include "services/common/thread_annotations.h"

namespace casecoord::auth {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, const Clock& clock = SystemClock::Instance());

  // True if `user_id` may make a call costing `cost` tokens now (and takes them). A cost above the
  // burst is charged as the whole burst, so that such a call is possible at all.
  bool TryAcquire(const std::string& user_id, int cost = 1) CASECOORD_EXCLUDES(mutex_);
  // The same; when refused, `*retry_after` is how long until the bucket can pay `cost` (at least
  // 1 ms), if no one else spends from it meanwhile.
  bool TryAcquire(const std::string& user_id, int cost, std::chrono::milliseconds* retry_after)
      CASECOORD_EXCLUDES(mutex_);

  // Takes `tokens` (> 0) more from `user_id`'s bucket after the fact, whether or not it holds
  // them. Below zero the user is in debt: every call is refused until the refill has paid it back,
  // so over time a user spends no more than `per_second`, however costly a single call was. The
  // debt stops at a minute's refill, so that one long call (a chain verification, a recount)
  // locks its user out for at most about a minute.
  void Charge(const std::string& user_id, double tokens) CASECOORD_EXCLUDES(mutex_);

 private:
  struct Bucket {
    double tokens;
    std::chrono::system_clock::time_point refilled;
  };
  // The bucket of `user_id`, refilled up to `now`.
  Bucket& Refilled(const std::string& user_id, std::chrono::system_clock::time_point now)
      CASECOORD_REQUIRES(mutex_);

  const double per_second_;
  const double burst_;
  const Clock& clock_;
  Mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_ CASECOORD_GUARDED_BY(mutex_);
};

}  // namespace casecoord::auth
