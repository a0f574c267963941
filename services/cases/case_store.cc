#include "services/cases/case_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "services/cases/case_counting.h"
#include "services/cases/case_layout.h"
#include "services/cases/case_model.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"
#include "services/worklist/due_index.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

// UpdateCaseRequest.update_mask paths. The rest is set by the lifecycle, referrals or the server.
const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> paths = {
      "members",       "household_issue_tags", "fields",      "district", "address",
      "referral_note", "involved_agencies",    "urgency",     "consent",  "presenting_problem",
      "coordinator",   "next_review_date",     "intake_date", "phone"};
  return paths;
}

// The mask of an update (only UpdatablePaths), and its paths joined by commas into *changed.
Result<google::protobuf::FieldMask> UpdateMaskOf(const v1::UpdateCaseRequest& request,
                                                 std::string* changed) {
  if (request.update_mask().paths().empty()) {
    return Status::InvalidArgument("update_mask", "must name the fields to change");
  }
  google::protobuf::FieldMask mask;
  for (const auto& path : request.update_mask().paths()) {
    if (UpdatablePaths().count(path) == 0) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    mask.add_paths(path);
    *changed += (changed->empty() ? "" : ",") + path;
  }
  return mask;
}

bool IsDate(const v1::Date& date) {
  return JstMidnight(date.year(), date.month(), date.day()).has_value();
}

// The terms of each vocabulary a record holds: a RETIRED one stays valid on it.
struct HeldTerms {
  std::set<std::string> districts, issue_tags, fields;
};

HeldTerms TermsOf(const v1::Case* record) {
  HeldTerms held;
  if (record == nullptr) return held;
  held.districts.insert(record->district());
  held.issue_tags.insert(record->household_issue_tags().begin(),
                         record->household_issue_tags().end());
  for (const auto& member : record->members()) {
    if (!member.district().empty()) held.districts.insert(member.district());
    held.issue_tags.insert(member.issue_tags().begin(), member.issue_tags().end());
  }
  for (int field : record->fields()) held.fields.insert(vocab::FieldTermId(field));
  return held;
}

void ValidateMembers(const vocab::TermCheck& terms, const HeldTerms& held, v1::Case* input,
                     FieldViolations* violations) {
  if (input->members().empty()) (*violations)("case.members", "the household needs a member");
  std::set<std::string> member_ids;
  int principals = 0;
  for (int i = 0; i < input->members_size(); ++i) {
    auto& member = *input->mutable_members(i);
    const std::string field = "case.members[" + std::to_string(i) + "]";
    if (!IsResourceId(member.member_id()) || !member_ids.insert(member.member_id()).second) {
      (*violations)(field + ".member_id", "1 to 63 lowercase letters, digits or '-', unique");
    }
    if (member.display_name().empty()) (*violations)(field + ".display_name", "required");
    for (int t = 0; t < member.issue_tags_size(); ++t) {
      vocab::CheckTerm(terms, vocab::Vocabulary::kIssueTags, held.issue_tags, field + ".issue_tags",
                       member.mutable_issue_tags(t), violations);
    }
    if (!member.district().empty()) {
      vocab::CheckTerm(terms, vocab::Vocabulary::kDistricts, held.districts, field + ".district",
                       member.mutable_district(), violations);
    }
    if (member.has_birth_date() && !IsDate(member.birth_date())) {
      (*violations)(field + ".birth_date", "not a date");
    }
    principals += member.principal() ? 1 : 0;
  }
  if (principals > 1) {
    (*violations)("case.members", "at most one member is the principal (本人)");
  }
}

