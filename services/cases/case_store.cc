#include "services/cases/case_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "services/cases/case_model.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"
#include "services/worklist/due_index.h"

namespace casecoord::cases {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kCasePrefix[] = "cases/";
constexpr char kCase[] = "case";
// The wrapped data key of a case is stored right after the case, under "case"/id/"key", so that
// the one block read that finds a case finds its key too. Databases written before kept it under
// "case-key"/id; start-up moves those (MoveLegacyCaseKeys), and KeyOf still looks there.
constexpr char kWrappedKeySuffix[] = "key";
constexpr char kLegacyCaseKey[] = "case-key";
constexpr char kEvent[] = "case-event";
constexpr char kEntry[] = "case-entry";
// The last event sequence and the last consultation entry number a case has used (big-endian
// uint64), kept so that a write finds the next number with a point lookup rather than an iterator
// seek. Cases written before they existed have none; their next write seeks once and adds them.
constexpr char kLastEvent[] = "case-last-event";
constexpr char kLastEntry[] = "case-last-entry";
constexpr char kReferral[] = "case-referral";
constexpr char kInbox[] = "referral-inbox";
constexpr char kNextId[] = "case-next-id";
constexpr char kNumber[] = "case-number";
constexpr char kRequest[] = "case-request";
constexpr char kTeamIndex[] = "case-team";
constexpr char kIndexVersionKey[] = "case-index-version";
// Bump when the layout of an index entry changes: start-up then re-derives them all.
constexpr char kIndexVersion[] = "1";

// UpdateCaseRequest.update_mask paths. The rest is set by the lifecycle, referrals or the server.
const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> paths = {
      "members",       "household_issue_tags", "fields",  "district", "address",
      "referral_note", "involved_agencies",    "urgency", "consent",  "presenting_problem",
      "coordinator",   "next_review_date"};
  return paths;
}

std::string Key(const char* kind, uint64_t id) {
  std::string key;
  storage::AppendString(&key, kind);
  storage::AppendUint64(&key, id);
  return key;
}

std::string WrappedKeyKey(uint64_t id) {
  std::string key = Key(kCase, id);
  storage::AppendString(&key, kWrappedKeySuffix);
  return key;
}

// Under the "case" prefix, a key names a case record only if the id ends it: the wrapped keys
// ("case"/id/"key") sort between the records.
bool IsCaseRecordKey(std::string_view key, size_t prefix_size) {
  return key.size() == prefix_size + sizeof(uint64_t);
}

std::string EventKey(uint64_t id, uint64_t sequence) {
  std::string key = Key(kEvent, id);
  storage::AppendUint64(&key, sequence);
  return key;
}

std::string RequestKey(const std::string& user_id, const std::string& request_id) {
  std::string key;
  storage::AppendString(&key, kRequest);
  storage::AppendString(&key, user_id);
  storage::AppendString(&key, request_id);
  return key;
}

std::string CaseName(uint64_t id) { return kCasePrefix + std::to_string(id); }

std::string PersonalContext(uint64_t id) { return CaseName(id) + "#personal"; }

std::string EventContext(uint64_t id, uint64_t sequence) {
  return CaseName(id) + "/events/" + std::to_string(sequence);
}

