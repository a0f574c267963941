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

#include "services/common/status.h"

namespace casecoord::cases {

inline constexpr char kCasePrefix[] = "cases/";
inline constexpr char kCase[] = "case";
// The wrapped data key of a case is stored right after the case, under "case"/id/"key", so that
// the one block read that finds a case finds its key too. Databases written before kept it under
// "case-key"/id; start-up moves those (CaseMaintenance), and CaseStore::KeyOf still looks there.
inline constexpr char kWrappedKeySuffix[] = "key";
inline constexpr char kLegacyCaseKey[] = "case-key";
inline constexpr char kEvent[] = "case-event";
inline constexpr char kEntry[] = "case-entry";
// The last event sequence and the last consultation entry number a case has used (big-endian
// uint64), kept so that a write finds the next number with a point lookup rather than an iterator
// seek. Cases written before they existed have none; their next write seeks once and adds them.
inline constexpr char kLastEvent[] = "case-last-event";
inline constexpr char kLastEntry[] = "case-last-entry";
inline constexpr char kReferral[] = "case-referral";
inline constexpr char kInbox[] = "referral-inbox";
inline constexpr char kNextId[] = "case-next-id";
inline constexpr char kNumber[] = "case-number";
inline constexpr char kRequest[] = "case-request";
inline constexpr char kTeamIndex[] = "case-team";
inline constexpr char kIndexVersionKey[] = "case-index-version";
// Bump when the layout of an index entry changes: start-up then re-derives them all.
inline constexpr char kIndexVersion[] = "1";

// kind/id.
std::string Key(const char* kind, uint64_t id);
// "case"/id/"key".
std::string WrappedKeyKey(uint64_t id);
// Under the "case" prefix, a key names a case record only if the id ends it: the wrapped keys
// ("case"/id/"key") sort between the records.
bool IsCaseRecordKey(std::string_view key, size_t prefix_size);
std::string EventKey(uint64_t id, uint64_t sequence);
std::string RequestKey(const std::string& user_id, const std::string& request_id);
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

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point time);

// A value of framed parts (public bytes, sealed bytes, an unused third), and back.
std::string Frame(const std::string& first, const std::string& second,
                  const std::string& third = "");
bool Unframe(std::string_view value, std::string* first, std::string* second, std::string* third);
// The public part of a framed value parsed into `message`; false if either step fails.
template <typename Message>
bool ParsePublic(std::string_view value, Message* message) {
  std::string public_bytes, sealed, unused;
  return Unframe(value, &public_bytes, &sealed, &unused) && message->ParseFromString(public_bytes);
}

// ASCII lowercase, for enum value names used as counter dimensions.
std::string LowerName(const std::string& name);

// Collects the bad fields of an input: the first makes an INVALID_ARGUMENT status, the next ones
// are added to it as further violations.
class FieldViolations {
 public:
  void Add(const std::string& field, const std::string& description) {
    if (status_.ok()) {
      status_ = Status::InvalidArgument(field, description);
    } else {
      status_.AddViolation(field, description);
    }
  }
  const Status& status() const { return status_; }

 private:
  Status status_;
};

}  // namespace casecoord::cases