void ValidateClassification(const vocab::TermCheck& terms, const HeldTerms& held, v1::Case* input,
                            FieldViolations* violations) {
  for (int t = 0; t < input->household_issue_tags_size(); ++t) {
    vocab::CheckTerm(terms, vocab::Vocabulary::kIssueTags, held.issue_tags,
                     "case.household_issue_tags", input->mutable_household_issue_tags(t),
                     violations);
  }
  std::set<int> fields;
  for (int field : input->fields()) {
    if (field == v1::SUPPORT_FIELD_UNSPECIFIED || !v1::SupportField_IsValid(field)) {
      (*violations)("case.fields", "unknown field " + std::to_string(field));
    } else if (!fields.insert(field).second) {
      (*violations)(
          "case.fields",
          "\"" + v1::SupportField_Name(static_cast<v1::SupportField>(field)) + "\" is given twice");
    } else {
      vocab::CheckField(terms, field, held.fields, "case.fields", violations);
    }
  }
  if (input->district().empty()) {
    (*violations)("case.district", "required: a district id");
  } else {
    vocab::CheckTerm(terms, vocab::Vocabulary::kDistricts, held.districts, "case.district",
                     input->mutable_district(), violations);
  }
}

void ValidateDetails(const v1::Case& input, FieldViolations* violations) {
  if (input.presenting_problem().empty()) (*violations)("case.presenting_problem", "required");
  if (!v1::Urgency_IsValid(input.urgency())) (*violations)("case.urgency", "unknown");
  if (!v1::ConsentStatus_IsValid(input.consent())) (*violations)("case.consent", "unknown");
  if (!input.coordinator().empty() && (input.coordinator().rfind(kUserPrefix, 0) != 0 ||
                                       !IsResourceId(input.coordinator().substr(6)))) {
    (*violations)("case.coordinator", "must look like \"users/{user}\"");
  }
  if (input.has_next_review_date() && !IsDate(input.next_review_date())) {
    (*violations)("case.next_review_date", "not a date");
  }
}

// The fiscal year a case received on `intake` belongs to.
int IntakeFiscalYear(const v1::Date& intake) {
  return FiscalYearOfDate(intake.year(), intake.month());
}

// The record as intake makes it: `input` with its name, number, intake date, fiscal year and
// lifecycle fields.
v1::Case NewCaseRecord(const v1::Case& input, uint64_t id, uint64_t number, const v1::Date& intake,
                       const v1::Agency& referrer, const std::string& user_id,
                       std::chrono::system_clock::time_point now) {
  v1::Case record = input;
  record.set_name(CaseName(id));
  const int fiscal_year = IntakeFiscalYear(intake);
  *record.mutable_intake_date() = intake;
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%04llu", static_cast<unsigned long long>(number));
  *record.mutable_fiscal_year() = FiscalYearMessage(fiscal_year);
  record.set_case_number(record.fiscal_year().era_label() + "-" + digits);
  record.set_state(v1::INTAKE);
  record.clear_outcome();
  record.clear_team();
  record.clear_former_team();
  record.clear_purge_time();
  record.set_referring_agency_kind(referrer.kind());
  if (record.coordinator().empty()) record.set_coordinator(kUserPrefix + user_id);
  *record.mutable_create_time() = ToTimestamp(now);
  *record.mutable_update_time() = ToTimestamp(now);
  record.set_etag("1");
  return record;
}

// The transition's decision date: the one given (a real day, not in the future), or today.
Result<v1::Date> DecisionDate(const v1::TransitionCaseRequest& request,
                              std::chrono::system_clock::time_point now) {
  if (!request.has_decision_date()) return JstDateOf(now);
  const v1::Date& decided = request.decision_date();
  auto midnight = JstMidnight(decided.year(), decided.month(), decided.day());
  if (!midnight) return Status::InvalidArgument("decision_date", "not a date");
  if (*midnight > now) return Status::InvalidArgument("decision_date", "is in the future");
  return decided;
}

}  // namespace

Status CheckNotBeforeIntake(const v1::Case& record, const v1::Date& date, std::string_view field) {
  if (!record.has_intake_date() || !DateBefore(date, record.intake_date())) return Status::Ok();
  return Status(Reason::kDatedBeforeIntake,
                std::string(field) + " " + FormatDate(date) + " is before the intake of " +
                    record.name() + " on " + FormatDate(record.intake_date()) + " (" +
                    std::string(field) + " " + FormatDate(date) + " は受付日 " +
                    FormatDate(record.intake_date()) + " より前です)");
}

