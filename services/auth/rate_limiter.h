// Per-user token buckets, so that one runaway client cannot starve the others.
//
// Each user has a bucket of `burst` tokens refilled at `per_second`; a call takes one token or is
// refused (RESOURCE_EXHAUSTED with a retry delay). Thread safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "services/common/clock.h"

namespace casecoord::auth {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, const Clock& clock = SystemClock::Instance());

  // True if `user_id` may make a call now (and takes the token).
  bool TryAcquire(const std::string& user_id);

 private:
  struct Bucket {
    double tokens;
    std::chrono::system_clock::time_point refilled;
  };
  const double per_second_;
  const double burst_;
  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace casecoord::auth
