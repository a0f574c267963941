// The one RocksDB database of a casecoord instance (one per municipality).
//
// Contract:
// - Every file is encrypted through our EnvelopeEncryptionProvider when a keyring is given (the
//   server always gives one; only benchmark baselines and tests open plaintext databases).
// - Open() inspects the directory first and refuses, changing nothing, a plaintext database opened
//   as encrypted, an encrypted one opened as plain, and files under a KEK that is not configured.
// - Commit() is atomic across column families and returns only after the WAL is synced: an
//   acknowledged write survives a crash. Concurrent committers share one fsync (group commit).
//   CommitUnsynced() is the one exception, for bulk loaders and benchmarks, never for writes that
//   are acknowledged to anyone.
// - Counters in ColumnFamily::kCounters are changed by merge (WriteBatch::Add, counters.h); every
//   open of the database, including restore and key rotation, registers their merge operator.
// - RocksDB's info log never becomes a file: it is routed to our structured logger (warnings and
//   errors only); keys hold identifiers, never personal data, so nothing personal reaches a log.
// - A failed write to the disk (say an EIO while syncing the write-ahead log) stops all writes:
//   write_state() leaves kWritable at once, on the failing commit's own thread, and commits fail
//   with UNAVAILABLE (STORAGE_UNAVAILABLE) while reads still work. A background thread then calls
//   RocksDB's DB::Resume() with back-off until it succeeds (kWritable again) or until it is clear
//   that only a restart can help (kNeedsRestart). Nothing acknowledged is lost either way; the
//   write that failed was not acknowledged, and may or may not be found after a restart (see
//   docs/architecture.md, "When a disk write fails").
//
// Thread safety: all methods may be called concurrently, except that the object must outlive every
// iterator it returned and must not be destroyed while calls are in flight.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "services/common/thread_annotations.h"
#include "services/storage/column_families.h"
#include "services/storage/encryption.h"
#include "services/storage/file_system.h"
#include "services/storage/key_spaces.h"