bool CanSee(const v1::Case& record, const Viewer& viewer) {
  if (viewer.every_case) return true;
  if (viewer.agency.empty()) return false;
  return std::any_of(record.team().begin(), record.team().end(), [&](const v1::TeamMember& member) {
    return member.agency() == viewer.agency;
  });
}

CaseWriteLock CaseStore::LockCase(std::string_view name) const {
  // "cases/{id}" and every name under it ("cases/{id}/referrals/{n}") share the case's lock.
  std::string_view case_name = name;
  const size_t end = name.find('/', sizeof(kCasePrefix) - 1);
  if (end != std::string_view::npos) case_name = name.substr(0, end);
  const size_t stripe = std::hash<std::string_view>{}(case_name) % case_mutexes_.size();
  CaseWriteLock lock;
  lock.counting = std::shared_lock<HandoffSharedMutex>(counting_mutex_);
  lock.record = std::unique_lock<HandoffMutex>(case_mutexes_[stripe]);
  return lock;
}

CaseWriteLock CaseStore::LockNewCase() const {
  CaseWriteLock lock;
  lock.counting = std::shared_lock<HandoffSharedMutex>(counting_mutex_);
  lock.record = std::unique_lock<HandoffMutex>(sequence_mutex_);
  return lock;
}

Status CaseStore::Validate(v1::Case* record, const v1::Case* previous, bool check_referrer) const {
  const v1::Case& input = *record;
  const HeldTerms held = TermsOf(previous);
  FieldViolations violations;
  ValidateMembers(terms_, held, record, &violations);
  ValidateClassification(terms_, held, record, &violations);
  ValidateDetails(input, &violations);
  CASECOORD_RETURN_IF_ERROR(violations.ToStatus());
  if (check_referrer && !agencies_.Get(input.referring_agency(), "case.referring_agency").ok()) {
    return Status::InvalidArgument("case.referring_agency", "must be an agency of the directory");
  }
  for (int i = 0; i < input.involved_agencies_size(); ++i) {
    if (!agencies_.Get(input.involved_agencies(i).agency()).ok()) {
      return Status::InvalidArgument("case.involved_agencies[" + std::to_string(i) + "].agency",
                                     "must be an agency of the directory");
    }
  }
  return Status::Ok();
}

Status CaseStore::CheckIntakeBounds(const v1::Date& intake,
                                    std::chrono::system_clock::time_point now) const {
  if (!IsDate(intake)) {
    return Status::InvalidArgument("case.intake_date", FormatDate(intake) + " is not a date");
  }
  const v1::Date today = JstDateOf(now);
  if (DateBefore(today, intake)) {
    return Status::InvalidArgument(
        "case.intake_date",
        FormatDate(intake) + " is in the future (today is " + FormatDate(today) + ")");
  }
  if (DateBefore(intake, options_.records_since)) {
    return Status::InvalidArgument("case.intake_date",
                                   FormatDate(intake) + " is before records-since " +
                                       FormatDate(options_.records_since) +
                                       ", the earliest intake this server keeps");
  }
  return Status::Ok();
}

