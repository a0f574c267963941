#include "services/advisers/dispatch_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdlib>
#include <functional>

#include "services/common/filter.h"
#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"
#include "services/worklist/due_index.h"

namespace casecoord::advisers {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

// The sealed fields' paths (a follow-up's note is "follow_ups/{number}/note").
constexpr char kRequestNote[] = "request_note";
constexpr char kDeclineReason[] = "decline_reason";
constexpr char kSessionReport[] = "session_report";
constexpr int kDefaultSessionMinutes = 120;
constexpr int kMaxSessionMinutes = 24 * 60;
constexpr size_t kMaxGroupNameCharacters = 200;

std::string Key(const char* kind, uint64_t id) {
  std::string key;
  storage::AppendString(&key, kind);
  storage::AppendUint64(&key, id);
  return key;
}

std::string CaseIndexPrefix(uint64_t case_id) {
  return Key(storage::key_spaces::kDispatchOfCase.name, case_id);
}

std::string AdviserIndexPrefix(const std::string& adviser) {
  return storage::key_spaces::kDispatchOfAdviser.Key(adviser);
}

std::string WithId(std::string prefix, uint64_t id) {
  storage::AppendUint64(&prefix, id);
  return prefix;
}

std::string DispatchName(uint64_t id) { return kDispatchPrefix + std::to_string(id); }

std::string FollowUpNotePath(int number) {
  return "follow_ups/" + std::to_string(number) + "/note";
}

// The associated data a field is sealed with: the record's name and the field's path.
std::string Context(uint64_t id, const std::string& path) { return DispatchName(id) + "#" + path; }

Result<uint64_t> ParseDispatchName(const std::string& name, const char* field) {
  std::optional<uint64_t> id;
  if (name.rfind(kDispatchPrefix, 0) == 0) {
    id = ParseDecimalId(std::string_view(name).substr(sizeof(kDispatchPrefix) - 1));
  }
  if (!id) return Status::InvalidArgument(field, "must look like \"dispatches/{number}\"");
  return *id;
}

std::optional<uint64_t> ParseCaseId(const std::string& name) {
  if (name.rfind(kCasePrefix, 0) != 0) return std::nullopt;
  return ParseDecimalId(std::string_view(name).substr(sizeof(kCasePrefix) - 1));
}

bool IsAdviserName(const std::string& name) {
  return name.rfind(kAdviserPrefix, 0) == 0 &&
         IsResourceId(std::string_view(name).substr(sizeof(kAdviserPrefix) - 1));
}

bool IsRealDay(const v1::Date& date) {
  return JstMidnight(date.year(), date.month(), date.day()).has_value();
}

std::string DateText(const v1::Date& date) {
  return FormatJstDate(*JstMidnight(date.year(), date.month(), date.day()));
}

Status IllegalMove(const std::string& name, v1::DispatchState state, const std::string& rule) {
  return Status(Reason::kIllegalTransition,
                name + " is " + v1::DispatchState_Name(state) + "; " + rule);
}

std::string Frame(const v1::Dispatch& record, const std::map<std::string, std::string>& sealed) {
  std::string value;
  storage::AppendString(&value, record.SerializeAsString());
  for (const auto& [path, bytes] : sealed) {
    storage::AppendString(&value, path);
    storage::AppendString(&value, bytes);
  }
  return value;
}

// Calls `visit(id)` for each id under `prefix` (keys prefix + Uint64(id)) of `family`, newest
// first, strictly before `before` (0: from the newest), until it returns false or an error.
Status WalkNewestFirst(const storage::Storage& storage, ColumnFamily family,
                       const std::string& prefix, uint64_t before,
                       const std::function<Result<bool>(uint64_t)>& visit) {
  auto it = storage.NewIterator(family);
  std::string start = prefix;
  if (before == 0) {
    start.push_back('\xff');
  } else {
    storage::AppendUint64(&start, before);
  }
  it->SeekForPrev(start);
  if (it->Valid() && it->key() == start) it->Prev();
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id) || !reader.done()) {
      return Status(Reason::kDispatchIndexCorrupt, "a dispatch key is malformed");
    }
    auto more = visit(id);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing dispatches");
  return Status::Ok();
}

