// Upkeep of the cases area: the purge of a case's personal data after its retention period
// (crypto-shredding: its data key is destroyed), and the start-up migrations that bring a
// database written by an older server to the current layout (case keys moved beside their cases,
// index entries re-derived).
//
// Thread safety: PreparePurge and EraseDestroyed may be called concurrently with everything;
// RebuildIndexesIfStale takes every write lock itself and runs before serving.
#pragma once

#include <string>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_store.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

struct CaseMaintenanceOptions {
  // Years after a case ended (COMPLETED_BY_ADVICE or CLOSED: the decision date of that
  // transition) before its personal data may be purged. 0 allows a purge at once.
  int retention_years = 5;
};

class CaseMaintenance {
 public:
  // All must outlive this object.
  CaseMaintenance(const CaseStore& cases, storage::Storage& storage, const Clock& clock,
                  CaseMaintenanceOptions options = {})
      : cases_(cases), storage_(storage), clock_(clock), options_(options) {}

  // Destroys the personal data of a case that ended at least the retention period ago (see
  // PurgeCaseRequest): its key goes (WriteBatch::DestroyRange), the record keeps only its public
  // part with purge_time set, pending referrals leave their agencies' inboxes, and a PURGED event
  // is recorded; counters do not change. INVALID_ARGUMENT "confirmation" unless it is
  // "PURGE {case_number}"; FAILED_PRECONDITION if the case is open, already purged or still within
  // retention (naming the first day it may be purged). The caller holds CaseStore::LockCase until
  // the batch commits. After the commit, EraseDestroyed() removes the key from the live files.
  Result<v1::Case> PreparePurge(const std::string& user_id, const v1::PurgeCaseRequest& request,
                                storage::WriteBatch* batch) const;
  // Removes destroyed keys from the live files (storage::Storage::EraseDestroyed).
  Status EraseDestroyed() { return storage_.EraseDestroyed(); }

  // Brings a database written by an older server to the current layout: moves wrapped case keys
  // still under "case-key"/id next to their cases, gives every case recorded before intake_date
  // existed its intake date (FillIntakeDates), re-derives the index entries (case-team) from the
  // case records if their layout version changed, so that it is listed correctly, and the search
  // and case-number indexes if their layout or the KEK changed
  // (CaseStore::RebuildSearchIndexIfStale). Returns the number of cases re-indexed (0 when
  // current). Run before serving.
  Result<int> RebuildIndexesIfStale();

 private:
  // Moves the wrapped keys still under "case-key"/id to "case"/id/"key", in batches of whole keys.
  // Returns how many moved. Callers hold every write lock (CaseStore::LockAllWriters).
  Result<int> MoveLegacyCaseKeys();
  // Gives each case without an intake_date the JST date of its create_time (the day the server
  // opened it, which is what its fiscal year and number were taken from, so no count moves),
  // rewriting only the public part (the sealed part is copied as it is), in batches; then marks
  // the database done ("case-intake-dates") so that later start-ups skip the walk. Returns how
  // many cases it filled. Callers hold every write lock (CaseStore::LockAllWriters).
  Result<int> FillIntakeDates();
  // Prepares the team index entries of every case into `batch`; returns how many cases.
  Result<int> PrepareTeamIndexes(storage::WriteBatch* batch) const;
  // The decision date of the case's last transition (into the state it is in now).
  Result<v1::Date> EndDate(uint64_t id, const std::string& name) const;
  // FAILED_PRECONDITION "RETENTION_NOT_ELAPSED" unless the retention after `ended` is over.
  Status CheckRetention(const std::string& name, const v1::Date& ended) const;
  // Destroys the case's wrapped key, wherever it is.
  Status PrepareDestroyKey(uint64_t id, storage::WriteBatch* batch) const;
  // Takes the case's referrals out of their agencies' inboxes.
  Status PrepareLeaveInboxes(uint64_t id, const std::string& name,
                             storage::WriteBatch* batch) const;

  const CaseStore& cases_;
  storage::Storage& storage_;
  const Clock& clock_;
  const CaseMaintenanceOptions options_;
};

}  // namespace casecoord::cases