namespace casecoord::storage {

// Whether the database accepts writes.
enum class WriteState {
  kWritable,
  // A write to the disk failed; commits are refused while a background thread retries
  // DB::Resume().
  kRecovering,
  // RocksDB cannot resume in this process (a fatal error, or a failed log that Resume() would not
  // replace): commits are refused until the process is restarted, which replays the log.
  kNeedsRestart,
};
std::string_view WriteStateName(WriteState state);

struct StorageOptions {
  // Data directory; created (mode 0700) if missing and `create_if_missing`.
  std::string path;
  // Keys for encryption at rest. nullptr opens a plaintext database (benchmarks and tests only).
  std::shared_ptr<const Keyring> keyring;
  // Default: true.
  bool create_if_missing = true;
  // Shared block cache for all column families. Default: 64 MiB.
  size_t block_cache_bytes = size_t{64} << 20;
  // Recovery only (default false): a malformed counter value or delta counts as 0 instead of
  // failing the merge. A malformed counter otherwise fails flushes, then every commit and the next
  // open (counters.h); open once with this set, then rebuild the counters.
  bool tolerate_malformed_counters = false;
  // Default true: closing flushes every memtable, so the next open replays no write-ahead log.
  // False leaves recent writes only in the log, as a crash would (for tests of recovery).
  bool flush_on_close = true;
  // Called on every change of Storage::write_state(), with the error that stopped writes (OK when
  // writable again). Calls are serialised and come from the thread that saw the change: a
  // committing thread inside RocksDB's error handling, or the recovery thread. So it must return
  // quickly and must not call this Storage. Default: none.
  std::function<void(WriteState state, const Status& cause)> on_write_state_change;
  // Back-off of the recovery thread: the first DB::Resume() after `resume_first_delay`, then twice
  // the previous delay, at most `resume_max_delay`. The delay starts again from the first one only
  // after a commit has succeeded since the last recovery, so a disk that keeps failing is not
  // retried at the first delay forever. Defaults: 100 ms, 30 s.
  std::chrono::milliseconds resume_first_delay{100};
  std::chrono::milliseconds resume_max_delay{30000};
  // Tests only: makes the write-ahead log fail on demand (file_system.h). Default: none.
  std::shared_ptr<WalFaultInjector> wal_faults;
  // Tests only: journals what of each file was synced, for crash tests that drop the rest
  // (file_system.h, SyncJournal). Default: none.
  std::shared_ptr<SyncJournal> sync_journal;
};

struct StorageStats {
  bool encrypted = false;
  std::string cipher;          // empty when not encrypted
  std::string current_key_id;  // empty when not encrypted
  uint64_t live_data_bytes = 0;
  uint64_t estimated_keys = 0;
};

// What /metrics reports of the engine: sizes, compaction debt, write stalls and the block cache.
struct EngineMetrics {
  uint64_t sst_files_bytes = 0;  // every table file, live or awaiting deletion
  uint64_t live_data_bytes = 0;
  uint64_t memtable_bytes = 0;
  uint64_t pending_compaction_bytes = 0;
  uint64_t running_compactions = 0;
  bool writes_stopped = false;
  uint64_t delayed_write_rate = 0;  // bytes/s while writes are slowed; 0 otherwise
  uint64_t stall_micros = 0;        // time writes have waited on a stall since open
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  uint64_t block_cache_usage_bytes = 0;
  uint64_t block_cache_capacity_bytes = 0;
};

class Storage;

// kMeta keys that WriteBatch::DestroyRange leaves: MetaKey(prefix) + a random token.
inline constexpr const char* kErasePendingPrefix =
    key_spaces::kErasePending.name;  // → cf, begin, end
inline constexpr const char* kBackupsSupersededPrefix =
    key_spaces::kBackupsSuperseded.name;  // → ""
// The encoded kMeta key prefix of `kind` (key_encoding's String).
std::string MetaKey(const char* kind);

// A set of changes committed atomically by Storage::Commit: a record, its index entries, its
// statistics counters and its audit entry go in one batch.
class WriteBatch {
 public:
  explicit WriteBatch(const Storage& storage) : storage_(storage) {}
  void Put(ColumnFamily cf, std::string_view key, std::string_view value);
  void Delete(ColumnFamily cf, std::string_view key);
  // Deletes every key in [begin, end) of `cf` that exists when the batch commits, without reading
  // them (so it also clears keys whose values are unreadable). Requires begin <= end.
  void DeleteRange(ColumnFamily cf, std::string_view begin, std::string_view end);
  // Adds `delta` to the counter `key` (absent counts as 0) when the batch commits, without reading
  // it: concurrent Adds to one counter from many committers all count (see counters.h). `cf` must
  // be ColumnFamily::kCounters, the only family with the merge operator; any other aborts, since
  // every later read of the key would fail. The key must not also be written with Put.
  void Add(ColumnFamily cf, std::string_view key, int64_t delta);
  // Deletes [begin, end) of `cf` as a destroyed secret (e.g. a purged case's key). Besides the
  // deletion it records, in the same batch, that live files must be rewritten without the old
  // values (Storage::EraseDestroyed) and that every backup taken before must be deleted once a
  // newer one exists (CreateBackup does both), so the values end up in no file this server keeps.
  void DestroyRange(ColumnFamily cf, std::string_view begin, std::string_view end);
  // Runs `hook` on the committing thread once this batch (or a batch it was appended to) has been
  // committed, before Commit returns; never if the commit fails. For in-memory views derived from
  // what the batch writes, so that they change exactly when the records do. Hooks run in the order
  // they were added and must not commit anything themselves.
  void AfterCommit(std::function<void()> hook) { after_commit_.push_back(std::move(hook)); }
  // Adds every change of `other` (a batch of the same Storage) after this batch's own, and its
  // AfterCommit hooks after this batch's.
  void Append(const WriteBatch& other);
  size_t count() const { return static_cast<size_t>(batch_.Count()); }

 private:
  friend class Storage;
  const Storage& storage_;
  rocksdb::WriteBatch batch_;
  std::vector<std::function<void()>> after_commit_;
};

class Storage {
 public:
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);
  // Opens a database that must already exist (NO_DATABASE otherwise), with default options.
  static Result<std::unique_ptr<Storage>> OpenExisting(const std::string& path,
                                                       std::shared_ptr<const Keyring> keyring);
  // Closes the column families and the database; pending writes were all synced already.
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Atomically applies `batch`; returns after the WAL is synced (never with disableWAL). Fails with
  // UNAVAILABLE (STORAGE_UNAVAILABLE) unless write_state() is kWritable.
  Status Commit(WriteBatch& batch);

  // For bulk loaders and benchmarks only, never for a write that is acknowledged to anyone:
  // atomically applies `batch` and writes it to the WAL (as Commit does) without waiting for the
  // WAL to be synced. The write survives a crash of this process, since the WAL is in the
  // operating system's hands, but not a crash of the machine before the WAL is next synced (by a
  // later Commit, which syncs the WAL up to its own write, or by a flush). It exists because a
  // loader that must commit each record before it can prepare the next (the case store reads its
  // sequences from storage) would otherwise pay one fsync per record.
  Status CommitUnsynced(WriteBatch& batch);

