#include "services/cases/case_layout.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"

namespace casecoord::cases {

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

bool IsCaseRecordKey(std::string_view key, size_t prefix_size) {
  return key.size() == prefix_size + sizeof(uint64_t);
}

std::string EventKey(uint64_t id, uint64_t sequence) {
  std::string key = Key(kEvent, id);
  storage::AppendUint64(&key, sequence);
  return key;
}

std::string ReferralKey(uint64_t id, uint64_t number) {
  std::string key = Key(kReferral, id);
  storage::AppendUint64(&key, number);
  return key;
}

std::string TeamIndexKey(const std::string& agency, uint64_t id) {
  std::string key = AgencyPrefix(kTeamIndex, agency);
  storage::AppendUint64(&key, id);
  return key;
}

std::string InboxKey(const std::string& agency, uint64_t id, uint64_t number) {
  std::string key = AgencyPrefix(kInbox, agency);
  storage::AppendUint64(&key, id);
  storage::AppendUint64(&key, number);
  return key;
}

std::string KindPrefix(const char* kind) {
  std::string prefix;
  storage::AppendString(&prefix, kind);
  return prefix;
}

std::string AgencyPrefix(const char* kind, const std::string& agency) {
  std::string prefix = KindPrefix(kind);
  storage::AppendString(&prefix, agency);
  return prefix;
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

bool ReadIdAfter(std::string_view key, size_t prefix_size, uint64_t* id) {
  storage::KeyReader reader(key.substr(prefix_size));
  return reader.ReadUint64(id);
}

std::string LowerName(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

}  // namespace casecoord::cases
