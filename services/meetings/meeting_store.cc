#include "services/meetings/meeting_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"
#include "services/worklist/due_index.h"

namespace casecoord::meetings {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

// Each participant's meetings ("meeting-of"/user/id), so that a participant's list walks their own
// meetings instead of every meeting of the city. Version 1 since the index exists.
constexpr char kIndexVersion[] = "1";

std::string ParticipantPrefix(std::string_view user) {
  return storage::key_spaces::kMeetingOfParticipant.Key(user);
}

std::string ParticipantKey(std::string_view user, uint64_t id) {
  std::string key = ParticipantPrefix(user);
  storage::AppendUint64(&key, id);
  return key;
}

std::string Key(const char* kind, uint64_t id) {
  std::string key;
  storage::AppendString(&key, kind);
  storage::AppendUint64(&key, id);
  return key;
}

std::string MeetingName(uint64_t id) { return kMeetingPrefix + std::to_string(id); }

std::string PersonalContext(uint64_t id) { return MeetingName(id) + "#personal"; }

bool IsDate(const v1::Date& date) {
  return JstMidnight(date.year(), date.month(), date.day()).has_value();
}

bool IsNamed(const std::string& name, std::string_view collection) {
  return name.rfind(collection, 0) == 0 && IsResourceId(name.substr(collection.size()));
}

// Moves the sealed fields of `meeting` into the returned message.
v1::Meeting SplitPersonal(v1::Meeting* meeting) {
  v1::Meeting personal;
  personal.set_materials(std::move(*meeting->mutable_materials()));
  personal.set_cancel_reason(std::move(*meeting->mutable_cancel_reason()));
  meeting->clear_materials();
  meeting->clear_cancel_reason();
  if (meeting->has_minutes()) {
    v1::Minutes* minutes = meeting->mutable_minutes();
    v1::Minutes* sealed = personal.mutable_minutes();
    sealed->set_support_policy(std::move(*minutes->mutable_support_policy()));
    *sealed->mutable_decisions() = std::move(*minutes->mutable_decisions());
    minutes->clear_support_policy();
    minutes->clear_decisions();
    for (auto& assignment : *minutes->mutable_assignments()) {
      sealed->add_assignments()->set_action(std::move(*assignment.mutable_action()));
      assignment.clear_action();
    }
  }
  return personal;
}

void JoinPersonal(const v1::Meeting& personal, v1::Meeting* meeting) {
  meeting->set_materials(personal.materials());
  meeting->set_cancel_reason(personal.cancel_reason());
  if (!personal.has_minutes()) return;
  v1::Minutes* minutes = meeting->mutable_minutes();
  minutes->set_support_policy(personal.minutes().support_policy());
  *minutes->mutable_decisions() = personal.minutes().decisions();
  for (int i = 0; i < minutes->assignments_size() && i < personal.minutes().assignments_size();
       ++i) {
    minutes->mutable_assignments(i)->set_action(personal.minutes().assignments(i).action());
  }
}

// "meetings/{id}" → id.
Result<uint64_t> ParseMeetingName(const std::string& name, const char* field) {
  const Status invalid = Status::InvalidArgument(field, "must look like \"meetings/{number}\"");
  if (name.rfind(kMeetingPrefix, 0) != 0) return invalid;
  auto id = ParseDecimalId(std::string_view(name).substr(sizeof(kMeetingPrefix) - 1));
  if (!id) return invalid;
  return *id;
}

Status CheckParticipants(const google::protobuf::RepeatedPtrField<v1::Participant>& participants) {
  std::set<std::string> users;
  for (int i = 0; i < participants.size(); ++i) {
    const auto& participant = participants[i];
    const std::string field = "meeting.participants[" + std::to_string(i) + "]";
    if (!IsNamed(participant.user(), kUserPrefix) || !users.insert(participant.user()).second) {
      return Status::InvalidArgument(field + ".user", "a users/{id}, once per meeting");
    }
    if (!participant.agency().empty() && !IsNamed(participant.agency(), kAgencyPrefix)) {
      return Status::InvalidArgument(field + ".agency", "must look like \"agencies/{agency}\"");
    }
    if (participant.role() == v1::PARTICIPANT_ROLE_UNSPECIFIED ||
        !v1::ParticipantRole_IsValid(participant.role())) {
      return Status::InvalidArgument(field + ".role", "required");
    }
  }
  return Status::Ok();
}

Status CheckScheduled(const v1::Meeting& meeting) {
  if (meeting.state() != v1::SCHEDULED) {
    return Status(
        Reason::kMeetingNotScheduled,
        meeting.name() + " is " + v1::MeetingState_Name(meeting.state()) + ", not SCHEDULED");
  }
  return Status::Ok();
}

std::string MeetingPrefix() {
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kMeeting.name);
  return prefix;
}

