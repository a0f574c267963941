// The tamper-evident audit trail.
//
// Every entry has a gap-free sequence number, the hash of its predecessor, its own hash (SHA-256
// of the whole entry but its `hash` and `mac`; see chain_format in identity.proto) and an
// HMAC-SHA256 of that hash under the audit key, which is not stored with the data. A head record
// (last sequence and hash, with an HMAC) is written in the same batch. Verify() walks the chain.
//
// The next sequence number comes from the entries themselves (the last key of the audit column
// family), never from the head. Open() refuses a trail whose head does not sign its last entry --
// the head missing (AUDIT_HEAD_MISSING), older than the entries (AUDIT_HEAD_BEHIND), newer than
// them (AUDIT_TRUNCATED) or naming another hash (AUDIT_HEAD_MISMATCH) -- because appending to it
// would overwrite entries or hide what was lost. An operator continues such a trail with Recover(),
// which records the finding and the operator's reason as an entry of the trail.
//
// What the database alone cannot show is entries and head rolled back together (an old backup
// restored, or every entry deleted with the head): the result is a consistent, shorter trail. A
// head kept outside the database (a witness, "SEQ:HASH") detects it: Verify(expected) reports the
// trail broken unless entry SEQ is in it with that hash. The server logs its head at start-up, on a
// schedule and at shutdown, and records it with every backup. Anyone holding the audit key can
// forge a whole trail; the key is what makes the chain evidence.
//
// Appends are the only way calls write entries. Each commits the entry together with the caller's
// changes in one synced batch. One committer thread takes everything queued while the previous
// batch was being synced and commits it as the next batch (one fsync for the group), so the chain
// stays in strict sequence order and callers need not hold a thread while they wait: AppendAsync
// returns at once and calls back when the group is durable. If a commit fails, no entry of its
// group exists and every callback gets the error.
//
// commit_stats() counts the groups committed and the entries in them since Open(), so that a
// benchmark can report how many entries shared one fsync: two relaxed atomic increments per
// durable group, read without the lock (so the two counts may be one group apart while appends
// run). They are observation only and change nothing about when or how entries commit.
//
// Thread safety: all methods may be called concurrently. Recover() must not run while an AuditLog
// is open on the same storage (the server holds the database's lock, so the offline command
// cannot).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "services/common/clock.h"
#include "services/common/metrics.h"
#include "services/common/status.h"
#include "services/common/thread_annotations.h"
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
  // What a list answer or stream message returned (AuditEntry.returned_records): distinct names,
  // each indexed like `resource`. The gatekeeper bounds them (kMaxReturnedRecords).
  std::vector<std::string> returned_records;
  // The transport of a call ("grpc", "http"; empty for the server's own entries) and, for a
  // browser's call, the public id of its sign-in session (AuditEntry.channel, .session_id).
  std::string channel = {};
  std::string session_id = {};
};

// One point of the chain: an entry's sequence number and hash. The empty trail's head is sequence
// 0 with 32 zero bytes.
struct AuditHead {
  uint64_t sequence = 0;
  std::string hash = std::string(32, '\0');
};

// "SEQ:HASH" with the hash in 64 lowercase hex digits: the text an operator keeps as a witness.
std::string FormatAuditHead(const AuditHead& head);

// Parses FormatAuditHead's text (hex digits in either case, nothing else around it).
// INVALID_ARGUMENT on `field` otherwise; never quotes the input.
Result<AuditHead> ParseAuditHead(std::string_view text, const std::string& field);

struct AuditVerification {
  bool intact = true;
  int64_t entries_checked = 0;
  int64_t first_broken_sequence = 0;
  std::string problem;
  // The last entry that verified: the trail's head when intact.
  AuditHead head;
};

struct AuditRecovery {
  std::string finding;      // the reason Open() gave, e.g. "AUDIT_HEAD_MISSING"
  std::string description;  // what was found, e.g. which entries the head is missing for
  AuditHead head;           // the new head: the entry that records the recovery
};

// What AuditLog::commit_stats() reports: durable groups (one synced batch each) and the entries in
// them, both counted since the log was opened; failed groups are not counted.
struct AuditCommitStats {
  uint64_t groups = 0;
  uint64_t entries = 0;
};

struct AuditQuery {
  // At most one of resource and user_id. A resource matches the entries that acted on it and
  // those that returned it.
  std::string resource;
  std::string user_id;
  std::optional<std::chrono::system_clock::time_point> start;  // inclusive
  std::optional<std::chrono::system_clock::time_point> end;    // exclusive
  uint64_t after_sequence = 0;                                 // paging
  int limit = 50;
};

