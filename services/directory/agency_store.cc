#include "services/directory/agency_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "services/common/filter.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"
#include "services/text/japanese_text.h"

namespace casecoord::directory {

using text::KanaSortKey;
using text::QueryTerms;

namespace {

using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

// The n-gram and partner indexes of layout versions up to 3. Search and partner queries now use
// the in-memory AgencyCatalog; the prefixes stay listed so that start-up deletes their keys.
// The index prefixes a rebuild clears (IndexKeysOf writes the kana one), and the version of their
// layout: bump the version when IndexKeysOf changes (or KanaSortKey does), so that start-up
// rebuilds them.
constexpr const char* kIndexPrefixes[] = {storage::key_spaces::kAgencyKana.name,
                                          storage::key_spaces::kAgencyRetiredTerm.name,
                                          storage::key_spaces::kAgencyRetiredPartner.name};
constexpr char kIndexVersion[] = "4";

// Paths UpdateAgency may not touch: identity and server-maintained fields.
const std::set<std::string> kImmutablePaths = {"name", "create_time", "update_time", "etag"};

std::string RecordKey(const std::string& id) { return storage::key_spaces::kAgency.Key(id); }

std::string KanaPrefix() {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kAgencyKana.name);
  return key;
}

// Where an agency stands in kana order: its reading's collation key, then its id.
std::string KanaPosition(const std::string& id, const v1::Agency& agency) {
  std::string position;
  storage::AppendString(&position, KanaSortKey(agency.kana()));
  storage::AppendString(&position, id);
  return position;
}

std::string IdOf(const v1::Agency& agency) {
  return agency.name().substr(sizeof(kAgencyPrefix) - 1);
}

// Every index key of an agency: its place in kana order.
std::set<std::string> IndexKeysOf(const std::string& id, const v1::Agency& agency) {
  return {KanaPrefix() + KanaPosition(id, agency)};
}

Result<std::string> ParseName(const std::string& name, const char* field) {
  if (name.rfind(kAgencyPrefix, 0) != 0 || !IsResourceId(name.substr(sizeof(kAgencyPrefix) - 1))) {
    return Status::InvalidArgument(field, "must look like \"agencies/{agency_id}\"");
  }
  return name.substr(sizeof(kAgencyPrefix) - 1);
}

}  // namespace

bool AgencyFilter::Matches(const v1::Agency& agency) const {
  if (kind && agency.kind() != *kind) return false;
  if (state && agency.state() != *state) return false;
  if (district && std::find(agency.districts().begin(), agency.districts().end(), *district) ==
                      agency.districts().end()) {
    return false;
  }
  if (tag && std::find(agency.issue_tags().begin(), agency.issue_tags().end(), *tag) ==
                 agency.issue_tags().end()) {
    return false;
  }
  if (field &&
      std::find(agency.fields().begin(), agency.fields().end(), *field) == agency.fields().end()) {
    return false;
  }
  if (verified_before_nanos && agency.has_last_verified_time() &&
      TimeUtil::TimestampToNanoseconds(agency.last_verified_time()) >= *verified_before_nanos) {
    return false;
  }
  return true;
}

std::string AgencyFilter::Fingerprint() const {
  return "kind=" + (kind ? v1::AgencyKind_Name(*kind) : "") +
         ";state=" + (state ? v1::Agency::State_Name(*state) : "") +
         ";field=" + (field ? v1::SupportField_Name(*field) : "") +
         ";district=" + district.value_or("") + ";tag=" + tag.value_or("") + ";verified_before=" +
         (verified_before_nanos ? std::to_string(*verified_before_nanos) : "");
}

namespace {

// The bound of `last_verified_time < value`: a JST date (its midnight) or an RFC 3339 time.
Result<int64_t> ParseVerifiedBefore(const std::string& value) {
  google::protobuf::Timestamp time;
  if (auto midnight = ParseJstDate(value)) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(midnight->time_since_epoch())
        .count();
  }
  if (TimeUtil::FromString(value, &time)) return TimeUtil::TimestampToNanoseconds(time);
  return Status::InvalidArgument(
      "filter",
      "last_verified_time takes \"YYYY-MM-DD\" or an RFC 3339 time, not \"" + value + "\"");
}

