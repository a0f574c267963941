// Cases over storage: the core of the cases area. Intake, the lifecycle with its history,
// need-to-know listing, the per-case data keys that seal personal data, and the write locks.
// The other classes of the area build on it: CaseReferrals (case_referrals.h: referrals and the
// team), CaseConsultations (case_consultations.h: the consultation log), CaseCounting
// (case_counting.h: the statistics counters of case events) and CaseMaintenance
// (case_maintenance.h: purge, start-up migrations). Other areas see it as a CaseAccess
// (case_access.h).
//
// Layout (kRecords unless said; the key encodings are in case_layout.h):
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
//   kMeta "case-intake-dates"                             every case has its intake_date
//                                                         (CaseMaintenance::FillIntakeDates)
//   kIndexes "case-request"/user/request_id → id          create idempotency
//   kIndexes "case-team"/agency/id                        the cases on each agency's team
//   kIndexes "case-search"/hash/id, "case-by-number"/fy/n  household search (case_search.h)
// Every change is prepared into a WriteBatch that the caller commits with its audit entry; the
// counters of an event (services/stats) are in the same batch. Writers hold a CaseWriteLock from
// preparation to commit: LockCase for a change of one case (so its sequences and etag checks
// cannot interleave, while changes of different cases commit together in one fsync group), or
// LockNewCase for a create (the id and case-number sequences).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_access.h"
#include "services/cases/case_keys.h"
#include "services/cases/case_search.h"
#include "services/common/clock.h"
#include "services/common/handoff_lock.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/storage/record_kit.h"
#include "services/storage/request_ledger.h"
#include "services/storage/storage.h"
#include "services/vocab/term_check.h"

namespace casecoord::cases {

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

// The bounds of a case's intake date (Case.intake_date).
struct CaseStoreOptions {
  // The earliest intake date accepted (setting records-since): records before it are not kept.
  v1::Date records_since = DefaultRecordsSince();

  static v1::Date DefaultRecordsSince() {
    v1::Date date;
    date.set_year(2000);
    date.set_month(4);
    date.set_day(1);
    return date;
  }
};

// Whether CreateCase warns of a household that may already have a case (CreateCaseRequest's
// allow_duplicate).
enum class Duplicates { kWarn, kAllow };

struct CasePage {
  std::vector<v1::Case> cases;
  std::string next_after_id;  // empty on the last page
};

class CaseStore final : public CaseAccess {
 public:
  // All must outlive the store.
  // `terms`: the managed vocabularies the district, issue tags and fields of a write must be in
  // (services/vocab/term_check.h).
  CaseStore(storage::Storage& storage, const directory::AgencyStore& agencies,
            const vocab::TermCheck& terms, const CaseKeyring& keys, const Clock& clock,
            CaseStoreOptions options = {})
      : storage_(storage),
        agencies_(agencies),
        terms_(terms),
        keys_(keys),
        clock_(clock),
        options_(std::move(options)),
        creates_(storage, storage::key_spaces::kCaseNextId, storage::key_spaces::kCaseRequest,
                 Reason::kCaseSequenceCorrupt) {}

  CaseWriteLock LockCase(std::string_view name) const override;
  // For creates.
  CaseWriteLock LockNewCase() const;
  // Stops every writer until released (the counter rebuild, start-up migrations).
  std::unique_lock<HandoffSharedMutex> LockAllWriters() const {
    return std::unique_lock<HandoffSharedMutex>(counting_mutex_);
  }

  // Opens a case for `user_id` (who becomes its coordinator unless one is named). A request_id
  // this user has used before returns the case it created, preparing nothing (so a retried create
  // is safe). INVALID_ARGUMENT naming each bad field (case.create_time when set; case.intake_date
  // in the future or before records-since); NOT_FOUND for an unknown referring agency; with
  // Duplicates::kWarn, FAILED_PRECONDITION "POSSIBLE_DUPLICATE" naming the cases in its metadata
  // if PossibleDuplicates finds any. The fiscal year, the number and the OPENED count follow the
  // intake date (today when unset).
  Result<v1::Case> PrepareCreate(const std::string& user_id, const std::string& request_id,
                                 const v1::Case& input, storage::WriteBatch* batch,
                                 Duplicates duplicates = Duplicates::kAllow) const;

