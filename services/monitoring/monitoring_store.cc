#include "services/monitoring/monitoring_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <charconv>

#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"
#include "services/worklist/due_index.h"

namespace casecoord::monitoring {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kMonitoringSuffix[] = "/monitoring";

std::string RecordKey(uint64_t id) { return storage::key_spaces::kMonitoring.Key(id); }

std::string CheckPrefix(uint64_t id) { return storage::key_spaces::kMonitoringCheck.Key(id); }

std::string CheckKey(uint64_t id, uint64_t number) {
  std::string key = CheckPrefix(id);
  storage::AppendUint64(&key, number);
  return key;
}

std::string CaseName(uint64_t id) { return kCasePrefix + std::to_string(id); }

std::string CheckName(uint64_t id, uint64_t number) {
  return CaseName(id) + kMonitoringSuffix + "/checks/" + std::to_string(number);
}

// "cases/{id}" -> id; the caller has checked the shape (CaseOfMonitoring), so 0 never results.
uint64_t CaseId(const std::string& case_name) {
  return ParseDecimalId(std::string_view(case_name).substr(sizeof(kCasePrefix) - 1)).value_or(0);
}

// SetMonitoringSchedule's request fields, each invalid one added to *violation.
void CheckScheduleRequest(const v1::SetMonitoringScheduleRequest& request,
                          FieldViolations* violation) {
  if (request.track() != v1::LIFE && request.track() != v1::WORK) {
    (*violation)("track", "required: LIFE or WORK");
  }
  const v1::MonitoringSchedule& schedule = request.schedule();
  const bool interval = schedule.interval_days() != 0;
  const bool dated = !schedule.dates().empty();
  if (interval && dated) {
    (*violation)("schedule", "give interval_days or dates, not both");
  } else if (!interval && !dated) {
    (*violation)("schedule", "required: interval_days or dates");
  }
  if (interval && (schedule.interval_days() < 1 || schedule.interval_days() > 366)) {
    (*violation)("schedule.interval_days", "must be from 1 to 366");
  }
  if (dated && schedule.dates_size() > kMaxScheduleDates) {
    (*violation)("schedule.dates", "at most " + std::to_string(kMaxScheduleDates) + " dates");
  }
  for (int i = 0; i < schedule.dates_size() && i < kMaxScheduleDates; ++i) {
    const std::string field = "schedule.dates[" + std::to_string(i) + "]";
    if (!worklist::IsRealDay(schedule.dates(i))) {
      (*violation)(field, "not a date");
    } else if (i > 0 && worklist::IsRealDay(schedule.dates(i - 1)) &&
               worklist::DayNumber(schedule.dates(i)) <=
                   worklist::DayNumber(schedule.dates(i - 1))) {
      (*violation)(field, "must come after schedule.dates[" + std::to_string(i - 1) + "]");
    }
  }
  if (schedule.has_start_date()) {
    if (dated && !interval) {
      (*violation)("schedule.start_date", "only with interval_days");
    } else if (!worklist::IsRealDay(schedule.start_date())) {
      (*violation)("schedule.start_date", "not a date");
    }
  }
}

// Gives *record the request's track and schedule (an interval starting today unless it says
// otherwise); a stage of another track is dropped.
void Reschedule(const v1::SetMonitoringScheduleRequest& request, const Clock& clock,
                v1::MonitoringRecord* record) {
  v1::MonitoringSchedule schedule = request.schedule();
  const bool interval = schedule.interval_days() != 0;
  if (interval && !schedule.has_start_date()) {
    *schedule.mutable_start_date() = JstToday(clock);
  }
  if (record->track() != request.track() && !StageBelongsTo(record->stage(), request.track())) {
    record->clear_stage();
  }
  record->set_track(request.track());
  *record->mutable_schedule() = std::move(schedule);
}

// Sets or clears the record's next check date from its schedule, stage and `checks`.
void SetNextCheckDate(const std::vector<v1::MonitoringCheck>& checks,
                      v1::MonitoringRecord* record) {
  std::vector<v1::Date> dates;
  dates.reserve(checks.size());
  for (const auto& check : checks) dates.push_back(check.date());
  const v1::Date next = NextCheckDate(record->schedule(), record->stage(), dates);
  if (next.year() != 0) {
    *record->mutable_next_check_date() = next;
  } else {
    record->clear_next_check_date();
  }
}

// RecordCheck's check fields against the record's track, each invalid one added to *violation.
void CheckCheckInput(const v1::MonitoringCheck& input, v1::MonitoringTrack track,
                     const v1::Date& today, FieldViolations* violation) {
  if (input.kind() != v1::ROUTINE_CHECK && input.kind() != v1::READJUSTMENT &&
      input.kind() != v1::REVISIT) {
    (*violation)("check.kind", "required: ROUTINE_CHECK, READJUSTMENT or REVISIT");
  }
  if (!input.has_date()) {
    (*violation)("check.date", "required");
  } else if (!worklist::IsRealDay(input.date())) {
    (*violation)("check.date", "not a date");
  } else if (worklist::DayNumber(input.date()) > worklist::DayNumber(today)) {
    (*violation)("check.date", "must not be in the future");
  }
  if (!v1::MonitoringStage_IsValid(input.stage())) {
    (*violation)("check.stage", "unknown stage");
  } else if (input.stage() != v1::MONITORING_STAGE_UNSPECIFIED &&
             !StageBelongsTo(input.stage(), track)) {
    (*violation)("check.stage", v1::MonitoringStage_Name(input.stage()) +
                                    " is not a stage of the " + v1::MonitoringTrack_Name(track) +
                                    " track");
  }
  if (input.note().empty()) {
    (*violation)("check.note", "required");
  } else if (input.note().size() > kMaxNoteBytes) {
    (*violation)("check.note", "at most " + std::to_string(kMaxNoteBytes) + " bytes");
  }
}

}  // namespace

