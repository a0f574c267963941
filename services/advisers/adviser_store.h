// The adviser registry (アドバイザー名簿) over storage: 複合課題解決アドバイザー and
// 分野別アドバイザー, the fields they advise on, and the user who signs in as each.
//
// Layout:
//   kRecords "adviser"/id          the adviser (no personal data of households: readable by all)
//   kIndexes "adviser-user"/user   → id, for the adviser a signed-in user is (at most one each)
// Changes are prepared into a WriteBatch that the caller commits with its audit entry; the record
// and its index entry change in the same batch. Writers hold LockForWrite() from preparation until
// the commit, so that etag checks and the one-adviser-per-user rule cannot interleave. A dispatch
// approval holds it as well, so that the adviser it checks for being active stays active until the
// approval commits.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/advisers.pb.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/storage/storage.h"

namespace casecoord::advisers {

// A parsed ListAdvisersRequest.filter: every set member must match.
struct AdviserFilter {
  std::optional<v1::AdviserKind> kind;
  std::optional<v1::SupportField> field;
  std::optional<bool> active;
  bool Matches(const v1::Adviser& adviser) const;
  // A canonical form, for binding page tokens to the filter.
  std::string Fingerprint() const;
};

// "kind = FIELD_ADVISER AND field = DISABILITY AND active = true" (each optional, = only).
// INVALID_ARGUMENT on field "filter" naming what is wrong.
Result<AdviserFilter> ParseAdviserFilter(const std::string& text);

struct AdviserPage {
  std::vector<v1::Adviser> advisers;
  std::string next_after_id;  // empty on the last page
};

class AdviserStore {
 public:
  // Both must outlive the store. `agencies` checks Adviser.agency.
  AdviserStore(storage::Storage& storage, const directory::AgencyStore& agencies)
      : storage_(storage), agencies_(agencies) {}

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // The adviser `name` ("advisers/{id}"). NOT_FOUND if absent; INVALID_ARGUMENT on `field` for a
  // malformed name.
  Result<v1::Adviser> Get(const std::string& name, const char* field = "name") const;

  // The adviser whose Adviser.user is `user` ("users/{id}"), if any.
  Result<std::optional<v1::Adviser>> OfUser(const std::string& user) const;

  // A new adviser, active unless `adviser.active` is set to false. INVALID_ARGUMENT naming each
  // bad field (adviser_id; adviser.display_name, 1 to 200 characters; adviser.kana, up to 200;
  // adviser.kind, required; adviser.fields, at least one, no repeats; adviser.agency, an agency of
  // the directory; adviser.user, "users/{id}" not linked to another adviser); ALREADY_EXISTS if
  // the id is taken.
  Result<v1::Adviser> PrepareCreate(const std::string& adviser_id, const v1::Adviser& adviser,
                                    storage::WriteBatch* batch) const;

  // Replaces the fields `mask` names (display_name, kana, kind, fields, agency, user, active;
  // another path, or none, is INVALID_ARGUMENT "update_mask") with those of `patch`, validated as
  // on create. ABORTED if patch.etag is set and stale; NOT_FOUND for no such adviser.
  Result<v1::Adviser> PrepareUpdate(const v1::Adviser& patch, const v1::FieldMask& mask,
                                    storage::WriteBatch* batch) const;

  // Up to `limit` advisers matching `filter` in id order, strictly after id `after_id` ("" = from
  // the first).
  Result<AdviserPage> List(const AdviserFilter& filter, const std::string& after_id,
                           int limit) const;

 private:
  Status Validate(const v1::Adviser& adviser, const std::string& id) const;
  // Validate's lookups: the agency exists, and the user is linked to no other adviser than `id`.
  Status CheckReferences(const v1::Adviser& adviser, const std::string& id) const;
  // Writes `adviser` (id `id`) and moves its user index entry from `previous`'s, if any.
  void Put(const std::string& id, const v1::Adviser& adviser, const v1::Adviser* previous,
           storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const directory::AgencyStore& agencies_;
  std::mutex write_mutex_;
};

}  // namespace casecoord::advisers