Result<std::optional<v1::Date>> CaseStore::EarliestRecordedDate(uint64_t id) const {
  std::optional<v1::Date> earliest;
  const std::string prefix = Key(kEvent, id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::CaseEvent event;
    if (!ParsePublic(it->value().ToStringView(), &event)) {
      return Status(Reason::kCaseEventCorrupt, CaseName(id) + ": unreadable event");
    }
    if (event.has_decision_date() && (!earliest || DateBefore(event.decision_date(), *earliest))) {
      earliest = event.decision_date();
    }
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
  return earliest;
}

Status CaseStore::UpdateIntakeDate(uint64_t id, std::chrono::system_clock::time_point now,
                                   v1::Case* record) const {
  if (!record->has_intake_date()) {
    return Status::InvalidArgument("case.intake_date", "required with the path intake_date");
  }
  CASECOORD_RETURN_IF_ERROR(CheckIntakeBounds(record->intake_date(), now));
  auto earliest = EarliestRecordedDate(id);
  if (!earliest.ok()) return earliest.status();
  if (*earliest && DateBefore(**earliest, record->intake_date())) {
    return Status(Reason::kIntakeAfterRecords,
                  "intake_date " + FormatDate(record->intake_date()) + " is after " +
                      FormatDate(**earliest) + ", the earliest date recorded on " + record->name() +
                      " (a decision, consultation entry or meeting) (受付日 " +
                      FormatDate(record->intake_date()) + " は記録済みの最も早い日付 " +
                      FormatDate(**earliest) + " より後です)");
  }
  // The number keeps the year the case was registered under; the fiscal year and the counts
  // follow the intake.
  *record->mutable_fiscal_year() = FiscalYearMessage(IntakeFiscalYear(record->intake_date()));
  return Status::Ok();
}

Status CaseStore::CheckDateOnCase(const std::string& name, const v1::Date& date,
                                  std::string_view field) const {
  auto record = GetPublic(name);
  if (!record.ok()) return record.status();
  return CheckNotBeforeIntake(*record, date, field);
}

Result<CaseKey> CaseStore::KeyOf(uint64_t id) const {
  auto wrapped = storage_.Get(ColumnFamily::kRecords, WrappedKeyKey(id));
  if (wrapped.ok() && !wrapped->has_value()) {
    wrapped = storage_.Get(ColumnFamily::kRecords, Key(kLegacyCaseKey, id));  // not moved yet
  }
  if (!wrapped.ok()) return wrapped.status();
  if (!wrapped->has_value()) {
    return Status(Reason::kCasePurged, CaseName(id) + "'s personal data has been destroyed");
  }
  return keys_.Unwrap(**wrapped);
}

void CaseStore::PutCase(uint64_t id, const CaseKey& key, v1::Case record,
                        storage::WriteBatch* batch) const {
  const v1::Case personal = SplitPersonal(&record);
  batch->Put(ColumnFamily::kRecords, Key(kCase, id),
             storage::Frame({record.SerializeAsString(),
                             Seal(key, PersonalContext(id), personal.SerializeAsString()), ""}));
}

Status CaseStore::PutEvent(uint64_t id, const CaseKey& key, v1::CaseEvent event,
                           const v1::Case& record, storage::WriteBatch* batch) const {
  stats::CounterChanges changes;
  CASECOORD_RETURN_IF_ERROR(CountEvent(Classification(record), event, &changes));
  v1::CaseEvent personal;
  personal.set_reason(std::move(*event.mutable_reason()));
  personal.set_decider(std::move(*event.mutable_decider()));
  event.clear_reason();
  event.clear_decider();
  const uint64_t sequence = static_cast<uint64_t>(event.sequence());
  batch->Put(
      ColumnFamily::kRecords, EventKey(id, sequence),
      storage::Frame({event.SerializeAsString(),
                      Seal(key, EventContext(id, sequence), personal.SerializeAsString()), ""}));
  PutLastNumber(id, kLastEvent, sequence, batch);
  changes.ApplyTo(batch);
  return Status::Ok();
}

Result<uint64_t> CaseStore::LastNumber(uint64_t id, const char* last_kind,
                                       const char* item_kind) const {
  auto stored = storage_.Get(ColumnFamily::kRecords, Key(last_kind, id));
  if (!stored.ok()) return stored.status();
  uint64_t number = 0;
  if (stored->has_value()) {
    storage::KeyReader reader(**stored);
    if (!reader.ReadUint64(&number)) {
      return Status(Reason::kCaseSequenceCorrupt, CaseName(id) + ": bad " + last_kind + " value");
    }
    return number;
  }
  const std::string prefix = Key(item_kind, id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->SeekForPrev(prefix + std::string(1, '\xff'));
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the case");
  if (!it->Valid() || !it->key().starts_with(prefix)) return number;
  if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &number)) {
    return Status(Reason::kCaseSequenceCorrupt, CaseName(id) + ": bad " + item_kind + " key");
  }
  return number;
}