Result<uint64_t> ParseCaseName(const std::string& name, const char* field) {
  const Status invalid = Status::InvalidArgument(field, "must look like \"cases/{number}\"");
  if (name.rfind(kCasePrefix, 0) != 0) return invalid;
  auto id = ParseDecimalId(std::string_view(name).substr(sizeof(kCasePrefix) - 1));
  if (!id) return invalid;
  return *id;
}

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point time) {
  return TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

// A value of two framed parts (public bytes, sealed bytes), and back.
std::string Frame(const std::string& first, const std::string& second,
                  const std::string& third = "") {
  std::string value;
  storage::AppendString(&value, first);
  storage::AppendString(&value, second);
  storage::AppendString(&value, third);
  return value;
}

bool Unframe(std::string_view value, std::string* first, std::string* second, std::string* third) {
  storage::KeyReader reader(value);
  return reader.ReadString(first) && reader.ReadString(second) && reader.ReadString(third) &&
         reader.done();
}

std::string LowerName(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

std::string ReferralKey(uint64_t id, uint64_t number) {
  std::string key = Key(kReferral, id);
  storage::AppendUint64(&key, number);
  return key;
}

std::string TeamIndexKey(const std::string& agency, uint64_t id) {
  std::string key;
  storage::AppendString(&key, kTeamIndex);
  storage::AppendString(&key, agency);
  storage::AppendUint64(&key, id);
  return key;
}

std::string InboxKey(const std::string& agency, uint64_t id, uint64_t number) {
  std::string key;
  storage::AppendString(&key, kInbox);
  storage::AppendString(&key, agency);
  storage::AppendUint64(&key, id);
  storage::AppendUint64(&key, number);
  return key;
}

// "cases/{id}/referrals/{n}" → (id, n).
Result<std::pair<uint64_t, uint64_t>> ParseReferralName(const std::string& name) {
  const Status invalid =
      Status::InvalidArgument("name", "must look like \"cases/{case}/referrals/{number}\"");
  const size_t at = name.find("/referrals/");
  if (at == std::string::npos) return invalid;
  auto id = ParseCaseName(name.substr(0, at), "name");
  auto number = ParseDecimalId(std::string_view(name).substr(at + 11), /*allow_zero=*/true);
  if (!id.ok() || !number) return invalid;
  return std::make_pair(*id, *number);
}

}  // namespace

v1::Case Classification(const v1::Case& record) {
  v1::Case classification;
  classification.set_district(record.district());
  std::set<std::string> tags(record.household_issue_tags().begin(),
                             record.household_issue_tags().end());
  for (const auto& member : record.members()) {
    tags.insert(member.issue_tags().begin(), member.issue_tags().end());
  }
  for (const auto& tag : tags) classification.add_household_issue_tags(tag);
  const std::set<int> fields(record.fields().begin(), record.fields().end());
  for (int field : fields) classification.add_fields(static_cast<v1::SupportField>(field));
  classification.set_referring_agency_kind(record.referring_agency_kind());
  *classification.mutable_fiscal_year() = record.fiscal_year();
  return classification;
}

bool CanSee(const v1::Case& record, const Viewer& viewer) {
  if (viewer.every_case) return true;
  if (viewer.agency.empty()) return false;
  return std::any_of(record.team().begin(), record.team().end(), [&](const v1::TeamMember& member) {
    return member.agency() == viewer.agency;
  });
}

Status CountEvent(const v1::Case& classification, const v1::CaseEvent& event,
                  stats::CounterChanges* changes, int64_t delta) {
  std::vector<stats::DimensionValue> dimensions;
  if (!classification.district().empty()) {
    dimensions.push_back({stats::kDistrict, classification.district()});
  }
  for (const auto& tag : classification.household_issue_tags()) {
    dimensions.push_back({stats::kIssueTag, tag});
  }
  for (int field : classification.fields()) {
    dimensions.push_back(
        {stats::kField, LowerName(v1::SupportField_Name(static_cast<v1::SupportField>(field)))});
  }
  if (classification.referring_agency_kind() != v1::AGENCY_KIND_UNSPECIFIED) {
    dimensions.push_back({stats::kReferrerKind,
                          LowerName(v1::AgencyKind_Name(classification.referring_agency_kind()))});
  }
  if (event.kind() == v1::OPENED) {
    return changes->Count(classification.fiscal_year().year(), stats::kCasesOpened, dimensions,
                          delta);
  }
  if (event.kind() == v1::CONSULTATION_LOGGED) {
    if (event.consultation_kind() != v1::COORDINATION_CONTACT) return Status::Ok();
    return changes->Count(
        FiscalYearOfDate(event.decision_date().year(), event.decision_date().month()),
        stats::kCoordinationContacts, dimensions, delta);
  }
  if (event.kind() == v1::MEETING_HELD) {
    const int year = FiscalYearOfDate(event.decision_date().year(), event.decision_date().month());
    switch (event.meeting_type()) {
      case v1::SUPPORT_MEETING:
      case v1::MULTI_AGENCY_SUPPORT_MEETING:
        return changes->Count(year, stats::kCaseMeetings, dimensions, delta);
      case v1::ADVISER_MEETING:
        return changes->Count(year, stats::kAdviserMeetings, dimensions, delta);
      default:
        return Status::Ok();  // internal reviews are not in the yearly table
    }
  }
  if (event.kind() != v1::STATE_CHANGED) return Status::Ok();
  const int fiscal_year =
      FiscalYearOfDate(event.decision_date().year(), event.decision_date().month());
  if (event.to_state() == v1::COMPLETED_BY_ADVICE) {
    return changes->Count(fiscal_year, stats::kCasesCompletedByAdvice, dimensions, delta);
  }
  if (event.to_state() == v1::COORDINATING && event.from_state() == v1::INTAKE) {
    return changes->Count(fiscal_year, stats::kCasesCoordinated, dimensions, delta);
  }
  if (event.to_state() == v1::CLOSED) {
    dimensions.push_back({stats::kOutcome, LowerName(v1::CaseOutcome_Name(event.outcome()))});
    return changes->Count(fiscal_year, stats::kCasesClosed, dimensions, delta);
  }
  return Status::Ok();
}

CaseStore::CaseWriteLock CaseStore::LockCase(std::string_view name) const {
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

CaseStore::CaseWriteLock CaseStore::LockNewCase() const {
  CaseWriteLock lock;
  lock.counting = std::shared_lock<HandoffSharedMutex>(counting_mutex_);
  lock.record = std::unique_lock<HandoffMutex>(sequence_mutex_);
  return lock;
}

Status CaseStore::Validate(const v1::Case& input, bool check_referrer) const {
  Status status;
  auto violation = [&status](const std::string& field, const std::string& description) {
    if (status.ok()) {
      status = Status::InvalidArgument(field, description);
    } else {
      status.AddViolation(field, description);
    }
  };
  if (input.members().empty()) violation("case.members", "the household needs a member");
  std::set<std::string> member_ids;
  int principals = 0;
  for (int i = 0; i < input.members_size(); ++i) {
    const auto& member = input.members(i);
    const std::string field = "case.members[" + std::to_string(i) + "]";
    if (!IsResourceId(member.member_id()) || !member_ids.insert(member.member_id()).second) {
      violation(field + ".member_id", "1 to 63 lowercase letters, digits or '-', unique");
    }
    if (member.display_name().empty()) violation(field + ".display_name", "required");
    for (const auto& tag : member.issue_tags()) {
      if (!IsResourceId(tag)) violation(field + ".issue_tags", "\"" + tag + "\" is not a tag");
    }
    if (member.has_birth_date() &&
        !JstMidnight(member.birth_date().year(), member.birth_date().month(),
                     member.birth_date().day())) {
      violation(field + ".birth_date", "not a date");
    }
    principals += member.principal() ? 1 : 0;
  }
  if (principals > 1) violation("case.members", "at most one member is the principal (本人)");
  for (const auto& tag : input.household_issue_tags()) {
    if (!IsResourceId(tag)) violation("case.household_issue_tags", "\"" + tag + "\" is not a tag");
  }
  std::set<int> fields;
  for (int field : input.fields()) {
    if (field == v1::SUPPORT_FIELD_UNSPECIFIED || !v1::SupportField_IsValid(field)) {
      violation("case.fields", "unknown field " + std::to_string(field));
    } else if (!fields.insert(field).second) {
      violation("case.fields", "\"" + v1::SupportField_Name(static_cast<v1::SupportField>(field)) +
                                   "\" is given twice");
    }
  }
  if (!IsResourceId(input.district())) violation("case.district", "required: a district id");
  if (input.presenting_problem().empty()) violation("case.presenting_problem", "required");
  if (!v1::Urgency_IsValid(input.urgency())) violation("case.urgency", "unknown");
  if (!v1::ConsentStatus_IsValid(input.consent())) violation("case.consent", "unknown");
  if (!input.coordinator().empty() && (input.coordinator().rfind("users/", 0) != 0 ||
                                       !IsResourceId(input.coordinator().substr(6)))) {
    violation("case.coordinator", "must look like \"users/{user}\"");
  }
  if (input.has_next_review_date() &&
      !JstMidnight(input.next_review_date().year(), input.next_review_date().month(),
                   input.next_review_date().day())) {
    violation("case.next_review_date", "not a date");
  }
  if (!status.ok()) return status;
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
             Frame(record.SerializeAsString(),
                   Seal(key, PersonalContext(id), personal.SerializeAsString())));
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
  batch->Put(ColumnFamily::kRecords, EventKey(id, sequence),
             Frame(event.SerializeAsString(),
                   Seal(key, EventContext(id, sequence), personal.SerializeAsString())));
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
  storage::KeyReader reader(
      std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
  if (!reader.ReadUint64(&number)) {
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
  event.set_actor("users/" + user_id);
  return event;
}

Result<CaseStore::Stored> CaseStore::Load(uint64_t id, bool with_personal) const {
  auto value = storage_.Get(ColumnFamily::kRecords, Key(kCase, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status(Reason::kNotFound, CaseName(id) + " not found");
  std::string public_bytes, sealed, unused;
  Stored stored;
  if (!Unframe(**value, &public_bytes, &sealed, &unused) ||
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

Result<v1::Case> CaseStore::PrepareCreate(const std::string& user_id, const std::string& request_id,
                                          const v1::Case& input, storage::WriteBatch* batch) const {
  if (request_id.empty() || request_id.size() > 64 ||
      !std::all_of(request_id.begin(), request_id.end(),
                   [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Status::InvalidArgument("request_id", "1 to 64 printable ASCII characters");
  }
  auto earlier = storage_.Get(ColumnFamily::kIndexes, RequestKey(user_id, request_id));
  if (!earlier.ok()) return earlier.status();
  if (earlier->has_value()) {
    storage::KeyReader reader(**earlier);
    uint64_t id = 0;
    if (!reader.ReadUint64(&id)) {
      return Status(Reason::kCaseRequestCorrupt, "bad request index entry");
    }
    auto stored = Load(id);
    if (!stored.ok()) return stored.status();
    return std::move(stored->record);
  }
  CASECOORD_RETURN_IF_ERROR(Validate(input, /*check_referrer=*/true));
  auto referrer = agencies_.Get(input.referring_agency());
  if (!referrer.ok()) return referrer.status();

  auto next = storage_.Get(ColumnFamily::kMeta, kNextId);
  if (!next.ok()) return next.status();
  uint64_t id = 1;
  if (next->has_value()) {
    storage::KeyReader reader(**next);
    if (!reader.ReadUint64(&id)) {
      return Status(Reason::kCaseSequenceCorrupt, "bad case id sequence");
    }
  }
  const auto now = clock_.Now();
  const int fiscal_year = FiscalYearOf(now);
  const std::string number_key = Key(kNumber, static_cast<uint64_t>(fiscal_year));
  auto last_number = storage_.Get(ColumnFamily::kMeta, number_key);
  if (!last_number.ok()) return last_number.status();
  uint64_t number = 1;
  if (last_number->has_value()) {
    storage::KeyReader reader(**last_number);
    if (!reader.ReadUint64(&number)) {
      return Status(Reason::kCaseSequenceCorrupt, "bad case number sequence");
    }
    ++number;
  }

  v1::Case record = input;
  record.set_name(CaseName(id));
  const EraLabels labels = FiscalYearLabels(fiscal_year);
  char digits[16];
  std::snprintf(digits, sizeof(digits), "%04llu", static_cast<unsigned long long>(number));
  record.set_case_number(labels.short_label + "-" + digits);
  record.mutable_fiscal_year()->set_year(fiscal_year);
  record.mutable_fiscal_year()->set_era_label(labels.short_label);
  record.mutable_fiscal_year()->set_era_label_ja(labels.japanese);
  record.set_state(v1::INTAKE);
  record.clear_outcome();
  record.clear_team();
  record.clear_former_team();
  record.clear_purge_time();
  record.set_referring_agency_kind(referrer->kind());
  if (record.coordinator().empty()) record.set_coordinator("users/" + user_id);
  *record.mutable_create_time() = ToTimestamp(now);
  *record.mutable_update_time() = ToTimestamp(now);
  record.set_etag("1");

  auto key = keys_.NewKey();
  if (!key.ok()) return key.status();
  batch->Put(ColumnFamily::kRecords, WrappedKeyKey(id), key->second);
  v1::CaseEvent opened;
  opened.set_sequence(1);
  opened.set_kind(v1::OPENED);
  *opened.mutable_time() = ToTimestamp(now);
  opened.set_actor("users/" + user_id);
  opened.set_to_state(v1::INTAKE);
  CASECOORD_RETURN_IF_ERROR(PutEvent(id, key->first, opened, record, batch));
  PutCase(id, key->first, record, batch);

  std::string next_value, number_value, id_value;
  storage::AppendUint64(&next_value, id + 1);
  storage::AppendUint64(&number_value, number);
  storage::AppendUint64(&id_value, id);
  batch->Put(ColumnFamily::kMeta, kNextId, next_value);
  batch->Put(ColumnFamily::kMeta, number_key, number_value);
  batch->Put(ColumnFamily::kIndexes, RequestKey(user_id, request_id), id_value);
  return record;
}

Result<v1::Case> CaseStore::PrepareUpdate(const std::string& user_id,
                                          const v1::UpdateCaseRequest& request,
                                          storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.case_().name(), "case.name");
  if (!id.ok()) return id.status();
  if (request.update_mask().paths().empty()) {
    return Status::InvalidArgument("update_mask", "must name the fields to change");
  }
  google::protobuf::FieldMask mask;
  std::string changed;
  for (const auto& path : request.update_mask().paths()) {
    if (UpdatablePaths().count(path) == 0) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    mask.add_paths(path);
    changed += (changed.empty() ? "" : ",") + path;
  }
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  if (!request.case_().etag().empty() && request.case_().etag() != stored->etag) {
    return Status(Reason::kStaleEtag,
                  request.case_().name() + " changed since it was read; get it again");
  }
  if (stored->record.has_purge_time()) {
    return Status(Reason::kCasePurged, request.case_().name() + " was purged");
  }
  v1::Case record = stored->record;
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(request.case_(), mask, options, &record);
  CASECOORD_RETURN_IF_ERROR(Validate(record, /*check_referrer=*/false));

  auto event = NextEvent(*id, user_id, v1::UPDATED);
  if (!event.ok()) return event.status();
  event->set_subject(changed);
  event->set_from_state(record.state());
  event->set_to_state(record.state());
  *record.mutable_update_time() = event->time();
  record.set_etag(std::to_string(event->sequence()));

  const v1::Case before = Classification(stored->record);
  const v1::Case after = Classification(record);
  if (before.SerializeAsString() != after.SerializeAsString()) {
    // Counters count a case as it is recorded now: take every counted event off the old
    // classification's counters and onto the new ones.
    stats::CounterChanges moved;
    const std::string prefix = Key(kEvent, *id);
    auto it = storage_.NewIterator(ColumnFamily::kRecords);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string public_bytes, sealed, unused;
      v1::CaseEvent counted;
      if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
          !counted.ParseFromString(public_bytes)) {
        return Status(Reason::kCaseEventCorrupt, request.case_().name() + ": unreadable event");
      }
      CASECOORD_RETURN_IF_ERROR(CountEvent(before, counted, &moved, -1));
      CASECOORD_RETURN_IF_ERROR(CountEvent(after, counted, &moved, +1));
    }
    if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
    moved.ApplyTo(batch);
  }
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(PutEvent(*id, *key, *std::move(event), record, batch));
  PutCase(*id, *key, record, batch);
  return record;
}

Result<v1::Case> CaseStore::PrepareTransition(const std::string& user_id,
                                              const v1::TransitionCaseRequest& request,
                                              storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  if (!request.etag().empty() && request.etag() != stored->etag) {
    return Status(Reason::kStaleEtag, request.name() + " changed since it was read; get it again");
  }
  v1::Case& record = stored->record;
  CASECOORD_RETURN_IF_ERROR(CheckTransition(record.state(), request));
  const auto now = clock_.Now();
  v1::Date decided = request.decision_date();
  if (request.has_decision_date()) {
    auto midnight = JstMidnight(decided.year(), decided.month(), decided.day());
    if (!midnight) return Status::InvalidArgument("decision_date", "not a date");
    if (*midnight > now) return Status::InvalidArgument("decision_date", "is in the future");
  } else {
    decided = JstDateOf(now);
  }
  auto next = NextEvent(*id, user_id, v1::STATE_CHANGED);
  if (!next.ok()) return next.status();
  v1::CaseEvent& event = *next;
  event.set_from_state(record.state());
  event.set_to_state(request.to());
  event.set_outcome(request.outcome());
  *event.mutable_decision_date() = decided;
  event.set_decider(request.decider().empty() ? "users/" + user_id : request.decider());
  event.set_reason(request.reason());

  record.set_state(request.to());
  record.set_outcome(request.to() == v1::CLOSED ? request.outcome() : v1::CASE_OUTCOME_UNSPECIFIED);
  *record.mutable_update_time() = ToTimestamp(now);
  record.set_etag(std::to_string(event.sequence()));
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(PutEvent(*id, *key, event, record, batch));
  PutCase(*id, *key, record, batch);
  if (request.to() == v1::CLOSED || request.to() == v1::COMPLETED_BY_ADVICE) {
    CASECOORD_RETURN_IF_ERROR(ClearCaseWork(*id, batch));
  }
  return record;
}

Status CaseStore::ClearCaseWork(uint64_t id, storage::WriteBatch* batch) const {
  // An ended case has no more checks or plan reviews due (meetings' assignments stay: they are
  // the agencies' own commitments until marked).
  for (const char* subject : {"/monitoring", "/plan"}) {
    CASECOORD_RETURN_IF_ERROR(worklist::PrepareClearDue(storage_, CaseName(id) + subject, batch));
  }
  return Status::Ok();
}

Result<v1::ConsultationEntry> CaseStore::PrepareAppendConsultation(
    const std::string& user_id, const std::string& parent, const v1::ConsultationEntry& input,
    storage::WriteBatch* batch) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  // The public part is enough: the event is counted under the case's classification, which is
  // public, and the entry is sealed under the case key fetched below.
  auto stored = Load(*id, /*with_personal=*/false);
  if (!stored.ok()) return stored.status();
  const auto now = clock_.Now();
  const auto& date = input.date();
  Status status;
  auto violation = [&status](const std::string& field, const std::string& description) {
    if (status.ok()) {
      status = Status::InvalidArgument(field, description);
    } else {
      status.AddViolation(field, description);
    }
  };
  if (input.kind() == v1::CONSULTATION_KIND_UNSPECIFIED ||
      !v1::ConsultationKind_IsValid(input.kind())) {
    violation("entry.kind", "required");
  }
  const auto day = JstMidnight(date.year(), date.month(), date.day());
  if (!day) {
    violation("entry.date", "required: a real day");
  } else if (*day > now) {
    violation("entry.date", "is in the future");
  }
  if (input.summary().empty()) violation("entry.summary", "required");
  if (!v1::ContactMethod_IsValid(input.method())) violation("entry.method", "unknown");
  if (input.kind() == v1::COORDINATION_CONTACT && !agencies_.Get(input.agency()).ok()) {
    violation("entry.agency", "a coordination contact names an agency of the directory");
  }
  const std::string entry_prefix = CaseName(*id) + "/consultations/";
  if (input.kind() == v1::AMENDMENT) {
    if (input.amendment_reason().empty()) violation("entry.amendment_reason", "required");
    const std::optional<uint64_t> number =
        input.amends().rfind(entry_prefix, 0) == 0
            ? ParseDecimalId(std::string_view(input.amends()).substr(entry_prefix.size()),
                             /*allow_zero=*/true)
            : std::nullopt;
    bool amends_an_entry = false;
    if (number) {
      std::string amended_key = Key(kEntry, *id);
      storage::AppendUint64(&amended_key, *number);
      auto amended = storage_.Get(ColumnFamily::kRecords, amended_key);
      if (!amended.ok()) return amended.status();
      amends_an_entry = amended->has_value();
    }
    if (!amends_an_entry) violation("entry.amends", "must name an entry of this case");
  } else if (!input.amends().empty() || !input.amendment_reason().empty()) {
    violation("entry.amends", "only an AMENDMENT amends an entry");
  }
  if (!status.ok()) return status;

  // The next entry number: one after the last.
  auto last_entry = LastNumber(*id, kLastEntry, kEntry);
  if (!last_entry.ok()) return last_entry.status();
  const uint64_t number = *last_entry + 1;
  const std::string prefix = Key(kEntry, *id);
  v1::ConsultationEntry entry = input;
  entry.set_name(entry_prefix + std::to_string(number));
  entry.set_author("users/" + user_id);
  *entry.mutable_create_time() = ToTimestamp(now);
  entry.clear_amended_by();
  if (entry.kind() != v1::COORDINATION_CONTACT) entry.clear_agency();

  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  v1::ConsultationEntry personal;
  personal.set_summary(entry.summary());
  personal.set_amendment_reason(entry.amendment_reason());
  v1::ConsultationEntry public_part = entry;
  public_part.clear_summary();
  public_part.clear_amendment_reason();
  std::string entry_key = prefix;
  storage::AppendUint64(&entry_key, number);
  batch->Put(ColumnFamily::kRecords, entry_key,
             Frame(public_part.SerializeAsString(),
                   Seal(*key, entry.name(), personal.SerializeAsString())));
  PutLastNumber(*id, kLastEntry, number, batch);

  auto event = NextEvent(*id, user_id, v1::CONSULTATION_LOGGED);
  if (!event.ok()) return event.status();
  event->set_subject(entry.name());
  event->set_consultation_kind(entry.kind());
  *event->mutable_decision_date() = date;
  CASECOORD_RETURN_IF_ERROR(PutEvent(*id, *key, *std::move(event), stored->record, batch));
  return entry;
}

Result<std::vector<v1::ConsultationEntry>> CaseStore::Consultations(const std::string& parent,
                                                                    int64_t after,
                                                                    int limit) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  // Amendments come after what they amend, so one pass over the whole log finds every
  // amended_by; the page is cut from it afterwards.
  std::vector<v1::ConsultationEntry> all;
  std::map<std::string, size_t> index_of;
  const std::string prefix = Key(kEntry, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string public_bytes, sealed, unused;
    v1::ConsultationEntry entry, personal;
    if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
        !entry.ParseFromString(public_bytes)) {
      return Status(Reason::kCaseEntryCorrupt, parent + ": unreadable entry");
    }
    auto opened = Open(*key, entry.name(), sealed);
    if (!opened.ok()) return opened.status();
    if (!personal.ParseFromString(*opened)) {
      return Status(Reason::kCaseEntryCorrupt, parent + ": unreadable entry");
    }
    entry.set_summary(personal.summary());
    entry.set_amendment_reason(personal.amendment_reason());
    if (!entry.amends().empty()) {
      auto amended = index_of.find(entry.amends());
      if (amended != index_of.end()) all[amended->second].add_amended_by(entry.name());
    }
    index_of[entry.name()] = all.size();
    all.push_back(std::move(entry));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the log");
  std::vector<v1::ConsultationEntry> page;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after, 0));
       i < all.size() && static_cast<int>(page.size()) < limit; ++i) {
    page.push_back(std::move(all[i]));
  }
  return page;
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

void CaseStore::PutReferral(uint64_t id, uint64_t number, const CaseKey& key,
                            const v1::Referral& referral, storage::WriteBatch* batch) const {
  v1::Referral public_part = referral;
  v1::Referral personal;
  personal.set_note(std::move(*public_part.mutable_note()));
  personal.set_decline_reason(std::move(*public_part.mutable_decline_reason()));
  public_part.clear_note();
  public_part.clear_decline_reason();
  batch->Put(ColumnFamily::kRecords, ReferralKey(id, number),
             Frame(public_part.SerializeAsString(),
                   Seal(key, referral.name(), personal.SerializeAsString())));
  const std::string inbox = InboxKey(referral.agency(), id, number);
  if (referral.state() == v1::Referral::PENDING) {
    batch->Put(ColumnFamily::kIndexes, inbox, "");
  } else {
    batch->Delete(ColumnFamily::kIndexes, inbox);
  }
}

void CaseStore::PutTeamIndex(uint64_t id, const std::string& agency, bool on_team,
                             storage::WriteBatch* batch) const {
  if (on_team) {
    batch->Put(ColumnFamily::kIndexes, TeamIndexKey(agency, id), "");
  } else {
    batch->Delete(ColumnFamily::kIndexes, TeamIndexKey(agency, id));
  }
}

Result<v1::Referral> CaseStore::ReferralOf(const std::string& name) const {
  auto parsed = ParseReferralName(name);
  if (!parsed.ok()) return parsed.status();
  const auto [id, number] = *parsed;
  auto value = storage_.Get(ColumnFamily::kRecords, ReferralKey(id, number));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status(Reason::kNotFound, name + " not found");
  std::string public_bytes, sealed, unused;
  v1::Referral referral, personal;
  if (!Unframe(**value, &public_bytes, &sealed, &unused) ||
      !referral.ParseFromString(public_bytes)) {
    return Status(Reason::kReferralCorrupt, name + " is unreadable");
  }
  auto key = KeyOf(id);
  if (!key.ok()) return key.status();
  auto opened = Open(*key, referral.name(), sealed);
  if (!opened.ok()) return opened.status();
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kReferralCorrupt, name + " is unreadable");
  }
  referral.set_note(personal.note());
  referral.set_decline_reason(personal.decline_reason());
  return referral;
}

