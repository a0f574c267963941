// Cases over storage: intake, the lifecycle with its history, need-to-know visibility, sealed
// personal data and the statistics counters of each event.
//
// Layout (kRecords unless said):
//   "case"/id            the case: its public part and, sealed under the case's key with context
//                        "cases/{id}#personal", its personal part (SplitPersonal)
//   "case"/id/"key"      the case's data key, wrapped (CaseKeyring); right after its case, so
//                        that one block read finds both ("case-key"/id before, moved at start-up)
//   "case-event"/id/seq  the history; reason and decider sealed with "cases/{id}/events/{seq}"
//                        (the counters count each event under the case's classification as now
//                        recorded: an update that reclassifies moves its counts)
//   "case-referral"/id/n referrals; note and decline reason sealed with the referral's name
//   kIndexes "referral-inbox"/agency/id/n                the PENDING referrals of each agency
//   "case-entry"/id/n    the consultation log; summary and amendment reason sealed with the
//                        entry's name "cases/{id}/consultations/{n}"
//   kMeta "case-next-id", "case-number"/fiscal year      id and case-number sequences
//   kIndexes "case-request"/user/request_id → id          create idempotency
//   kIndexes "case-team"/agency/id                        the cases on each agency's team
// Every change is prepared into a WriteBatch that the caller commits with its audit entry; the
// counters of an event (services/stats) are in the same batch. Writers hold a CaseWriteLock from
// preparation to commit: LockCase for a change of one case (so its sequences and etag checks
// cannot interleave, while changes of different cases commit together in one fsync group), or
// LockNewCase for a create (the id and case-number sequences).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_keys.h"
#include "services/common/clock.h"
#include "services/common/handoff_lock.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/stats/counters.h"
#include "services/storage/request_ledger.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

// Who is looking, for need-to-know: coordinators see every case, agency staff the cases whose
// team includes their agency, nobody else any.
struct Viewer {
  bool every_case = false;
  std::string agency;  // "agencies/{agency}" of agency staff
};

bool CanSee(const v1::Case& record, const Viewer& viewer);

// ListCases filters; an empty or zero member matches everything.
struct CaseFilter {
  v1::CaseState state = v1::CASE_STATE_UNSPECIFIED;
  std::string district;
  int fiscal_year = 0;  // of intake
  std::string tag;      // a household or member issue tag
  std::string agency;   // "agencies/{id}" on the team
  // Open (not COMPLETED_BY_ADVICE or CLOSED) with next_review_date before `today` (JST).
  bool overdue = false;
  v1::Date today;
};

struct CasePage {
  std::vector<v1::Case> cases;
  std::string next_after_id;  // empty on the last page
};

struct CaseStoreOptions {
  // Years after a case ended (COMPLETED_BY_ADVICE or CLOSED: the decision date of that
  // transition) before its personal data may be purged. 0 allows a purge at once.
  int retention_years = 5;
};

struct CounterRebuild {
  std::vector<stats::CounterDifference> differences;  // stored vs recounted, before replacing
  size_t counters_recomputed = 0;
};

class CaseStore {
 public:
  // All must outlive the store.
  CaseStore(storage::Storage& storage, const directory::AgencyStore& agencies,
            const CaseKeyring& keys, const Clock& clock, CaseStoreOptions options = {})
      : storage_(storage), agencies_(agencies), keys_(keys), clock_(clock), options_(options) {}

  // Held by a writer from preparation to commit. `counting` is shared by every writer and taken
  // exclusively by the counter rebuild, which so sees no event half-counted.
  // Released by whichever thread reports the commit (see auth::Call::HoldUntilCommitted).
  struct CaseWriteLock {
    static constexpr bool kReleasableOnAnyThread = true;
    std::shared_lock<HandoffSharedMutex> counting;
    std::unique_lock<HandoffMutex> record;
  };
  // For changes of the case `name` ("cases/{id}" or a name under it; an unparsable name gets some
  // lock, and the change then fails validation anyway).
  CaseWriteLock LockCase(std::string_view name) const;
  // For creates.
  CaseWriteLock LockNewCase() const;
  // Stops every writer until released (the counter rebuild).
  std::unique_lock<HandoffSharedMutex> LockAllWriters() const {
    return std::unique_lock<HandoffSharedMutex>(counting_mutex_);
  }