// The meeting id that follows the key's first `prefix_size` bytes.
Result<uint64_t> IdAfterPrefix(std::string_view key, size_t prefix_size) {
  storage::KeyReader key_reader(key.substr(prefix_size));
  uint64_t id = 0;
  if (!key_reader.ReadUint64(&id)) {
    return Status(Reason::kMeetingCorrupt, "a meeting key is malformed");
  }
  return id;
}

// Coordinators walk every meeting; anyone else walks the participant index, so that a list
// costs what the caller may see, not what the city holds.
std::pair<ColumnFamily, std::string> ListScope(const MeetingViewer& viewer) {
  if (viewer.coordinator) return {ColumnFamily::kRecords, MeetingPrefix()};
  return {ColumnFamily::kIndexes, ParticipantPrefix(viewer.user)};
}

// Where List's backward walk starts: past the prefix's last key, or just at `before_id`.
Result<std::string> ListStart(const std::string& prefix, const std::string& before_id) {
  std::string start = prefix;
  if (before_id.empty()) {
    start.push_back('\xff');
    return start;
  }
  auto before = ParseDecimalId(before_id);
  if (!before) return Status::InvalidArgument("page_token", "not a position of this list");
  storage::AppendUint64(&start, *before);
  return start;
}

// A meeting record's public part, which leads its stored value.
Result<v1::Meeting> PublicPartOf(std::string_view value) {
  storage::KeyReader reader(value);
  std::string public_bytes;
  v1::Meeting meeting;
  if (!reader.ReadString(&public_bytes) || !meeting.ParseFromString(public_bytes)) {
    return Status(Reason::kMeetingCorrupt, "a meeting is unreadable");
  }
  return meeting;
}

// The request's minutes, checked, with each assignment numbered ("r1", "r2"...) and opened now.
Result<v1::Minutes> NumberedMinutes(const v1::Minutes& requested, const Clock& clock) {
  v1::Minutes minutes = requested;
  for (int i = 0; i < minutes.assignments_size(); ++i) {
    auto* assignment = minutes.mutable_assignments(i);
    const std::string field = "minutes.assignments[" + std::to_string(i) + "]";
    if (!IsNamed(assignment->agency(), kAgencyPrefix)) {
      return Status::InvalidArgument(field + ".agency", "must look like \"agencies/{agency}\"");
    }
    if (assignment->action().empty()) return Status::InvalidArgument(field + ".action", "required");
    if (!IsDate(assignment->due_date())) {
      return Status::InvalidArgument(field + ".due_date", "required: a real day");
    }
    assignment->set_assignment_id("r" + std::to_string(i + 1));
    assignment->set_status(v1::OPEN);
    *assignment->mutable_status_time() = NowTimestamp(clock);
  }
  return minutes;
}

bool MatchesFilter(const v1::Meeting& meeting, const MeetingFilter& filter) {
  if (!filter.case_name.empty() && meeting.case_() != filter.case_name) return false;
  if (filter.type != v1::MEETING_TYPE_UNSPECIFIED && meeting.type() != filter.type) return false;
  return filter.state == v1::MEETING_STATE_UNSPECIFIED || meeting.state() == filter.state;
}

}  // namespace