Result<v1::Referral> CaseStore::PrepareRefer(const std::string& user_id, const std::string& parent,
                                             const v1::Referral& input,
                                             storage::WriteBatch* batch) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  auto agency = agencies_.Get(input.agency(), "referral.agency");
  if (!agency.ok()) {
    if (agency.status().code() != StatusCode::kNotFound) return agency.status();
    return Status::InvalidArgument("referral.agency", "must be an agency of the directory");
  }
  if (agency->state() != v1::Agency::ACTIVE) {
    return Status(Reason::kAgencyNotActive, input.agency() + " is not active");
  }
  if (input.role() == v1::TEAM_ROLE_UNSPECIFIED || !v1::TeamRole_IsValid(input.role())) {
    return Status::InvalidArgument("referral.role", "required");
  }
  for (const auto& member : stored->record.team()) {
    if (member.agency() == input.agency()) {
      return Status(Reason::kAlreadyOnTeam, input.agency() + " is on the team");
    }
  }
  auto existing = Referrals(parent, "");
  if (!existing.ok()) return existing.status();
  for (const auto& referral : *existing) {
    if (referral.agency() == input.agency() && referral.state() == v1::Referral::PENDING) {
      return Status(Reason::kReferralPending, referral.name() + " already asks " + input.agency());
    }
  }
  const uint64_t number = existing->size() + 1;
  v1::Referral referral;
  referral.set_name(parent + "/referrals/" + std::to_string(number));
  referral.set_agency(input.agency());
  referral.set_role(input.role());
  referral.set_note(input.note());
  referral.set_state(v1::Referral::PENDING);
  referral.set_referred_by("users/" + user_id);
  *referral.mutable_create_time() = ToTimestamp(clock_.Now());
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  PutReferral(*id, number, *key, referral, batch);
  CASECOORD_RETURN_IF_ERROR(
      PutHistory(*id, *key, stored->record, user_id, v1::REFERRED, referral.name(), "", batch));
  return referral;
}

