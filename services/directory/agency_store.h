// The agency directory over storage: validation, etags, and a character n-gram index of each
// agency's name and kana reading for Japanese free-text search.
//
// Changes are prepared into a WriteBatch that the caller commits (with its audit entry); the record
// and its index entries always change in the same batch. Writers hold LockForWrite() from
// preparation until the commit so that etag checks and index updates cannot interleave.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::directory {

// A parsed `filter` of ListAgencies: every set member must match.
struct AgencyFilter {
  std::optional<v1::AgencyKind> kind;
  std::optional<v1::Agency::State> state;
  std::optional<std::string> district;
  std::optional<std::string> tag;
  bool Matches(const v1::Agency& agency) const;
  // A canonical form, for binding page tokens to the filter.
  std::string Fingerprint() const;
};

// Parses "kind = WELFARE_OFFICE AND district = \"kita\"" (keys: kind, state, district, tag).
// INVALID_ARGUMENT on field "filter" naming what is wrong.
Result<AgencyFilter> ParseAgencyFilter(const std::string& filter);

class AgencyStore {
 public:
  AgencyStore(storage::Storage& storage, const Clock& clock) : storage_(storage), clock_(clock) {}

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // NOT_FOUND if absent; INVALID_ARGUMENT on field `field` for a malformed name.
  Result<v1::Agency> Get(const std::string& name, const char* field = "name") const;

  Result<v1::Agency> PrepareCreate(const std::string& agency_id, const v1::Agency& agency,
                                   storage::WriteBatch* batch) const;
  Result<v1::Agency> PrepareUpdate(const v1::Agency& patch, const v1::FieldMask& mask,
                                   storage::WriteBatch* batch) const;
  Status PrepareDelete(const std::string& name, const std::string& etag,
                       storage::WriteBatch* batch) const;

  // Agencies after `after_id` in id order that match `filter`; `more` if others follow.
  Result<std::vector<v1::Agency>> List(const AgencyFilter& filter, const std::string& after_id,
                                       int limit, bool* more) const;

  // Agencies whose name or reading contains `query` after normalisation (see japanese_text.h).
  Result<std::vector<v1::AgencyMatch>> Search(const std::string& query, int limit) const;

  // Active agencies that accept referrals, serve `district` (if not empty) and cover at least one
  // of `issue_tags`, most tags first (then by reading). Uses the tag index, not a scan.
  Result<std::vector<v1::PartnerMatch>> FindPartners(const std::vector<std::string>& issue_tags,
                                                     const std::string& district, int limit) const;

 private:
  Status Validate(const v1::Agency& agency) const;
  void Stamp(v1::Agency* agency) const;
  void PutIndexed(const std::string& id, const v1::Agency& agency, const v1::Agency* previous,
                  storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const Clock& clock_;
  std::mutex write_mutex_;
};

}  // namespace casecoord::directory