void CaseStore::PutLastNumber(uint64_t id, const char* last_kind, uint64_t number,
                              storage::WriteBatch* batch) const {
  std::string value;
  storage::AppendUint64(&value, number);
  batch->Put(ColumnFamily::kRecords, Key(last_kind, id), value);
}

Result<int64_t> CaseStore::LastEventSequence(uint64_t id) const {
  auto last = LastNumber(id, kLastEvent, kEvent);
  if (!last.ok()) return last.status();
  return static_cast<int64_t>(*last);
}

Result<v1::CaseEvent> CaseStore::NextEvent(uint64_t id, const std::string& user_id,
                                           v1::CaseEventKind kind) const {
  auto last = LastEventSequence(id);
  if (!last.ok()) return last.status();
  v1::CaseEvent event;
  event.set_sequence(*last + 1);
  event.set_kind(kind);
  *event.mutable_time() = ToTimestamp(clock_.Now());
  event.set_actor(kUserPrefix + user_id);
  return event;
}

Status CaseStore::PutHistory(uint64_t id, const CaseKey& key, const v1::Case& record,
                             const std::string& user_id, v1::CaseEventKind kind,
                             const std::string& subject, const std::string& reason,
                             storage::WriteBatch* batch) const {
  auto event = NextEvent(id, user_id, kind);
  if (!event.ok()) return event.status();
  event->set_subject(subject);
  event->set_reason(reason);
  return PutEvent(id, key, *std::move(event), record, batch);
}

void CaseStore::PutTeamIndex(uint64_t id, const std::string& agency, bool on_team,
                             storage::WriteBatch* batch) const {
  if (on_team) {
    batch->Put(ColumnFamily::kIndexes, TeamIndexKey(agency, id), "");
  } else {
    batch->Delete(ColumnFamily::kIndexes, TeamIndexKey(agency, id));
  }
}

Result<CaseStore::Stored> CaseStore::Load(uint64_t id, bool with_personal) const {
  auto value = storage_.Get(ColumnFamily::kRecords, Key(kCase, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status(Reason::kNotFound, CaseName(id) + " not found");
  std::string public_bytes, sealed, unused;
  Stored stored;
  if (!storage::Unframe(**value, {&public_bytes, &sealed, &unused}) ||
      !stored.record.ParseFromString(public_bytes)) {
    return Status(Reason::kCaseRecordCorrupt, CaseName(id) + " is unreadable");
  }
  stored.etag = stored.record.etag();
  if (stored.record.has_purge_time() || !with_personal) return stored;
  auto key = KeyOf(id);
  if (!key.ok()) return key.status();
  auto opened = Open(*key, PersonalContext(id), sealed);
  if (!opened.ok()) return opened.status();
  v1::Case personal;
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kCaseRecordCorrupt, CaseName(id) + " is unreadable");
  }
  CASECOORD_RETURN_IF_ERROR(JoinPersonal(personal, &stored.record));
  return stored;
}

Status CaseStore::PrepareRecordEvent(const std::string& user_id, const std::string& name,
                                     v1::CaseEvent event, storage::WriteBatch* batch) const {
  auto id = ParseCaseName(name, "case");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  if (event.has_decision_date()) {
    CASECOORD_RETURN_IF_ERROR(
        CheckNotBeforeIntake(stored->record, event.decision_date(), "decision_date"));
  }
  auto next = NextEvent(*id, user_id, event.kind());
  if (!next.ok()) return next.status();
  event.set_sequence(next->sequence());
  *event.mutable_time() = next->time();
  event.set_actor(next->actor());
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  return PutEvent(*id, *key, std::move(event), stored->record, batch);
}