Access AccessOf(const v1::Meeting& meeting, const MeetingViewer& viewer) {
  if (viewer.coordinator) return Access::kFull;
  for (const auto& participant : meeting.participants()) {
    if (participant.user() == viewer.user) {
      return participant.has_acknowledge_time() ? Access::kFull : Access::kUnacknowledged;
    }
  }
  return Access::kNone;
}

Result<Access> MeetingStore::AccessFor(const v1::Meeting& meeting,
                                       const MeetingViewer& viewer) const {
  const Access access = AccessOf(meeting, viewer);
  if (access == Access::kNone || viewer.coordinator || meeting.case_().empty()) return access;
  std::string agency;
  for (const auto& participant : meeting.participants()) {
    if (participant.user() == viewer.user) agency = participant.agency();
  }
  if (agency.empty()) return access;  // an adviser or city staff, invited in person
  auto record = cases_.GetPublic(meeting.case_());
  if (!record.ok()) {
    // A purged case's meetings keep only their public part, which participants still see.
    if (record.status().Is(Reason::kCasePurged)) return access;
    return record.status();
  }
  // Agencies invited to a meeting without being on the team (a 支援会議 may invite them) keep
  // their access; an agency taken off the team loses it until it is back on.
  const bool removed = std::find(record->former_team().begin(), record->former_team().end(),
                                 agency) != record->former_team().end();
  return removed ? Access::kNone : access;
}

Result<cases::CaseWriteLock> MeetingStore::LockMeeting(const std::string& name) {
  auto meeting = GetPublic(name);
  if (!meeting.ok()) return meeting.status();
  // A meeting never changes its case, so reading it before locking is safe.
  return cases_.LockCase(meeting->case_().empty() ? name : meeting->case_());
}

MeetingStore::CreateLock MeetingStore::LockNewMeeting(const std::string& case_name) {
  CreateLock lock;
  lock.case_lock = cases_.LockCase(case_name.empty() ? std::string(kMeetingPrefix) : case_name);
  lock.sequence = std::unique_lock<HandoffMutex>(sequence_mutex_);
  return lock;
}

Result<cases::CaseKey> MeetingStore::KeyOf(uint64_t id, const v1::Meeting& meeting) const {
  if (!meeting.case_().empty()) return cases_.KeyForCase(meeting.case_());
  auto wrapped =
      storage_.Get(ColumnFamily::kRecords, Key(storage::key_spaces::kMeetingKey.name, id));
  if (!wrapped.ok()) return wrapped.status();
  if (!wrapped->has_value()) {
    return Status(Reason::kMeetingKeyMissing, MeetingName(id) + " has no key");
  }
  return keys_.Unwrap(**wrapped);
}

Status MeetingStore::Put(uint64_t id, const cases::CaseKey& key, const v1::Meeting& meeting,
                         storage::WriteBatch* batch) const {
  // The participant index follows the participants: entries of those who left go, in the same
  // batch as the record.
  auto stored = Load(id, /*open=*/false);
  if (stored.ok()) {
    for (const auto& participant : stored->participants()) {
      batch->Delete(ColumnFamily::kIndexes, ParticipantKey(participant.user(), id));
    }
  } else if (stored.status().code() != StatusCode::kNotFound) {
    return stored.status();
  }
  for (const auto& participant : meeting.participants()) {
    batch->Put(ColumnFamily::kIndexes, ParticipantKey(participant.user(), id), "");
  }
  v1::Meeting public_part = meeting;
  const v1::Meeting personal = SplitPersonal(&public_part);
  batch->Put(ColumnFamily::kRecords, Key(storage::key_spaces::kMeeting.name, id),
             storage::Frame({public_part.SerializeAsString(),
                             cases::Seal(key, PersonalContext(id), personal.SerializeAsString())}));
  return Status::Ok();
}

