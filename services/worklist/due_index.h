// The work list index (monitoring.proto): what falls due, by owner and date, so that a work list is
// a range read in due-date order, never a scan of cases.
//
// Layout (ColumnFamily::kIndexes):
//   "due"/owner/Uint64(yyyymmdd)/subject   → DueItem (no personal data: kinds, dates, names)
//   "due-of"/subject                       → the "due" keys the subject has now (framed strings)
// A subject is what falls due ("cases/1/monitoring", "meetings/3#r2", "cases/1/plans/2"); it has
// at most one due date at a time and any number of owners ("users/{coordinator}",
// "agencies/{agency}").
//
// Writers prepare changes into the batch of the event that moves the due date (the check, the
// minutes, the plan version), so the list always agrees with the records. A writer holds the lock
// of the subject's case (CaseAccess::LockCase) until that batch commits, since PrepareSetDue reads
// the subject's previous entries.
//
// Thread safety: the functions may be called concurrently (see the locking rule above).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "casecoord/v1/monitoring.pb.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::worklist {

// Makes `item` (its subject, due_date, kind, case, ...) the one due entry of `item.subject()` in
// the lists of every owner in `owners`, replacing the subject's previous entries. No owners, or no
// due date, removes the subject from every list. INVALID_ARGUMENT for an empty subject or a due
// date that is not a real day.
Status PrepareSetDue(const storage::Storage& storage, const v1::DueItem& item,
                     const std::vector<std::string>& owners, storage::WriteBatch* batch);

// Removes `subject` from every list.
Status PrepareClearDue(const storage::Storage& storage, const std::string& subject,
                       storage::WriteBatch* batch);

// Takes `owner` off every item of `case_name` ("cases/{id}") in its list, as when an agency leaves
// the case's team: the other owners keep the items. Reads the owner's list only (never a scan of
// cases); the caller holds the case's lock, as for PrepareSetDue.
Status PrepareRemoveOwnerFromCase(const storage::Storage& storage, const std::string& owner,
                                  const std::string& case_name, storage::WriteBatch* batch);

struct DuePage {
  std::vector<v1::DueItem> items;
  std::string next_after;  // opaque position for the next page; empty on the last page
};

// The items of `owner` due on or before `due_by`, soonest first, strictly after position `after`
// ("" = from the start), at most `limit`; `overdue` is set on those due before `today`.
Result<DuePage> ListDue(const storage::Storage& storage, const std::string& owner,
                        const v1::Date& due_by, const v1::Date& today, const std::string& after,
                        int limit);

// The owners of the work items of a case: its coordinator ("users/...") and the agencies on its
// team.
std::vector<std::string> CaseWorkOwners(const v1::Case& record);

// yyyymmdd of a date, for ordering and comparisons.
int DayNumber(const v1::Date& date);

// Whether `date` is a real day of the years 1900 to 9999 (as JstMidnight accepts, without its
// conversion to system_clock, whose nanoseconds end in 2262).
bool IsRealDay(const v1::Date& date);

// `date` moved by `days` (negative: back) on the calendar, kept within the years 1900 to 9999
// (clamped to them). A `date` that is not a real day is returned unchanged.
v1::Date AddDays(const v1::Date& date, int days);

}  // namespace casecoord::worklist