// Adds one clause of the filter to `parsed`.
Status ApplyAgencyFilterClause(const FilterClause& clause, AgencyFilter& parsed) {
  const std::string& key = clause.key;
  const std::string& value = clause.value;
  const bool is_time = key == "last_verified_time";
  if (clause.op != (is_time ? "<" : "=")) {
    return Status::InvalidArgument(
        "filter", "\"" + key + "\" supports only " + (is_time ? "<" : "=") + ", not " + clause.op);
  }
  if (key == "kind") {
    v1::AgencyKind kind;
    if (!v1::AgencyKind_Parse(value, &kind) || kind == v1::AGENCY_KIND_UNSPECIFIED) {
      return Status::InvalidArgument("filter", "unknown kind \"" + value + "\"");
    }
    parsed.kind = kind;
  } else if (key == "state") {
    v1::Agency::State state;
    if (!v1::Agency::State_Parse(value, &state) || state == v1::Agency::STATE_UNSPECIFIED) {
      return Status::InvalidArgument("filter", "unknown state \"" + value + "\"");
    }
    parsed.state = state;
  } else if (key == "field") {
    v1::SupportField field;
    if (!v1::SupportField_Parse(value, &field) || field == v1::SUPPORT_FIELD_UNSPECIFIED) {
      return Status::InvalidArgument("filter", "unknown field \"" + value + "\"");
    }
    parsed.field = field;
  } else if (key == "district") {
    parsed.district = value;
  } else if (key == "tag") {
    parsed.tag = value;
  } else if (is_time) {
    auto before = ParseVerifiedBefore(value);
    if (!before.ok()) return before.status();
    parsed.verified_before_nanos = *before;
  } else {
    return Status::InvalidArgument("filter", "cannot filter on \"" + key +
                                                 "\"; use kind, state, field, district, tag or "
                                                 "last_verified_time");
  }
  return Status::Ok();
}

// 0 <= min_age <= max_age, where a max_age of 0 means no upper bound.
bool AgesInOrder(const v1::AgencyService& service) {
  return service.min_age() >= 0 && service.max_age() >= 0 &&
         (service.max_age() == 0 || service.min_age() <= service.max_age());
}

}  // namespace

Result<AgencyFilter> ParseAgencyFilter(const std::string& filter) {
  AgencyFilter parsed;
  auto clauses = ParseFilterClauses(filter);
  if (!clauses.ok()) return clauses.status();
  for (const FilterClause& clause : *clauses) {
    CASECOORD_RETURN_IF_ERROR(ApplyAgencyFilterClause(clause, parsed));
  }
  return parsed;
}

Result<AgencyOrder> ParseAgencyOrder(const std::string& order_by) {
  const std::string order(TrimSpaces(order_by));
  if (order.empty() || order == "name") return AgencyOrder::kId;
  if (order == "kana") return AgencyOrder::kKana;
  return Status::InvalidArgument("order_by", "\"" + order + "\" is not an order; use \"kana\"");
}

Status AgencyStore::Validate(const v1::Agency& agency) const {
  FieldViolations violation;
  const size_t name_length = CharacterCount(agency.display_name());
  if (name_length == 0 || name_length > 200) {
    violation("agency.display_name", "must be 1 to 200 characters");
  }
  if (QueryTerms(agency.kana()).empty() || CharacterCount(agency.kana()) > 200) {
    violation("agency.kana", "the kana reading is required (up to 200 characters)");
  }
  if (agency.kind() == v1::AGENCY_KIND_UNSPECIFIED || !v1::AgencyKind_IsValid(agency.kind())) {
    violation("agency.kind", "required; one of the AgencyKind values");
  }
  for (const auto& tag : agency.issue_tags()) {
    if (!IsResourceId(tag)) violation("agency.issue_tags", "\"" + tag + "\" is not a tag");
  }
  for (const auto& district : agency.districts()) {
    if (!IsResourceId(district))
      violation("agency.districts", "\"" + district + "\" is not a district id");
  }
  for (int i = 0; i < agency.services_size(); ++i) {
    const auto& service = agency.services(i);
    if (service.name().empty())
      violation("agency.services[" + std::to_string(i) + "].name", "required");
    if (!AgesInOrder(service)) {
      violation("agency.services[" + std::to_string(i) + "]", "ages must satisfy 0 <= min <= max");
    }
  }
  if (!agency.email().empty() && agency.email().find('@') == std::string::npos) {
    violation("agency.email", "not an email address");
  }
  if (agency.state() == v1::Agency::STATE_UNSPECIFIED ||
      !v1::Agency::State_IsValid(agency.state())) {
    violation("agency.state", "must be ACTIVE, INACTIVE or CLOSED");
  }
  return violation.ToStatus();
}

