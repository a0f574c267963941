// Break-glass: a user opens a record outside their normal scope, with a stated reason, for a
// limited time — agency staff and advisers a case, meeting or dispatch they are not on (at night,
// on a home visit, when the household is in danger), coordinators another coordinator's work list.
// Grants are stored (for review) and consulted by record-level access checks.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "services/auth/policy.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::auth {

inline constexpr size_t kMaxReasonCharacters = 500;

class EmergencyAccessStore {
 public:
  static Result<std::unique_ptr<EmergencyAccessStore>> Open(storage::Storage& storage,
                                                            std::chrono::minutes duration,
                                                            const Clock& clock);

  // OK if `caller` may ask for a grant on `resource` with `reason`: `resource` names one record,
  // "cases/{n}", "meetings/{n}", "dispatches/{n}", or (coordinators only) "users/{id}" for a work
  // list, and the reason is given (at most kMaxReasonCharacters). INVALID_ARGUMENT otherwise.
  static Status ValidateGrant(const Caller& caller, const std::string& resource,
                              const std::string& reason);

  // Validates (ValidateGrant) and prepares a grant for `caller` on `resource` into `batch`. The
  // caller has checked that the record exists (a grant on nothing is refused NOT_FOUND there).
  Result<v1::EmergencyAccess> PrepareGrant(const Caller& caller, const std::string& resource,
                                           const std::string& reason, storage::WriteBatch* batch);

  // The caller's unexpired grant on `resource`, if any.
  std::optional<v1::EmergencyAccess> ActiveGrant(const std::string& user_id,
                                                 const std::string& resource) const;

  // Grants newest first, below id `before_id` (0: from the newest).
  std::vector<v1::EmergencyAccess> List(uint64_t before_id, int limit, bool* more) const;

 private:
  EmergencyAccessStore(storage::Storage& storage, std::chrono::minutes duration, const Clock& clock)
      : storage_(storage), duration_(duration), clock_(clock) {}

  storage::Storage& storage_;
  const std::chrono::minutes duration_;
  const Clock& clock_;
  std::atomic<uint64_t> last_id_{0};
};

}  // namespace casecoord::auth