  Status PrepareRecordEvent(const std::string& user_id, const std::string& name,
                            v1::CaseEvent event, storage::WriteBatch* batch) const override;
  Result<CaseKey> KeyForCase(const std::string& name) const override;
  Result<v1::Case> Get(const std::string& name) const override;
  Result<v1::Case> GetPublic(const std::string& name) const override;

  // Changes the fields `request.update_mask` names (the paths listed on UpdateCaseRequest; any
  // other is INVALID_ARGUMENT "update_mask") and records an UPDATED event naming them. ABORTED for
  // a stale etag; INVALID_ARGUMENT naming a bad field of the result; FAILED_PRECONDITION for a
  // purged case. If the statistics classification (district, issue tags, fields, the fiscal year
  // of intake) changes, the case's counted events move from the old classification's counters to
  // the new ones in the same batch. Path intake_date: bounds as PrepareCreate, and
  // FAILED_PRECONDITION "INTAKE_AFTER_RECORDS" if a date recorded on the case
  // (EarliestRecordedDate) precedes it; the fiscal year follows, case_number stays.
  Result<v1::Case> PrepareUpdate(const std::string& user_id, const v1::UpdateCaseRequest& request,
                                 storage::WriteBatch* batch) const;

  // Moves the case (CheckTransition), records the event and counts it: COMPLETED_BY_ADVICE and
  // the first COORDINATING after intake in their fiscal year's table, CLOSED by outcome. ABORTED
  // for a stale etag; FAILED_PRECONDITION "DATED_BEFORE_INTAKE" for a decision date before the
  // case's intake.
  Result<v1::Case> PrepareTransition(const std::string& user_id,
                                     const v1::TransitionCaseRequest& request,
                                     storage::WriteBatch* batch) const;

  // The case's events after sequence `after`, oldest first, opened.
  Result<std::vector<v1::CaseEvent>> History(const std::string& name, int64_t after,
                                             int limit) const;

  Result<std::vector<uint64_t>> TeamCaseIds(const std::string& agency) const override;
  Status CheckDateOnCase(const std::string& name, const v1::Date& date,
                         std::string_view field) const override;

  // The earliest date recorded in the history of case `id` (decisions, consultation entries,
  // meetings held: the events' decision_date), or nullopt if none.
  Result<std::optional<v1::Date>> EarliestRecordedDate(uint64_t id) const;

  // Cases the viewer may see that pass `filter`, newest first, strictly before id `before_id`
  // ("" = from the newest). A viewer who is not a coordinator, or a filter naming an agency, walks
  // that agency's team index rather than every case.
  Result<CasePage> List(const Viewer& viewer, const CaseFilter& filter,
                        const std::string& before_id, int limit) const;

  // Household search (case_search.h): the cases the viewer may see that match `query` (at least
  // one criterion), each opened as Get returns it, newest first, strictly before id `before_id`.
  // Cases outside the viewer's sight are simply absent. INVALID_ARGUMENT "page_token" for a bad
  // position.
  Result<CasePage> Search(const Viewer& viewer, const SearchQuery& query,
                          const std::string& before_id, int limit) const;
  // The cases (name and case_number only, newest first) with a member of the same folded name and
  // birth date as a member of `input`, or with a phone (household's or a member's) of `input`.
  Result<std::vector<v1::Case>> PossibleDuplicates(const v1::Case& input) const;
  // Re-derives the search and case-number indexes from the records unless they were built with
  // this layout (kSearchIndexLayout) and the current KEK. Returns the number of cases indexed (0
  // when current). Callers hold LockAllWriters; runs before serving.
  Result<int> RebuildSearchIndexIfStale() const;
  // Index upkeep for a change of the case's personal data: takes out the search terms of `before`
  // that `after` lacks, and puts in those of `after` that `before` lacks (either may be null:
  // create, purge). Both with their personal fields opened.
  void PutSearchTerms(uint64_t id, const v1::Case* before, const v1::Case* after,
                      storage::WriteBatch* batch) const;