void AgencyStore::Stamp(v1::Agency* agency) const {
  auto now = NowTimestamp(clock_);
  if (!agency->has_create_time()) *agency->mutable_create_time() = now;
  *agency->mutable_update_time() = now;
  agency->clear_etag();
  agency->set_etag(std::to_string(TimeUtil::TimestampToNanoseconds(now)) + "-" +
                   std::to_string(std::hash<std::string>()(agency->SerializeAsString()) % 1000000));
}

void AgencyStore::PutIndexed(const std::string& id, const v1::Agency& agency,
                             const v1::Agency* previous, storage::WriteBatch* batch) const {
  std::set<std::string> keys = IndexKeysOf(id, agency);
  if (previous != nullptr) {
    for (const auto& key : IndexKeysOf(id, *previous)) {
      if (keys.count(key) == 0) batch->Delete(ColumnFamily::kIndexes, key);
    }
  }
  for (const auto& key : keys) batch->Put(ColumnFamily::kIndexes, key, "");
  batch->Put(ColumnFamily::kRecords, RecordKey(id), agency.SerializeAsString());
  batch->AfterCommit([this, agency] { catalog_.Put(agency); });
}

Result<v1::Agency> AgencyStore::Get(const std::string& name, const char* field) const {
  auto id = ParseName(name, field);
  if (!id.ok()) return id.status();
  auto stored = storage_.Get(ColumnFamily::kRecords, RecordKey(*id));
  if (!stored.ok()) return stored.status();
  v1::Agency agency;
  if (!stored->has_value()) return Status(Reason::kAgencyNotFound, name + " not found");
  if (!agency.ParseFromString(**stored)) {
    return Status(Reason::kAgencyRecordCorrupt, name + " is unreadable");
  }
  return agency;
}

Result<v1::Agency> AgencyStore::PrepareCreate(const std::string& agency_id,
                                              const v1::Agency& agency,
                                              storage::WriteBatch* batch) const {
  v1::Agency created = agency;
  if (created.state() == v1::Agency::STATE_UNSPECIFIED) created.set_state(v1::Agency::ACTIVE);
  Status status = Validate(created);
  if (!IsResourceId(agency_id)) {
    const char* description = "must be 1 to 63 lowercase letters, digits or '-'";
    if (status.ok()) {
      status = Status::InvalidArgument("agency_id", description);
    } else {
      status.AddViolation("agency_id", description);
    }
  }
  if (!status.ok()) return status;
  created.set_name(kAgencyPrefix + agency_id);
  auto existing = storage_.Get(ColumnFamily::kRecords, RecordKey(agency_id));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status(Reason::kAgencyExists, created.name() + " exists");
  }
  created.clear_create_time();
  Stamp(&created);
  PutIndexed(agency_id, created, nullptr, batch);
  return created;
}

Result<v1::Agency> AgencyStore::Merge(const v1::Agency& stored, const v1::Agency& patch,
                                      const v1::FieldMask& mask) const {
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  google::protobuf::FieldMask paths;
  for (const auto& path : mask.paths()) {
    if (kImmutablePaths.count(path) > 0 || !FieldMaskUtil::IsValidPath<v1::Agency>(path) ||
        path.find('.') != std::string::npos) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    paths.add_paths(path);
  }
  v1::Agency merged = stored;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, paths, options, &merged);
  CASECOORD_RETURN_IF_ERROR(Validate(merged));
  return merged;
}