// At most `limit` entries and, past the first, at most kMaxAuditPageBytes of them, so that a page
// of entries that each returned a long list still fits in one answer.
inline constexpr size_t kMaxAuditPageBytes = size_t{2} * 1024 * 1024;

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
  // check file first (AUDIT_KEY_MISMATCH), then continues the chain after the last stored entry.
  // Refuses (DATA_LOSS with one of the reasons above, or AUDIT_KEY_MISMATCH when the head does not
  // verify under `key`) a trail whose head does not sign that entry, writing nothing. Writes the
  // check file if it is missing. Costs a few reads, not a walk of the chain.
  static Result<std::unique_ptr<AuditLog>> Open(storage::Storage& storage, std::string key,
                                                const Clock& clock = SystemClock::Instance());

  // The operator's way past a finding of Open(): appends an entry after the last stored one (user
  // "operator", method "caseserver/audit-recover", `detail` naming the finding and `reason`) and
  // signs the head at it, in one synced batch. Never rewrites or removes an entry, so whatever
  // Verify() reported before it still reports. Refuses an empty `reason` or one over 500 bytes or
  // not UTF-8 (INVALID_ARGUMENT), a trail Open() accepts (AUDIT_NOTHING_TO_RECOVER), and a last
  // entry that does not verify under `key` (AUDIT_LAST_ENTRY_UNVERIFIED: a wrong key, or an entry
  // the new head must not vouch for).
  static Result<AuditRecovery> Recover(storage::Storage& storage, const std::string& key,
                                       std::string_view reason,
                                       const Clock& clock = SystemClock::Instance());
  ~AuditLog();

  // Queues `record` with `changes` (may be null; must stay valid until `done` runs) and returns.
  // `done` runs on the committer thread once both are durable, or with the error; keep it short.
  void AppendAsync(AuditRecord record, storage::WriteBatch* changes,
                   std::function<void(Status)> done);

  // AppendAsync, waiting for the outcome.
  Status Append(const AuditRecord& record, storage::WriteBatch* changes);

  // The last committed entry.
  AuditHead head() const;

  // Groups and entries committed since Open() (see the file comment). Never blocks.
  AuditCommitStats commit_stats() const {
    return AuditCommitStats{groups_committed_.load(std::memory_order_relaxed),
                            entries_committed_.load(std::memory_order_relaxed)};
  }

  // Per committed group, for /metrics: how many entries shared one synced write, and how long
  // that write took (the fsync dominates it).
  const metrics::Histogram& group_entries() const { return group_entries_; }
  const metrics::Histogram& commit_seconds() const { return commit_seconds_; }

  // VerifyAuditTrail over this log's storage and key.
  AuditVerification Verify(const std::optional<AuditHead>& expected = std::nullopt) const;
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
  Status CommitGroup(const std::deque<Pending>& group) CASECOORD_EXCLUDES(mutex_);

  storage::Storage& storage_;
  const std::string key_;
  const Clock& clock_;

  mutable Mutex mutex_;
  std::condition_variable work_available_;
  std::deque<Pending> queue_ CASECOORD_GUARDED_BY(mutex_);
  bool stopping_ CASECOORD_GUARDED_BY(mutex_) = false;
  // Chain state; written by the committer thread only, read by others.
  uint64_t last_sequence_ CASECOORD_GUARDED_BY(mutex_) = 0;
  std::string last_hash_ CASECOORD_GUARDED_BY(mutex_);
  int64_t last_micros_ CASECOORD_GUARDED_BY(mutex_) = 0;
  Status injected_failure_ CASECOORD_GUARDED_BY(mutex_);
  std::atomic<uint64_t> groups_committed_{0};
  std::atomic<uint64_t> entries_committed_{0};
  metrics::Histogram group_entries_{metrics::CountBuckets()};
  metrics::Histogram commit_seconds_{metrics::LatencyBuckets()};
  std::thread committer_;  // last: started once everything above is initialised
};

// Walks the whole chain in `storage` in one pass (entries and head read from one snapshot, so it
// may run while entries are appended): every entry must parse without unknown fields, follow its
// predecessor, carry the hash of its content and a MAC under `key`; the head must sign the last
// one. With `expected` (a witness), entry expected->sequence must also exist with that hash.
// Needs no open AuditLog, so it also reports a trail that Open() refuses.
AuditVerification VerifyAuditTrail(const storage::Storage& storage, const std::string& key,
                                   const std::optional<AuditHead>& expected = std::nullopt);

// The last stored entry's sequence and hash, as stored (unverified; needs no key); the empty
// head if there is none. For recording the head with an offline backup.
Result<AuditHead> LastAuditEntry(const storage::Storage& storage);

// The bytes a chain_format 0 entry's hash covers (exposed for tests that forge entries, and that
// write entries as servers before chain_format did).
std::string CanonicalAuditBytes(const v1::AuditEntry& entry);

}  // namespace casecoord::auth
