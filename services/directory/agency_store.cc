#include "services/directory/agency_store.h"

#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/directory/japanese_text.h"
#include "services/storage/key_encoding.h"

namespace casecoord::directory {
namespace {

using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kAgencyPrefix[] = "agencies/";
constexpr char kRecord[] = "agency";
constexpr char kTerm[] = "agency-term";
constexpr char kTag[] = "agency-tag";

// Paths UpdateAgency may not touch: identity and server-maintained fields.
const std::set<std::string> kImmutablePaths = {"name", "create_time", "update_time", "etag"};

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 63 || id.front() == '-') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string RecordKey(const std::string& id) {
  std::string key;
  storage::AppendString(&key, kRecord);
  storage::AppendString(&key, id);
  return key;
}

std::string TermPrefix(const std::string& term) {
  std::string key;
  storage::AppendString(&key, kTerm);
  storage::AppendString(&key, term);
  return key;
}

std::string TermKey(const std::string& term, const std::string& id) {
  std::string key = TermPrefix(term);
  storage::AppendString(&key, id);
  return key;
}

std::string TagPrefix(const std::string& tag) {
  std::string key;
  storage::AppendString(&key, kTag);
  storage::AppendString(&key, tag);
  return key;
}

// Every index key of an agency: one per n-gram of its name and reading, one per issue tag.
std::set<std::string> IndexKeysOf(const std::string& id, const v1::Agency& agency) {
  std::set<std::string> keys;
  for (const std::string* text : {&agency.display_name(), &agency.kana()}) {
    for (const auto& term : IndexTerms(*text)) keys.insert(TermKey(term, id));
  }
  for (const auto& tag : agency.issue_tags()) {
    std::string key = TagPrefix(tag);
    storage::AppendString(&key, id);
    keys.insert(std::move(key));
  }
  return keys;
}

size_t CharacterCount(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

Result<std::string> ParseName(const std::string& name, const char* field) {
  if (name.rfind(kAgencyPrefix, 0) != 0 || !ValidId(name.substr(sizeof(kAgencyPrefix) - 1))) {
    return Status::InvalidArgument(field, "must look like \"agencies/{agency_id}\"");
  }
  return name.substr(sizeof(kAgencyPrefix) - 1);
}

std::string Unquote(std::string value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(' ');
  size_t end = text.find_last_not_of(' ');
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
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
  return true;
}

std::string AgencyFilter::Fingerprint() const {
  return "kind=" + (kind ? v1::AgencyKind_Name(*kind) : "") +
         ";state=" + (state ? v1::Agency::State_Name(*state) : "") +
         ";district=" + district.value_or("") + ";tag=" + tag.value_or("");
}

Result<AgencyFilter> ParseAgencyFilter(const std::string& filter) {
  AgencyFilter parsed;
  std::string rest = Trim(filter);
  while (!rest.empty()) {
    size_t and_at = rest.find(" AND ");
    std::string clause = Trim(rest.substr(0, and_at));
    rest = and_at == std::string::npos ? "" : Trim(rest.substr(and_at + 5));
    size_t equals = clause.find('=');
    if (equals == std::string::npos) {
      return Status::InvalidArgument("filter", "expected \"key = value\" in \"" + clause + "\"");
    }
    const std::string key = Trim(clause.substr(0, equals));
    const std::string value = Unquote(Trim(clause.substr(equals + 1)));
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
    } else if (key == "district") {
      parsed.district = value;
    } else if (key == "tag") {
      parsed.tag = value;
    } else {
      return Status::InvalidArgument(
          "filter", "cannot filter on \"" + key + "\"; use kind, state, district or tag");
    }
  }
  return parsed;
}

Status AgencyStore::Validate(const v1::Agency& agency) const {
  Status status;
  auto violation = [&status](const std::string& field, const std::string& description) {
    if (status.ok()) {
      status = Status::InvalidArgument(field, description);
    } else {
      status.AddViolation(field, description);
    }
  };
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
    if (!ValidId(tag)) violation("agency.issue_tags", "\"" + tag + "\" is not a tag");
  }
  for (const auto& district : agency.districts()) {
    if (!ValidId(district))
      violation("agency.districts", "\"" + district + "\" is not a district id");
  }
  for (int i = 0; i < agency.services_size(); ++i) {
    const auto& service = agency.services(i);
    if (service.name().empty())
      violation("agency.services[" + std::to_string(i) + "].name", "required");
    if (service.min_age() < 0 || service.max_age() < 0 ||
        (service.max_age() > 0 && service.min_age() > service.max_age())) {
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
  return status;
}

void AgencyStore::Stamp(v1::Agency* agency) const {
  auto now = TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
          .count());
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
}

Result<v1::Agency> AgencyStore::Get(const std::string& name, const char* field) const {
  auto id = ParseName(name, field);
  if (!id.ok()) return id.status();
  auto stored = storage_.Get(ColumnFamily::kRecords, RecordKey(*id));
  if (!stored.ok()) return stored.status();
  v1::Agency agency;
  if (!stored->has_value()) return Status::NotFound("AGENCY_NOT_FOUND", name + " not found");
  if (!agency.ParseFromString(**stored)) {
    return Status(StatusCode::kDataLoss, "AGENCY_RECORD_CORRUPT", name + " is unreadable");
  }
  return agency;
}

Result<v1::Agency> AgencyStore::PrepareCreate(const std::string& agency_id,
                                              const v1::Agency& agency,
                                              storage::WriteBatch* batch) const {
  v1::Agency created = agency;
  if (created.state() == v1::Agency::STATE_UNSPECIFIED) created.set_state(v1::Agency::ACTIVE);
  Status status = Validate(created);
  if (!ValidId(agency_id)) {
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
    return Status(StatusCode::kAlreadyExists, "AGENCY_EXISTS", created.name() + " exists");
  }
  created.clear_create_time();
  Stamp(&created);
  PutIndexed(agency_id, created, nullptr, batch);
  return created;
}

Result<v1::Agency> AgencyStore::PrepareUpdate(const v1::Agency& patch, const v1::FieldMask& mask,
                                              storage::WriteBatch* batch) const {
  auto stored = Get(patch.name(), "agency.name");
  if (!stored.ok()) return stored.status();
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  google::protobuf::FieldMask paths;
  for (const auto& path : mask.paths()) {
    if (kImmutablePaths.count(path) > 0 || !FieldMaskUtil::IsValidPath<v1::Agency>(path) ||
        path.find('.') != std::string::npos) {
      return Status::InvalidArgument("update_mask", "cannot update \"" + path + "\"");
    }
    paths.add_paths(path);
  }
  if (!patch.etag().empty() && patch.etag() != stored->etag()) {
    return Status(StatusCode::kAborted, "STALE_ETAG",
                  patch.name() + " changed since it was read; get it again");
  }
  v1::Agency updated = *stored;
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(patch, paths, options, &updated);
  CASECOORD_RETURN_IF_ERROR(Validate(updated));
  Stamp(&updated);
  PutIndexed(updated.name().substr(sizeof(kAgencyPrefix) - 1), updated, &*stored, batch);
  return updated;
}

Status AgencyStore::PrepareDelete(const std::string& name, const std::string& etag,
                                  storage::WriteBatch* batch) const {
  auto stored = Get(name);
  if (!stored.ok()) return stored.status();
  if (!etag.empty() && etag != stored->etag()) {
    return Status(StatusCode::kAborted, "STALE_ETAG", name + " changed since it was read");
  }
  const std::string id = name.substr(sizeof(kAgencyPrefix) - 1);
  for (const auto& key : IndexKeysOf(id, *stored)) batch->Delete(ColumnFamily::kIndexes, key);
  batch->Delete(ColumnFamily::kRecords, RecordKey(id));
  return Status::Ok();
}

Result<std::vector<v1::Agency>> AgencyStore::List(const AgencyFilter& filter,
                                                  const std::string& after_id, int limit,
                                                  bool* more) const {
  std::vector<v1::Agency> out;
  *more = false;
  std::string prefix;
  storage::AppendString(&prefix, kRecord);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->Seek(after_id.empty() ? prefix : RecordKey(after_id));
  for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::Agency agency;
    if (!agency.ParseFromString(it->value().ToString())) continue;
    if (agency.name() == kAgencyPrefix + after_id || !filter.Matches(agency)) continue;
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    out.push_back(std::move(agency));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing agencies");
  return out;
}

Result<std::vector<v1::AgencyMatch>> AgencyStore::Search(const std::string& query,
                                                         int limit) const {
  const std::vector<std::string> terms = QueryTerms(query);
  if (terms.empty()) return Status::InvalidArgument("query", "must contain a word to search for");
  // Candidates hold every query term (n-gram index); the substring check then removes the
  // n-gram false positives ("区役所" vs "区役場と市役所").
  std::optional<std::set<std::string>> candidates;
  for (const auto& term : terms) {
    std::set<std::string> ids;
    const std::string prefix = TermPrefix(term);
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      storage::KeyReader reader(
          std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
      std::string id;
      if (!reader.ReadString(&id)) continue;
      if (!candidates || candidates->count(id) > 0) ids.insert(std::move(id));
    }
    candidates = std::move(ids);
    if (candidates->empty()) break;
  }
  const std::string normalized_query = NormalizeForSearch(query);
  std::vector<v1::AgencyMatch> out;
  for (const auto& id : *candidates) {
    if (static_cast<int>(out.size()) == limit) break;
    auto agency = Get(kAgencyPrefix + id);
    if (!agency.ok()) continue;
    v1::AgencyMatch match;
    if (ContainsNormalized(NormalizeForSearch(agency->display_name()), normalized_query)) {
      match.add_matched_fields("display_name");
    }
    if (ContainsNormalized(NormalizeForSearch(agency->kana()), normalized_query)) {
      match.add_matched_fields("kana");
    }
    if (match.matched_fields().empty()) continue;
    *match.mutable_agency() = std::move(agency).value();
    out.push_back(std::move(match));
  }
  return out;
}

Result<std::vector<v1::PartnerMatch>> AgencyStore::FindPartners(
    const std::vector<std::string>& issue_tags, const std::string& district, int limit) const {
  Status invalid;
  auto violation = [&invalid](const char* field, const std::string& description) {
    if (invalid.ok()) {
      invalid = Status::InvalidArgument(field, description);
    } else {
      invalid.AddViolation(field, description);
    }
  };
  if (issue_tags.empty()) violation("issue_tags", "give at least one tag");
  for (const auto& tag : issue_tags) {
    if (!ValidId(tag)) violation("issue_tags", "\"" + tag + "\" is not a tag");
  }
  if (!district.empty() && !ValidId(district)) violation("district", "not a district id");
  if (!invalid.ok()) return invalid;

  // Agency id -> the requested tags it covers, in request order.
  std::map<std::string, std::vector<std::string>> covered;
  std::set<std::string> distinct_tags;
  for (const auto& tag : issue_tags) {
    if (!distinct_tags.insert(tag).second) continue;
    const std::string prefix = TagPrefix(tag);
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      storage::KeyReader reader(
          std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
      std::string id;
      if (reader.ReadString(&id)) covered[id].push_back(tag);
    }
  }
  struct Ranked {
    std::string reading;
    v1::PartnerMatch match;
  };
  std::vector<Ranked> ranked;
  for (auto& [id, tags] : covered) {
    auto agency = Get(kAgencyPrefix + id);
    if (!agency.ok()) continue;
    if (agency->state() != v1::Agency::ACTIVE || !agency->accepts_referrals()) continue;
    const auto& districts = agency->districts();
    if (!district.empty() &&
        std::find(districts.begin(), districts.end(), district) == districts.end()) {
      continue;
    }
    Ranked entry{NormalizeForSearch(agency->kana()), {}};
    std::string tag_list;
    for (const auto& tag : tags) {
      entry.match.add_covered_tags(tag);
      tag_list += (tag_list.empty() ? "" : ", ") + tag;
    }
    entry.match.set_explanation("課題" + std::to_string(distinct_tags.size()) + "件中" +
                                std::to_string(tags.size()) + "件に対応（" + tag_list + "）" +
                                (district.empty() ? "" : "・" + district + " を担当") +
                                "・他機関からの紹介を受付");
    *entry.match.mutable_agency() = std::move(agency).value();
    ranked.push_back(std::move(entry));
  }
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.match.covered_tags_size() != b.match.covered_tags_size()) {
      return a.match.covered_tags_size() > b.match.covered_tags_size();
    }
    return a.reading != b.reading ? a.reading < b.reading
                                  : a.match.agency().name() < b.match.agency().name();
  });
  std::vector<v1::PartnerMatch> partners;
  for (auto& entry : ranked) {
    if (static_cast<int>(partners.size()) == limit) break;
    partners.push_back(std::move(entry.match));
  }
  return partners;
}

}  // namespace casecoord::directory