  // Opens a case for `user_id` (who becomes its coordinator unless one is named). A request_id
  // this user has used before returns the case it created, preparing nothing (so a retried create
  // is safe). INVALID_ARGUMENT naming each bad field; NOT_FOUND for an unknown referring agency.
  Result<v1::Case> PrepareCreate(const std::string& user_id, const std::string& request_id,
                                 const v1::Case& input, storage::WriteBatch* batch) const;

  // Appends to the history of case `name` an event another store records about it (e.g.
  // MEETING_HELD with meeting_type, subject and decision_date set), counting it like the case's own
  // events (so a reclassification moves it and RecountCounters reproduces it). The caller holds
  // LockCase(name) until the batch commits.
  Status PrepareRecordEvent(const std::string& user_id, const std::string& name,
                            v1::CaseEvent event, storage::WriteBatch* batch) const;

  // The data key of case `name` ("cases/{id}"), for the stores that seal their records of a case
  // under it (meetings, plans, monitoring), so that a purge of the case destroys those too.
  // FAILED_PRECONDITION "CASE_PURGED" after a purge; NOT_FOUND for no such case.
  Result<CaseKey> KeyForCase(const std::string& name) const;

  // Another store's statistics (meetings held, ...) recounted from its records, for
  // PrepareRebuildCounters. Register before serving; not thread-safe against a running rebuild.
  void AddRecounter(std::function<Result<stats::CounterChanges>()> recount) {
    recounters_.push_back(std::move(recount));
  }

  // The case with its personal data opened. NOT_FOUND if absent; INVALID_ARGUMENT for a bad name.
  // The caller decides visibility (CanSee) and answers NOT_FOUND outside it.
  Result<v1::Case> Get(const std::string& name) const;

  // The case without its personal data (sealed fields empty; the team, state and classification
  // are there), and without unwrapping its key: what a visibility check needs before a write
  // that loads the case again anyway. Errors as Get.
  Result<v1::Case> GetPublic(const std::string& name) const;

  // Changes the fields `request.update_mask` names (the paths listed on UpdateCaseRequest; any
  // other is INVALID_ARGUMENT "update_mask") and records an UPDATED event naming them. ABORTED for
  // a stale etag; INVALID_ARGUMENT naming a bad field of the result; FAILED_PRECONDITION for a
  // purged case. If the statistics classification (district, issue tags) changes, the case's
  // counted events move from the old classification's counters to the new ones in the same batch.
  Result<v1::Case> PrepareUpdate(const std::string& user_id, const v1::UpdateCaseRequest& request,
                                 storage::WriteBatch* batch) const;

  // Moves the case (CheckTransition), records the event and counts it: COMPLETED_BY_ADVICE and
  // the first COORDINATING after intake in their fiscal year's table, CLOSED by outcome. ABORTED
  // for a stale etag.
  Result<v1::Case> PrepareTransition(const std::string& user_id,
                                     const v1::TransitionCaseRequest& request,
                                     storage::WriteBatch* batch) const;

  // Appends an entry to the case's consultation log (and a CONSULTATION_LOGGED event, counted if
  // it is a coordination contact). INVALID_ARGUMENT naming the field: kind, date (a real day, not
  // in the future), summary, agency (required and in the directory for COORDINATION_CONTACT),
  // amends/amendment_reason (required for AMENDMENT, naming an earlier entry of this case).
  Result<v1::ConsultationEntry> PrepareAppendConsultation(const std::string& user_id,
                                                          const std::string& parent,
                                                          const v1::ConsultationEntry& input,
                                                          storage::WriteBatch* batch) const;

