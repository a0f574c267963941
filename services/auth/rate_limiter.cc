#include "services/auth/rate_limiter.h"

#include <algorithm>

namespace casecoord::auth {

RateLimiter::RateLimiter(double per_second, double burst, const Clock& clock)
    : per_second_(per_second), burst_(burst), clock_(clock) {}

bool RateLimiter::TryAcquire(const std::string& user_id, int cost) {
  const double tokens = std::min(burst_, static_cast<double>(std::max(cost, 1)));
  const auto now = clock_.Now();
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, inserted] = buckets_.try_emplace(user_id, Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed = std::chrono::duration<double>(now - bucket.refilled).count();
  if (elapsed > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
    bucket.refilled = now;
  }
  if (bucket.tokens < tokens) return false;
  bucket.tokens -= tokens;
  return true;
}

}  // namespace casecoord::auth