Result<std::string> CaseOfMonitoring(const std::string& name, const char* field) {
  const Status invalid =
      Status::InvalidArgument(field, "must look like \"cases/{case}/monitoring\"");
  const size_t prefix = sizeof(kCasePrefix) - 1;
  const size_t suffix = sizeof(kMonitoringSuffix) - 1;
  if (name.size() <= prefix + suffix || name.rfind(kCasePrefix, 0) != 0 ||
      name.compare(name.size() - suffix, suffix, kMonitoringSuffix) != 0) {
    return invalid;
  }
  const std::string digits = name.substr(prefix, name.size() - prefix - suffix);
  if (digits.empty() || digits.size() > 18 || digits.front() == '0' ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return invalid;
  }
  return name.substr(0, name.size() - suffix);
}

std::string MonitoringSubject(const std::string& case_name) {
  return case_name + kMonitoringSuffix;
}

bool StageBelongsTo(v1::MonitoringStage stage, v1::MonitoringTrack track) {
  switch (stage) {
    case v1::STAGE_VISIT:
    case v1::STAGE_PROGRESS_CHECK:
    case v1::STAGE_STABLE_LIFE:
    case v1::STAGE_CLOSURE:
      return track == v1::LIFE;
    case v1::STAGE_MATCHING:
    case v1::STAGE_TRIAL:
    case v1::STAGE_SETTLING_IN:
      return track == v1::WORK;
    default:
      return false;
  }
}

v1::Date NextCheckDate(const v1::MonitoringSchedule& schedule, v1::MonitoringStage stage,
                       const std::vector<v1::Date>& check_dates) {
  if (stage == v1::STAGE_CLOSURE) return v1::Date();
  const v1::Date* latest = nullptr;
  for (const auto& date : check_dates) {
    if (latest == nullptr || worklist::DayNumber(date) > worklist::DayNumber(*latest)) {
      latest = &date;
    }
  }
  if (schedule.interval_days() > 0) {
    return worklist::AddDays(latest != nullptr ? *latest : schedule.start_date(),
                             schedule.interval_days());
  }
  const int after = latest != nullptr ? worklist::DayNumber(*latest) : 0;
  for (const auto& date : schedule.dates()) {
    if (worklist::DayNumber(date) > after) return date;
  }
  return v1::Date();
}

