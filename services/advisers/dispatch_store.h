// Adviser dispatch (アドバイザー派遣) over storage: the lifecycle of advisers.proto with its
// follow-up limits, sealed notes, and need-to-know visibility.
//
//   REQUESTED → APPROVED (an active adviser assigned) | DECLINED_DISPATCH (reason required)
//   APPROVED → SESSION_HELD (date, minutes, report) | DECLINED_DISPATCH (reason required)
//   SESSION_HELD → SESSION_HELD (a follow-up: at most max_follow_ups, dated from the session to
//                  follow_up_months after it) | CLOSED_DISPATCH
// Any other move is FAILED_PRECONDITION "ILLEGAL_TRANSITION" naming the current state; a stale
// etag is ABORTED "STALE_ETAG"; bad input is INVALID_ARGUMENT naming the field. A refusal prepares
// nothing.
//
// Layout:
//   kRecords "dispatch"/id     the dispatch, framed: its public part (Dispatch without the sealed
//                              fields and without follow_up_deadline, which is derived on
//                              reading), then (path, sealed value) pairs. Each sealed field is
//                              sealed alone with the context "dispatches/{id}#{path}", path one of
//                              request_note, decline_reason, session_report,
//                              follow_ups/{number}/note, so that no value opens in another record
//                              or field. A write seals only what it adds; the others stay as they
//                              were.
//   kRecords "dispatch-key"/id  a community-group dispatch's own data key, wrapped (CaseKeyring).
//                              A case dispatch has none: it seals under its case's key
//                              (CaseAccess::KeyForCase), so that a purge of the case destroys its
//                              dispatches' notes with the case (reads then return the public part;
//                              writes are FAILED_PRECONDITION "CASE_PURGED").
//   kMeta "dispatch-next-id"   the id sequence
//   kIndexes "dispatch-request"/user/request_id → id     create idempotency
//   kIndexes "dispatch-case"/case id/id                  the dispatches of each case
//   kIndexes "dispatch-adviser"/adviser id/id            the dispatches assigned to each adviser
// Every change is prepared into a WriteBatch that the caller commits with its audit entry; no
// counters (an adviser meeting is counted by the meetings store). Writers hold the WriteLock from
// LockForCreate / LockDispatch from preparation until the commit: for a case dispatch it is the
// case's lock (CaseAccess::LockCase), so that dispatch writes are serialised with the case's other
// writes, a purge included; a community-group dispatch has a lock of its own. ApproveDispatch also
// holds AdviserStore::LockForWrite, so that the adviser stays active until the approval commits.
//
// Thread safety: all methods may be called concurrently (under the locking rule above).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/advisers.pb.h"
#include "services/advisers/adviser_store.h"
#include "services/cases/case_access.h"
#include "services/cases/case_keys.h"
#include "services/common/clock.h"
#include "services/common/handoff_lock.h"
#include "services/common/status.h"
#include "services/storage/record_kit.h"
#include "services/storage/request_ledger.h"
#include "services/storage/storage.h"