Result<v1::Meeting> MeetingStore::Load(uint64_t id, bool open) const {
  auto value = storage_.Get(ColumnFamily::kRecords, Key(storage::key_spaces::kMeeting.name, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return Status(Reason::kNotFound, MeetingName(id) + " not found");
  }
  std::string public_bytes, sealed;
  v1::Meeting meeting;
  if (!storage::Unframe(**value, {&public_bytes, &sealed}) ||
      !meeting.ParseFromString(public_bytes)) {
    return Status(Reason::kMeetingCorrupt, MeetingName(id) + " is unreadable");
  }
  if (!open) return meeting;
  auto key = KeyOf(id, meeting);
  if (!key.ok()) return key.status();
  auto opened = cases::Open(*key, PersonalContext(id), sealed);
  if (!opened.ok()) return opened.status();
  v1::Meeting personal;
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kMeetingCorrupt, MeetingName(id) + " is unreadable");
  }
  JoinPersonal(personal, &meeting);
  return meeting;
}

Result<v1::Meeting> MeetingStore::Get(const std::string& name) const {
  auto id = ParseMeetingName(name, "name");
  if (!id.ok()) return id.status();
  return Load(*id, /*open=*/true);
}

Result<v1::Meeting> MeetingStore::GetPublic(const std::string& name) const {
  auto id = ParseMeetingName(name, "name");
  if (!id.ok()) return id.status();
  return Load(*id, /*open=*/false);
}

Result<v1::Meeting> MeetingStore::LoadForChange(const std::string& name, const std::string& etag,
                                                uint64_t* id) const {
  auto parsed = ParseMeetingName(name, "name");
  if (!parsed.ok()) return parsed.status();
  *id = *parsed;
  auto meeting = Load(*parsed, /*open=*/true);
  if (!meeting.ok()) return meeting.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(meeting->name(), etag, meeting->etag()));
  return meeting;
}

Result<v1::Meeting> MeetingStore::PrepareCreate(const std::string& user_id,
                                                const std::string& request_id,
                                                const v1::Meeting& input,
                                                storage::WriteBatch* batch) {
  return storage::CreateOnce(
      creates_, user_id, request_id, batch, [this](uint64_t id) { return Load(id, /*open=*/true); },
      [&](uint64_t id) { return PrepareNew(id, input, batch); });
}

Result<v1::Meeting> MeetingStore::PrepareNew(uint64_t id, const v1::Meeting& input,
                                             storage::WriteBatch* batch) {
  if (input.type() == v1::MEETING_TYPE_UNSPECIFIED || !v1::MeetingType_IsValid(input.type())) {
    return Status::InvalidArgument("meeting.type", "required");
  }
  if (input.case_().empty() && input.type() != v1::ADVISER_MEETING) {
    return Status::InvalidArgument("meeting.case", "required for a meeting of this type");
  }
  if (!input.has_scheduled_time()) {
    return Status::InvalidArgument("meeting.scheduled_time", "required");
  }
  CASECOORD_RETURN_IF_ERROR(CheckParticipants(input.participants()));

  v1::Meeting meeting = input;
  meeting.set_name(MeetingName(id));
  meeting.set_state(v1::SCHEDULED);
  meeting.clear_minutes();
  meeting.clear_held_date();
  meeting.clear_cancel_reason();
  for (auto& participant : *meeting.mutable_participants()) participant.clear_acknowledge_time();
  *meeting.mutable_create_time() = NowTimestamp(clock_);
  *meeting.mutable_update_time() = meeting.create_time();
  meeting.set_etag("1");

  std::optional<cases::CaseKey> key;
  if (!meeting.case_().empty()) {
    auto case_key = cases_.KeyForCase(meeting.case_());
    if (!case_key.ok()) {
      if (case_key.status().code() == StatusCode::kNotFound ||
          case_key.status().code() == StatusCode::kInvalidArgument) {
        return Status::InvalidArgument("meeting.case", "must be an existing case");
      }
      return case_key.status();
    }
    key.emplace(std::move(case_key).value());
  } else {
    auto own = keys_.NewKey();
    if (!own.ok()) return own.status();
    batch->Put(ColumnFamily::kRecords, Key(storage::key_spaces::kMeetingKey.name, id), own->second);
    key.emplace(std::move(own->first));
  }
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, meeting, batch));
  return meeting;
}