  // Entries after number `after`, oldest first, opened, each with the entries that amend it.
  Result<std::vector<v1::ConsultationEntry>> Consultations(const std::string& parent, int64_t after,
                                                           int limit) const;

  // Asks an ACTIVE agency of the directory to join the team in `referral.role`. FAILED_PRECONDITION
  // if it is on the team already or has a pending referral for this case.
  Result<v1::Referral> PrepareRefer(const std::string& user_id, const std::string& parent,
                                    const v1::Referral& referral, storage::WriteBatch* batch) const;

  enum class Answer { kAccept, kDecline, kRevoke };
  // Answers a PENDING referral (FAILED_PRECONDITION otherwise, naming its state). Accepting adds
  // the agency to the team with the referral's role; declining needs a reason (INVALID_ARGUMENT
  // "reason") and may propose another agency of the directory. The caller checks who may answer
  // (ReferralOf tells which agency it is addressed to).
  Result<v1::Referral> PrepareAnswer(const std::string& user_id,
                                     const v1::AnswerReferralRequest& request, Answer answer,
                                     storage::WriteBatch* batch) const;

  // The referral `name` ("cases/{id}/referrals/{n}"), opened.
  Result<v1::Referral> ReferralOf(const std::string& name) const;

  // A case's referrals, oldest first; or, for parent "cases/-", the PENDING referrals addressed to
  // `agency` (an agency's inbox), oldest case first.
  Result<std::vector<v1::Referral>> Referrals(const std::string& parent,
                                              const std::string& agency) const;

  // Takes `agency` off the team (FAILED_PRECONDITION if it is not on it); its staff lose access at
  // once. `reason` is required and sealed in the history.
  Result<v1::Case> PrepareRemoveTeamMember(const std::string& user_id,
                                           const v1::RemoveTeamMemberRequest& request,
                                           storage::WriteBatch* batch) const;

  // The case's events after sequence `after`, oldest first, opened.
  Result<std::vector<v1::CaseEvent>> History(const std::string& name, int64_t after,
                                             int limit) const;

  // Cases the viewer may see that pass `filter`, newest first, strictly before id `before_id`
  // ("" = from the newest). A viewer who is not a coordinator, or a filter naming an agency, walks
  // that agency's team index rather than every case.
  // The ids of the cases whose team includes `agency` ("agencies/{id}"), from the team index.
  Result<std::vector<uint64_t>> TeamCaseIds(const std::string& agency) const;

  Result<CasePage> List(const Viewer& viewer, const CaseFilter& filter,
                        const std::string& before_id, int limit) const;

  // Brings a database written by an older server to the current layout: moves wrapped case keys
  // still under "case-key"/id next to their cases, and re-derives the index entries (case-team)
  // from the case records if their layout version changed, so that it is listed correctly.
  // Returns the number of cases re-indexed (0 when current). Run before serving.
  Result<int> RebuildIndexesIfStale();

  // The counters every case event implies, recounted from the records: what the stored counters
  // must equal (services/stats Compare / ReplaceCounters).
  Result<stats::CounterChanges> RecountCounters() const;

  // Recounts (RecountCounters and every AddRecounter), compares with the stored counters and,
  // unless `validate_only`, prepares in `batch` their replacement by the recount. The caller holds
  // LockAllWriters() until the batch commits, so that no event is counted in between (every
  // counting store writes under LockCase). Every "stat" counter is replaced, so every counting
  // store must be registered.
  Result<CounterRebuild> PrepareRebuildCounters(bool validate_only,
                                                storage::WriteBatch* batch) const;

  // Destroys the personal data of a case that ended at least the retention period ago (see
  // PurgeCaseRequest): its key goes (WriteBatch::DestroyRange), the record keeps only its public
  // part with purge_time set, pending referrals leave their agencies' inboxes, and a PURGED event
  // is recorded; counters do not change. INVALID_ARGUMENT "confirmation" unless it is
  // "PURGE {case_number}"; FAILED_PRECONDITION if the case is open, already purged or still within
  // retention (naming the first day it may be purged). After the commit, storage's
  // EraseDestroyed() removes the key from the live files.
  Result<v1::Case> PreparePurge(const std::string& user_id, const v1::PurgeCaseRequest& request,
                                storage::WriteBatch* batch) const;
  // Removes destroyed keys from the live files (storage::Storage::EraseDestroyed).
  Status EraseDestroyed() { return storage_.EraseDestroyed(); }