namespace casecoord::advisers {

struct DispatchStoreOptions {
  // Follow-ups a dispatch may have after its session (setting dispatch-max-follow-ups). 0 allows
  // none.
  int max_follow_ups = 2;
  // Months after the session date within which a follow-up may be dated (setting
  // dispatch-follow-up-months); the deadline is the same day that many months later, or the last
  // day of that month when it is shorter.
  int follow_up_months = 2;
};

// Who is looking, for need-to-know.
struct DispatchViewer {
  bool every_dispatch = false;  // coordinators
  std::string adviser;          // "advisers/{id}" the caller signs in as (Adviser.user), if any
  std::string agency;           // "agencies/{id}" of agency staff: their team's case dispatches
};

// ListDispatches filters; an empty member matches everything.
struct DispatchFilter {
  v1::DispatchState state = v1::DISPATCH_STATE_UNSPECIFIED;
  std::string case_name;  // "cases/{id}"
  std::string adviser;    // the assigned adviser, "advisers/{id}"
  // A canonical form, for binding page tokens to the filter.
  std::string Fingerprint() const;
};

// ListDispatchesRequest.filter: "state = APPROVED AND case = \"cases/1\" AND adviser = ...".
// INVALID_ARGUMENT on field "filter" naming what is wrong.
Result<DispatchFilter> ParseDispatchFilter(const std::string& text);

struct DispatchPage {
  std::vector<v1::Dispatch> dispatches;
  std::string next_before_id;  // empty on the last page
};

// `date` moved `months` calendar months on (the last day of the month when the day does not
// exist there). `date` must be a real day.
v1::Date AddMonths(const v1::Date& date, int months);

class DispatchStore {
 public:
  // All must outlive the store.
  DispatchStore(storage::Storage& storage, const cases::CaseAccess& cases,
                const AdviserStore& advisers, const cases::CaseKeyring& keys, const Clock& clock,
                DispatchStoreOptions options = {})
      : storage_(storage),
        cases_(cases),
        advisers_(advisers),
        keys_(keys),
        clock_(clock),
        options_(options),
        creates_(storage, storage::key_spaces::kDispatchNextId,
                 storage::key_spaces::kDispatchRequest, Reason::kDispatchSequenceCorrupt) {}

  // Held by a writer from preparation until its batch commits (Call::HoldUntilCommitted).
  struct WriteLock {
    static constexpr bool kReleasableOnAnyThread = true;  // see auth::Call::HoldUntilCommitted
    std::optional<cases::CaseWriteLock> case_lock;        // a case dispatch's case
    std::unique_lock<HandoffMutex> own;  // a community group's dispatch, or the id sequence
  };
  // For a create of `input`: its case's lock (if it names a case), then the id sequence's.
  WriteLock LockForCreate(const v1::Dispatch& input);
  // For a change of the dispatch `name`. INVALID_ARGUMENT "name" for a malformed name; NOT_FOUND.
  Result<WriteLock> LockDispatch(const std::string& name);

  // A REQUESTED dispatch by `user_id`. A request_id this user has used before returns the
  // dispatch it created, preparing nothing. INVALID_ARGUMENT naming the field: request_id (1 to 64
  // printable ASCII characters), dispatch.case / dispatch.community_group (exactly one; an existing
  // case; a group name up to 200 characters), dispatch.field, dispatch.request_note,
  // dispatch.requested_adviser (an adviser of the registry). FAILED_PRECONDITION "CASE_ENDED" for
  // a case that is COMPLETED_BY_ADVICE or CLOSED, "CASE_PURGED", "ADVISER_INACTIVE".
  Result<v1::Dispatch> PrepareCreate(const std::string& user_id, const std::string& request_id,
                                     const v1::Dispatch& input, storage::WriteBatch* batch) const;

  // The dispatch with its sealed fields opened (none after its case was purged). NOT_FOUND if
  // absent; INVALID_ARGUMENT "name" for a malformed name. The caller decides visibility (CanSee).
  Result<v1::Dispatch> Get(const std::string& name) const;

  // Need to know: coordinators see every dispatch, the assigned adviser theirs, agency staff those
  // of cases whose team includes their agency (cases::CanSee).
  Result<bool> CanSee(const v1::Dispatch& dispatch, const DispatchViewer& viewer) const;

  // Dispatches the viewer may see that pass `filter`, newest first, strictly before id
  // `before_id` ("" = from the newest). A filter on a case or an adviser, or a viewer who only
  // sees an adviser's, walks that index rather than every dispatch.
  Result<DispatchPage> List(const DispatchViewer& viewer, const DispatchFilter& filter,
                            const std::string& before_id, int limit) const;