Result<v1::Agency> AgencyStore::PrepareUpdate(const v1::Agency& patch, const v1::FieldMask& mask,
                                              storage::WriteBatch* batch) const {
  auto stored = Get(patch.name(), "agency.name");
  if (!stored.ok()) return stored.status();
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(patch.name(), patch.etag(), stored->etag()));
  auto updated = Merge(*stored, patch, mask);
  if (!updated.ok()) return updated.status();
  Stamp(&*updated);
  PutIndexed(IdOf(*updated), *updated, &*stored, batch);
  return updated;
}

Status AgencyStore::PrepareDelete(const std::string& name, const std::string& etag,
                                  storage::WriteBatch* batch) const {
  auto stored = Get(name);
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(name, etag, stored->etag()));
  const std::string id = IdOf(*stored);
  for (const auto& key : IndexKeysOf(id, *stored)) batch->Delete(ColumnFamily::kIndexes, key);
  batch->Delete(ColumnFamily::kRecords, RecordKey(id));
  batch->AfterCommit([this, id] { catalog_.Remove(id); });
  return Status::Ok();
}

namespace {

// The agency at `it`: the record itself, or for an entry of the kana index (`kana_prefix_size` >
// 0) the record of the id its key ends with. False for an entry that cannot be read (skipped).
bool AgencyAt(const AgencyStore& store, const rocksdb::Iterator& it, size_t kana_prefix_size,
              v1::Agency* agency) {
  if (kana_prefix_size == 0) return agency->ParseFromString(it.value().ToString());
  storage::KeyReader reader(
      std::string_view(it.key().data() + kana_prefix_size, it.key().size() - kana_prefix_size));
  std::string sort_key, id;
  if (!reader.ReadString(&sort_key) || !reader.ReadString(&id)) return false;
  auto stored = store.Get(kAgencyPrefix + id);
  if (!stored.ok()) return false;
  *agency = std::move(stored).value();
  return true;
}

}  // namespace

Result<AgencyPage> AgencyStore::List(const AgencyFilter& filter, AgencyOrder order,
                                     const std::string& after_key, int limit) const {
  AgencyPage page;
  // Id order walks the records; kana order walks the kana index, whose keys end with the id.
  const bool by_kana = order == AgencyOrder::kKana;
  std::string prefix;
  storage::AppendString(
      &prefix, by_kana ? storage::key_spaces::kAgencyKana.name : storage::key_spaces::kAgency.name);
  const std::string start = after_key.empty() ? prefix
                            : by_kana         ? prefix + after_key
                                              : RecordKey(after_key);
  auto it = storage_.NewIterator(by_kana ? ColumnFamily::kIndexes : ColumnFamily::kRecords);
  bool more = false;
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!after_key.empty() && it->key() == start) continue;
    v1::Agency agency;
    if (!AgencyAt(*this, *it, by_kana ? prefix.size() : 0, &agency)) continue;
    if (!filter.Matches(agency)) continue;
    if (static_cast<int>(page.agencies.size()) == limit) {
      more = true;
      break;
    }
    page.agencies.push_back(std::move(agency));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing agencies");
  if (more) {
    const v1::Agency& last = page.agencies.back();
    page.next_after_key = by_kana ? KanaPosition(IdOf(last), last) : IdOf(last);
  }
  return page;
}

Result<std::vector<v1::Agency>> AgencyStore::ListAll(const AgencyFilter& filter,
                                                     AgencyOrder order) const {
  std::vector<v1::Agency> all;
  std::string after_key;
  do {
    auto page = List(filter, order, after_key, 1000);
    if (!page.ok()) return page.status();
    for (auto& agency : page->agencies) all.push_back(std::move(agency));
    after_key = page->next_after_key;
  } while (!after_key.empty());
  return all;
}