Result<MonitoringStore::Stored> MonitoringStore::Load(uint64_t id, const std::string& name) const {
  auto value = storage_.Get(ColumnFamily::kRecords, RecordKey(id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status(Reason::kMonitoringNotSet,
                  name + " not found: the case has no monitoring schedule yet");
  }
  Stored stored;
  if (!stored.record.ParseFromString(**value)) {
    return Status(Reason::kMonitoringCorrupt, name + " is unreadable");
  }
  // The etag is the server's own decimal revision; an unreadable one counts as revision 0.
  const std::string& etag = stored.record.etag();
  std::from_chars(etag.data(), etag.data() + etag.size(), stored.revision);
  return stored;
}

Result<std::vector<v1::MonitoringCheck>> MonitoringStore::Checks(uint64_t id,
                                                                 const cases::CaseKey* key) const {
  std::vector<v1::MonitoringCheck> checks;
  const std::string prefix = CheckPrefix(id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string public_bytes, sealed;
    v1::MonitoringCheck check;
    if (!storage::Unframe(it->value().ToStringView(), {&public_bytes, &sealed}) ||
        !check.ParseFromString(public_bytes)) {
      return Status(Reason::kMonitoringCorrupt,
                    CaseName(id) + kMonitoringSuffix + ": a check is unreadable");
    }
    if (key != nullptr) {
      auto note = cases::Open(*key, CheckName(id, static_cast<uint64_t>(check.number())), sealed);
      if (!note.ok()) return note.status();
      check.set_note(std::move(note).value());
    }
    checks.push_back(std::move(check));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading checks");
  return checks;
}

Result<v1::Case> MonitoringStore::CaseInSupport(const std::string& case_name) const {
  auto record = cases_.Get(case_name);
  if (!record.ok()) return record.status();
  if (record->state() != v1::COORDINATING && record->state() != v1::IN_SUPPORT) {
    return Status(Reason::kCaseNotInSupport,
                  case_name + " is " + v1::CaseState_Name(record->state()) +
                      "; monitoring is for cases COORDINATING or IN_SUPPORT");
  }
  return record;
}

Status MonitoringStore::PutRecord(uint64_t id, const v1::Case& owner_case, int revision,
                                  v1::MonitoringRecord* record, storage::WriteBatch* batch) const {
  record->set_name(MonitoringSubject(CaseName(id)));
  record->set_etag(std::to_string(revision));
  *record->mutable_update_time() = ToTimestamp(clock_.Now());
  v1::MonitoringRecord stored = *record;
  stored.clear_checks();
  batch->Put(ColumnFamily::kRecords, RecordKey(id), stored.SerializeAsString());

  v1::DueItem item;
  item.set_kind(v1::CHECK_DUE);
  item.set_subject(record->name());
  item.set_case_(owner_case.name());
  item.set_case_number(owner_case.case_number());
  if (record->next_check_date().year() != 0) {
    *item.mutable_due_date() = record->next_check_date();
  }
  return worklist::PrepareSetDue(storage_, item, worklist::CaseWorkOwners(owner_case), batch);
}

Result<v1::MonitoringRecord> MonitoringStore::PrepareSetSchedule(
    const v1::SetMonitoringScheduleRequest& request, storage::WriteBatch* batch) const {
  auto case_name = CaseOfMonitoring(request.name());
  if (!case_name.ok()) return case_name.status();
  const uint64_t id = CaseId(*case_name);

  FieldViolations violation;
  CheckScheduleRequest(request, &violation);
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());

  auto owner_case = CaseInSupport(*case_name);
  if (!owner_case.ok()) return owner_case.status();
  auto stored = Load(id, request.name());
  const bool exists = stored.ok();
  if (!exists && !stored.status().Is(Reason::kMonitoringNotSet)) return stored.status();
  CASECOORD_RETURN_IF_ERROR(
      storage::CheckEtag(request.name(), request.etag(), exists ? stored->record.etag() : ""));

  v1::MonitoringRecord record = exists ? stored->record : v1::MonitoringRecord();
  Reschedule(request, clock_, &record);

  auto checks = Checks(id, nullptr);
  if (!checks.ok()) return checks.status();
  SetNextCheckDate(*checks, &record);
  CASECOORD_RETURN_IF_ERROR(
      PutRecord(id, *owner_case, exists ? stored->revision + 1 : 1, &record, batch));
  // The answer carries the checks, as GetMonitoring does.
  if (checks->empty()) return record;
  CASECOORD_RETURN_IF_ERROR(AddOpenedChecks(id, *case_name, &record));
  return record;
}

Status MonitoringStore::AddOpenedChecks(uint64_t id, const std::string& case_name,
                                        v1::MonitoringRecord* record) const {
  auto key = cases_.KeyForCase(case_name);
  if (!key.ok()) return key.status();
  auto opened = Checks(id, &*key);
  if (!opened.ok()) return opened.status();
  for (auto& check : *opened) *record->add_checks() = std::move(check);
  return Status::Ok();
}

Result<v1::MonitoringRecord> MonitoringStore::Get(const std::string& name) const {
  auto case_name = CaseOfMonitoring(name);
  if (!case_name.ok()) return case_name.status();
  const uint64_t id = CaseId(*case_name);
  auto stored = Load(id, name);
  if (!stored.ok()) return stored.status();
  auto key = cases_.KeyForCase(*case_name);
  const bool purged = !key.ok() && key.status().Is(Reason::kCasePurged);
  if (!key.ok() && !purged) return key.status();
  auto checks = Checks(id, purged ? nullptr : &*key);
  if (!checks.ok()) return checks.status();
  for (auto& check : *checks) *stored->record.add_checks() = std::move(check);
  return std::move(stored->record);
}

Result<v1::MonitoringRecord> MonitoringStore::PrepareRecordCheck(
    const std::string& user_id, const v1::RecordCheckRequest& request,
    storage::WriteBatch* batch) const {
  auto case_name = CaseOfMonitoring(request.name());
  if (!case_name.ok()) return case_name.status();
  const uint64_t id = CaseId(*case_name);
  auto stored = Load(id, request.name());
  if (!stored.ok()) return stored.status();
  v1::MonitoringRecord record = std::move(stored->record);

  const v1::MonitoringCheck& input = request.check();
  FieldViolations violation;
  CheckCheckInput(input, record.track(), JstToday(clock_), &violation);
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());

  auto owner_case = CaseInSupport(*case_name);
  if (!owner_case.ok()) return owner_case.status();
  CASECOORD_RETURN_IF_ERROR(cases::CheckNotBeforeIntake(*owner_case, input.date(), "check.date"));
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(request.name(), request.etag(), record.etag()));
  auto key = cases_.KeyForCase(*case_name);
  if (!key.ok()) return key.status();
  auto checks = Checks(id, &*key);
  if (!checks.ok()) return checks.status();

  v1::MonitoringCheck check;
  const uint64_t number = checks->size() + 1;
  check.set_number(static_cast<int32_t>(number));
  check.set_kind(input.kind());
  *check.mutable_date() = input.date();
  if (input.stage() != v1::MONITORING_STAGE_UNSPECIFIED) record.set_stage(input.stage());
  check.set_stage(record.stage());
  check.set_author(kUserPrefix + user_id);
  *check.mutable_create_time() = ToTimestamp(clock_.Now());
  v1::MonitoringCheck public_part = check;
  batch->Put(ColumnFamily::kRecords, CheckKey(id, number),
             storage::Frame({public_part.SerializeAsString(),
                             cases::Seal(*key, CheckName(id, number), input.note())}));
  check.set_note(input.note());
  checks->push_back(std::move(check));

  SetNextCheckDate(*checks, &record);
  CASECOORD_RETURN_IF_ERROR(PutRecord(id, *owner_case, stored->revision + 1, &record, batch));
  for (auto& each : *checks) *record.add_checks() = std::move(each);
  return record;
}

Result<worklist::DuePage> MonitoringStore::ListDue(const std::string& owner, const v1::Date& due_by,
                                                   const std::string& after, int limit) const {
  if (!worklist::IsRealDay(due_by)) return Status::InvalidArgument("due_by", "not a date");
  const v1::Date today = JstToday(clock_);
  // Overdue items are always listed: the range reaches at least yesterday.
  const v1::Date yesterday = worklist::AddDays(today, -1);
  const v1::Date& until =
      worklist::DayNumber(due_by) < worklist::DayNumber(yesterday) ? yesterday : due_by;
  return worklist::ListDue(storage_, owner, until, today, after, limit);
}

}  // namespace casecoord::monitoring