Result<v1::Referral> CaseStore::PrepareAnswer(const std::string& user_id,
                                              const v1::AnswerReferralRequest& request,
                                              Answer answer, storage::WriteBatch* batch) const {
  auto parsed = ParseReferralName(request.name());
  if (!parsed.ok()) return parsed.status();
  const auto [id, number] = *parsed;
  auto referral = ReferralOf(request.name());
  if (!referral.ok()) return referral.status();
  if (referral->state() != v1::Referral::PENDING) {
    return Status(
        Reason::kReferralAnswered,
        request.name() + " is " + v1::Referral::State_Name(referral->state()) + ", not PENDING");
  }
  if (answer == Answer::kDecline) {
    if (request.reason().empty()) {
      return Status::InvalidArgument("reason", "a declined referral needs a reason");
    }
    if (!request.proposed_agency().empty() &&
        !agencies_.Get(request.proposed_agency(), "proposed_agency").ok()) {
      return Status::InvalidArgument("proposed_agency", "must be an agency of the directory");
    }
  }
  auto stored = Load(id);
  if (!stored.ok()) return stored.status();
  v1::Case& record = stored->record;
  const auto now = clock_.Now();
  referral->set_answered_by("users/" + user_id);
  *referral->mutable_answer_time() = ToTimestamp(now);
  v1::CaseEventKind kind = v1::REFERRAL_ACCEPTED;
  switch (answer) {
    case Answer::kAccept:
      referral->set_state(v1::Referral::ACCEPTED);
      break;
    case Answer::kDecline:
      referral->set_state(v1::Referral::DECLINED);
      referral->set_decline_reason(request.reason());
      referral->set_proposed_agency(request.proposed_agency());
      kind = v1::REFERRAL_DECLINED;
      break;
    case Answer::kRevoke:
      referral->set_state(v1::Referral::REVOKED);
      kind = v1::REFERRAL_REVOKED;
      break;
  }
  auto key = KeyOf(id);
  if (!key.ok()) return key.status();
  PutReferral(id, number, *key, *referral, batch);
  if (answer == Answer::kAccept) {
    auto* former = record.mutable_former_team();
    former->erase(std::remove(former->begin(), former->end(), referral->agency()), former->end());
    v1::TeamMember* member = record.add_team();
    member->set_agency(referral->agency());
    member->set_role(referral->role());
    member->set_referral(referral->name());
    *member->mutable_join_time() = ToTimestamp(now);
    PutTeamIndex(id, referral->agency(), /*on_team=*/true, batch);
    auto last = LastEventSequence(id);
    if (!last.ok()) return last.status();
    *record.mutable_update_time() = ToTimestamp(now);
    record.set_etag(std::to_string(*last + 1));
    PutCase(id, *key, record, batch);
  }
  CASECOORD_RETURN_IF_ERROR(
      PutHistory(id, *key, record, user_id, kind, referral->name(), request.reason(), batch));
  return referral;
}