// A page token's position: 0 (from the newest) when empty.
Result<uint64_t> BeforePosition(const std::string& before_id) {
  if (before_id.empty()) return uint64_t{0};
  auto parsed = ParseDecimalId(before_id);
  if (!parsed) return Status::InvalidArgument("page_token", "not a position of this list");
  return *parsed;
}

// The narrowest walk for a list: a case's dispatches, an adviser's, or all of them.
std::pair<ColumnFamily, std::string> ListScope(const DispatchViewer& viewer,
                                               const DispatchFilter& filter,
                                               std::optional<uint64_t> case_id, bool adviser_only) {
  if (case_id) return {ColumnFamily::kIndexes, CaseIndexPrefix(*case_id)};
  if (!filter.adviser.empty() || adviser_only) {
    const std::string& adviser = filter.adviser.empty() ? viewer.adviser : filter.adviser;
    return {ColumnFamily::kIndexes, AdviserIndexPrefix(adviser.substr(sizeof(kAdviserPrefix) - 1))};
  }
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kDispatch.name);
  return {ColumnFamily::kRecords, prefix};
}

// PrepareNew's request fields, each invalid one added to *violation; `group` is the trimmed
// community group, `case_parsed` whether the case is a well-formed case name.
void CheckDispatchInput(const v1::Dispatch& input, const std::string& group, bool case_parsed,
                        FieldViolations* violation) {
  if (input.case_().empty() == group.empty()) {
    (*violation)("dispatch.case", "give exactly one of case and community_group");
  } else if (!input.case_().empty() && !case_parsed) {
    (*violation)("dispatch.case", "must look like \"cases/{number}\"");
  } else if (CharacterCount(group) > kMaxGroupNameCharacters) {
    (*violation)("dispatch.community_group", "up to 200 characters");
  }
  if (input.field() == v1::SUPPORT_FIELD_UNSPECIFIED || !v1::SupportField_IsValid(input.field())) {
    (*violation)("dispatch.field", "required: the field of the difficulty");
  }
  if (TrimSpaces(input.request_note()).empty()) {
    (*violation)("dispatch.request_note", "required: what advice is needed");
  }
  if (!input.requested_adviser().empty() && !IsAdviserName(input.requested_adviser())) {
    (*violation)("dispatch.requested_adviser", "must look like \"advisers/{adviser}\"");
  }
}

// The filter's case and adviser, when given, are names; `case_parsed`: the case parsed as one.
bool FilterNamesValid(const DispatchFilter& filter, bool case_parsed) {
  if (!filter.case_name.empty() && !case_parsed) return false;
  return filter.adviser.empty() || IsAdviserName(filter.adviser);
}

bool MatchesFilter(const v1::Dispatch& record, const DispatchFilter& filter) {
  if (filter.state != v1::DISPATCH_STATE_UNSPECIFIED && record.state() != filter.state) {
    return false;
  }
  if (!filter.case_name.empty() && record.case_() != filter.case_name) return false;
  return filter.adviser.empty() || record.assigned_adviser() == filter.adviser;
}

}  // namespace

v1::Date AddMonths(const v1::Date& date, int months) {
  const int total = date.year() * 12 + (date.month() - 1) + months;
  v1::Date moved;
  moved.set_year(total / 12);
  moved.set_month(total % 12 + 1);
  int day = date.day();
  while (day > 28 && !JstMidnight(moved.year(), moved.month(), day)) --day;
  moved.set_day(day);
  return moved;
}

std::string DispatchFilter::Fingerprint() const {
  return "state=" + v1::DispatchState_Name(state) + ";case=" + case_name + ";adviser=" + adviser;
}

Result<DispatchFilter> ParseDispatchFilter(const std::string& text) {
  auto clauses = ParseFilterClauses(text);
  if (!clauses.ok()) return clauses.status();
  DispatchFilter filter;
  for (const FilterClause& clause : *clauses) {
    if (clause.op != "=") {
      return Status::InvalidArgument("filter", "only = is supported, not " + clause.op);
    }
    if (clause.key == "state") {
      if (!v1::DispatchState_Parse(clause.value, &filter.state) ||
          filter.state == v1::DISPATCH_STATE_UNSPECIFIED) {
        return Status::InvalidArgument("filter", "unknown state \"" + clause.value + "\"");
      }
    } else if (clause.key == "case") {
      if (!ParseCaseId(clause.value)) {
        return Status::InvalidArgument("filter", "case must look like \"cases/{number}\"");
      }
      filter.case_name = clause.value;
    } else if (clause.key == "adviser") {
      if (!IsAdviserName(clause.value)) {
        return Status::InvalidArgument("filter", "adviser must look like \"advisers/{adviser}\"");
      }
      filter.adviser = clause.value;
    } else {
      return Status::InvalidArgument(
          "filter", "cannot filter on \"" + clause.key + "\"; use state, case or adviser");
    }
  }
  return filter;
}

