// The tamper-evident audit trail.
//
// Every entry has a gap-free sequence number, the hash of its predecessor, its own hash
// SHA-256(previous hash || canonical fields) and an HMAC-SHA256 of that hash under the audit key,
// which is not stored with the data. A signed head record (last sequence and hash) is written in
// the same batch, so truncating the tail is detected too. Verify() walks the whole chain.
//
// Appends are the only way entries are written. Each commits the entry together with the caller's
// changes in one synced batch. One committer thread takes everything queued while the previous
// batch was being synced and commits it as the next batch (one fsync for the group), so the chain
// stays in strict sequence order and callers need not hold a thread while they wait: AppendAsync
// returns at once and calls back when the group is durable. If a commit fails, no entry of its
// group exists and every callback gets the error.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

// The audit key's check value, in the data directory beside the database
// (storage::kAuditKeyCheckFileName), so that a wrong audit key is refused before the database is
// opened: an open replays the write-ahead log and rewrites files. The file is one line,
// "casecoord-audit-key-check v1 <hex>", the hex being the first 16 bytes of
// HMAC-SHA256(key, "casecoord-audit-key-check"); like the KEK check in file headers it tells
// nothing about the key. AuditLog::Open writes it once the head has verified (a new database, or
// the first open of a directory written before the file existed).
//
// OK if `data_dir` has no such file or if it matches `key`; AUDIT_KEY_MISMATCH if it does not
// match; AUDIT_KEY_CHECK_CORRUPT if it cannot be read or parsed. Reads nothing else.
Status CheckAuditKeyFile(const std::string& data_dir, const std::string& key);

class AuditLog {
 public:
  // `key` is the HMAC key (at least 32 bytes). Checks it against the data directory's audit key
  // check file and the signed head (AUDIT_KEY_MISMATCH), reads the chain head from `storage`, and
  // writes the check file if it is missing.
  static Result<std::unique_ptr<AuditLog>> Open(storage::Storage& storage, std::string key,
                                                const Clock& clock = SystemClock::Instance());
  ~AuditLog();

  // Queues `record` with `changes` (may be null; must stay valid until `done` runs) and returns.
  // `done` runs on the committer thread once both are durable, or with the error; keep it short.
  void AppendAsync(AuditRecord record, storage::WriteBatch* changes,
                   std::function<void(Status)> done);

  // AppendAsync, waiting for the outcome.
  Status Append(const AuditRecord& record, storage::WriteBatch* changes);

  AuditVerification Verify() const;
  Result<AuditPage> List(const AuditQuery& query) const;

  // Makes every following Append fail with `status` (OK to stop): proves that a read whose audit
  // entry cannot be written is refused.
  void FailAppendsForTesting(Status status);

 private:
  struct Pending {
    AuditRecord record;
    storage::WriteBatch* changes;
    std::function<void(Status)> done;
  };
  AuditLog(storage::Storage& storage, std::string key, const Clock& clock);
  void CommitLoop();
  // Builds and commits one group; returns the outcome. Called on the committer thread only.
  Status CommitGroup(const std::deque<Pending>& group);

  storage::Storage& storage_;
  const std::string key_;
  const Clock& clock_;

  std::mutex mutex_;
  std::condition_variable work_available_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  // Chain state; written by the committer thread only, read under mutex_ by Open().
  uint64_t last_sequence_ = 0;
  std::string last_hash_;
  int64_t last_micros_ = 0;
  Status injected_failure_;
  std::thread committer_;  // last: started once everything above is initialised
};

// The canonical bytes hashed for an entry (exposed for tests that forge entries).
std::string CanonicalAuditBytes(const v1::AuditEntry& entry);

}  // namespace casecoord::auth