Result<std::vector<v1::Referral>> CaseStore::Referrals(const std::string& parent,
                                                       const std::string& agency) const {
  std::vector<v1::Referral> out;
  if (parent == "cases/-") {
    std::string prefix;
    storage::AppendString(&prefix, kInbox);
    storage::AppendString(&prefix, agency);
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      storage::KeyReader reader(
          std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
      uint64_t id = 0, number = 0;
      if (!reader.ReadUint64(&id) || !reader.ReadUint64(&number)) continue;
      auto referral = ReferralOf(CaseName(id) + "/referrals/" + std::to_string(number));
      if (!referral.ok()) return referral.status();
      out.push_back(std::move(referral).value());
    }
    if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading an inbox");
    return out;
  }
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  const std::string prefix = Key(kReferral, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string public_bytes, sealed, unused;
    v1::Referral referral;
    if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
        !referral.ParseFromString(public_bytes)) {
      return Status(Reason::kReferralCorrupt, parent + ": unreadable referral");
    }
    auto opened = ReferralOf(referral.name());
    if (!opened.ok()) return opened.status();
    out.push_back(std::move(opened).value());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading referrals");
  return out;
}

Result<v1::Case> CaseStore::PrepareRemoveTeamMember(const std::string& user_id,
                                                    const v1::RemoveTeamMemberRequest& request,
                                                    storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  if (request.reason().empty()) return Status::InvalidArgument("reason", "required");
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  v1::Case& record = stored->record;
  auto* team = record.mutable_team();
  auto member = std::find_if(team->begin(), team->end(), [&](const v1::TeamMember& m) {
    return m.agency() == request.agency();
  });
  if (member == team->end()) {
    return Status(Reason::kNotOnTeam, request.agency() + " is not on the team");
  }
  team->erase(member);
  record.add_former_team(request.agency());
  PutTeamIndex(*id, request.agency(), /*on_team=*/false, batch);
  // The agency no longer needs to know: its work-list items of this case go with it.
  CASECOORD_RETURN_IF_ERROR(
      worklist::PrepareRemoveOwnerFromCase(storage_, request.agency(), CaseName(*id), batch));
  auto last = LastEventSequence(*id);
  if (!last.ok()) return last.status();
  *record.mutable_update_time() = ToTimestamp(clock_.Now());
  record.set_etag(std::to_string(*last + 1));
  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  PutCase(*id, *key, record, batch);
  CASECOORD_RETURN_IF_ERROR(PutHistory(*id, *key, record, user_id, v1::TEAM_MEMBER_REMOVED,
                                       request.agency(), request.reason(), batch));
  return record;
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
    if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &classification) ||
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