namespace {

v1::CsvEncoding ToProto(CsvEncoding encoding) {
  switch (encoding) {
    case CsvEncoding::kUtf8:
      return v1::UTF8;
    case CsvEncoding::kUtf8Bom:
      return v1::UTF8_BOM;
    case CsvEncoding::kCp932:
      return v1::CP932;
  }
  return v1::CSV_ENCODING_UNSPECIFIED;
}

// Reports `status` (a refusal of the row on `line`) against the file's columns.
void ReportRowProblem(const Status& status, const AgencyCsv& csv, int line,
                      v1::ImportAgenciesResponse* response) {
  auto add = [&](const std::string& path, const std::string& problem) {
    v1::ImportProblem* reported = response->add_problems();
    reported->set_line(line);
    auto column = csv.column_of_path.find(path);
    if (column != csv.column_of_path.end()) {
      reported->set_column(column->second);
      if (column->second < static_cast<int>(csv.header.size())) {
        reported->set_column_name(csv.header[column->second]);
      }
    }
    reported->set_problem(problem);
  };
  if (status.field_violations().empty()) {
    add("agency_id", status.message());
    return;
  }
  for (const auto& violation : status.field_violations()) {
    // "agency.services[0].name" → "services"; "agency_id" stays.
    std::string path = violation.field;
    if (path.rfind("agency.", 0) == 0) path = path.substr(7);
    path = path.substr(0, path.find_first_of(".["));
    add(path, violation.description);
  }
}

// The response before any row: the file's encoding, rows and problems; and the lines those
// problems reject.
void StartImportResponse(const AgencyCsv& csv, v1::ImportAgenciesResponse* response,
                         std::set<int>* rejected_lines) {
  response->set_detected_encoding(csv.format == text::TableFormat::kXlsx ? v1::XLSX
                                                                         : ToProto(csv.encoding));
  response->set_rows_read(csv.rows_read);
  for (const auto& problem : csv.problems) {
    *response->add_problems() = problem;
    // Line 1 is the header: its problems (unknown columns) are warnings that reject no row.
    if (problem.line() > 1) rejected_lines->insert(problem.line());
  }
}

// What an update from the file replaces: the columns it has.
v1::FieldMask ImportMask(const AgencyCsv& csv) {
  v1::FieldMask mask;
  for (const auto& path : csv.present_paths) {
    if (path != "agency_id") mask.add_paths(path);
  }
  return mask;
}

}  // namespace

Result<v1::ImportAgenciesResponse> AgencyStore::PrepareImport(
    const AgencyCsv& csv, const v1::AgencyImportOptions& options,
    storage::WriteBatch* batch) const {
  v1::ImportAgenciesResponse response;
  std::set<int> rejected_lines;
  StartImportResponse(csv, &response, &rejected_lines);
  const v1::FieldMask mask = ImportMask(csv);
  std::vector<storage::WriteBatch> accepted;
  for (const AgencyCsvRow& row : csv.rows) {
    storage::WriteBatch changes(storage_);
    auto stored = storage_.Get(ColumnFamily::kRecords, RecordKey(row.agency_id));
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) {
      auto created = PrepareCreate(row.agency_id, row.agency, &changes);
      if (!created.ok()) {
        ReportRowProblem(created.status(), csv, row.line, &response);
        rejected_lines.insert(row.line);
        continue;
      }
      response.set_created(response.created() + 1);
      accepted.push_back(std::move(changes));
      continue;
    }
    if (options.existing() == v1::AgencyImportOptions::SKIP) {
      response.set_skipped(response.skipped() + 1);
      continue;
    }
    if (options.existing() == v1::AgencyImportOptions::REJECT) {
      ReportRowProblem(Status(Reason::kAgencyExists, "機関IDは登録済みです: " + row.agency_id), csv,
                       row.line, &response);
      rejected_lines.insert(row.line);
      continue;
    }
    v1::Agency previous;
    if (!previous.ParseFromString(**stored)) {
      return Status(Reason::kAgencyRecordCorrupt, kAgencyPrefix + row.agency_id + " is unreadable");
    }
    auto merged = Merge(previous, row.agency, mask);
    if (!merged.ok()) {
      ReportRowProblem(merged.status(), csv, row.line, &response);
      rejected_lines.insert(row.line);
      continue;
    }
    if (google::protobuf::util::MessageDifferencer::Equals(*merged, previous)) {
      response.set_unchanged(response.unchanged() + 1);
      continue;
    }
    Stamp(&*merged);
    PutIndexed(row.agency_id, *merged, &previous, &changes);
    response.set_updated(response.updated() + 1);
    accepted.push_back(std::move(changes));
  }
  response.set_rejected(static_cast<int32_t>(rejected_lines.size()));
  const bool apply =
      !options.validate_only() && (rejected_lines.empty() || options.allow_partial());
  if (apply) {
    for (const auto& changes : accepted) batch->Append(changes);
  }
  response.set_applied(apply && !accepted.empty());
  return response;
}

