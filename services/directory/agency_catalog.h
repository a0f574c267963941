// The agency directory held in memory for SearchAgencies and FindPartners: a read model derived
// from the agency records, so that a search or a partner query touches no storage, takes no lock a
// writer holds, and can run on gRPC's callback thread.
//
// What it holds, per agency: the record, a BASIC view of it (see v1::AgencyView), the normalized
// name and reading (japanese_text.h), and its character n-grams. From those it builds a snapshot:
// agencies in kana reading order (五十音順, ties by id), a posting list per n-gram and a partner
// list per issue tag (and per tag and district) of the ACTIVE agencies that accept referrals, all
// as ascending positions in that order. A snapshot is immutable; a change makes the current one
// stale, and the next query builds a new one from the entries (20-30 ms for 10,000 agencies,
// measured by directory_bench), so a burst of writes, such as an import or a bulk load, costs one
// rebuild rather than one per write. Loading the entries from the records (NFKC, n-grams, collation
// keys) takes ~0.3 s for 10,000 agencies, once, at start-up.
//
// Consistency: AgencyStore feeds Put/Remove from WriteBatch::AfterCommit hooks, so a change is
// visible to every query that starts after its commit returned (read-your-writes for the caller).
//
// Thread safety: every method may be called concurrently. Queries never wait for writers except
// the first query after a change, which builds the new snapshot (others arriving meanwhile wait
// for it rather than answer from stale data).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "services/common/status.h"

namespace casecoord::directory {

struct AgencyFilter;

class AgencyCatalog {
 public:
  AgencyCatalog();
  ~AgencyCatalog();
  AgencyCatalog(const AgencyCatalog&) = delete;
  AgencyCatalog& operator=(const AgencyCatalog&) = delete;

  // Loads every agency through `load_all` unless loaded already. `load_all` runs with the
  // catalog's update lock held, so a Put/Remove of a commit it did not see waits and applies
  // after it: start reading storage inside `load_all`, never before.
  Status LoadIfNeeded(const std::function<Result<std::vector<v1::Agency>>()>& load_all);

  // After a commit that created or changed `agency`, or deleted the agency with id `id`. Before
  // the first load they are ignored: the load reads the committed records.
  void Put(const v1::Agency& agency);
  void Remove(const std::string& id);

  // Agencies whose normalized name or reading contains the normalized `query` and which `filter`
  // (nullptr: none) matches, in kana order, at most `limit`. INVALID_ARGUMENT on "query" for a
  // query that normalizes to nothing. FAILED_PRECONDITION if not loaded.
  Result<std::vector<v1::AgencyMatch>> Search(std::string_view query, const AgencyFilter* filter,
                                              v1::AgencyView view, int limit) const;

  // Active agencies that accept referrals, serve `district` (if not empty) and cover at least one
  // of `issue_tags`: most tags covered first, then kana order, at most `limit`. The tags must be
  // valid ids (the caller validates); duplicates count once. FAILED_PRECONDITION if not loaded.
  Result<std::vector<v1::PartnerMatch>> FindPartners(const std::vector<std::string>& issue_tags,
                                                     const std::string& district,
                                                     v1::AgencyView view, int limit) const;

 private:
  struct Entry;
  struct Snapshot;

  std::shared_ptr<const Entry> MakeEntry(const v1::Agency& agency);  // requires mutex_
  // The snapshot of the current version, built if stale. nullptr if not loaded.
  std::shared_ptr<const Snapshot> Current() const;

  mutable std::mutex mutex_;  // guards the members below up to version_
  bool loaded_ = false;
  std::map<std::string, std::shared_ptr<const Entry>> entries_;  // by agency id
  // Every n-gram seen, numbered in order of first appearance (never shrinks; a few KB).
  std::unordered_map<std::string, uint32_t> term_ids_;
  std::atomic<uint64_t> version_{0};

  mutable std::mutex rebuild_mutex_;  // one builder at a time
  mutable std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
};

}  // namespace casecoord::directory
