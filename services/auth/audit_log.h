// The tamper-evident audit trail.
//
// Every entry has a gap-free sequence number, the hash of its predecessor, its own hash
// SHA-256(previous hash || canonical fields) and an HMAC-SHA256 of that hash under the audit key,
// which is not stored with the data. A signed head record (last sequence and hash) is written in the
// same batch, so truncating the tail is detected too. Verify() walks the whole chain.
//
// Append() is the only way entries are written. It commits the entry together with the caller's
// changes in one synced batch; concurrent callers are gathered into one batch by a leader (one fsync
// for the group) while the chain stays in strict sequence order. If the commit fails, no entry of
// the group exists and every caller gets the error.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::auth {

struct AuditRecord {
  std::string user_id;
  std::string agency;
  std::string method;
  std::string resource;
  std::string outcome;  // canonical code name, "OK", "PERMISSION_DENIED", ...
  std::string legal_basis;
  std::string break_glass_reason;
};

struct AuditVerification {
  bool intact = true;
  int64_t entries_checked = 0;
  int64_t first_broken_sequence = 0;
  std::string problem;
};

struct AuditQuery {
  std::string resource;  // at most one of resource and user_id
  std::string user_id;
  std::optional<std::chrono::system_clock::time_point> start;  // inclusive
  std::optional<std::chrono::system_clock::time_point> end;    // exclusive
  uint64_t after_sequence = 0;                                 // paging
  int limit = 50;
};

struct AuditPage {
  std::vector<v1::AuditEntry> entries;  // oldest first
  bool more = false;                    // another entry matches after the last one
};

class AuditLog {
 public:
  // `key` is the HMAC key (at least 32 bytes). Reads the chain head from `storage`.
  static Result<std::unique_ptr<AuditLog>> Open(storage::Storage& storage, std::string key,
                                                const Clock& clock = SystemClock::Instance());
  ~AuditLog();

  // Appends `record` and commits it with `changes` (may be null) atomically and durably.
  Status Append(const AuditRecord& record, storage::WriteBatch* changes);

  AuditVerification Verify() const;
  Result<AuditPage> List(const AuditQuery& query) const;

  // Makes every following Append fail with `status` (OK to stop): proves that a read whose audit
  // entry cannot be written is refused.
  void FailAppendsForTesting(Status status);

 private:
  struct Pending;
  AuditLog(storage::Storage& storage, std::string key, const Clock& clock);
  void LeadGroup(std::unique_lock<std::mutex>& lock);

  storage::Storage& storage_;
  const std::string key_;
  const Clock& clock_;

  std::mutex mutex_;
  std::condition_variable group_done_;
  std::deque<Pending*> queue_;
  bool leader_active_ = false;
  uint64_t last_sequence_ = 0;
  std::string last_hash_;
  int64_t last_micros_ = 0;
  Status injected_failure_;
};

// The canonical bytes hashed for an entry (exposed for tests that forge entries).
std::string CanonicalAuditBytes(const v1::AuditEntry& entry);

}  // namespace casecoord::auth
