// The agency directory over storage: validation, etags, a kana-order index for listing, and an
// in-memory catalog (agency_catalog.h) for Japanese free-text search and partner queries.
//
// Changes are prepared into a WriteBatch that the caller commits (with its audit entry); the record
// and its index entries always change in the same batch, and the catalog follows when the batch
// commits (WriteBatch::AfterCommit). Writers hold LockForWrite() from preparation until the commit
// so that etag checks and index updates cannot interleave.
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
#include "services/directory/agency_catalog.h"
#include "services/directory/agency_csv.h"
#include "services/storage/storage.h"
#include "services/vocab/term_check.h"

namespace casecoord::directory {

// A parsed `filter` of ListAgencies: every set member must match.
struct AgencyFilter {
  std::optional<v1::AgencyKind> kind;
  std::optional<v1::Agency::State> state;
  std::optional<v1::SupportField> field;
  std::optional<std::string> district;
  std::optional<std::string> tag;
  // Matches agencies last verified strictly before this time (ns since the epoch), or never.
  std::optional<int64_t> verified_before_nanos;
  bool Matches(const v1::Agency& agency) const;
  // A canonical form, for binding page tokens to the filter.
  std::string Fingerprint() const;
};

// Parses the documented subset of AIP-160 of ListAgenciesRequest.filter, e.g.
// "kind = WELFARE_OFFICE AND district = \"kita\" AND last_verified_time < \"2025-04-01\"".
// INVALID_ARGUMENT on field "filter" naming what is wrong.
Result<AgencyFilter> ParseAgencyFilter(const std::string& filter);

enum class AgencyOrder {
  kId,    // agency id
  kKana,  // kana reading in Japanese collation order (ICU), then id
};

// "" or "name" → kId; "kana" → kKana. INVALID_ARGUMENT on field "order_by" otherwise.
Result<AgencyOrder> ParseAgencyOrder(const std::string& order_by);

struct AgencyPage {
  std::vector<v1::Agency> agencies;
  // Where the next page starts (an opaque key for ListAgencies page tokens); empty when this page
  // is the last.
  std::string next_after_key;
};

inline constexpr size_t kMaxSearchQueryCharacters = 100;
inline constexpr size_t kMaxPartnerTags = 32;

class AgencyStore {
 public:
  // All must outlive the store. `terms`: the managed vocabularies an agency's issue tags, districts
  // and fields must be in (services/vocab/term_check.h).
  AgencyStore(storage::Storage& storage, const vocab::TermCheck& terms, const Clock& clock)
      : storage_(storage), terms_(terms), clock_(clock) {}

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // NOT_FOUND if absent; INVALID_ARGUMENT on field `field` for a malformed name.
  Result<v1::Agency> Get(const std::string& name, const char* field = "name") const;

  Result<v1::Agency> PrepareCreate(const std::string& agency_id, const v1::Agency& agency,
                                   storage::WriteBatch* batch) const;
  Result<v1::Agency> PrepareUpdate(const v1::Agency& patch, const v1::FieldMask& mask,
                                   storage::WriteBatch* batch) const;
  Status PrepareDelete(const std::string& name, const std::string& etag,
                       storage::WriteBatch* batch) const;

  // Up to `limit` agencies matching `filter` in `order`, strictly after `after_key` (empty: from
  // the start; otherwise a next_after_key of an earlier page with the same order).
  Result<AgencyPage> List(const AgencyFilter& filter, AgencyOrder order,
                          const std::string& after_key, int limit) const;

  // Every agency matching `filter`, in `order` (for export).
  Result<std::vector<v1::Agency>> ListAll(const AgencyFilter& filter, AgencyOrder order) const;

  // Applies a parsed CSV file (see ImportAgenciesRequest): each row becomes a create, or for an
  // existing 機関ID an update of the file's columns, a skip or a problem (options.existing). Domain
  // violations are reported against the row's columns. Unless options.validate_only is set, or
  // the file has problems and options.allow_partial is not, every accepted row is prepared into
  // `batch` (and response.applied is set when it holds any change). Rows equal to the stored
  // agency are counted unchanged and not written.
  Result<v1::ImportAgenciesResponse> PrepareImport(const AgencyCsv& csv,
                                                   const v1::AgencyImportOptions& options,
                                                   storage::WriteBatch* batch) const;

  // Brings the derived index entries up to date with the records if they were written by an
  // older version of this store (or never), in one synced batch. Call once at start-up, before
  // serving. Returns the number of agencies re-indexed (0 when nothing was needed).
  Result<int> RebuildIndexesIfStale();

  // Loads the in-memory catalog from the records unless loaded. Search and FindPartners call it;
  // the server calls it at start-up so that the first query does not pay for it.
  Status LoadCatalog() const;

  // Agencies whose name or reading contains `query` after normalisation (see japanese_text.h) and
  // which `filter` (nullptr: none) matches, in kana order, at most `limit`, in `view`. Memory
  // only once the catalog is loaded. A query of more than kMaxSearchQueryCharacters characters
  // (no agency name is that long) is INVALID_ARGUMENT "query", refused before any work.
  Result<std::vector<v1::AgencyMatch>> Search(const std::string& query, int limit,
                                              const AgencyFilter* filter = nullptr,
                                              v1::AgencyView view = v1::AGENCY_VIEW_FULL) const;

  // Active agencies that accept referrals, serve `district` (if not empty) and cover at least one
  // of `issue_tags`, most tags first (then by reading), in `view`. INVALID_ARGUMENT naming
  // "issue_tags" or "district" for a malformed one, or for more than kMaxPartnerTags tags.
  // Memory only once the catalog is loaded.
  Result<std::vector<v1::PartnerMatch>> FindPartners(
      const std::vector<std::string>& issue_tags, const std::string& district, int limit,
      v1::AgencyView view = v1::AGENCY_VIEW_FULL) const;

 private:
  // Checks `agency` (written over `previous`, null for a new one: a retired term it already held
  // stays valid) and replaces a term's Japanese label by its id.
  Status Validate(v1::Agency* agency, const v1::Agency* previous) const;
  void Stamp(v1::Agency* agency) const;
  // `stored` with the mask's fields taken from `patch`, validated; not stamped.
  Result<v1::Agency> Merge(const v1::Agency& stored, const v1::Agency& patch,
                           const v1::FieldMask& mask) const;
  void PutIndexed(const std::string& id, const v1::Agency& agency, const v1::Agency* previous,
                  storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const vocab::TermCheck& terms_;
  const Clock& clock_;
  std::mutex write_mutex_;
  mutable AgencyCatalog catalog_;
};

}  // namespace casecoord::directory
