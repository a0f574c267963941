#include "services/advisers/adviser_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>

#include <algorithm>
#include <set>

#include "services/common/filter.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"

namespace casecoord::advisers {
namespace {

using google::protobuf::util::FieldMaskUtil;
using storage::ColumnFamily;

constexpr size_t kMaxNameCharacters = 200;

// UpdateAdviserRequest.update_mask paths; name and etag are the server's.
const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> paths = {"display_name", "kana", "kind",  "fields",
                                              "agency",       "user", "active"};
  return paths;
}

// Fields are required, each a known SupportField, none twice.
void CheckSupportFields(const v1::Adviser& adviser, FieldViolations* violation) {
  std::set<int> fields;
  for (int field : adviser.fields()) {
    if (field == v1::SUPPORT_FIELD_UNSPECIFIED || !v1::SupportField_IsValid(field) ||
        !fields.insert(field).second) {
      (*violation)("adviser.fields", "each a SupportField value, once");
      break;
    }
  }
  if (adviser.fields().empty()) (*violation)("adviser.fields", "at least one field");
}

std::string RecordKey(const std::string& id) { return storage::key_spaces::kAdviser.Key(id); }

std::string UserIndexKey(const std::string& user) {
  return storage::key_spaces::kAdviserOfUser.Key(user);
}

// The user ids of the registry (services/auth/user_registry.cc): a-z, 0-9, '-' and '_'.
bool IsUserId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Result<std::string> ParseName(const std::string& name, const char* field) {
  if (name.rfind(kAdviserPrefix, 0) != 0 ||
      !IsResourceId(name.substr(sizeof(kAdviserPrefix) - 1))) {
    return Status::InvalidArgument(field, "must look like \"advisers/{adviser_id}\"");
  }
  return name.substr(sizeof(kAdviserPrefix) - 1);
}

Result<v1::Adviser> Parse(const std::string& name, const std::string& bytes) {
  v1::Adviser adviser;
  if (!adviser.ParseFromString(bytes)) {
    return Status(Reason::kAdviserRecordCorrupt, name + " is unreadable");
  }
  return adviser;
}

}  // namespace

bool AdviserFilter::Matches(const v1::Adviser& adviser) const {
  if (kind && adviser.kind() != *kind) return false;
  if (active && adviser.active() != *active) return false;
  if (field && std::find(adviser.fields().begin(), adviser.fields().end(), *field) ==
                   adviser.fields().end()) {
    return false;
  }
  return true;
}

std::string AdviserFilter::Fingerprint() const {
  return "kind=" + (kind ? v1::AdviserKind_Name(*kind) : "") +
         ";field=" + (field ? v1::SupportField_Name(*field) : "") +
         ";active=" + (active ? (*active ? "true" : "false") : "");
}

Result<AdviserFilter> ParseAdviserFilter(const std::string& text) {
  auto clauses = ParseFilterClauses(text);
  if (!clauses.ok()) return clauses.status();
  AdviserFilter filter;
  for (const FilterClause& clause : *clauses) {
    if (clause.op != "=") {
      return Status::InvalidArgument("filter", "only = is supported, not " + clause.op);
    }
    if (clause.key == "kind") {
      v1::AdviserKind kind;
      if (!v1::AdviserKind_Parse(clause.value, &kind) || kind == v1::ADVISER_KIND_UNSPECIFIED) {
        return Status::InvalidArgument("filter", "unknown kind \"" + clause.value + "\"");
      }
      filter.kind = kind;
    } else if (clause.key == "field") {
      v1::SupportField field;
      if (!v1::SupportField_Parse(clause.value, &field) || field == v1::SUPPORT_FIELD_UNSPECIFIED) {
        return Status::InvalidArgument("filter", "unknown field \"" + clause.value + "\"");
      }
      filter.field = field;
    } else if (clause.key == "active") {
      if (clause.value != "true" && clause.value != "false") {
        return Status::InvalidArgument("filter", "active must be true or false");
      }
      filter.active = clause.value == "true";
    } else {
      return Status::InvalidArgument(
          "filter", "cannot filter on \"" + clause.key + "\"; use kind, field or active");
    }
  }
  return filter;
}

Status AdviserStore::Validate(const v1::Adviser& adviser, const std::string& id) const {
  FieldViolations violation;
  const size_t name_length = CharacterCount(std::string(TrimSpaces(adviser.display_name())));
  if (name_length == 0 || CharacterCount(adviser.display_name()) > kMaxNameCharacters) {
    violation("adviser.display_name", "required, up to 200 characters");
  }
  if (CharacterCount(adviser.kana()) > kMaxNameCharacters) {
    violation("adviser.kana", "up to 200 characters");
  }
  if (adviser.kind() == v1::ADVISER_KIND_UNSPECIFIED || !v1::AdviserKind_IsValid(adviser.kind())) {
    violation("adviser.kind", "required: COMPLEX_ISSUE_ADVISER or FIELD_ADVISER");
  }
  CheckSupportFields(adviser, &violation);
  if (!adviser.agency().empty() && (adviser.agency().rfind(kAgencyPrefix, 0) != 0 ||
                                    !IsResourceId(adviser.agency().substr(9)))) {
    violation("adviser.agency", "must look like \"agencies/{agency}\"");
  }
  if (!adviser.user().empty() &&
      (adviser.user().rfind(kUserPrefix, 0) != 0 || !IsUserId(adviser.user().substr(6)))) {
    violation("adviser.user", "must look like \"users/{user}\"");
  }
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());
  return CheckReferences(adviser, id);
}

