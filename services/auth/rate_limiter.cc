#include "services/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace casecoord::auth {

RateLimiter::RateLimiter(double per_second, double burst, const Clock& clock)
    : per_second_(per_second), burst_(burst), clock_(clock) {}

RateLimiter::Bucket& RateLimiter::Refilled(const std::string& user_id,
                                           std::chrono::system_clock::time_point now) {
  auto [it, inserted] = buckets_.try_emplace(user_id, Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.refilled = now;
  }
  return bucket;
}

bool RateLimiter::TryAcquire(const std::string& user_id, int cost) {
  std::chrono::milliseconds unused;
  return TryAcquire(user_id, cost, &unused);
}

bool RateLimiter::TryAcquire(const std::string& user_id, int cost,
                             std::chrono::milliseconds* retry_after) {
  const double tokens = std::min(burst_, static_cast<double>(std::max(cost, 1)));
  const auto now = clock_.Now();
  MutexLock lock(mutex_);
  Bucket& bucket = Refilled(user_id, now);
  if (bucket.tokens < tokens) {
    const double milliseconds = (tokens - bucket.tokens) / per_second_ * 1000;
    // Rounded up, less a rounding error of the division: 0.2 s is 200 ms, not 201.
    *retry_after = std::chrono::milliseconds(
        std::max<int64_t>(1, static_cast<int64_t>(std::ceil(milliseconds - 1e-6))));
    return false;
  }
  bucket.tokens -= tokens;
  return true;
}

void RateLimiter::Charge(const std::string& user_id, double tokens) {
  if (!(tokens > 0)) return;
  const auto now = clock_.Now();
  MutexLock lock(mutex_);
  Bucket& bucket = Refilled(user_id, now);
  bucket.tokens = std::max(-60 * per_second_, bucket.tokens - tokens);
}

}  // namespace casecoord::auth
