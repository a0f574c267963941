// What the other areas (meetings, plans, advisers' dispatches, monitoring) may do with cases:
// lock a case while they change their records of it, seal those records under the case's key,
// read the case (to decide need-to-know), record an event in its history, and find an agency's
// cases. CaseStore implements it; the rest of the cases area (referrals, the consultation log,
// counting, maintenance) stays out of their reach.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_keys.h"
#include "services/common/handoff_lock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

// Who is looking, for need-to-know: coordinators see every case, agency staff the cases whose
// team includes their agency, nobody else any.
struct Viewer {
  bool every_case = false;
  std::string agency;  // "agencies/{agency}" of agency staff
};

bool CanSee(const v1::Case& record, const Viewer& viewer);

// OK unless `date` (the value of request field `field`, e.g. "decision_date") is before the intake
// date of `record`: then FAILED_PRECONDITION "DATED_BEFORE_INTAKE" naming the field and both dates.
// A record without an intake date (not yet migrated) bounds nothing.
Status CheckNotBeforeIntake(const v1::Case& record, const v1::Date& date, std::string_view field);

// Held by a writer from preparation to commit. `counting` is shared by every writer and taken
// exclusively by the counter rebuild, which so sees no event half-counted.
// Released by whichever thread reports the commit (see auth::Call::HoldUntilCommitted).
struct CaseWriteLock {
  static constexpr bool kReleasableOnAnyThread = true;
  std::shared_lock<HandoffSharedMutex> counting;
  std::unique_lock<HandoffMutex> record;
};

class CaseAccess {
 public:
  virtual ~CaseAccess() = default;

  // For changes of the case `name` ("cases/{id}" or a name under it; an unparsable name gets some
  // lock, and the change then fails validation anyway).
  virtual CaseWriteLock LockCase(std::string_view name) const = 0;

  // The data key of case `name` ("cases/{id}"), for the stores that seal their records of a case
  // under it (meetings, plans, monitoring), so that a purge of the case destroys those too.
  // FAILED_PRECONDITION "CASE_PURGED" after a purge; NOT_FOUND for no such case.
  virtual Result<CaseKey> KeyForCase(const std::string& name) const = 0;

  // The case with its personal data opened. NOT_FOUND if absent; INVALID_ARGUMENT for a bad name.
  // The caller decides visibility (CanSee) and answers NOT_FOUND outside it.
  virtual Result<v1::Case> Get(const std::string& name) const = 0;

  // The case without its personal data (sealed fields empty; the team, state and classification
  // are there), and without unwrapping its key: what a visibility check needs before a write
  // that loads the case again anyway. Errors as Get.
  virtual Result<v1::Case> GetPublic(const std::string& name) const = 0;

  // Appends to the history of case `name` an event another store records about it (e.g.
  // MEETING_HELD with meeting_type, subject and decision_date set), counting it like the case's own
  // events (so a reclassification moves it and CaseCounting's recount reproduces it). The caller
  // holds LockCase(name) until the batch commits.
  virtual Status PrepareRecordEvent(const std::string& user_id, const std::string& name,
                                    v1::CaseEvent event, storage::WriteBatch* batch) const = 0;

  // The ids of the cases whose team includes `agency` ("agencies/{id}"), from the team index.
  virtual Result<std::vector<uint64_t>> TeamCaseIds(const std::string& agency) const = 0;

  // Nothing dated on a case may precede its intake: CheckNotBeforeIntake for case `name` (a meeting
  // held, a plan review, a monitoring check). NOT_FOUND for no such case; INVALID_ARGUMENT for a
  // bad name. Callers hold LockCase(name) so that the intake date cannot change meanwhile.
  virtual Status CheckDateOnCase(const std::string& name, const v1::Date& date,
                                 std::string_view field) const = 0;
};

}  // namespace casecoord::cases