Status MeetingStore::OpenIfFull(Access access, uint64_t id, v1::Meeting* meeting) const {
  if (access != Access::kFull) return Status::Ok();
  auto opened = Load(id, /*open=*/true);
  // A purged case's meetings keep their public part.
  if (opened.ok()) {
    *meeting = std::move(opened).value();
  } else if (!opened.status().Is(Reason::kCasePurged)) {
    return opened.status();
  }
  return Status::Ok();
}

Result<MeetingPage> MeetingStore::List(const MeetingViewer& viewer, const MeetingFilter& filter,
                                       const std::string& before_id, int limit) const {
  MeetingPage page;
  const bool every_meeting = viewer.coordinator;
  const auto scope = ListScope(viewer);
  const std::string& prefix = scope.second;
  auto it = storage_.NewIterator(scope.first);
  CASECOORD_ASSIGN_OR_RETURN(const std::string start, ListStart(prefix, before_id));
  it->SeekForPrev(start);
  if (it->Valid() && it->key() == start) it->Prev();
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    CASECOORD_ASSIGN_OR_RETURN(
        const uint64_t id,
        IdAfterPrefix(std::string_view(it->key().data(), it->key().size()), prefix.size()));
    CASECOORD_ASSIGN_OR_RETURN(v1::Meeting meeting, every_meeting
                                                        ? PublicPartOf(it->value().ToStringView())
                                                        : Load(id, /*open=*/false));
    auto access_for = AccessFor(meeting, viewer);
    if (!access_for.ok()) return access_for.status();
    const Access access = *access_for;
    if (access == Access::kNone || !MatchesFilter(meeting, filter)) continue;
    if (static_cast<int>(page.meetings.size()) == limit) {
      page.next_after_id = page.meetings.back().name().substr(sizeof(kMeetingPrefix) - 1);
      break;
    }
    CASECOORD_RETURN_IF_ERROR(OpenIfFull(access, id, &meeting));
    page.meetings.push_back(std::move(meeting));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing meetings");
  return page;
}

Result<int> MeetingStore::RebuildIndexesIfStale() {
  auto version = storage_.Get(ColumnFamily::kMeta, storage::key_spaces::kMeetingIndexVersion.name);
  if (!version.ok()) return version.status();
  if (version->has_value() && **version == kIndexVersion) return 0;
  auto lock = std::unique_lock<HandoffMutex>(sequence_mutex_);
  storage::WriteBatch batch(storage_);
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kMeeting.name);
  int meetings = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader key_reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    storage::KeyReader reader(it->value().ToStringView());
    uint64_t id = 0;
    std::string public_bytes;
    v1::Meeting meeting;
    if (!key_reader.ReadUint64(&id) || !reader.ReadString(&public_bytes) ||
        !meeting.ParseFromString(public_bytes)) {
      return Status(Reason::kMeetingCorrupt, "a meeting is unreadable");
    }
    for (const auto& participant : meeting.participants()) {
      batch.Put(ColumnFamily::kIndexes, ParticipantKey(participant.user(), id), "");
    }
    ++meetings;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading meetings");
  batch.Put(ColumnFamily::kMeta, storage::key_spaces::kMeetingIndexVersion.name, kIndexVersion);
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  log::Info("meeting indexes rebuilt", {{"meetings", std::to_string(meetings)},
                                        {"from_version", version->value_or("none")},
                                        {"to_version", kIndexVersion}});
  return meetings;
}

