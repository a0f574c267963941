// The statistics counters of case events (services/stats): which counters an event of a case
// implies under the case's classification, how those counts move when a case is reclassified, and
// the recount from the records that proves (or repairs) the stored counters.
//
// Thread safety: the free functions are reentrant; CaseCounting's methods may be called
// concurrently, except AddRecounter (see there).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/common/status.h"
#include "services/stats/counters.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

// The statistics classification of a case: fiscal year of intake, district, the union of its
// household and member issue tags, referrer kind.
v1::Case Classification(const v1::Case& record);

// Adds `delta` times the counters an event of a case classified `classification` implies
// (exposed for tests and the rebuild).
Status CountEvent(const v1::Case& classification, const v1::CaseEvent& event,
                  stats::CounterChanges* changes, int64_t delta = 1);

// If the classification of case `id` (named `name`, for errors) changes from `before` to `after`,
// prepares in `batch` the move of every counted event of its history from the old
// classification's counters to the new ones: counters count a case as it is recorded now.
// DATA_LOSS "CASE_EVENT_CORRUPT" for an unreadable event. The caller holds the case's lock.
Status PrepareMoveCounts(const storage::Storage& storage, uint64_t id, const std::string& name,
                         const v1::Case& before, const v1::Case& after, storage::WriteBatch* batch);

struct CounterRebuild {
  std::vector<stats::CounterDifference> differences;  // stored vs recounted, before replacing
  size_t counters_recomputed = 0;
};

class CaseCounting {
 public:
  // `storage` must outlive this object.
  explicit CaseCounting(const storage::Storage& storage) : storage_(storage) {}

  // Another store's statistics (meetings held, ...) recounted from its records, for
  // PrepareRebuildCounters. Register before serving; not thread-safe against a running rebuild.
  void AddRecounter(std::function<Result<stats::CounterChanges>()> recount) {
    recounters_.push_back(std::move(recount));
  }

  // The counters every case event implies, recounted from the records: what the stored counters
  // must equal (services/stats Compare / ReplaceCounters).
  Result<stats::CounterChanges> RecountCounters() const;

  // Recounts (RecountCounters and every AddRecounter), compares with the stored counters and,
  // unless `validate_only`, prepares in `batch` their replacement by the recount. The caller holds
  // CaseStore::LockAllWriters() until the batch commits, so that no event is counted in between
  // (every counting store writes under CaseStore::LockCase). Every "stat" counter is replaced, so
  // every counting store must be registered.
  Result<CounterRebuild> PrepareRebuildCounters(bool validate_only,
                                                storage::WriteBatch* batch) const;

 private:
  // Adds the counts of every event of case `id`, classified `classification`, to `changes`.
  Status RecountCase(uint64_t id, const v1::Case& classification,
                     stats::CounterChanges* changes) const;

  const storage::Storage& storage_;
  std::vector<std::function<Result<stats::CounterChanges>()>> recounters_;
};

}  // namespace casecoord::cases
