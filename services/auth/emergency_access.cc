#include "services/auth/emergency_access.h"

#include <google/protobuf/util/time_util.h>

#include "services/auth/user_registry.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

std::string GrantKey(uint64_t id) { return storage::key_spaces::kEmergencyGrant.Key(id); }

std::string GrantPrefix() {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kEmergencyGrant.name);
  return key;
}

std::string UserResourcePrefix(const std::string& user_id, const std::string& resource) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kEmergencyByUser.name);
  storage::AppendString(&key, user_id);
  storage::AppendString(&key, resource);
  return key;
}

// True for text of nothing but ASCII and ideographic (U+3000) spaces.
bool Blank(std::string_view text) { return TrimSpaces(text).empty(); }

// One record that holds personal data, by its canonical name, of a kind the caller's roles read
// (advisers read meetings and dispatches, not cases); a work list ("users/{id}") for coordinators,
// who may need a colleague's list when the colleague is away.
bool IsGrantableName(const std::string& name, const Caller& caller) {
  const bool case_reader = caller.Has(v1::COORDINATOR) || caller.Has(v1::AGENCY_STAFF);
  for (std::string_view prefix : {kCasePrefix, kMeetingPrefix, kDispatchPrefix}) {
    if (name.starts_with(prefix)) {
      if (prefix == kCasePrefix && !case_reader) return false;
      return ParseDecimalId(std::string_view(name).substr(prefix.size())).has_value();
    }
  }
  return caller.Has(v1::COORDINATOR) && name.starts_with(kUserPrefix) &&
         UserRegistry::ParseUserName(name, "resource").ok();
}

}  // namespace

Result<std::unique_ptr<EmergencyAccessStore>> EmergencyAccessStore::Open(
    storage::Storage& storage, std::chrono::minutes duration, const Clock& clock) {
  std::unique_ptr<EmergencyAccessStore> store(new EmergencyAccessStore(storage, duration, clock));
  const std::string prefix = GrantPrefix();
  auto it = storage.NewIterator(ColumnFamily::kRecords);
  it->SeekForPrev(storage::PrefixSuccessor(prefix));
  if (it->Valid() && it->key().starts_with(prefix)) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (reader.ReadUint64(&id)) store->last_id_ = id;
  }
  return store;
}

Status EmergencyAccessStore::ValidateGrant(const Caller& caller, const std::string& resource,
                                           const std::string& reason) {
  Status status;
  if (!IsGrantableName(resource, caller)) {
    status = Status::InvalidArgument(
        "resource",
        std::string("must name one record: ") +
            (caller.Has(v1::COORDINATOR) || caller.Has(v1::AGENCY_STAFF) ? "cases/{n}, " : "") +
            "meetings/{n} or dispatches/{n}" +
            (caller.Has(v1::COORDINATOR) ? ", or users/{id}" : ""));
  }
  if (CharacterCount(reason) > kMaxReasonCharacters) {
    const std::string description =
        "at most " + std::to_string(kMaxReasonCharacters) + " characters";
    if (status.ok()) {
      status = Status::InvalidArgument("reason", description);
    } else {
      status.AddViolation("reason", description);
    }
  }
  if (Blank(reason)) {
    const char* description = "a reason is required to open a record outside your scope";
    if (status.ok()) {
      status = Status::InvalidArgument("reason", description);
    } else {
      status.AddViolation("reason", description);
    }
  }
  return status;
}

Result<v1::EmergencyAccess> EmergencyAccessStore::PrepareGrant(const Caller& caller,
                                                               const std::string& resource,
                                                               const std::string& reason,
                                                               storage::WriteBatch* batch) {
  CASECOORD_RETURN_IF_ERROR(ValidateGrant(caller, resource, reason));
  const auto now = clock_.Now();
  const uint64_t id = ++last_id_;
  v1::EmergencyAccess grant;
  grant.set_name("emergencyAccesses/" + std::to_string(id));
  grant.set_user_id(caller.user_id);
  grant.set_resource(resource);
  grant.set_reason(reason);
  *grant.mutable_grant_time() = ToTimestamp(now);
  *grant.mutable_expire_time() = ToTimestamp(now + duration_);
  batch->Put(ColumnFamily::kRecords, GrantKey(id), grant.SerializeAsString());
  std::string index = UserResourcePrefix(caller.user_id, resource);
  storage::AppendUint64(&index, id);
  batch->Put(ColumnFamily::kIndexes, index, "");
  return grant;
}

std::optional<v1::EmergencyAccess> EmergencyAccessStore::ActiveGrant(
    const std::string& user_id, const std::string& resource) const {
  const std::string prefix = UserResourcePrefix(user_id, resource);
  const auto now = NowTimestamp(clock_);
  auto it = storage_.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id)) continue;
    auto stored = storage_.Get(ColumnFamily::kRecords, GrantKey(id));
    v1::EmergencyAccess grant;
    if (!stored.ok() || !stored->has_value() || !grant.ParseFromString(**stored)) continue;
    if (now < grant.expire_time()) return grant;
  }
  return std::nullopt;
}

std::vector<v1::EmergencyAccess> EmergencyAccessStore::List(uint64_t before_id, int limit,
                                                            bool* more) const {
  std::vector<v1::EmergencyAccess> out;
  *more = false;
  const std::string prefix = GrantPrefix();
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  if (before_id == 0) {
    it->SeekForPrev(storage::PrefixSuccessor(prefix));
  } else {
    it->SeekForPrev(GrantKey(before_id - 1));
  }
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    v1::EmergencyAccess grant;
    if (grant.ParseFromString(it->value().ToString())) out.push_back(std::move(grant));
  }
  return out;
}

}  // namespace casecoord::auth