Result<v1::Meeting> MeetingStore::PrepareUpdate(const v1::UpdateMeetingRequest& request,
                                                storage::WriteBatch* batch) const {
  static const std::set<std::string> kPaths = {"title", "scheduled_time", "location",
                                               "participants", "materials"};
  if (request.update_mask().paths().empty()) {
    return Status::InvalidArgument("update_mask", "must name the fields to change");
  }
  google::protobuf::FieldMask mask;
  for (const auto& path : request.update_mask().paths()) {
    if (kPaths.count(path) == 0) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    mask.add_paths(path);
  }
  uint64_t id = 0;
  auto meeting = LoadForChange(request.meeting().name(), request.meeting().etag(), &id);
  if (!meeting.ok()) return meeting.status();
  CASECOORD_RETURN_IF_ERROR(CheckScheduled(*meeting));
  std::map<std::string, google::protobuf::Timestamp> acknowledged;
  for (const auto& participant : meeting->participants()) {
    if (participant.has_acknowledge_time()) {
      acknowledged[participant.user()] = participant.acknowledge_time();
    }
  }
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(request.meeting(), mask, options,
                                                        &*meeting);
  if (!meeting->has_scheduled_time()) {
    return Status::InvalidArgument("meeting.scheduled_time", "required");
  }
  CASECOORD_RETURN_IF_ERROR(CheckParticipants(meeting->participants()));
  for (auto& participant : *meeting->mutable_participants()) {
    auto kept = acknowledged.find(participant.user());
    if (kept == acknowledged.end()) {
      participant.clear_acknowledge_time();
    } else {
      *participant.mutable_acknowledge_time() = kept->second;
    }
  }
  *meeting->mutable_update_time() = NowTimestamp(clock_);
  meeting->set_etag(NextRevisionEtag(meeting->etag()));
  auto key = KeyOf(id, *meeting);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, *meeting, batch));
  return meeting;
}

Result<v1::Meeting> MeetingStore::PrepareAcknowledge(const std::string& user,
                                                     const std::string& name,
                                                     storage::WriteBatch* batch) const {
  uint64_t id = 0;
  auto meeting = LoadForChange(name, "", &id);
  if (!meeting.ok()) return meeting.status();
  auto* participants = meeting->mutable_participants();
  auto participant = std::find_if(participants->begin(), participants->end(),
                                  [&](const v1::Participant& p) { return p.user() == user; });
  if (participant == participants->end()) {
    return Status(Reason::kNotAParticipant, user + " is not a participant");
  }
  if (participant->has_acknowledge_time()) return meeting;  // the first acknowledgement stands
  *participant->mutable_acknowledge_time() = NowTimestamp(clock_);
  *meeting->mutable_update_time() = participant->acknowledge_time();
  meeting->set_etag(NextRevisionEtag(meeting->etag()));
  auto key = KeyOf(id, *meeting);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, *meeting, batch));
  return meeting;
}

Status MeetingStore::PutAssignmentsDue(const v1::Meeting& meeting,
                                       storage::WriteBatch* batch) const {
  std::string coordinator, case_number;
  if (!meeting.case_().empty()) {
    auto record = cases_.Get(meeting.case_());
    if (record.ok()) {
      coordinator = record->coordinator();
      case_number = record->case_number();
    } else if (!record.status().Is(Reason::kCasePurged)) {
      return record.status();
    }
  }
  for (const auto& assignment : meeting.minutes().assignments()) {
    const std::string subject = meeting.name() + "#" + assignment.assignment_id();
    if (assignment.status() != v1::OPEN) {
      CASECOORD_RETURN_IF_ERROR(worklist::PrepareClearDue(storage_, subject, batch));
      continue;
    }
    v1::DueItem item;
    item.set_kind(v1::ASSIGNMENT_DUE);
    *item.mutable_due_date() = assignment.due_date();
    item.set_case_(meeting.case_());
    item.set_case_number(case_number);
    item.set_subject(subject);
    item.set_agency(assignment.agency());
    std::vector<std::string> owners = {assignment.agency()};
    if (!coordinator.empty()) owners.push_back(coordinator);
    CASECOORD_RETURN_IF_ERROR(worklist::PrepareSetDue(storage_, item, owners, batch));
  }
  return Status::Ok();
}