Result<int> AgencyStore::RebuildIndexesIfStale() {
  std::lock_guard<std::mutex> lock(write_mutex_);
  auto version = storage_.Get(ColumnFamily::kMeta, storage::key_spaces::kAgencyIndexVersion.name);
  if (!version.ok()) return version.status();
  if (version->has_value() && **version == kIndexVersion) return 0;
  storage::WriteBatch batch(storage_);
  for (const char* kind : kIndexPrefixes) {
    std::string prefix;
    storage::AppendString(&prefix, kind);
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      batch.Delete(ColumnFamily::kIndexes, it->key().ToStringView());
    }
    if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the index");
  }
  auto all = ListAll(AgencyFilter{}, AgencyOrder::kId);
  if (!all.ok()) return all.status();
  for (const auto& agency : *all) {
    for (const auto& key : IndexKeysOf(IdOf(agency), agency)) {
      batch.Put(ColumnFamily::kIndexes, key, "");
    }
  }
  batch.Put(ColumnFamily::kMeta, storage::key_spaces::kAgencyIndexVersion.name, kIndexVersion);
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  log::Info("agency directory index rebuilt", {{"agencies", std::to_string(all->size())},
                                               {"from_version", version->value_or("none")},
                                               {"to_version", kIndexVersion}});
  return static_cast<int>(all->size());
}

Status AgencyStore::LoadCatalog() const {
  return catalog_.LoadIfNeeded([this] { return ListAll(AgencyFilter{}, AgencyOrder::kId); });
}

Result<std::vector<v1::AgencyMatch>> AgencyStore::Search(const std::string& query, int limit,
                                                         const AgencyFilter* filter,
                                                         v1::AgencyView view) const {
  // Bytes first, so that counting characters is itself bounded (a character is at most 4 bytes).
  if (query.size() > 4 * kMaxSearchQueryCharacters ||
      CharacterCount(query) > kMaxSearchQueryCharacters) {
    return Status::InvalidArgument(
        "query", "at most " + std::to_string(kMaxSearchQueryCharacters) + " characters");
  }
  CASECOORD_RETURN_IF_ERROR(LoadCatalog());
  return catalog_.Search(query, filter, view, limit);
}

Result<std::vector<v1::PartnerMatch>> AgencyStore::FindPartners(
    const std::vector<std::string>& issue_tags, const std::string& district, int limit,
    v1::AgencyView view) const {
  FieldViolations violation;
  if (issue_tags.empty()) violation("issue_tags", "give at least one tag");
  if (issue_tags.size() > kMaxPartnerTags) {
    violation("issue_tags", "at most " + std::to_string(kMaxPartnerTags) + " tags");
    return violation.ToStatus();
  }
  for (const auto& tag : issue_tags) {
    if (!IsResourceId(tag)) violation("issue_tags", "\"" + ShortQuote(tag) + "\" is not a tag");
  }
  if (!district.empty() && !IsResourceId(district)) violation("district", "not a district id");
  CASECOORD_RETURN_IF_ERROR(violation.ToStatus());

  CASECOORD_RETURN_IF_ERROR(LoadCatalog());
  return catalog_.FindPartners(issue_tags, district, view, limit);
}

}  // namespace casecoord::directory