Result<CaseKey> CaseStore::KeyForCase(const std::string& name) const {
  auto id = ParseCaseName(name, "case");
  if (!id.ok()) return id.status();
  auto exists = storage_.Get(ColumnFamily::kRecords, Key(kCase, *id));
  if (!exists.ok()) return exists.status();
  if (!exists->has_value()) return Status(Reason::kNotFound, name + " not found");
  return KeyOf(*id);
}

Result<v1::Case> CaseStore::Get(const std::string& name) const {
  auto id = ParseCaseName(name, "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  return std::move(stored->record);
}

Result<v1::Case> CaseStore::GetPublic(const std::string& name) const {
  auto id = ParseCaseName(name, "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id, /*with_personal=*/false);
  if (!stored.ok()) return stored.status();
  return std::move(stored->record);
}

Result<uint64_t> CaseStore::NextCaseNumber(int fiscal_year, const PendingNumbers* pending) const {
  if (pending != nullptr) {
    const auto taken = pending->find(fiscal_year);
    if (taken != pending->end()) return taken->second + 1;
  }
  auto last_number =
      storage_.Get(ColumnFamily::kMeta, Key(kNumber, static_cast<uint64_t>(fiscal_year)));
  if (!last_number.ok()) return last_number.status();
  if (!last_number->has_value()) return uint64_t{1};
  storage::KeyReader reader(**last_number);
  uint64_t number = 0;
  if (!reader.ReadUint64(&number)) {
    return Status(Reason::kCaseSequenceCorrupt, "bad case number sequence");
  }
  return number + 1;
}

Result<v1::Case> CaseStore::PrepareCreate(const std::string& user_id, const std::string& request_id,
                                          const v1::Case& input, storage::WriteBatch* batch,
                                          Duplicates duplicates) const {
  return storage::CreateOnce(
      creates_, user_id, request_id, batch,
      [this](uint64_t id) -> Result<v1::Case> {
        auto stored = Load(id);
        if (!stored.ok()) return stored.status();
        return std::move(stored->record);
      },
      [&](uint64_t id) -> Result<v1::Case> {
        CASECOORD_ASSIGN_OR_RETURN(NewCase created,
                                   PrepareNewCase(user_id, id, input, duplicates, nullptr, batch));
        return std::move(created.record);
      });
}

Result<v1::Case> CaseStore::CheckNewCase(const v1::Case& input) const {
  if (input.has_create_time()) {
    return Status::InvalidArgument(
        "case.create_time",
        "create_time is set by the server; the date the consultation was received is intake_date "
        "/ 受付日は intake_date で指定してください");
  }
  v1::Case checked = input;  // Validate replaces a term's label by its id
  CASECOORD_RETURN_IF_ERROR(Validate(&checked, nullptr, /*check_referrer=*/true));
  if (checked.has_intake_date()) {
    CASECOORD_RETURN_IF_ERROR(CheckIntakeBounds(checked.intake_date(), clock_.Now()));
  }
  const Result<v1::Agency> referrer =
      agencies_.Get(checked.referring_agency(), "case.referring_agency");
  if (!referrer.ok()) return referrer.status();
  return checked;
}

Result<CaseStore::NewCase> CaseStore::PrepareNewCase(const std::string& user_id, uint64_t id,
                                                     const v1::Case& input, Duplicates duplicates,
                                                     PendingNumbers* pending,
                                                     storage::WriteBatch* batch) const {
  CASECOORD_ASSIGN_OR_RETURN(const v1::Case checked, CheckNewCase(input));
  if (duplicates == Duplicates::kWarn) CASECOORD_RETURN_IF_ERROR(CheckNotDuplicate(checked));
  CASECOORD_ASSIGN_OR_RETURN(const v1::Agency referrer, agencies_.Get(checked.referring_agency()));
  const auto now = clock_.Now();
  const v1::Date intake = checked.has_intake_date() ? checked.intake_date() : JstDateOf(now);
  const int fiscal_year = IntakeFiscalYear(intake);
  CASECOORD_ASSIGN_OR_RETURN(const uint64_t number, NextCaseNumber(fiscal_year, pending));
  if (pending != nullptr) (*pending)[fiscal_year] = number;
  auto key = keys_.NewKey();
  if (!key.ok()) return key.status();
  batch->Put(ColumnFamily::kRecords, WrappedKeyKey(id), key->second);
  NewCase created{NewCaseRecord(checked, id, number, intake, referrer, user_id, now),
                  std::move(key->first)};
  v1::CaseEvent opened;
  opened.set_sequence(1);
  opened.set_kind(v1::OPENED);
  *opened.mutable_time() = ToTimestamp(now);
  opened.set_actor(kUserPrefix + user_id);
  opened.set_to_state(v1::INTAKE);
  CASECOORD_RETURN_IF_ERROR(PutEvent(id, created.key, opened, created.record, batch));
  PutCase(id, created.key, created.record, batch);
  PutSearchTerms(id, nullptr, &created.record, batch);
  PutCaseNumber(id, created.record, batch);

  std::string number_value;
  storage::AppendUint64(&number_value, number);
  batch->Put(ColumnFamily::kMeta, Key(kNumber, static_cast<uint64_t>(fiscal_year)), number_value);
  return created;
}

Result<v1::Case> CaseStore::PrepareUpdate(const std::string& user_id,
                                          const v1::UpdateCaseRequest& request,
                                          storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.case_().name(), "case.name");
  if (!id.ok()) return id.status();
  std::string changed;
  CASECOORD_ASSIGN_OR_RETURN(const google::protobuf::FieldMask mask,
                             UpdateMaskOf(request, &changed));
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(
      storage::CheckEtag(request.case_().name(), request.case_().etag(), stored->etag));
  if (stored->record.has_purge_time()) {
    return Status(Reason::kCasePurged, request.case_().name() + " was purged");
  }
  v1::Case record = stored->record;
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(request.case_(), mask, options, &record);
  CASECOORD_RETURN_IF_ERROR(Validate(&record, &stored->record, /*check_referrer=*/false));
  if (std::find(mask.paths().begin(), mask.paths().end(), "intake_date") != mask.paths().end()) {
    CASECOORD_RETURN_IF_ERROR(UpdateIntakeDate(*id, clock_.Now(), &record));
  }

  auto event = NextEvent(*id, user_id, v1::UPDATED);
  if (!event.ok()) return event.status();
  event->set_subject(changed);
  event->set_from_state(record.state());
  event->set_to_state(record.state());
  *record.mutable_update_time() = event->time();
  record.set_etag(std::to_string(event->sequence()));

  CASECOORD_RETURN_IF_ERROR(
      PrepareMoveCounts(storage_, *id, request.case_().name(), stored->record, record, batch));
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(PutEvent(*id, *key, *std::move(event), record, batch));
  PutCase(*id, *key, record, batch);
  PutSearchTerms(*id, &stored->record, &record, batch);
  return record;
}

Result<v1::Case> CaseStore::PrepareTransition(const std::string& user_id,
                                              const v1::TransitionCaseRequest& request,
                                              storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(request.name(), request.etag(), stored->etag));
  v1::Case& record = stored->record;
  CASECOORD_RETURN_IF_ERROR(CheckTransition(record.state(), request));
  const auto now = clock_.Now();
  auto decided = DecisionDate(request, now);
  if (!decided.ok()) return decided.status();
  CASECOORD_RETURN_IF_ERROR(CheckNotBeforeIntake(record, *decided, "decision_date"));
  auto next = NextEvent(*id, user_id, v1::STATE_CHANGED);
  if (!next.ok()) return next.status();
  v1::CaseEvent& event = *next;
  event.set_from_state(record.state());
  event.set_to_state(request.to());
  event.set_outcome(request.outcome());
  *event.mutable_decision_date() = *decided;
  event.set_decider(request.decider().empty() ? kUserPrefix + user_id : request.decider());
  event.set_reason(request.reason());

  record.set_state(request.to());
  record.set_outcome(request.to() == v1::CLOSED ? request.outcome() : v1::CASE_OUTCOME_UNSPECIFIED);
  *record.mutable_update_time() = ToTimestamp(now);
  record.set_etag(std::to_string(event.sequence()));
  CASECOORD_RETURN_IF_ERROR(PutTransition(*id, event, record, batch));
  return record;
}