Result<v1::Meeting> MeetingStore::PrepareRecordMinutes(const std::string& user_id,
                                                       const v1::RecordMinutesRequest& request,
                                                       storage::WriteBatch* batch) const {
  uint64_t id = 0;
  auto meeting = LoadForChange(request.name(), request.etag(), &id);
  if (!meeting.ok()) return meeting.status();
  CASECOORD_RETURN_IF_ERROR(CheckScheduled(*meeting));
  const auto& held = request.held_date();
  const auto midnight = JstMidnight(held.year(), held.month(), held.day());
  if (!midnight) return Status::InvalidArgument("held_date", "required: a real day");
  if (*midnight > clock_.Now()) return Status::InvalidArgument("held_date", "is in the future");
  if (!meeting->case_().empty()) {
    CASECOORD_RETURN_IF_ERROR(cases_.CheckDateOnCase(meeting->case_(), held, "held_date"));
  }
  CASECOORD_ASSIGN_OR_RETURN(v1::Minutes minutes, NumberedMinutes(request.minutes(), clock_));
  *meeting->mutable_minutes() = std::move(minutes);
  *meeting->mutable_held_date() = held;
  meeting->set_state(v1::HELD);
  *meeting->mutable_update_time() = NowTimestamp(clock_);
  meeting->set_etag(NextRevisionEtag(meeting->etag()));
  auto key = KeyOf(id, *meeting);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, *meeting, batch));
  CASECOORD_RETURN_IF_ERROR(PutAssignmentsDue(*meeting, batch));
  CASECOORD_RETURN_IF_ERROR(PrepareHeldRecords(user_id, *meeting, batch));
  return meeting;
}

Status MeetingStore::PrepareHeldRecords(const std::string& user_id, const v1::Meeting& meeting,
                                        storage::WriteBatch* batch) const {
  const auto& held = meeting.held_date();
  if (!meeting.case_().empty()) {
    v1::CaseEvent held_event;
    held_event.set_kind(v1::MEETING_HELD);
    held_event.set_subject(meeting.name());
    held_event.set_meeting_type(meeting.type());
    *held_event.mutable_decision_date() = held;
    return cases_.PrepareRecordEvent(user_id, meeting.case_(), std::move(held_event), batch);
  }
  if (meeting.type() == v1::ADVISER_MEETING) {
    stats::CounterChanges changes;
    CASECOORD_RETURN_IF_ERROR(
        changes.Count(FiscalYearOfDate(held.year(), held.month()), stats::kAdviserMeetings));
    changes.ApplyTo(batch);
  }
  return Status::Ok();
}

Result<v1::Meeting> MeetingStore::PrepareCancel(const v1::CancelMeetingRequest& request,
                                                storage::WriteBatch* batch) const {
  if (request.reason().empty()) return Status::InvalidArgument("reason", "required");
  uint64_t id = 0;
  auto meeting = LoadForChange(request.name(), request.etag(), &id);
  if (!meeting.ok()) return meeting.status();
  CASECOORD_RETURN_IF_ERROR(CheckScheduled(*meeting));
  meeting->set_state(v1::CANCELLED);
  meeting->set_cancel_reason(request.reason());
  *meeting->mutable_update_time() = NowTimestamp(clock_);
  meeting->set_etag(NextRevisionEtag(meeting->etag()));
  auto key = KeyOf(id, *meeting);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, *meeting, batch));
  return meeting;
}