  // Remembers the request ids of the cases area's idempotent writes (storage::WriteOnce).
  const storage::RequestLedger& requests() const { return requests_; }

  // Case numbers taken by creates prepared into one batch that has not committed (an import
  // creates many): fiscal year → the last number taken.
  using PendingNumbers = std::map<int, uint64_t>;
  struct NewCase {
    v1::Case record;
    CaseKey key;  // its data key, for later events prepared into the same batch
  };
  // What PrepareCreate checks of `input` before it changes anything: INVALID_ARGUMENT naming each
  // bad field, NOT_FOUND for an unknown referring agency. The input as it would be stored (a
  // vocabulary term's Japanese label replaced by its id).
  Result<v1::Case> CheckNewCase(const v1::Case& input) const;
  // PrepareCreate once the request is known to be new: the case `id` opened (CheckNewCase first,
  // then CheckNotDuplicate with Duplicates::kWarn), its OPENED event and its index entries,
  // numbered after `pending` (when not null), which records the number.
  Result<NewCase> PrepareNewCase(const std::string& user_id, uint64_t id, const v1::Case& input,
                                 Duplicates duplicates, PendingNumbers* pending,
                                 storage::WriteBatch* batch) const;
  // The case id sequence (for creates that take several ids in one batch).
  const storage::NumberedCreates& creates() const { return creates_; }

  // The building blocks of the other classes of services/cases (referrals, consultations,
  // maintenance, imports). Not for other areas: they use CaseAccess. Writers among them hold
  // LockCase of the case until their batch commits.
  struct Stored {
    v1::Case record;  // personal part opened, unless loaded without it
    std::string etag;
  };
  // NOT_FOUND if absent; DATA_LOSS for an unreadable record; the errors of KeyOf if personal.
  Result<Stored> Load(uint64_t id, bool with_personal = true) const;
  // The case's data key, unwrapped (from "case"/id/"key", or "case-key"/id until moved).
  // FAILED_PRECONDITION "CASE_PURGED" if it is gone.
  Result<CaseKey> KeyOf(uint64_t id) const;
  // Writes the case: its public part, and its personal part sealed under `key`.
  void PutCase(uint64_t id, const CaseKey& key, v1::Case record, storage::WriteBatch* batch) const;
  // Writes the event with the case's classification at that moment, and counts it into `batch`.
  Status PutEvent(uint64_t id, const CaseKey& key, v1::CaseEvent event, const v1::Case& record,
                  storage::WriteBatch* batch) const;
  // Appends an event of `kind` about `subject` (with a sealed reason) to the case's history.
  Status PutHistory(uint64_t id, const CaseKey& key, const v1::Case& record,
                    const std::string& user_id, v1::CaseEventKind kind, const std::string& subject,
                    const std::string& reason, storage::WriteBatch* batch) const;
  // The next event of the case's history: its sequence, time and actor set.
  Result<v1::CaseEvent> NextEvent(uint64_t id, const std::string& user_id,
                                  v1::CaseEventKind kind) const;
  Result<int64_t> LastEventSequence(uint64_t id) const;
  // The last number the case has used among its `item_kind` records (events, entries), 0 if none:
  // from the `last_kind` key, or by seeking to the last such record if the key is absent.
  Result<uint64_t> LastNumber(uint64_t id, const char* last_kind, const char* item_kind) const;
  void PutLastNumber(uint64_t id, const char* last_kind, uint64_t number,
                     storage::WriteBatch* batch) const;
  // Adds the case to (or takes it off) the team index of `agency`.
  void PutTeamIndex(uint64_t id, const std::string& agency, bool on_team,
                    storage::WriteBatch* batch) const;
  // Takes the answers to the case's referrals (REFERRAL_ANSWERED) off the coordinator's work list:
  // the coordinator has acted on the case. With `pending` also the PENDING referrals' items (a
  // purge). Reads the case's referrals only; the caller holds the case's lock.
  Status PrepareClearReferralItems(uint64_t id, bool pending, storage::WriteBatch* batch) const;