Status CaseStore::PutTransition(uint64_t id, const v1::CaseEvent& event, const v1::Case& record,
                                storage::WriteBatch* batch) const {
  auto key = KeyOf(id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(PutEvent(id, *key, event, record, batch));
  PutCase(id, *key, record, batch);
  if (record.state() == v1::CLOSED || record.state() == v1::COMPLETED_BY_ADVICE) {
    CASECOORD_RETURN_IF_ERROR(ClearCaseWork(id, batch));
  }
  return PrepareClearReferralItems(id, /*pending=*/false, batch);
}

Status CaseStore::PrepareClearReferralItems(uint64_t id, bool pending,
                                            storage::WriteBatch* batch) const {
  const std::string prefix = Key(kReferral, id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::Referral referral;
    if (!ParsePublic(it->value().ToStringView(), &referral)) {
      return Status(Reason::kReferralCorrupt, CaseName(id) + ": unreadable referral");
    }
    if (referral.state() == v1::Referral::PENDING && !pending) continue;
    CASECOORD_RETURN_IF_ERROR(worklist::PrepareClearDue(storage_, referral.name(), batch));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading referrals");
  return Status::Ok();
}

Status CaseStore::ClearCaseWork(uint64_t id, storage::WriteBatch* batch) const {
  // An ended case has no more checks or plan reviews due (meetings' assignments stay: they are
  // the agencies' own commitments until marked).
  for (const char* subject : {"/monitoring", "/plan"}) {
    CASECOORD_RETURN_IF_ERROR(worklist::PrepareClearDue(storage_, CaseName(id) + subject, batch));
  }
  return Status::Ok();
}

Result<std::vector<v1::CaseEvent>> CaseStore::History(const std::string& name, int64_t after,
                                                      int limit) const {
  auto id = ParseCaseName(name, "name");
  if (!id.ok()) return id.status();
  auto key = KeyOf(*id);
  const bool purged = !key.ok() && key.status().Is(Reason::kCasePurged);
  if (!key.ok() && !purged) return key.status();
  std::vector<v1::CaseEvent> events;
  const std::string prefix = Key(kEvent, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(EventKey(*id, static_cast<uint64_t>(after) + 1));
       it->Valid() && it->key().starts_with(prefix) && static_cast<int>(events.size()) < limit;
       it->Next()) {
    std::string public_bytes, sealed, classification;
    v1::CaseEvent event;
    if (!storage::Unframe(it->value().ToStringView(), {&public_bytes, &sealed, &classification}) ||
        !event.ParseFromString(public_bytes)) {
      return Status(Reason::kCaseEventCorrupt, name + ": unreadable event");
    }
    if (!purged) {
      auto opened = Open(*key, EventContext(*id, static_cast<uint64_t>(event.sequence())), sealed);
      if (!opened.ok()) return opened.status();
      v1::CaseEvent personal;
      if (!personal.ParseFromString(*opened)) {
        return Status(Reason::kCaseEventCorrupt, name + ": unreadable event");
      }
      event.set_reason(personal.reason());
      event.set_decider(personal.decider());
    }
    events.push_back(std::move(event));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
  return events;
}

}  // namespace casecoord::cases
