// The registry of users: who may call, with which roles, for which agency.
//
// Every user is held in memory too (a city has hundreds, not millions), so that authenticating a
// call costs no storage read. Changes are prepared into a WriteBatch that the caller commits
// together with the audit entry; Publish() then updates the in-memory copy. Writers are serialised
// by LockForWrite() so that etag checks and commits cannot interleave.
//
// Separation of duties: an account holding ADMIN holds no role that reads case content
// (COORDINATOR, AGENCY_STAFF, ADVISER) and not AUDITOR, who reviews what admins did. The registry
// refuses to create or update such an account (INVALID_ARGUMENT "roles", reason
// SEPARATION_OF_DUTIES), and an account stored that way by an older version acts as ADMIN only.
// The last active auditor cannot be disabled or lose the role (FAILED_PRECONDITION LAST_AUDITOR),
// so that someone can always read the trail.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "services/auth/policy.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::auth {

class UserRegistry {
 public:
  static Result<std::unique_ptr<UserRegistry>> Open(storage::Storage& storage,
                                                    const Clock& clock = SystemClock::Instance());

  // The caller for an ACTIVE user; nullopt for unknown or disabled users.
  std::optional<Caller> FindActive(const std::string& user_id) const;
  std::optional<v1::User> Find(const std::string& user_id) const;

  // Users in id order after `after_user_id`; `more` says whether others follow.
  std::vector<v1::User> List(const std::string& after_user_id, int limit, bool* more) const;

  // Serialises writers from preparation until the batch is committed and published.
  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // Validates and prepares a new user (ALREADY_EXISTS, INVALID_ARGUMENT naming the field).
  Result<v1::User> PrepareCreate(const std::string& user_id, const v1::User& user,
                                 storage::WriteBatch* batch) const;
  // Applies `mask` paths of `patch` to the stored user named by patch.name() (NOT_FOUND, ABORTED on
  // a stale etag, INVALID_ARGUMENT naming the field, FAILED_PRECONDITION LAST_AUDITOR).
  Result<v1::User> PrepareUpdate(const v1::User& patch, const v1::FieldMask& mask,
                                 storage::WriteBatch* batch) const;
  // Makes a committed user visible to FindActive().
  void Publish(const v1::User& user);

  static Result<std::string> ParseUserName(const std::string& name, const char* field);

 private:
  explicit UserRegistry(const Clock& clock) : clock_(clock) {}
  Status Validate(const v1::User& user, const char* prefix) const;
  // Whether no ACTIVE user but `user_id` holds AUDITOR (without conflicting roles).
  bool IsLastActiveAuditor(const std::string& user_id) const;
  void Stamp(v1::User* user) const;

  const Clock& clock_;
  std::mutex write_mutex_;
  mutable std::shared_mutex users_mutex_;
  std::map<std::string, v1::User> users_;
};

}  // namespace casecoord::auth