namespace {

bool HasTag(const v1::Case& record, const std::string& tag) {
  const auto& household = record.household_issue_tags();
  if (std::find(household.begin(), household.end(), tag) != household.end()) return true;
  return std::any_of(
      record.members().begin(), record.members().end(), [&](const v1::HouseholdMember& member) {
        return std::find(member.issue_tags().begin(), member.issue_tags().end(), tag) !=
               member.issue_tags().end();
      });
}

bool IsOverdue(const v1::Case& record, const v1::Date& today) {
  if (record.state() == v1::COMPLETED_BY_ADVICE || record.state() == v1::CLOSED) return false;
  if (!record.has_next_review_date()) return false;
  const auto& due = record.next_review_date();
  return std::make_tuple(due.year(), due.month(), due.day()) <
         std::make_tuple(today.year(), today.month(), today.day());
}

// Everything but visibility, on the public part of a case.
bool Matches(const v1::Case& record, const CaseFilter& filter) {
  if (filter.state != v1::CASE_STATE_UNSPECIFIED && record.state() != filter.state) return false;
  if (!filter.district.empty() && record.district() != filter.district) return false;
  if (filter.fiscal_year != 0 && record.fiscal_year().year() != filter.fiscal_year) return false;
  if (!filter.tag.empty() && !HasTag(record, filter.tag)) return false;
  if (filter.overdue && !IsOverdue(record, filter.today)) return false;
  return true;
}

}  // namespace