DispatchStore::WriteLock DispatchStore::LockForCreate(const v1::Dispatch& input) {
  WriteLock lock;
  if (!input.case_().empty()) lock.case_lock = cases_.LockCase(input.case_());
  lock.own = std::unique_lock<HandoffMutex>(sequence_mutex_);
  return lock;
}

Result<DispatchStore::WriteLock> DispatchStore::LockDispatch(const std::string& name) {
  auto id = ParseDispatchName(name, "name");
  if (!id.ok()) return id.status();
  // A dispatch's case never changes, so reading it before taking the lock is safe.
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  WriteLock lock;
  if (!stored->record.case_().empty()) {
    lock.case_lock = cases_.LockCase(stored->record.case_());
  } else {
    lock.own = std::unique_lock<HandoffMutex>(group_mutexes_[*id % group_mutexes_.size()]);
  }
  return lock;
}

Result<DispatchStore::Stored> DispatchStore::Load(uint64_t id) const {
  auto value = storage_.Get(ColumnFamily::kRecords, Key(storage::key_spaces::kDispatch.name, id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    // Worded as Call::CheckRecordAccess words a dispatch outside the caller's scope, so that the
    // two cannot be told apart.
    return Status(Reason::kNotFound, DispatchName(id) + " not found");
  }
  const Status corrupt(Reason::kDispatchRecordCorrupt, DispatchName(id) + " is unreadable");
  storage::KeyReader reader(**value);
  std::string public_bytes;
  Stored stored;
  if (!reader.ReadString(&public_bytes) || !stored.record.ParseFromString(public_bytes)) {
    return corrupt;
  }
  while (!reader.done()) {
    std::string path, sealed;
    if (!reader.ReadString(&path) || !reader.ReadString(&sealed)) return corrupt;
    stored.sealed[path] = std::move(sealed);
  }
  return stored;
}

Result<std::pair<uint64_t, DispatchStore::Stored>> DispatchStore::LoadForChange(
    const std::string& name, const std::string& etag) const {
  auto id = ParseDispatchName(name, "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(name, etag, stored->record.etag()));
  return std::make_pair(*id, std::move(stored).value());
}

Result<cases::CaseKey> DispatchStore::KeyOf(uint64_t id, const v1::Dispatch& record) const {
  if (!record.case_().empty()) return cases_.KeyForCase(record.case_());
  auto wrapped =
      storage_.Get(ColumnFamily::kRecords, Key(storage::key_spaces::kDispatchKey.name, id));
  if (!wrapped.ok()) return wrapped.status();
  if (!wrapped->has_value()) {
    return Status(Reason::kDispatchKeyMissing, DispatchName(id) + " has no data key");
  }
  return keys_.Unwrap(**wrapped);
}

Result<v1::Dispatch> DispatchStore::Opened(uint64_t id, const Stored& stored,
                                           const cases::CaseKey* key) const {
  v1::Dispatch dispatch = stored.record;
  if (dispatch.has_session_date()) {
    *dispatch.mutable_follow_up_deadline() =
        AddMonths(dispatch.session_date(), options_.follow_up_months);
  }
  if (key == nullptr) return dispatch;
  for (const auto& [path, sealed] : stored.sealed) {
    auto text = cases::Open(*key, Context(id, path), sealed);
    if (!text.ok()) return text.status();
    if (path == kRequestNote) {
      dispatch.set_request_note(std::move(text).value());
    } else if (path == kDeclineReason) {
      dispatch.set_decline_reason(std::move(text).value());
    } else if (path == kSessionReport) {
      dispatch.set_session_report(std::move(text).value());
    } else {
      auto follow_up = std::find_if(
          dispatch.mutable_follow_ups()->begin(), dispatch.mutable_follow_ups()->end(),
          // An init-capture: clang 14 (the fuzzing build) cannot capture a structured binding.
          [&note_path = path](const v1::FollowUp& f) {
            return FollowUpNotePath(f.number()) == note_path;
          });
      if (follow_up == dispatch.mutable_follow_ups()->end()) {
        return Status(Reason::kDispatchRecordCorrupt,
                      DispatchName(id) + " has a sealed value of no field");
      }
      follow_up->set_note(std::move(text).value());
    }
  }
  return dispatch;
}

void DispatchStore::SealField(uint64_t id, const cases::CaseKey& key, const std::string& path,
                              const std::string& text, Stored* stored) const {
  stored->sealed[path] = cases::Seal(key, Context(id, path), text);
}

Result<v1::Dispatch> DispatchStore::Write(uint64_t id, const cases::CaseKey& key, Stored stored,
                                          storage::WriteBatch* batch) const {
  v1::Dispatch& record = stored.record;
  *record.mutable_update_time() = ToTimestamp(clock_.Now());
  // The etag is the record's revision.
  record.set_etag(std::to_string(std::strtoull(record.etag().c_str(), nullptr, 10) + 1));
  batch->Put(ColumnFamily::kRecords, Key(storage::key_spaces::kDispatch.name, id),
             Frame(record, stored.sealed));
  return Opened(id, stored, &key);
}

Result<v1::Dispatch> DispatchStore::Get(const std::string& name) const {
  auto id = ParseDispatchName(name, "name");
  if (!id.ok()) return id.status();
  auto stored = Load(*id);
  if (!stored.ok()) return stored.status();
  auto key = KeyOf(*id, stored->record);
  if (!key.ok()) {
    // After a purge of its case only the public part is left.
    if (key.status().Is(Reason::kCasePurged)) return Opened(*id, *stored, nullptr);
    return key.status();
  }
  return Opened(*id, *stored, &*key);
}

Result<bool> DispatchStore::CanSee(const v1::Dispatch& dispatch,
                                   const DispatchViewer& viewer) const {
  if (viewer.every_dispatch) return true;
  if (!viewer.adviser.empty() && dispatch.assigned_adviser() == viewer.adviser) return true;
  if (viewer.agency.empty() || dispatch.case_().empty()) return false;
  auto record = cases_.Get(dispatch.case_());
  if (record.status().code() == StatusCode::kNotFound) return false;
  if (!record.ok()) return record.status();
  return cases::CanSee(*record, cases::Viewer{false, viewer.agency});
}

Result<bool> DispatchStore::ListedVisible(const v1::Dispatch& record, const DispatchViewer& viewer,
                                          std::map<std::string, bool>* case_visible) const {
  if (viewer.every_dispatch ||
      (!viewer.adviser.empty() && record.assigned_adviser() == viewer.adviser)) {
    return true;
  }
  if (record.case_().empty()) return false;
  auto cached = case_visible->find(record.case_());
  if (cached == case_visible->end()) {
    auto seen = CanSee(record, viewer);
    if (!seen.ok()) return seen.status();
    cached = case_visible->emplace(record.case_(), *seen).first;
  }
  return cached->second;
}

Result<v1::Dispatch> DispatchStore::OpenedUnlessPurged(uint64_t id, const Stored& stored) const {
  auto key = KeyOf(id, stored.record);
  const bool purged = !key.ok() && key.status().Is(Reason::kCasePurged);
  if (!key.ok() && !purged) return key.status();
  return Opened(id, stored, purged ? nullptr : &*key);
}

Status DispatchStore::WalkAgencyCases(const std::string& agency, uint64_t before,
                                      const std::function<Result<bool>(uint64_t)>& visit) const {
  auto cases = cases_.TeamCaseIds(agency);
  if (!cases.ok()) return cases.status();
  std::vector<uint64_t> ids;
  for (uint64_t team_case : *cases) {
    Status listed = WalkNewestFirst(storage_, ColumnFamily::kIndexes, CaseIndexPrefix(team_case),
                                    before, [&ids](uint64_t id) -> Result<bool> {
                                      ids.push_back(id);
                                      return true;
                                    });
    if (!listed.ok()) return listed;
  }
  std::sort(ids.begin(), ids.end(), std::greater<uint64_t>());
  for (uint64_t id : ids) {
    auto more = visit(id);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return Status::Ok();
}

Result<DispatchPage> DispatchStore::List(const DispatchViewer& viewer, const DispatchFilter& filter,
                                         const std::string& before_id, int limit) const {
  DispatchPage page;
  const bool adviser_only = !viewer.every_dispatch && viewer.agency.empty();
  if (adviser_only && viewer.adviser.empty()) return page;
  CASECOORD_ASSIGN_OR_RETURN(const uint64_t before, BeforePosition(before_id));
  const std::optional<uint64_t> case_id = ParseCaseId(filter.case_name);
  if (!FilterNamesValid(filter, case_id.has_value())) {
    return Status::InvalidArgument("filter", "case or adviser is not a name");
  }
  const auto scope = ListScope(viewer, filter, case_id, adviser_only);
  const ColumnFamily family = scope.first;
  const std::string& prefix = scope.second;
  // Agency staff see a case's dispatches by its team: each case is looked up once per page.
  std::map<std::string, bool> case_visible;
  uint64_t last_id = 0;
  const auto visit = [&](uint64_t id) -> Result<bool> {
    auto stored = Load(id);
    if (!stored.ok()) return stored.status();
    const v1::Dispatch& record = stored->record;
    if (!MatchesFilter(record, filter)) return true;
    CASECOORD_ASSIGN_OR_RETURN(const bool visible, ListedVisible(record, viewer, &case_visible));
    if (!visible) return true;
    if (static_cast<int>(page.dispatches.size()) == limit) {
      page.next_before_id = std::to_string(last_id);
      return false;
    }
    CASECOORD_ASSIGN_OR_RETURN(v1::Dispatch opened, OpenedUnlessPurged(id, *stored));
    page.dispatches.push_back(std::move(opened));
    last_id = id;
    return true;
  };
  // Agency staff without a narrower filter: the dispatches of their agency's cases (the team
  // index, then each case's dispatch index), so that the walk costs what the agency may see, not
  // every dispatch of the city.
  const bool agency_walk = family == ColumnFamily::kRecords && !viewer.every_dispatch &&
                           !viewer.agency.empty() && viewer.adviser.empty();
  Status walked = agency_walk ? WalkAgencyCases(viewer.agency, before, visit)
                              : WalkNewestFirst(storage_, family, prefix, before, visit);
  if (!walked.ok()) return walked;
  return page;
}

Result<v1::Dispatch> DispatchStore::PrepareCreate(const std::string& user_id,
                                                  const std::string& request_id,
                                                  const v1::Dispatch& input,
                                                  storage::WriteBatch* batch) const {
  return storage::CreateOnce(
      creates_, user_id, request_id, batch, [this](uint64_t id) { return Get(DispatchName(id)); },
      [&](uint64_t id) { return PrepareNew(user_id, id, input, batch); });
}

Status DispatchStore::CheckDispatchTargets(const v1::Dispatch& input, bool has_case) const {
  if (has_case) {
    auto record = cases_.Get(input.case_());
    if (record.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("dispatch.case", input.case_() + " is not a case");
    }
    if (!record.ok()) return record.status();
    if (record->has_purge_time()) {
      return Status(Reason::kCasePurged, input.case_() + " was purged");
    }
    if (record->state() == v1::COMPLETED_BY_ADVICE || record->state() == v1::CLOSED) {
      return Status(Reason::kCaseEnded, input.case_() + " is " +
                                            v1::CaseState_Name(record->state()) +
                                            "; an adviser is dispatched for an open case");
    }
  }
  if (!input.requested_adviser().empty()) {
    auto adviser = advisers_.Get(input.requested_adviser(), "dispatch.requested_adviser");
    if (adviser.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("dispatch.requested_adviser",
                                     "must be an adviser of the registry");
    }
    if (!adviser.ok()) return adviser.status();
    if (!adviser->active()) {
      return Status(Reason::kAdviserInactive, input.requested_adviser() + " is not active");
    }
  }
  return Status::Ok();
}

Result<v1::Dispatch> DispatchStore::PrepareNew(const std::string& user_id, uint64_t id,
                                               const v1::Dispatch& input,
                                               storage::WriteBatch* batch) const {
  FieldViolations violation;
  const std::string group(TrimSpaces(input.community_group()));
  const std::optional<uint64_t> case_id = ParseCaseId(input.case_());
  CheckDispatchInput(input, group, case_id.has_value(), &violation);
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());
  CASECOORD_RETURN_IF_ERROR(CheckDispatchTargets(input, case_id.has_value()));

  std::optional<cases::CaseKey> key;
  if (case_id) {
    auto case_key = cases_.KeyForCase(input.case_());
    if (!case_key.ok()) return case_key.status();
    key = std::move(case_key).value();
  } else {
    auto created = keys_.NewKey();
    if (!created.ok()) return created.status();
    batch->Put(ColumnFamily::kRecords, Key(storage::key_spaces::kDispatchKey.name, id),
               created->second);
    key = std::move(created->first);
  }

  const auto now = ToTimestamp(clock_.Now());
  Stored stored;
  v1::Dispatch& record = stored.record;
  record.set_name(DispatchName(id));
  record.set_case_(input.case_());
  record.set_community_group(group);
  record.set_field(input.field());
  record.set_requested_adviser(input.requested_adviser());
  record.set_state(v1::REQUESTED);
  record.set_requested_by(kUserPrefix + user_id);
  *record.mutable_create_time() = now;
  record.set_etag("0");  // Write makes it "1"
  SealField(id, *key, kRequestNote, input.request_note(), &stored);

  if (case_id) batch->Put(ColumnFamily::kIndexes, WithId(CaseIndexPrefix(*case_id), id), "");
  return Write(id, *key, std::move(stored), batch);
}

Result<v1::Dispatch> DispatchStore::PrepareApprove(const v1::ApproveDispatchRequest& request,
                                                   storage::WriteBatch* batch) const {
  auto loaded = LoadForChange(request.name(), request.etag());
  if (!loaded.ok()) return loaded.status();
  auto& [id, stored] = *loaded;
  if (stored.record.state() != v1::REQUESTED) {
    return IllegalMove(request.name(), stored.record.state(),
                       "only a REQUESTED dispatch is approved");
  }
  if (request.adviser().empty()) {
    return Status::InvalidArgument("adviser", "required: the adviser assigned");
  }
  auto adviser = advisers_.Get(request.adviser(), "adviser");
  if (adviser.status().code() == StatusCode::kNotFound) {
    return Status::InvalidArgument("adviser", "must be an adviser of the registry");
  }
  if (!adviser.ok()) return adviser.status();
  if (!adviser->active()) {
    return Status(Reason::kAdviserInactive, request.adviser() + " is not active");
  }
  auto key = KeyOf(id, stored.record);
  if (!key.ok()) return key.status();
  stored.record.set_assigned_adviser(request.adviser());
  stored.record.set_state(v1::APPROVED);
  batch->Put(ColumnFamily::kIndexes,
             WithId(AdviserIndexPrefix(request.adviser().substr(sizeof(kAdviserPrefix) - 1)), id),
             "");
  return Write(id, *key, std::move(stored), batch);
}

Result<v1::Dispatch> DispatchStore::PrepareDecline(const v1::DeclineDispatchRequest& request,
                                                   storage::WriteBatch* batch) const {
  auto loaded = LoadForChange(request.name(), request.etag());
  if (!loaded.ok()) return loaded.status();
  auto& [id, stored] = *loaded;
  if (stored.record.state() != v1::REQUESTED && stored.record.state() != v1::APPROVED) {
    return IllegalMove(request.name(), stored.record.state(),
                       "only a REQUESTED or APPROVED dispatch is declined");
  }
  if (TrimSpaces(request.reason()).empty()) {
    return Status::InvalidArgument("reason", "required: why the dispatch is declined");
  }
  auto key = KeyOf(id, stored.record);
  if (!key.ok()) return key.status();
  stored.record.set_state(v1::DECLINED_DISPATCH);
  SealField(id, *key, kDeclineReason, request.reason(), &stored);
  return Write(id, *key, std::move(stored), batch);
}

Result<v1::Dispatch> DispatchStore::PrepareRecordSession(const v1::RecordSessionRequest& request,
                                                         storage::WriteBatch* batch) const {
  auto loaded = LoadForChange(request.name(), request.etag());
  if (!loaded.ok()) return loaded.status();
  auto& [id, stored] = *loaded;
  if (stored.record.state() != v1::APPROVED) {
    return IllegalMove(request.name(), stored.record.state(),
                       "a session is recorded for an APPROVED dispatch");
  }
  FieldViolations violation;
  const auto day = JstMidnight(request.session_date().year(), request.session_date().month(),
                               request.session_date().day());
  if (!day) {
    violation("session_date", "required: a real day");
  } else if (*day > clock_.Now()) {
    violation("session_date", "is in the future");
  }
  const int minutes =
      request.session_minutes() == 0 ? kDefaultSessionMinutes : request.session_minutes();
  if (minutes < 1 || minutes > kMaxSessionMinutes) {
    violation("session_minutes", "1 to 1440 (0 means 120)");
  }
  if (TrimSpaces(request.report()).empty()) violation("report", "required: the session's report");
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());
  auto key = KeyOf(id, stored.record);
  if (!key.ok()) return key.status();
  stored.record.set_state(v1::SESSION_HELD);
  *stored.record.mutable_session_date() = request.session_date();
  stored.record.set_session_minutes(minutes);
  SealField(id, *key, kSessionReport, request.report(), &stored);
  return Write(id, *key, std::move(stored), batch);
}

Result<v1::Dispatch> DispatchStore::PrepareRecordFollowUp(const v1::RecordFollowUpRequest& request,
                                                          storage::WriteBatch* batch) const {
  auto loaded = LoadForChange(request.name(), request.etag());
  if (!loaded.ok()) return loaded.status();
  auto& [id, stored] = *loaded;
  v1::Dispatch& record = stored.record;
  if (record.state() != v1::SESSION_HELD) {
    return IllegalMove(request.name(), record.state(),
                       "follow-ups are recorded after the session (SESSION_HELD)");
  }
  if (record.follow_ups_size() >= options_.max_follow_ups) {
    return Status(Reason::kFollowUpLimit,
                  request.name() + " has " + std::to_string(record.follow_ups_size()) +
                      " follow-ups; at most " + std::to_string(options_.max_follow_ups) +
                      " are allowed (dispatch-max-follow-ups)");
  }
  FieldViolations violation;
  const v1::Date& date = request.follow_up().date();
  const v1::Date deadline = AddMonths(record.session_date(), options_.follow_up_months);
  if (!IsRealDay(date)) {
    violation("follow_up.date", "required: a real day");
  } else if (worklist::DayNumber(date) < worklist::DayNumber(record.session_date())) {
    violation("follow_up.date", "is before the session on " + DateText(record.session_date()));
  } else if (worklist::DayNumber(date) > worklist::DayNumber(deadline)) {
    violation("follow_up.date", "is after " + DateText(deadline) + ", " +
                                    std::to_string(options_.follow_up_months) +
                                    " months after the session (dispatch-follow-up-months)");
  } else if (*JstMidnight(date.year(), date.month(), date.day()) > clock_.Now()) {
    violation("follow_up.date", "is in the future");
  }
  if (TrimSpaces(request.follow_up().note()).empty()) {
    violation("follow_up.note", "required: what was discussed");
  }
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());
  auto key = KeyOf(id, record);
  if (!key.ok()) return key.status();
  v1::FollowUp* follow_up = record.add_follow_ups();
  follow_up->set_number(record.follow_ups_size());
  *follow_up->mutable_date() = date;
  *follow_up->mutable_create_time() = ToTimestamp(clock_.Now());
  SealField(id, *key, FollowUpNotePath(follow_up->number()), request.follow_up().note(), &stored);
  return Write(id, *key, std::move(stored), batch);
}

Result<v1::Dispatch> DispatchStore::PrepareClose(const v1::CloseDispatchRequest& request,
                                                 storage::WriteBatch* batch) const {
  auto loaded = LoadForChange(request.name(), request.etag());
  if (!loaded.ok()) return loaded.status();
  auto& [id, stored] = *loaded;
  if (stored.record.state() != v1::SESSION_HELD) {
    return IllegalMove(request.name(), stored.record.state(),
                       "only a dispatch whose session was held (SESSION_HELD) is closed");
  }
  auto key = KeyOf(id, stored.record);
  if (!key.ok()) return key.status();
  stored.record.set_state(v1::CLOSED_DISPATCH);
  return Write(id, *key, std::move(stored), batch);
}

}  // namespace casecoord::advisers
