// Monitoring (モニタリング) over storage: each case in support has one record with a track, a
// schedule of checks and the checks themselves; the next check due is kept in the work list
// (services/worklist) in the same batch as the change that moves it.
//
// Layout (kRecords unless said):
//   "monitoring"/id            the record of case id: MonitoringRecord without its checks; its etag
//                              is a revision number, "1" when created and one more per change
//   "monitoring-check"/id/n    check n (from 1): framed (MonitoringCheck without its note, the note
//                              sealed under the case's key with the check's name
//                              "cases/{id}/monitoring/checks/{n}" as associated data)
//   kIndexes "due"/..., "due-of"/"cases/{id}/monitoring"
//                              the case's CHECK_DUE item in the lists of its coordinator and team
//                              agencies (worklist::PrepareSetDue), for next_check_date
// The record holds no personal data (track, schedule, stage, dates); the notes do.
//
// Every change is prepared into a WriteBatch that the caller commits with its audit entry; the
// store never commits. Writers hold CaseAccess::LockCase(case name) from preparation until the
// batch is durable, so that the revision check, the check numbering and the work list's read of the
// subject's previous entries cannot interleave for one case.
//
// Thread safety: all methods may be called concurrently (under the locking rule above).
#pragma once

#include <string>
#include <vector>

#include "casecoord/v1/monitoring.pb.h"
#include "services/cases/case_access.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/request_ledger.h"
#include "services/storage/storage.h"
#include "services/worklist/due_index.h"

namespace casecoord::monitoring {

// The largest note of a check, in bytes of UTF-8 (about 10,000 Japanese characters).
inline constexpr size_t kMaxNoteBytes = 32768;
// The most dates a schedule may list (a year of daily checks).
inline constexpr int kMaxScheduleDates = 366;

// The case a monitoring record belongs to: "cases/{id}/monitoring" -> "cases/{id}".
// INVALID_ARGUMENT on `field` for anything else.
Result<std::string> CaseOfMonitoring(const std::string& name, const char* field = "name");

// The work-list subject of a case's monitoring: "cases/{id}/monitoring" for "cases/{id}".
std::string MonitoringSubject(const std::string& case_name);

// Whether `stage` is one of `track`'s (LIFE: visit, progress check, stable life, closure; WORK:
// matching, trial, settling in).
bool StageBelongsTo(v1::MonitoringStage stage, v1::MonitoringTrack track);

// The next check due under `schedule` after the checks dated `check_dates` (any order), or an
// empty Date (no due date) when the schedule has no more dates or `stage` is STAGE_CLOSURE. The
// schedule must be valid and, for interval_days, have its start_date filled in.
v1::Date NextCheckDate(const v1::MonitoringSchedule& schedule, v1::MonitoringStage stage,
                       const std::vector<v1::Date>& check_dates);

class MonitoringStore {
 public:
  // All must outlive the store.
  MonitoringStore(storage::Storage& storage, const cases::CaseAccess& cases, const Clock& clock)
      : storage_(storage), cases_(cases), clock_(clock) {}

  // Sets the track and schedule of the monitoring record `request.name()`, creating it if absent,
  // and recomputes next_check_date (and the case's CHECK_DUE work-list item) from the checks.
  // INVALID_ARGUMENT naming each bad field (name, track, schedule, schedule.interval_days,
  // schedule.dates[i], schedule.start_date); NOT_FOUND for no such case; FAILED_PRECONDITION
  // "CASE_NOT_IN_SUPPORT" naming the state unless the case is COORDINATING or IN_SUPPORT; ABORTED
  // for an etag that is not the record's (or any etag when there is no record). A change of track
  // clears the record's stage (the checks keep theirs).
  Result<v1::MonitoringRecord> PrepareSetSchedule(const v1::SetMonitoringScheduleRequest& request,
                                                  storage::WriteBatch* batch) const;

  // The record with every check, notes opened (empty after the case was purged). NOT_FOUND
  // "MONITORING_NOT_SET" if the case has no record; INVALID_ARGUMENT for a bad name. The caller
  // decides visibility (from the case) and answers NOT_FOUND outside it.
  Result<v1::MonitoringRecord> Get(const std::string& name) const;

  // Appends request.check() as check number (count + 1) by `user_id`, moves the record's stage
  // (if the check names one) and next_check_date, and the work-list item with them.
  // INVALID_ARGUMENT naming the field: check.kind (required), check.date (required, a real day,
  // not after today in JST), check.stage (of the record's track), check.note (required, at most
  // kMaxNoteBytes). NOT_FOUND "MONITORING_NOT_SET" without a record; FAILED_PRECONDITION as for
  // PrepareSetSchedule, and "DATED_BEFORE_INTAKE" for a check dated before the case's intake;
  // ABORTED for a stale etag. Returns the updated record with every check.
  Result<v1::MonitoringRecord> PrepareRecordCheck(const std::string& user_id,
                                                  const v1::RecordCheckRequest& request,
                                                  storage::WriteBatch* batch) const;

  // The work list of `owner` ("users/{user}" or "agencies/{agency}"; the caller decides who may
  // read it): the items due on or before `due_by` and every overdue one (due before today by the
  // clock, also when `due_by` is earlier), soonest first, strictly after position `after` (a
  // DuePage::next_after; "" = from the start), at most `limit`. INVALID_ARGUMENT "due_by" unless it
  // is a real day.
  Result<worklist::DuePage> ListDue(const std::string& owner, const v1::Date& due_by,
                                    const std::string& after, int limit) const;

  // Remembers the request ids of this store's idempotent writes (storage::WriteOnce).
  const storage::RequestLedger& requests() const { return requests_; }

 private:
  struct Stored {
    v1::MonitoringRecord record;  // without checks
    int revision = 0;
  };
  // The record of case `id` (named `name` in errors); NOT_FOUND "MONITORING_NOT_SET" if absent.
  Result<Stored> Load(uint64_t id, const std::string& name) const;
  // The checks of case `id`, oldest first; notes opened with `key` when it is given.
  Result<std::vector<v1::MonitoringCheck>> Checks(uint64_t id, const cases::CaseKey* key) const;
  // The case `case_name`, which must be COORDINATING or IN_SUPPORT.
  Result<v1::Case> CaseInSupport(const std::string& case_name) const;
  // Adds the checks of case `id`, notes opened, to *record.
  Status AddOpenedChecks(uint64_t id, const std::string& case_name,
                         v1::MonitoringRecord* record) const;
  // Writes the record (revision and update_time set here) and the case's work-list item.
  Status PutRecord(uint64_t id, const v1::Case& owner_case, int revision,
                   v1::MonitoringRecord* record, storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const storage::RequestLedger requests_{storage_};
  const cases::CaseAccess& cases_;
  const Clock& clock_;
};

}  // namespace casecoord::monitoring