Result<std::vector<uint64_t>> CaseStore::TeamCaseIds(const std::string& agency) const {
  std::string prefix;
  storage::AppendString(&prefix, kTeamIndex);
  storage::AppendString(&prefix, agency);
  std::vector<uint64_t> ids;
  auto it = storage_.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id) || !reader.done()) {
      return Status(Reason::kCaseIndexCorrupt, "a team index key is malformed");
    }
    ids.push_back(id);
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading a team index");
  return ids;
}

Result<CasePage> CaseStore::List(const Viewer& viewer, const CaseFilter& filter,
                                 const std::string& before_id, int limit) const {
  // Agency staff, and anyone asking for an agency's cases, walk that agency's team index (ids
  // newest first); coordinators without an agency filter walk every case.
  std::string agency = filter.agency;
  if (!viewer.every_case) {
    if (viewer.agency.empty() || (!agency.empty() && agency != viewer.agency)) return CasePage{};
    agency = viewer.agency;
  }
  const std::optional<uint64_t> before =
      before_id.empty() ? std::optional<uint64_t>(0) : ParseDecimalId(before_id);
  if (!before) return Status::InvalidArgument("page_token", "not a position of this list");
  CasePage page;
  // Returns false when the page is full (and marks where the next one starts).
  auto consider = [&](uint64_t id, const v1::Case& record) -> Result<bool> {
    if (!CanSee(record, viewer) || !Matches(record, filter)) return true;
    if (static_cast<int>(page.cases.size()) == limit) {
      page.next_after_id = page.cases.back().name().substr(sizeof(kCasePrefix) - 1);
      return false;
    }
    auto stored = Load(id);
    if (!stored.ok()) return stored.status();
    page.cases.push_back(std::move(stored->record));
    return true;
  };
  auto parse = [](std::string_view value, v1::Case* record) {
    std::string public_bytes, sealed, unused;
    return Unframe(value, &public_bytes, &sealed, &unused) && record->ParseFromString(public_bytes);
  };
  std::string prefix;
  if (!agency.empty()) {
    storage::AppendString(&prefix, kTeamIndex);
    storage::AppendString(&prefix, agency);
  } else {
    storage::AppendString(&prefix, kCase);
  }
  const ColumnFamily family = agency.empty() ? ColumnFamily::kRecords : ColumnFamily::kIndexes;
  auto it = storage_.NewIterator(family);
  std::string start = prefix;
  if (*before == 0) {
    start.push_back('\xff');
  } else {
    storage::AppendUint64(&start, *before);
  }
  it->SeekForPrev(start);
  if (it->Valid() && it->key() == start) it->Prev();
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (agency.empty() && !IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id)) {
      return Status(Reason::kCaseIndexCorrupt, "a case key is malformed");
    }
    v1::Case record;
    if (agency.empty()) {
      if (!parse(it->value().ToStringView(), &record)) {
        return Status(Reason::kCaseRecordCorrupt, CaseName(id) + " is unreadable");
      }
    } else {
      auto value = storage_.Get(ColumnFamily::kRecords, Key(kCase, id));
      if (!value.ok()) return value.status();
      if (!value->has_value() || !parse(**value, &record)) {
        return Status(Reason::kCaseIndexCorrupt,
                      "the team index names " + CaseName(id) + ", which is unreadable");
      }
    }
    auto more = consider(id, record);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing cases");
  return page;
}

Result<int> CaseStore::MoveLegacyCaseKeys() {
  constexpr int kKeysPerBatch = 10000;
  std::string prefix;
  storage::AppendString(&prefix, kLegacyCaseKey);
  int moved = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->Seek(prefix);
  while (it->Valid() && it->key().starts_with(prefix)) {
    // Each batch moves whole keys: after a crash every key is in one of its two places.
    storage::WriteBatch batch(storage_);
    for (; it->Valid() && it->key().starts_with(prefix) &&
           batch.count() < 2 * static_cast<size_t>(kKeysPerBatch);
         it->Next()) {
      storage::KeyReader reader(
          std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
      uint64_t id = 0;
      if (!reader.ReadUint64(&id)) {
        return Status(Reason::kCaseKeyCorrupt, "a case key's name is malformed");
      }
      batch.Put(ColumnFamily::kRecords, WrappedKeyKey(id), it->value().ToStringView());
      batch.Delete(ColumnFamily::kRecords, it->key().ToStringView());
      ++moved;
    }
    CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case keys");
  if (moved > 0) {
    log::Info("case keys moved next to their cases", {{"cases", std::to_string(moved)}});
  }
  return moved;
}

Result<int> CaseStore::RebuildIndexesIfStale() {
  auto lock = LockAllWriters();
  auto moved = MoveLegacyCaseKeys();
  if (!moved.ok()) return moved.status();
  auto version = storage_.Get(ColumnFamily::kMeta, kIndexVersionKey);
  if (!version.ok()) return version.status();
  if (version->has_value() && **version == kIndexVersion) return 0;
  storage::WriteBatch batch(storage_);
  std::string index_prefix;
  storage::AppendString(&index_prefix, kTeamIndex);
  std::string index_end = index_prefix;
  index_end.push_back('\xff');
  batch.DeleteRange(ColumnFamily::kIndexes, index_prefix, index_end);
  std::string prefix;
  storage::AppendString(&prefix, kCase);
  int cases = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
    std::string public_bytes, sealed, unused;
    v1::Case record;
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id) ||
        !Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
        !record.ParseFromString(public_bytes)) {
      return Status(Reason::kCaseRecordCorrupt, "a case is unreadable");
    }
    for (const auto& member : record.team()) PutTeamIndex(id, member.agency(), true, &batch);
    ++cases;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading cases");
  batch.Put(ColumnFamily::kMeta, kIndexVersionKey, kIndexVersion);
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  log::Info("case indexes rebuilt", {{"cases", std::to_string(cases)},
                                     {"from_version", version->value_or("none")},
                                     {"to_version", kIndexVersion}});
  return cases;
}