Result<v1::Meeting> MeetingStore::PrepareUpdateAssignment(
    const v1::UpdateAssignmentRequest& request, storage::WriteBatch* batch) const {
  uint64_t id = 0;
  auto meeting = LoadForChange(request.meeting(), "", &id);
  if (!meeting.ok()) return meeting.status();
  if (meeting->state() != v1::HELD) {
    return Status(Reason::kMeetingNotHeld, request.meeting() + " has no minutes yet");
  }
  auto* assignments = meeting->mutable_minutes()->mutable_assignments();
  auto assignment = std::find_if(
      assignments->begin(), assignments->end(),
      [&](const v1::RoleAssignment& a) { return a.assignment_id() == request.assignment_id(); });
  if (assignment == assignments->end()) {
    return Status(Reason::kAssignmentNotFound,
                  request.meeting() + " has no assignment " + request.assignment_id());
  }
  if (!v1::AssignmentStatus_IsValid(request.status()) ||
      (request.status() == v1::ASSIGNMENT_STATUS_UNSPECIFIED && !request.has_due_date())) {
    return Status::InvalidArgument("status", "a status or a new due date is required");
  }
  if (request.has_due_date()) {
    if (!IsDate(request.due_date())) return Status::InvalidArgument("due_date", "not a date");
    *assignment->mutable_due_date() = request.due_date();
  }
  if (request.status() != v1::ASSIGNMENT_STATUS_UNSPECIFIED) {
    assignment->set_status(request.status());
  }
  *assignment->mutable_status_time() = NowTimestamp(clock_);
  *meeting->mutable_update_time() = assignment->status_time();
  meeting->set_etag(NextRevisionEtag(meeting->etag()));
  auto key = KeyOf(id, *meeting);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(Put(id, *key, *meeting, batch));
  CASECOORD_RETURN_IF_ERROR(PutAssignmentsDue(*meeting, batch));
  return meeting;
}

std::string MeetingStore::RecordText(const v1::Meeting& meeting) {
  auto date = [](const v1::Date& d) {
    char text[16];
    std::snprintf(text, sizeof(text), "%04d-%02d-%02d", d.year(), d.month(), d.day());
    return std::string(text);
  };
  std::string text;
  text += "【取扱注意】" + meeting.name() + " " +
          LabelJa(*v1::MeetingType_descriptor(), meeting.type()) + "\n";
  if (meeting.type() == v1::SUPPORT_MEETING) {
    text +=
        "本記録は社会福祉法第106条の6に基づく支援会議の記録です。構成員には守秘義務があり、"
        "会議の構成員以外への提供・公表はできません。\n";
  } else {
    text += "本記録には個人情報が含まれます。目的外の利用・提供はできません。\n";
  }
  text += "件名: " + meeting.title() + "\n";
  text += "事例: " + meeting.case_() + "\n";
  text += "状態: " + LabelJa(*v1::MeetingState_descriptor(), meeting.state()) + "\n";
  if (meeting.has_held_date()) text += "開催日: " + date(meeting.held_date()) + "\n";
  text += "参加者:\n";
  for (const auto& participant : meeting.participants()) {
    text += "  - " + participant.user() + " " + participant.agency() + " " +
            LabelJa(*v1::ParticipantRole_descriptor(), participant.role()) + "\n";
  }
  if (!meeting.materials().empty()) text += "資料:\n" + meeting.materials() + "\n";
  if (meeting.has_minutes()) {
    text += "支援方針:\n" + meeting.minutes().support_policy() + "\n";
    text += "決定事項:\n";
    for (const auto& decision : meeting.minutes().decisions()) text += "  - " + decision + "\n";
    text += "役割分担:\n";
    for (const auto& assignment : meeting.minutes().assignments()) {
      text += "  - " + assignment.assignment_id() + " " + assignment.agency() + " " +
              assignment.action() + " 期限 " + date(assignment.due_date()) + " " +
              LabelJa(*v1::AssignmentStatus_descriptor(), assignment.status()) + "\n";
    }
  }
  return text;
}

Result<stats::CounterChanges> MeetingStore::RecountCounters() const {
  stats::CounterChanges changes;
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kMeeting.name);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(it->value().ToStringView());
    std::string public_bytes;
    v1::Meeting meeting;
    if (!reader.ReadString(&public_bytes) || !meeting.ParseFromString(public_bytes)) {
      return Status(Reason::kMeetingCorrupt, "a meeting is unreadable");
    }
    if (meeting.state() != v1::HELD || !meeting.case_().empty() ||
        meeting.type() != v1::ADVISER_MEETING) {
      continue;
    }
    CASECOORD_RETURN_IF_ERROR(
        changes.Count(FiscalYearOfDate(meeting.held_date().year(), meeting.held_date().month()),
                      stats::kAdviserMeetings));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading meetings");
  return changes;
}

}  // namespace casecoord::meetings
