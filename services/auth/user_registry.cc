#include "services/auth/user_registry.h"

#include <google/protobuf/util/time_util.h>

#include "services/common/resource_names.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

// ADMIN together with a role that reads case content, or with AUDITOR.
bool HasConflictingRoles(const v1::User& user) {
  bool admin = false, conflicting = false;
  for (int role : user.roles()) {
    admin = admin || role == v1::ADMIN;
    conflicting = conflicting || role == v1::COORDINATOR || role == v1::AGENCY_STAFF ||
                  role == v1::ADVISER || role == v1::AUDITOR;
  }
  return admin && conflicting;
}

std::string UserKey(const std::string& user_id) { return storage::key_spaces::kUser.Key(user_id); }

bool ValidUserId(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// Number of characters, not bytes: display names are Japanese.
size_t Utf8Length(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

// Copies the fields `mask` names from `patch` into `updated`; refuses a field that cannot be
// updated.
Status ApplyMask(const v1::User& patch, const v1::FieldMask& mask, v1::User& updated) {
  for (const auto& path : mask.paths()) {
    if (path == "display_name") {
      updated.set_display_name(patch.display_name());
    } else if (path == "agency") {
      updated.set_agency(patch.agency());
    } else if (path == "roles") {
      *updated.mutable_roles() = patch.roles();
    } else if (path == "state") {
      updated.set_state(patch.state());
    } else {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
  }
  return Status::Ok();
}

bool IsActiveAuditor(const v1::User& user) {
  if (user.state() != v1::User::ACTIVE || HasConflictingRoles(user)) return false;
  for (int role : user.roles()) {
    if (role == v1::AUDITOR) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<UserRegistry>> UserRegistry::Open(storage::Storage& storage,
                                                         const Clock& clock) {
  std::unique_ptr<UserRegistry> registry(new UserRegistry(clock));
  CASECOORD_RETURN_IF_ERROR(storage::ForEachRecord<v1::User>(
      storage, ColumnFamily::kRecords, storage::key_spaces::kUser.Prefix(), "",
      Reason::kUserRecordCorrupt, [&registry](std::string_view, v1::User user) -> Result<bool> {
        std::string id = user.name().substr(sizeof(kUserPrefix) - 1);
        registry->users_[std::move(id)] = std::move(user);
        return true;
      }));
  return registry;
}

Result<std::string> UserRegistry::ParseUserName(const std::string& name, const char* field) {
  if (name.rfind(kUserPrefix, 0) != 0 || !ValidUserId(name.substr(sizeof(kUserPrefix) - 1))) {
    return Status::InvalidArgument(field, "must look like \"users/{user_id}\"");
  }
  return name.substr(sizeof(kUserPrefix) - 1);
}

std::optional<Caller> UserRegistry::FindActive(const std::string& user_id) const {
  std::shared_lock<std::shared_mutex> lock(users_mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end() || it->second.state() != v1::User::ACTIVE) return std::nullopt;
  Caller caller{user_id, it->second.agency(), {}};
  for (int role : it->second.roles()) caller.roles.insert(static_cast<v1::Role>(role));
  // An account stored with ADMIN and a conflicting role (before the rule existed) acts as ADMIN
  // only: the conflict must never open case content or the trail to an administrator.
  if (caller.roles.count(v1::ADMIN) > 0) caller.roles = {v1::ADMIN};
  return caller;
}

bool UserRegistry::IsLastActiveAuditor(const std::string& user_id) const {
  std::shared_lock<std::shared_mutex> lock(users_mutex_);
  for (const auto& [id, user] : users_) {
    if (id == user_id || user.state() != v1::User::ACTIVE) continue;
    for (int role : user.roles()) {
      if (role == v1::AUDITOR && !HasConflictingRoles(user)) return false;
    }
  }
  return true;
}

std::optional<v1::User> UserRegistry::Find(const std::string& user_id) const {
  std::shared_lock<std::shared_mutex> lock(users_mutex_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  return it->second;
}

std::vector<v1::User> UserRegistry::List(const std::string& after_user_id, int limit,
                                         bool* more) const {
  std::shared_lock<std::shared_mutex> lock(users_mutex_);
  std::vector<v1::User> out;
  *more = false;
  for (auto it = users_.upper_bound(after_user_id); it != users_.end(); ++it) {
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    out.push_back(it->second);
  }
  return out;
}

Status UserRegistry::Validate(const v1::User& user, const char* prefix) const {
  FieldViolations violations;
  auto violation = [&](const std::string& field, std::string description) {
    violations(prefix + field, std::move(description));
  };
  size_t length = Utf8Length(user.display_name());
  if (length == 0 || length > 100) violation("display_name", "must be 1 to 100 characters");
  if (user.roles().empty()) violation("roles", "at least one role is required");
  bool agency_staff = false;
  for (int role : user.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      violation("roles", "unknown role " + std::to_string(role));
    }
    agency_staff = agency_staff || role == v1::AGENCY_STAFF;
  }
  if (!user.agency().empty() && user.agency().rfind(kAgencyPrefix, 0) != 0) {
    violation("agency", "must look like \"agencies/{agency_id}\"");
  }
  if (agency_staff && user.agency().empty()) violation("agency", "required for AGENCY_STAFF");
  const bool conflicting_roles = HasConflictingRoles(user);
  if (user.state() == v1::User::STATE_UNSPECIFIED || !v1::User::State_IsValid(user.state())) {
    violation("state", "must be ACTIVE or DISABLED");
  }
  if (conflicting_roles) {
    const std::string description =
        "ADMIN cannot be held with COORDINATOR, AGENCY_STAFF, ADVISER or AUDITOR (separation of "
        "duties): give the person a second account for that role";
    if (violations.empty()) {
      Status status(Reason::kSeparationOfDuties, description);
      status.AddViolation(prefix + std::string("roles"), description);
      return status;
    }
    violation("roles", description);
  }
  return violations.ToStatus();
}

void UserRegistry::Stamp(v1::User* user) const {
  auto now = NowTimestamp(clock_);
  if (!user->has_create_time()) *user->mutable_create_time() = now;
  *user->mutable_update_time() = now;
  user->set_etag(std::to_string(TimeUtil::TimestampToNanoseconds(now)) + "-" +
                 std::to_string(std::hash<std::string>()(user->SerializeAsString()) % 100000));
}

Result<v1::User> UserRegistry::PrepareCreate(const std::string& user_id, const v1::User& user,
                                             storage::WriteBatch* batch) const {
  v1::User created = user;
  if (created.state() == v1::User::STATE_UNSPECIFIED) created.set_state(v1::User::ACTIVE);
  Status status = Validate(created, "user.");
  if (!ValidUserId(user_id)) {
    const char* description = "must be 1 to 63 lowercase letters, digits, '-' or '_'";
    if (status.ok()) {
      status = Status::InvalidArgument("user_id", description);
    } else {
      status.AddViolation("user_id", description);
    }
  }
  if (!status.ok()) return status;
  if (Find(user_id)) {
    return Status(Reason::kUserExists, "user " + user_id + " exists");
  }
  created.set_name(kUserPrefix + user_id);
  created.clear_create_time();
  Stamp(&created);
  batch->Put(ColumnFamily::kRecords, UserKey(user_id), created.SerializeAsString());
  return created;
}

Result<v1::User> UserRegistry::PrepareUpdate(const v1::User& patch, const v1::FieldMask& mask,
                                             storage::WriteBatch* batch) const {
  auto user_id = ParseUserName(patch.name(), "user.name");
  if (!user_id.ok()) return user_id.status();
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  auto stored = Find(*user_id);
  if (!stored) return Status(Reason::kUserNotFound, "no user " + *user_id);
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag("user " + *user_id, patch.etag(), stored->etag()));
  v1::User updated = *stored;
  CASECOORD_RETURN_IF_ERROR(ApplyMask(patch, mask, updated));
  CASECOORD_RETURN_IF_ERROR(Validate(updated, "user."));
  if (IsActiveAuditor(*stored) && !IsActiveAuditor(updated) && IsLastActiveAuditor(*user_id)) {
    return Status(Reason::kLastAuditor,
                  "user " + *user_id +
                      " is the last active auditor; make another auditor first, so that "
                      "the audit trail always has a reader");
  }
  Stamp(&updated);
  batch->Put(ColumnFamily::kRecords, UserKey(*user_id), updated.SerializeAsString());
  return updated;
}

void UserRegistry::Publish(const v1::User& user) {
  std::unique_lock<std::shared_mutex> lock(users_mutex_);
  users_[user.name().substr(sizeof(kUserPrefix) - 1)] = user;
}

}  // namespace casecoord::auth
