// The storage layout of the cases area (see case_store.h for the whole map): key kinds, key
// encodings, names, sealing contexts and input checking helpers shared by CaseStore, CaseReferrals,
// CaseConsultations, CaseCounting and CaseMaintenance. Internal to services/cases; other areas go
// through case_access.h.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "services/common/resource_names.h"
#include "services/common/status.h"
#include "services/common/timestamps.h"
#include "services/storage/key_spaces.h"
#include "services/storage/record_kit.h"

namespace casecoord::cases {

inline constexpr const char* kCase = storage::key_spaces::kCase.name;
// The wrapped data key of a case is stored right after the case, under "case"/id/"key", so that
// the one block read that finds a case finds its key too. Databases written before kept it under
// "case-key"/id; start-up moves those (CaseMaintenance), and CaseStore::KeyOf still looks there.
inline constexpr char kWrappedKeySuffix[] = "key";
inline constexpr const char* kLegacyCaseKey = storage::key_spaces::kCaseKeyLegacy.name;
inline constexpr const char* kEvent = storage::key_spaces::kCaseEvent.name;
inline constexpr const char* kEntry = storage::key_spaces::kCaseEntry.name;
// The last event sequence and the last consultation entry number a case has used (big-endian
// uint64), kept so that a write finds the next number with a point lookup rather than an iterator
// seek. Cases written before they existed have none; their next write seeks once and adds them.
inline constexpr const char* kLastEvent = storage::key_spaces::kCaseLastEvent.name;
inline constexpr const char* kLastEntry = storage::key_spaces::kCaseLastEntry.name;
inline constexpr const char* kReferral = storage::key_spaces::kCaseReferral.name;
inline constexpr const char* kInbox = storage::key_spaces::kReferralInbox.name;
inline constexpr const char* kNumber = storage::key_spaces::kCaseNumber.name;
inline constexpr const char* kTeamIndex = storage::key_spaces::kCaseTeam.name;
inline constexpr const char* kIndexVersionKey = storage::key_spaces::kCaseIndexVersion.name;
// Bump when the layout of an index entry changes: start-up then re-derives them all.
inline constexpr char kIndexVersion[] = "1";
// Written once the start-up migration has given every case its intake_date.
inline constexpr const char* kIntakeDatesFilledKey =
    storage::key_spaces::kCaseIntakeDatesFilled.name;

// kind/id.
std::string Key(const char* kind, uint64_t id);
// "case"/id/"key".
std::string WrappedKeyKey(uint64_t id);
// Under the "case" prefix, a key names a case record only if the id ends it: the wrapped keys
// ("case"/id/"key") sort between the records.
bool IsCaseRecordKey(std::string_view key, size_t prefix_size);
std::string EventKey(uint64_t id, uint64_t sequence);
std::string ReferralKey(uint64_t id, uint64_t number);
std::string TeamIndexKey(const std::string& agency, uint64_t id);
std::string InboxKey(const std::string& agency, uint64_t id, uint64_t number);
// kind, the prefix of every key of that kind.
std::string KindPrefix(const char* kind);
// kind/string, the prefix of every key of one agency in an index.
std::string AgencyPrefix(const char* kind, const std::string& agency);

// "cases/{id}" and the sealing contexts of its parts.
std::string CaseName(uint64_t id);
std::string PersonalContext(uint64_t id);
std::string EventContext(uint64_t id, uint64_t sequence);

// "cases/{id}" → id; INVALID_ARGUMENT naming `field` otherwise.
Result<uint64_t> ParseCaseName(const std::string& name, const char* field);
// "cases/{id}/referrals/{n}" → (id, n); INVALID_ARGUMENT "name" otherwise.
Result<std::pair<uint64_t, uint64_t>> ParseReferralName(const std::string& name);
// The id that follows `prefix` in `key` (false if there is none).
bool ReadIdAfter(std::string_view key, size_t prefix_size, uint64_t* id);

// A case value is storage::Frame of three parts: public bytes, sealed bytes, and a third kept
// empty (reserved when the layout was fixed). The public part of one parsed into `message`; false
// if either step fails.
template <typename Message>
bool ParsePublic(std::string_view value, Message* message) {
  std::string public_bytes, sealed, unused;
  return storage::Unframe(value, {&public_bytes, &sealed, &unused}) &&
         message->ParseFromString(public_bytes);
}

// ASCII lowercase, for enum value names used as counter dimensions.
std::string LowerName(const std::string& name);

}  // namespace casecoord::cases