Status AdviserStore::CheckReferences(const v1::Adviser& adviser, const std::string& id) const {
  if (!adviser.agency().empty()) {
    auto agency = agencies_.Get(adviser.agency(), "adviser.agency");
    if (agency.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("adviser.agency", "must be an agency of the directory");
    }
    if (!agency.ok()) return agency.status();
  }
  if (!adviser.user().empty()) {
    auto linked = OfUser(adviser.user());
    if (!linked.ok()) return linked.status();
    if (linked->has_value() && (*linked)->name() != kAdviserPrefix + id) {
      return Status::InvalidArgument("adviser.user",
                                     adviser.user() + " is already linked to " + (*linked)->name());
    }
  }
  return Status::Ok();
}

void AdviserStore::Put(const std::string& id, const v1::Adviser& adviser,
                       const v1::Adviser* previous, storage::WriteBatch* batch) const {
  if (previous != nullptr && !previous->user().empty() && previous->user() != adviser.user()) {
    batch->Delete(ColumnFamily::kIndexes, UserIndexKey(previous->user()));
  }
  if (!adviser.user().empty()) batch->Put(ColumnFamily::kIndexes, UserIndexKey(adviser.user()), id);
  batch->Put(ColumnFamily::kRecords, RecordKey(id), adviser.SerializeAsString());
}

Result<v1::Adviser> AdviserStore::Get(const std::string& name, const char* field) const {
  auto id = ParseName(name, field);
  if (!id.ok()) return id.status();
  auto stored = storage_.Get(ColumnFamily::kRecords, RecordKey(*id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return Status(Reason::kAdviserNotFound, name + " not found");
  return Parse(name, **stored);
}

Result<std::optional<v1::Adviser>> AdviserStore::OfUser(const std::string& user) const {
  auto id = storage_.Get(ColumnFamily::kIndexes, UserIndexKey(user));
  if (!id.ok()) return id.status();
  if (!id->has_value()) return std::optional<v1::Adviser>();
  auto adviser = Get(kAdviserPrefix + **id);
  if (!adviser.ok()) {
    return Status(Reason::kAdviserIndexCorrupt,
                  "the user index names " + user + "'s adviser, which is unreadable");
  }
  return std::optional<v1::Adviser>(std::move(adviser).value());
}

Result<v1::Adviser> AdviserStore::PrepareCreate(const std::string& adviser_id,
                                                const v1::Adviser& adviser,
                                                storage::WriteBatch* batch) const {
  v1::Adviser created = adviser;
  if (!created.has_active()) created.set_active(true);
  Status status;
  if (!IsResourceId(adviser_id)) {
    status = Status::InvalidArgument("adviser_id", "1 to 63 lowercase letters, digits or '-'");
  }
  Status valid = Validate(created, adviser_id);
  if (!valid.ok()) {
    if (status.ok() || valid.field_violations().empty()) return valid;
    for (const auto& violation : valid.field_violations()) {
      status.AddViolation(violation.field, violation.description);
    }
  }
  if (!status.ok()) return status;
  created.set_name(kAdviserPrefix + adviser_id);
  auto existing = storage_.Get(ColumnFamily::kRecords, RecordKey(adviser_id));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status(Reason::kAdviserExists, created.name() + " exists");
  }
  created.set_etag("1");
  Put(adviser_id, created, nullptr, batch);
  return created;
}

Result<v1::Adviser> AdviserStore::PrepareUpdate(const v1::Adviser& patch, const v1::FieldMask& mask,
                                                storage::WriteBatch* batch) const {
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  google::protobuf::FieldMask paths;
  for (const auto& path : mask.paths()) {
    if (UpdatablePaths().count(path) == 0) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    paths.add_paths(path);
  }
  auto id = ParseName(patch.name(), "adviser.name");
  if (!id.ok()) return id.status();
  auto stored = Get(patch.name(), "adviser.name");
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(patch.name(), patch.etag(), stored->etag()));
  v1::Adviser updated = *stored;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, paths, options, &updated);
  // "active" in the mask without a value means false, as for any proto3 field.
  if (!updated.has_active()) updated.set_active(false);
  CASECOORD_RETURN_IF_ERROR(Validate(updated, *id));
  updated.set_etag(NextRevisionEtag(stored->etag()));
  Put(*id, updated, &*stored, batch);
  return updated;
}

Result<AdviserPage> AdviserStore::List(const AdviserFilter& filter, const std::string& after_id,
                                       int limit) const {
  AdviserPage page;
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kAdviser.name);
  const std::string start = after_id.empty() ? prefix : RecordKey(after_id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!after_id.empty() && it->key() == start) continue;
    auto adviser = Parse("an adviser", it->value().ToString());
    if (!adviser.ok()) return adviser.status();
    if (!filter.Matches(*adviser)) continue;
    if (static_cast<int>(page.advisers.size()) == limit) {
      page.next_after_id = page.advisers.back().name().substr(sizeof(kAdviserPrefix) - 1);
      break;
    }
    page.advisers.push_back(std::move(adviser).value());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing advisers");
  return page;
}

}  // namespace casecoord::advisers