  // REQUESTED → APPROVED with `request.adviser` assigned: INVALID_ARGUMENT "adviser" unless it
  // names an adviser of the registry, FAILED_PRECONDITION "ADVISER_INACTIVE" if it is inactive.
  Result<v1::Dispatch> PrepareApprove(const v1::ApproveDispatchRequest& request,
                                      storage::WriteBatch* batch) const;
  // REQUESTED or APPROVED → DECLINED_DISPATCH; INVALID_ARGUMENT "reason" if it is empty.
  Result<v1::Dispatch> PrepareDecline(const v1::DeclineDispatchRequest& request,
                                      storage::WriteBatch* batch) const;
  // APPROVED → SESSION_HELD. INVALID_ARGUMENT naming the field: session_date (a real day, not
  // after today in JST), session_minutes (0 for 120, else 1 to 1440), report (required).
  Result<v1::Dispatch> PrepareRecordSession(const v1::RecordSessionRequest& request,
                                            storage::WriteBatch* batch) const;
  // Adds follow-up number n+1 to a SESSION_HELD dispatch. FAILED_PRECONDITION "FOLLOW_UP_LIMIT"
  // when it has max_follow_ups already; INVALID_ARGUMENT "follow_up.date" unless it is a real day
  // from the session date to the follow-up deadline and not after today, "follow_up.note" if empty.
  Result<v1::Dispatch> PrepareRecordFollowUp(const v1::RecordFollowUpRequest& request,
                                             storage::WriteBatch* batch) const;
  // SESSION_HELD → CLOSED_DISPATCH.
  Result<v1::Dispatch> PrepareClose(const v1::CloseDispatchRequest& request,
                                    storage::WriteBatch* batch) const;

  // Remembers the request ids of this store's idempotent writes (storage::WriteOnce).
  const storage::RequestLedger& requests() const { return requests_; }

 private:
  struct Stored {
    v1::Dispatch record;                        // public part
    std::map<std::string, std::string> sealed;  // path → sealed value
  };
  Result<Stored> Load(uint64_t id) const;
  // PrepareCreate once the request is known to be new: `id` is the dispatch's.
  Result<v1::Dispatch> PrepareNew(const std::string& user_id, uint64_t id,
                                  const v1::Dispatch& input, storage::WriteBatch* batch) const;
  // PrepareNew's lookups: the case (if `has_case`) exists, is not purged and not ended; the
  // requested adviser (if any) is registered and active.
  Status CheckDispatchTargets(const v1::Dispatch& input, bool has_case) const;
  // The dispatch `name` for a change: loaded, its etag checked against `etag` (if not empty).
  Result<std::pair<uint64_t, Stored>> LoadForChange(const std::string& name,
                                                    const std::string& etag) const;
  // The key the dispatch's fields are sealed under.
  Result<cases::CaseKey> KeyOf(uint64_t id, const v1::Dispatch& record) const;
  // `stored` with its sealed fields opened under `key` (null: left empty) and the derived fields.
  Result<v1::Dispatch> Opened(uint64_t id, const Stored& stored, const cases::CaseKey* key) const;
  // Opened under the dispatch's key; with its sealed fields left empty if the case was purged.
  Result<v1::Dispatch> OpenedUnlessPurged(uint64_t id, const Stored& stored) const;
  // Whether List shows `record` to `viewer`; team lookups are cached per case in *case_visible.
  Result<bool> ListedVisible(const v1::Dispatch& record, const DispatchViewer& viewer,
                             std::map<std::string, bool>* case_visible) const;
  // Visits the dispatches of `agency`'s team cases older than `before` (0: all), newest first,
  // until `visit` answers false.
  Status WalkAgencyCases(const std::string& agency, uint64_t before,
                         const std::function<Result<bool>(uint64_t)>& visit) const;
  // Seals `text` as `path` of dispatch `id` into `stored`.
  void SealField(uint64_t id, const cases::CaseKey& key, const std::string& path,
                 const std::string& text, Stored* stored) const;
  // Stamps the change (update_time, etag) and writes the record; returns it opened.
  Result<v1::Dispatch> Write(uint64_t id, const cases::CaseKey& key, Stored stored,
                             storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const storage::RequestLedger requests_{storage_};
  const cases::CaseAccess& cases_;
  const AdviserStore& advisers_;
  const cases::CaseKeyring& keys_;
  const Clock& clock_;
  const DispatchStoreOptions options_;
  const storage::NumberedCreates creates_;
  HandoffMutex sequence_mutex_;
  // Community-group dispatch ids hash onto these; sharing one only serialises two dispatches.
  std::array<HandoffMutex, 16> group_mutexes_;
};

}  // namespace casecoord::advisers