Result<stats::CounterChanges> CaseStore::RecountCounters() const {
  stats::CounterChanges changes;
  std::string prefix;
  storage::AppendString(&prefix, kCase);
  auto cases = storage_.NewIterator(ColumnFamily::kRecords);
  auto events = storage_.NewIterator(ColumnFamily::kRecords);
  for (cases->Seek(prefix); cases->Valid() && cases->key().starts_with(prefix); cases->Next()) {
    if (!IsCaseRecordKey(cases->key().ToStringView(), prefix.size())) continue;
    std::string public_bytes, sealed, unused;
    v1::Case record;
    storage::KeyReader reader(
        std::string_view(cases->key().data() + prefix.size(), cases->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id) ||
        !Unframe(cases->value().ToStringView(), &public_bytes, &sealed, &unused) ||
        !record.ParseFromString(public_bytes)) {
      return Status(Reason::kCaseRecordCorrupt, "a case is unreadable");
    }
    const v1::Case classification = Classification(record);
    const std::string event_prefix = Key(kEvent, id);
    for (events->Seek(event_prefix); events->Valid() && events->key().starts_with(event_prefix);
         events->Next()) {
      v1::CaseEvent event;
      if (!Unframe(events->value().ToStringView(), &public_bytes, &sealed, &unused) ||
          !event.ParseFromString(public_bytes)) {
        return Status(Reason::kCaseEventCorrupt, CaseName(id) + ": bad event");
      }
      CASECOORD_RETURN_IF_ERROR(CountEvent(classification, event, &changes));
    }
    if (!events->status().ok()) {
      return storage::FromRocksStatus(events->status(), "reading case events");
    }
  }
  if (!cases->status().ok()) return storage::FromRocksStatus(cases->status(), "reading cases");
  return changes;
}

Result<CounterRebuild> CaseStore::PrepareRebuildCounters(bool validate_only,
                                                         storage::WriteBatch* batch) const {
  auto recount = RecountCounters();
  if (!recount.ok()) return recount.status();
  for (const auto& recounter : recounters_) {
    auto other = recounter();
    if (!other.ok()) return other.status();
    recount->Merge(*other);
  }
  auto stored = stats::ReadCounters(storage_, stats::kMinFiscalYear, stats::kMaxFiscalYear);
  if (!stored.ok()) return stored.status();
  CounterRebuild rebuild;
  rebuild.differences = stats::Compare(*stored, recount->deltas());
  rebuild.counters_recomputed = recount->deltas().size();
  if (!validate_only && !rebuild.differences.empty()) {
    stats::PrepareReplaceCounters(recount->deltas(), batch);
  }
  return rebuild;
}

Result<v1::Case> CaseStore::PreparePurge(const std::string& user_id,
                                         const v1::PurgeCaseRequest& request,
                                         storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  v1::Case record = std::move(stored->record);
  if (record.has_purge_time()) {
    return Status(Reason::kCasePurged, request.name() + " was purged already");
  }
  if (request.confirmation() != "PURGE " + record.case_number()) {
    return Status::InvalidArgument("confirmation", "must be \"PURGE " + record.case_number() +
                                                       "\" (the case number), to confirm");
  }
  if (record.state() != v1::COMPLETED_BY_ADVICE && record.state() != v1::CLOSED) {
    return Status(Reason::kCaseOpen,
                  request.name() + " is " + v1::CaseState_Name(record.state()) +
                      "; only a case that ended (COMPLETED_BY_ADVICE or CLOSED) is purged");
  }
  // The end: the decision date of the last transition (into the state it is in now).
  v1::Date ended;
  {
    const std::string prefix = Key(kEvent, *id);
    auto it = storage_.NewIterator(ColumnFamily::kRecords);
    for (it->SeekForPrev(prefix + std::string(1, '\xff'));
         it->Valid() && it->key().starts_with(prefix); it->Prev()) {
      std::string public_bytes, sealed, unused;
      v1::CaseEvent event;
      if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
          !event.ParseFromString(public_bytes)) {
        return Status(Reason::kCaseEventCorrupt, request.name() + ": bad event");
      }
      if (event.kind() == v1::STATE_CHANGED) {
        ended = event.decision_date();
        break;
      }
    }
    if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
  }
  // Purgeable from the same day `retention_years` later (29 February: 1 March).
  auto purgeable = JstMidnight(ended.year() + options_.retention_years, ended.month(), ended.day());
  if (!purgeable) {
    purgeable = JstMidnight(ended.year() + options_.retention_years, ended.month() + 1, 1);
  }
  if (!purgeable || clock_.Now() < *purgeable) {
    return Status(Reason::kRetentionNotElapsed,
                  request.name() + " ended on " +
                      FormatJstDate(*JstMidnight(ended.year(), ended.month(), ended.day())) +
                      " and is kept " + std::to_string(options_.retention_years) +
                      " years: it may be purged from " +
                      (purgeable ? FormatJstDate(*purgeable) : "?"));
  }

  auto key = KeyOf(*id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(
      PutHistory(*id, *key, record, user_id, v1::PURGED, request.name(), "", batch));
  const std::string key_name = WrappedKeyKey(*id);
  batch->DestroyRange(ColumnFamily::kRecords, key_name, key_name + std::string(1, '\0'));
  const std::string legacy_key_name = Key(kLegacyCaseKey, *id);
  auto legacy = storage_.Get(ColumnFamily::kRecords, legacy_key_name);
  if (!legacy.ok()) return legacy.status();
  if (legacy->has_value()) {
    batch->DestroyRange(ColumnFamily::kRecords, legacy_key_name,
                        legacy_key_name + std::string(1, '\0'));
  }
  // Pending referrals would otherwise stay in inboxes, pointing at data nobody can open.
  const std::string referral_prefix = Key(kReferral, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(referral_prefix); it->Valid() && it->key().starts_with(referral_prefix);
       it->Next()) {
    std::string public_bytes, sealed, unused;
    v1::Referral referral;
    if (!Unframe(it->value().ToStringView(), &public_bytes, &sealed, &unused) ||
        !referral.ParseFromString(public_bytes)) {
      return Status(Reason::kReferralCorrupt, request.name() + ": bad referral");
    }
    auto parsed = ParseReferralName(referral.name());
    if (parsed.ok())
      batch->Delete(ColumnFamily::kIndexes, InboxKey(referral.agency(), *id, parsed->second));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading referrals");

  auto last = LastEventSequence(*id);
  if (!last.ok()) return last.status();
  SplitPersonal(&record);
  *record.mutable_purge_time() = ToTimestamp(clock_.Now());
  *record.mutable_update_time() = record.purge_time();
  record.set_etag(std::to_string(*last + 1));  // the PURGED event, in this batch
  batch->Put(ColumnFamily::kRecords, Key(kCase, *id), Frame(record.SerializeAsString(), ""));
  return record;
}

}  // namespace casecoord::cases