 private:
  // Checks `record` (written over `previous`, null for a new case: a retired term it already held
  // stays valid) and replaces a term's Japanese label by its id. `check_referrer`: whether
  // referring_agency must (still) be in the directory.
  Status Validate(v1::Case* record, const v1::Case* previous, bool check_referrer) const;
  // INVALID_ARGUMENT "case.intake_date" unless `intake` is a real day from records-since to today.
  Status CheckIntakeBounds(const v1::Date& intake, std::chrono::system_clock::time_point now) const;
  // The intake-date part of PrepareUpdate: bounds, the records on the case, the fiscal year.
  Status UpdateIntakeDate(uint64_t id, std::chrono::system_clock::time_point now,
                          v1::Case* record) const;
  // FAILED_PRECONDITION "POSSIBLE_DUPLICATE" if PossibleDuplicates(input) finds a case.
  Status CheckNotDuplicate(const v1::Case& input) const;
  // The case-number index entry of a case.
  void PutCaseNumber(uint64_t id, const v1::Case& record, storage::WriteBatch* batch) const;
  // The ids (ascending) of the cases with search term `term` (case_search.h's spelling).
  Result<std::vector<uint64_t>> CasesWithTerm(const std::string& term) const;
  // The ids (ascending) of the cases with every one of `terms`, intersected into `ids` (nullopt:
  // no term has narrowed the set yet). Stops early once the set is empty.
  Status IntersectCasesWithTerms(const std::vector<std::string>& terms,
                                 std::optional<std::vector<uint64_t>>* ids) const;
  // The ids of the cases that could be `input`'s household: the same member (name and birth
  // date) or the same phone number as one of `phones`.
  Result<std::set<uint64_t>> DuplicateCandidates(const v1::Case& input,
                                                 const std::set<std::string>& phones) const;
  // The ids (ascending) of the cases the index finds for every criterion of `query`.
  Result<std::vector<uint64_t>> SearchCandidates(const SearchQuery& query) const;
  // Indexes every case for search, in batches; returns how many.
  Result<int> IndexCasesForSearch() const;
  // The next case number (受付番号) of `fiscal_year`: 1 for its first case, or after the last one
  // in `pending` (numbers taken by creates prepared into an uncommitted batch).
  Result<uint64_t> NextCaseNumber(int fiscal_year, const PendingNumbers* pending) const;
  // Takes the case's monitoring and plan-review items off every work list (services/worklist).
  Status ClearCaseWork(uint64_t id, storage::WriteBatch* batch) const;
  // Reads the public part of the case `id` that a List walk found; DATA_LOSS if unreadable.
  // Writes a transition's event and record, and clears what the new state ends (the work items
  // of an ended case, answered referral items).
  Status PutTransition(uint64_t id, const v1::CaseEvent& event, const v1::Case& record,
                       storage::WriteBatch* batch) const;
  Result<v1::Case> ListedCase(uint64_t id, std::string_view value, bool from_team_index) const;

  storage::Storage& storage_;
  const storage::RequestLedger requests_{storage_};
  const directory::AgencyStore& agencies_;
  const vocab::TermCheck& terms_;
  const CaseKeyring& keys_;
  const Clock& clock_;
  const CaseStoreOptions options_;
  const storage::NumberedCreates creates_;
  // Locking does not change what the store holds, so const stores (readers) may lock too.
  mutable HandoffSharedMutex counting_mutex_;
  mutable HandoffMutex sequence_mutex_;
  // Case ids hash onto these; two cases rarely share one, and sharing only serialises them.
  mutable std::array<HandoffMutex, 64> case_mutexes_;
};

}  // namespace casecoord::cases