  // std::nullopt if the key is absent. Reads the latest state, or the view `at` (see Snapshot).
  Result<std::optional<std::string>> Get(ColumnFamily cf, std::string_view key,
                                         const rocksdb::Snapshot* at = nullptr) const;

  // The value of the kCounters counter `key` (see WriteBatch::Add); 0 if absent. A value or delta
  // that is not a counter is DATA_LOSS (STORAGE_CORRUPTION or COUNTER_CORRUPT), never a crash.
  Result<int64_t> GetCounter(std::string_view key) const;

  // A consistent iterator over one column family (of the view `at` if given); the caller owns it.
  std::unique_ptr<rocksdb::Iterator> NewIterator(ColumnFamily cf,
                                                 const rocksdb::Snapshot* at = nullptr) const;

  // A point-in-time view of every column family, for reads that must agree with each other (an
  // iterator alone is consistent only within its own column family). Released when the last
  // copy is destroyed, which must happen before this Storage is.
  std::shared_ptr<const rocksdb::Snapshot> Snapshot() const;

  // Flushes memtables and rewrites every table file (used by key rotation).
  Status CompactAll();

  // Makes sure no live file still holds a value of a range destroyed by WriteBatch::DestroyRange:
  // flushes every memtable, so that the write-ahead logs that held them are retired, and rewrites
  // the table files overlapping each range down to the last level. Ranges done are forgotten;
  // calling it with none pending costs one read. Run after a destroying commit, at start-up and
  // before every backup.
  Status EraseDestroyed();

  StorageStats Stats() const;
  // Reads RocksDB's properties and statistics; never blocks on writes.
  EngineMetrics Metrics() const;
  bool encrypted() const { return keyring_ != nullptr; }
  // The keys the files are encrypted with; null for a plaintext database.
  const std::shared_ptr<const Keyring>& keyring() const { return keyring_; }
  WriteState write_state() const { return write_state_.load(std::memory_order_acquire); }
  const std::string& path() const { return path_; }

  // For services/storage (backup, rotation) only: the raw database and its Env.
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::Env* env() const;
  rocksdb::ColumnFamilyHandle* handle(ColumnFamily cf) const {
    return handles_[static_cast<size_t>(cf)];
  }
  // The handle with RocksDB's column family id `id`, or nullptr.
  rocksdb::ColumnFamilyHandle* handle_by_id(uint32_t id) const;

 private:
  class ErrorListener;

  Storage() = default;
  static void RunAfterCommit(WriteBatch& batch);
  Status Write(const rocksdb::WriteOptions& options, WriteBatch& batch);
  // Recovery from write errors (storage.cc, "Recovery").
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, const rocksdb::Status& error);
  void RecoveryLoop();
  bool ResumeIsSafe() const;
  void SetWriteState(WriteState state, const Status& cause) CASECOORD_REQUIRES(recovery_mutex_);

  std::string path_;
  bool flush_on_close_ = true;
  std::shared_ptr<const Keyring> keyring_;
  std::unique_ptr<rocksdb::Env> env_;  // must outlive db_
  std::shared_ptr<WalGuardState> wal_state_;
  std::unique_ptr<rocksdb::DB> db_;
  std::array<rocksdb::ColumnFamilyHandle*, static_cast<size_t>(ColumnFamily::kCount)> handles_{};
  std::vector<rocksdb::ColumnFamilyHandle*> extra_handles_;  // families this build does not know

  std::atomic<WriteState> write_state_{WriteState::kWritable};
  // Set by every successful commit; lets the recovery thread restart its back-off (see
  // StorageOptions::resume_first_delay).
  std::atomic<bool> committed_since_resume_{true};
  std::function<void(WriteState, const Status&)> on_write_state_change_;
  std::chrono::milliseconds resume_first_delay_{100};
  std::chrono::milliseconds resume_max_delay_{30000};
  Mutex recovery_mutex_;
  std::condition_variable recovery_wake_;
  bool recovery_stopping_ CASECOORD_GUARDED_BY(recovery_mutex_) = false;
  uint64_t errors_seen_ CASECOORD_GUARDED_BY(recovery_mutex_) = 0;  // counts background errors
  Status last_error_ CASECOORD_GUARDED_BY(recovery_mutex_);
  std::thread recovery_thread_;
};

// Converts a RocksDB status into ours (reason STORAGE_<CODE>).
Status FromRocksStatus(const rocksdb::Status& status, std::string_view context);

// A RocksDB logger that forwards warnings and errors to casecoord::log instead of a LOG file.
std::shared_ptr<rocksdb::Logger> NewRoutedRocksLogger();

}  // namespace casecoord::storage