  // Remembers the request ids of this store's idempotent writes (storage::WriteOnce).
  const storage::RequestLedger& requests() const { return requests_; }

 private:
  struct Stored {
    v1::Case record;  // personal part opened, unless loaded without it
    std::string etag;
  };
  Result<Stored> Load(uint64_t id, bool with_personal = true) const;
  Result<CaseKey> KeyOf(uint64_t id) const;
  // Moves the wrapped keys still under "case-key"/id to "case"/id/"key", in batches of whole keys.
  // Returns how many moved. Callers hold every write lock (LockAllWriters).
  Result<int> MoveLegacyCaseKeys();
  void PutCase(uint64_t id, const CaseKey& key, v1::Case record, storage::WriteBatch* batch) const;
  // Writes the event with the case's classification at that moment, and counts it into `batch`.
  Status PutEvent(uint64_t id, const CaseKey& key, v1::CaseEvent event, const v1::Case& record,
                  storage::WriteBatch* batch) const;
  Result<int64_t> LastEventSequence(uint64_t id) const;
  // The last number the case has used among its `item_kind` records (events, entries), 0 if none:
  // from the `last_kind` key, or by seeking to the last such record if the key is absent.
  Result<uint64_t> LastNumber(uint64_t id, const char* last_kind, const char* item_kind) const;
  void PutLastNumber(uint64_t id, const char* last_kind, uint64_t number,
                     storage::WriteBatch* batch) const;
  // The next event of the case's history: its sequence, time and actor set.
  Result<v1::CaseEvent> NextEvent(uint64_t id, const std::string& user_id,
                                  v1::CaseEventKind kind) const;
  // Appends an event of `kind` about `subject` (with a sealed reason) to the case's history.
  Status PutHistory(uint64_t id, const CaseKey& key, const v1::Case& record,
                    const std::string& user_id, v1::CaseEventKind kind, const std::string& subject,
                    const std::string& reason, storage::WriteBatch* batch) const;
  void PutReferral(uint64_t id, uint64_t number, const CaseKey& key, const v1::Referral& referral,
                   storage::WriteBatch* batch) const;
  // `check_referrer`: whether referring_agency must (still) be in the directory.
  Status Validate(const v1::Case& input, bool check_referrer) const;
  // Takes the case's monitoring and plan-review items off every work list (services/worklist).
  Status ClearCaseWork(uint64_t id, storage::WriteBatch* batch) const;
  void PutTeamIndex(uint64_t id, const std::string& agency, bool on_team,
                    storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const storage::RequestLedger requests_{storage_};
  const directory::AgencyStore& agencies_;
  const CaseKeyring& keys_;
  const Clock& clock_;
  const CaseStoreOptions options_;
  std::vector<std::function<Result<stats::CounterChanges>()>> recounters_;
  // Locking does not change what the store holds, so const stores (readers) may lock too.
  mutable HandoffSharedMutex counting_mutex_;
  mutable HandoffMutex sequence_mutex_;
  // Case ids hash onto these; two cases rarely share one, and sharing only serialises them.
  mutable std::array<HandoffMutex, 64> case_mutexes_;
};

// The statistics classification of a case: fiscal year of intake, district, the union of its
// household and member issue tags, referrer kind.
v1::Case Classification(const v1::Case& record);

// Adds `delta` times the counters an event of a case classified `classification` implies
// (exposed for tests and the rebuild).
Status CountEvent(const v1::Case& classification, const v1::CaseEvent& event,
                  stats::CounterChanges* changes, int64_t delta = 1);

}  // namespace casecoord::cases
