#include "services/storage/storage.h"

#include <openssl/rand.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <filesystem>

#include "services/common/log.h"
#include "services/storage/counters.h"
#include "services/storage/key_encoding.h"

namespace casecoord::storage {

std::string MetaKey(const char* kind) {
  std::string key;
  AppendString(&key, kind);
  return key;
}

namespace {

class RoutedRocksLogger : public rocksdb::Logger {
 public:
  RoutedRocksLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buffer[1024];
    std::vsnprintf(buffer, sizeof(buffer), format, ap);
    log::Write(
        level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? log::Level::kError : log::Level::kWarning,
        "rocksdb", {{"detail", buffer}});
  }
};

constexpr size_t kCounterMemtableBytes = 1 << 20;

rocksdb::Options BaseOptions(size_t block_cache_bytes) {
  rocksdb::Options options;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;
  options.bytes_per_sync = 1 << 20;
  options.info_log = NewRoutedRocksLogger();
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Memory and start-up stay bounded whatever the write load: all memtables together flush at
  // 64 MiB (each column family would otherwise keep up to its own 64 MiB), and the write-ahead
  // log never holds more than 64 MiB that a start-up would have to replay.
  options.db_write_buffer_size = 64 << 20;
  options.max_total_wal_size = 64 << 20;
  // RocksDB's own resume loop would call Resume() even when that is unsafe (see
  // Storage::ResumeIsSafe); the storage's recovery thread resumes instead.
  options.max_bgerror_resume_count = 0;
  // Tickers only (no timers): the block cache's hits and the write stalls for /metrics, at the cost
  // of a per-core counter increment.
  options.statistics = rocksdb::CreateDBStatistics();
  options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptTimers);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // No Bloom filters in the last level, where nearly all the data is: reads there are for keys
  // that exist (a case, its key, its entries), which a filter cannot spare; the filters would
  // hold ~10 bits per key in memory outside the block cache (27 MiB at a million cases) and
  // double while a compaction has both its inputs and its outputs open.
  options.optimize_filters_for_hits = true;
  table.format_version = 5;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Empties WAL files that inspection found hold nothing (see DirectoryInspection), so that RocksDB
// reads them as empty logs.
Status EmptyWalFiles(const std::vector<std::string>& files, const char* why) {
  for (const auto& file : files) {
    std::error_code error;
    std::filesystem::resize_file(file, 0, error);
    if (error) {
      return Status(Reason::kIoError, "cannot empty WAL " + file + ": " + error.message());
    }
    log::Warning(why, {{"file", file}});
  }
  return Status::Ok();
}

const char* ReasonName(rocksdb::BackgroundErrorReason reason) {
  switch (reason) {
    case rocksdb::BackgroundErrorReason::kFlush:
      return "flush";
    case rocksdb::BackgroundErrorReason::kCompaction:
      return "compaction";
    case rocksdb::BackgroundErrorReason::kWriteCallback:
      return "write-ahead log";
    case rocksdb::BackgroundErrorReason::kMemTable:
      return "memtable switch";
    case rocksdb::BackgroundErrorReason::kManifestWrite:
      return "manifest";
    case rocksdb::BackgroundErrorReason::kFlushNoWAL:
      return "flush without log";
    case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
      return "manifest without log";
  }
  return "unknown";
}

}  // namespace

std::string_view WriteStateName(WriteState state) {
  switch (state) {
    case WriteState::kWritable:
      return "writable";
    case WriteState::kRecovering:
      return "recovering";
    case WriteState::kNeedsRestart:
      return "needs-restart";
  }
  return "unknown";
}

// Hears RocksDB's background errors on the thread that hit them (for a failed commit, before the
// commit returns) and keeps RocksDB from resuming by itself.
class Storage::ErrorListener : public rocksdb::EventListener {
 public:
  explicit ErrorListener(Storage* storage) : storage_(storage) {}
  const char* Name() const override { return "CasecoordErrorListener"; }
  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    storage_->OnBackgroundError(reason, *error);
  }
  // Out of space would otherwise start RocksDB's own recovery, which resumes without the check in
  // Storage::ResumeIsSafe.
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* auto_recovery) override {
    error.PermitUncheckedError();
    *auto_recovery = false;
  }

 private:
  Storage* const storage_;
};

std::shared_ptr<rocksdb::Logger> NewRoutedRocksLogger() {
  return std::make_shared<RoutedRocksLogger>();
}

Status FromRocksStatus(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(context) + ": " + status.ToString();
  if (status.IsNotFound()) return Status(Reason::kStorageNotFound, message);
  if (status.IsCorruption()) return Status(Reason::kStorageCorruption, message);
  if (status.IsInvalidArgument()) {
    return Status(Reason::kStorageInvalidArgument, message);
  }
  if (status.IsBusy() || status.IsTryAgain() || status.IsTimedOut()) {
    return Status(Reason::kStorageBusy, message);
  }
  if (status.IsIOError() && status.ToString().find("lock") != std::string::npos) {
    return Status(Reason::kStorageLocked,
                  message + " (is another caseserver using this data directory?)");
  }
  return Status(Reason::kStorageError, message);
}

void WriteBatch::Put(ColumnFamily cf, std::string_view key, std::string_view value) {
  batch_.Put(storage_.handle(cf), rocksdb::Slice(key.data(), key.size()),
             rocksdb::Slice(value.data(), value.size()));
}

void WriteBatch::Delete(ColumnFamily cf, std::string_view key) {
  batch_.Delete(storage_.handle(cf), rocksdb::Slice(key.data(), key.size()));
}

void WriteBatch::DeleteRange(ColumnFamily cf, std::string_view begin, std::string_view end) {
  batch_.DeleteRange(storage_.handle(cf), rocksdb::Slice(begin.data(), begin.size()),
                     rocksdb::Slice(end.data(), end.size()));
}

void WriteBatch::DestroyRange(ColumnFamily cf, std::string_view begin, std::string_view end) {
  DeleteRange(cf, begin, end);
  // One pending erasure and one backup supersession per destroyed range, keyed by a random
  // token so that concurrent destroyers never overwrite each other's entries.
  unsigned char token[16];
  RAND_bytes(token, sizeof(token));
  const std::string id(reinterpret_cast<const char*>(token), sizeof(token));
  std::string range;
  AppendUint64(&range, static_cast<uint64_t>(cf));
  AppendString(&range, begin);
  AppendString(&range, end);
  Put(ColumnFamily::kMeta, MetaKey(kErasePendingPrefix) + id, range);
  Put(ColumnFamily::kMeta, MetaKey(kBackupsSupersededPrefix) + id, "");
}

void WriteBatch::Add(ColumnFamily cf, std::string_view key, int64_t delta) {
  if (cf != ColumnFamily::kCounters) {
    log::Error("WriteBatch::Add on a column family without the counter merge operator",
               {{"column_family", std::string(ColumnFamilyName(cf))}});
    std::abort();
  }
  batch_.Merge(storage_.handle(cf), rocksdb::Slice(key.data(), key.size()),
               EncodeCounterValue(delta));
}

void WriteBatch::Append(const WriteBatch& other) {
  // Replays the other batch's records; RocksDB has no public batch concatenation.
  struct Replay : rocksdb::WriteBatch::Handler {
    const Storage& storage;
    rocksdb::WriteBatch& target;
    Replay(const Storage& s, rocksdb::WriteBatch& t) : storage(s), target(t) {}
    rocksdb::Status PutCF(uint32_t id, const rocksdb::Slice& key,
                          const rocksdb::Slice& value) override {
      return target.Put(storage.handle_by_id(id), key, value);
    }
    rocksdb::Status DeleteCF(uint32_t id, const rocksdb::Slice& key) override {
      return target.Delete(storage.handle_by_id(id), key);
    }
    rocksdb::Status DeleteRangeCF(uint32_t id, const rocksdb::Slice& begin,
                                  const rocksdb::Slice& end) override {
      return target.DeleteRange(storage.handle_by_id(id), begin, end);
    }
    rocksdb::Status MergeCF(uint32_t id, const rocksdb::Slice& key,
                            const rocksdb::Slice& value) override {
      return target.Merge(storage.handle_by_id(id), key, value);
    }
  } replay(storage_, batch_);
  auto status = other.batch_.Iterate(&replay);
  if (!status.ok()) std::abort();  // only the records replayed above are ever written
  after_commit_.insert(after_commit_.end(), other.after_commit_.begin(), other.after_commit_.end());
}

namespace {

// Our column families, then those of the database this build does not know (`existing` lists
// what the database has).
std::vector<rocksdb::ColumnFamilyDescriptor> ColumnFamilyDescriptors(
    const rocksdb::Options& db_options, const std::vector<std::string>& existing,
    bool tolerate_malformed_counters) {
  // Every open (server, restore, key rotation) comes here, so the counters can always be merged.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (auto name : kColumnFamilyNames) {
    rocksdb::ColumnFamilyOptions cf_options(db_options);
    if (name == ColumnFamilyName(ColumnFamily::kCounters)) {
      cf_options.merge_operator = NewCounterMergeOperator(tolerate_malformed_counters);
      // Every counted event adds a few merge operands to a couple of thousand hot keys, and a read
      // folds every operand still in the memtable: with a 64 MiB memtable a yearly report slowed
      // from ~2 ms to over 100 ms between flushes (bench/stats_bench). A small memtable is
      // flushed, operands folded, long before that.
      cf_options.write_buffer_size = kCounterMemtableBytes;
    }
    descriptors.emplace_back(std::string(name), cf_options);
  }
  for (const auto& name : existing) {
    bool known = false;
    for (auto ours : kColumnFamilyNames) known = known || ours == name;
    if (!known) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
  }
  return descriptors;
}

}  // namespace

Result<std::unique_ptr<Storage>> Storage::Open(const StorageOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("data_dir", "must not be empty");
  auto inspection = InspectDataDirectory(options.path, options.keyring.get());
  if (!inspection.ok()) return inspection.status();
  if (!inspection->has_database && !options.create_if_missing) {
    return Status(Reason::kNoDatabase, "no database in " + options.path);
  }
  CASECOORD_RETURN_IF_ERROR(
      EmptyWalFiles(inspection->torn_wal_files,
                    "emptied a WAL file left shorter than its encryption header by a crash"));
  CASECOORD_RETURN_IF_ERROR(EmptyWalFiles(
      inspection->unwritten_wal_files,
      "emptied a WAL file that a power failure left zero-filled: it was never synced, so it held "
      "nothing acknowledged"));

  std::error_code error;
  std::filesystem::create_directories(options.path, error);
  std::filesystem::permissions(options.path, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);
  if (error) {
    return Status(Reason::kIoError, "cannot create " + options.path + ": " + error.message());
  }

  std::unique_ptr<Storage> storage(new Storage());
  storage->path_ = options.path;
  storage->flush_on_close_ = options.flush_on_close;
  storage->keyring_ = options.keyring;
  storage->on_write_state_change_ = options.on_write_state_change;
  storage->resume_first_delay_ = std::max(options.resume_first_delay, std::chrono::milliseconds(1));
  storage->resume_max_delay_ = std::max(options.resume_max_delay, storage->resume_first_delay_);
  StorageEnv env =
      NewStorageEnv(options.path, options.keyring, options.wal_faults, options.sync_journal);
  storage->env_ = std::move(env.env);
  storage->wal_state_ = std::move(env.wal_state);

  rocksdb::Options db_options = BaseOptions(options.block_cache_bytes);
  db_options.env = storage->env();
  db_options.create_if_missing = options.create_if_missing;
  db_options.listeners.push_back(std::make_shared<ErrorListener>(storage.get()));

  std::vector<std::string> existing;
  if (inspection->has_database) {
    auto listed = rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing);
    if (!listed.ok()) return FromRocksStatus(listed, "listing column families");
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors =
      ColumnFamilyDescriptors(db_options, existing, options.tolerate_malformed_counters);

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  auto opened = rocksdb::DB::Open(rocksdb::DBOptions(db_options), options.path, descriptors,
                                  &handles, &raw_db);
  if (!opened.ok()) return FromRocksStatus(opened, "opening " + options.path);
  storage->db_.reset(raw_db);
  for (size_t i = 0; i < handles.size(); ++i) {
    if (i < storage->handles_.size()) {
      storage->handles_[i] = handles[i];
    } else {
      storage->extra_handles_.push_back(handles[i]);
    }
  }
  storage->recovery_thread_ = std::thread([raw = storage.get()] { raw->RecoveryLoop(); });
  return storage;
}

Result<std::unique_ptr<Storage>> Storage::OpenExisting(const std::string& path,
                                                       std::shared_ptr<const Keyring> keyring) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  options.create_if_missing = false;
  return Open(options);
}

Storage::~Storage() {
  if (recovery_thread_.joinable()) {
    {
      MutexLock lock(recovery_mutex_);
      recovery_stopping_ = true;
    }
    recovery_wake_.notify_all();
    recovery_thread_.join();  // waits for a Resume() in progress
  }
  if (!db_) return;
  // Flushed memtables make the next open quick: nothing to replay from the write-ahead log.
  if (flush_on_close_) {
    std::vector<rocksdb::ColumnFamilyHandle*> all;
    for (auto* handle : handles_) {
      if (handle != nullptr) all.push_back(handle);
    }
    all.insert(all.end(), extra_handles_.begin(), extra_handles_.end());
    auto flushed = db_->Flush(rocksdb::FlushOptions(), all);
    if (!flushed.ok()) log::Warning("flush before close failed", {{"error", flushed.ToString()}});
  }
  for (auto* handle : handles_) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
  }
  for (auto* handle : extra_handles_) db_->DestroyColumnFamilyHandle(handle);
  auto closed = db_->Close();
  if (!closed.ok()) log::Error("closing the database failed", {{"error", closed.ToString()}});
  db_.reset();
}

rocksdb::ColumnFamilyHandle* Storage::handle_by_id(uint32_t id) const {
  for (auto* handle : handles_) {
    if (handle != nullptr && handle->GetID() == id) return handle;
  }
  for (auto* handle : extra_handles_) {
    if (handle->GetID() == id) return handle;
  }
  return nullptr;
}

rocksdb::Env* Storage::env() const { return env_ ? env_.get() : rocksdb::Env::Default(); }

Status Storage::Commit(WriteBatch& batch) {
  rocksdb::WriteOptions write_options;
  write_options.sync = true;  // acknowledged means durable; concurrent writers share the fsync
  return Write(write_options, batch);
}

Status Storage::CommitUnsynced(WriteBatch& batch) {
  rocksdb::WriteOptions write_options;
  write_options.sync = false;  // see storage.h: loaders only; the WAL is still written
  return Write(write_options, batch);
}

Status Storage::Write(const rocksdb::WriteOptions& options, WriteBatch& batch) {
  // Refused here, not only by RocksDB: after Resume() the newest log may still be the one that
  // failed (ResumeIsSafe), and appending to it would trip an assertion in Debian's RocksDB.
  if (WriteState state = write_state(); state != WriteState::kWritable) {
    MutexLock lock(recovery_mutex_);
    return Status(Reason::kStorageUnavailable, "commit refused: the database is " +
                                                   std::string(WriteStateName(state)) + " after " +
                                                   last_error_.ToString());
  }
  auto written = db_->Write(options, &batch.batch_);
  if (!written.ok()) {
    if (write_state() != WriteState::kWritable) {
      return Status(Reason::kStorageUnavailable, "commit failed: " + written.ToString() +
                                                     "; writes are refused until the " +
                                                     "database resumes");
    }
    return FromRocksStatus(written, "commit");
  }
  if (!committed_since_resume_.load(std::memory_order_relaxed)) {
    committed_since_resume_.store(true, std::memory_order_relaxed);
  }
  RunAfterCommit(batch);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Recovery
//
// What RocksDB 7.8 does with a failed write (db/error_handler.cc): an I/O error on the write-ahead
// log stops all writes. Our file system scopes such errors to the file (file_system.h), which makes
// them "hard" errors that DB::Resume() clears: it flushes the memtables to table files, which
// switches to a new log file, and the log that failed is deleted once nothing needs it. What the
// failed commit wrote is in no memtable, so it is in no table file; it survives only if it reached
// the old log and the process dies before the flush. Two cases are left to a restart
// (kNeedsRestart): errors RocksDB classes as fatal (Resume() refuses them), and a failed log while
// every memtable is empty, when Resume() would switch no log and the next commit would append to
// the failed one (see ResumeIsSafe).

void Storage::OnBackgroundError(rocksdb::BackgroundErrorReason reason,
                                const rocksdb::Status& error) {
  MutexLock lock(recovery_mutex_);
  ++errors_seen_;
  last_error_ = FromRocksStatus(error, std::string("RocksDB ") + ReasonName(reason));
  if (write_state() != WriteState::kWritable) {
    // Typically a failed Resume() attempt; the recovery thread reports those too.
    log::Warning("another storage error while writes are stopped",
                 {{"path", path_}, {"during", ReasonName(reason)}, {"error", error.ToString()}});
  } else {
    log::Error("a write to the disk failed: the database refuses writes until it resumes",
               {{"path", path_}, {"during", ReasonName(reason)}, {"error", error.ToString()}});
    SetWriteState(WriteState::kRecovering, last_error_);
  }
  recovery_wake_.notify_all();
}

void Storage::SetWriteState(WriteState state, const Status& cause) {
  if (write_state() == state) return;
  write_state_.store(state, std::memory_order_release);
  if (on_write_state_change_) on_write_state_change_(state, cause);
}

bool Storage::ResumeIsSafe() const {
  if (!wal_state_->newest_wal_failed()) return true;
  // Resume() switches to a new log only from a column family whose memtable holds something
  // (DBImpl::FlushMemTable); with every memtable empty it would keep appending to the failed log.
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  all.insert(all.end(), extra_handles_.begin(), extra_handles_.end());
  for (auto* handle : all) {
    uint64_t entries = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kNumEntriesActiveMemTable, &entries) &&
        entries > 0) {
      return true;
    }
  }
  return false;
}

void Storage::RecoveryLoop() {
  MutexLock lock(recovery_mutex_);
  auto delay = resume_first_delay_;
  int attempts = 0;
  while (true) {
    lock.Wait(recovery_wake_, [this] {
      recovery_mutex_.AssertHeld();
      return recovery_stopping_ || write_state() == WriteState::kRecovering;
    });
    if (recovery_stopping_) return;
    if (committed_since_resume_.exchange(false)) {
      delay = resume_first_delay_;
      attempts = 0;
    }
    if (lock.WaitFor(recovery_wake_, delay, [this] {
          recovery_mutex_.AssertHeld();
          return recovery_stopping_;
        })) {
      return;
    }
    const uint64_t errors_before = errors_seen_;
    ++attempts;
    lock.Unlock();
    const bool safe = ResumeIsSafe();
    rocksdb::Status resumed = safe ? db_->Resume() : rocksdb::Status::OK();
    // A successful Resume() that left the failed log in place would be just as unsafe.
    const bool log_replaced = !wal_state_->newest_wal_failed();
    lock.Lock();
    const auto waited = delay;
    delay = std::min(delay * 2, resume_max_delay_);
    if (resumed.IsShutdownInProgress()) return;
    if (!safe || (resumed.ok() && !log_replaced)) {
      log::Error(
          "the database cannot resume in this process: the write-ahead log failed while every "
          "memtable was empty, so RocksDB would keep writing to the failed log; restart caseserver "
          "(nothing acknowledged is lost)",
          {{"path", path_}, {"cause", last_error_.ToString()}});
      SetWriteState(WriteState::kNeedsRestart, last_error_);
      continue;
    }
    if (resumed.ok()) {
      if (errors_seen_ != errors_before) continue;  // failed again meanwhile: another round
      log::Info("the database resumed after a failed write and accepts writes again",
                {{"path", path_}, {"attempts", std::to_string(attempts)}});
      SetWriteState(WriteState::kWritable, Status::Ok());
      continue;
    }
    if (resumed.severity() >= rocksdb::Status::Severity::kFatalError) {
      log::Error("the database cannot resume in this process; restart caseserver",
                 {{"path", path_}, {"error", resumed.ToString()}});
      SetWriteState(WriteState::kNeedsRestart, FromRocksStatus(resumed, "resume"));
      continue;
    }
    log::Warning("the database could not resume yet; retrying",
                 {{"path", path_},
                  {"error", resumed.ToString()},
                  {"attempts", std::to_string(attempts)},
                  {"waited_ms", std::to_string(waited.count())},
                  {"next_in_ms", std::to_string(delay.count())}});
  }
}

void Storage::RunAfterCommit(WriteBatch& batch) {
  std::vector<std::function<void()>> hooks;
  hooks.swap(batch.after_commit_);  // a batch committed twice does not run them twice
  for (auto& hook : hooks) hook();
}

Result<std::optional<std::string>> Storage::Get(ColumnFamily cf, std::string_view key,
                                                const rocksdb::Snapshot* at) const {
  std::string value;
  rocksdb::ReadOptions options;
  options.snapshot = at;
  auto status = db_->Get(options, handle(cf), rocksdb::Slice(key.data(), key.size()), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return FromRocksStatus(status, "get");
  return std::optional<std::string>(std::move(value));
}

Result<int64_t> Storage::GetCounter(std::string_view key) const {
  auto stored = Get(ColumnFamily::kCounters, key);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return int64_t{0};
  auto value = DecodeCounterValue(**stored);
  if (!value) {
    return Status(Reason::kCounterCorrupt, "a counter holds " + std::to_string((*stored)->size()) +
                                               " bytes, not " + std::to_string(kCounterValueSize));
  }
  return *value;
}

std::unique_ptr<rocksdb::Iterator> Storage::NewIterator(ColumnFamily cf,
                                                        const rocksdb::Snapshot* at) const {
  rocksdb::ReadOptions options;
  options.snapshot = at;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, handle(cf)));
}

std::shared_ptr<const rocksdb::Snapshot> Storage::Snapshot() const {
  rocksdb::DB* db = db_.get();
  return std::shared_ptr<const rocksdb::Snapshot>(
      db->GetSnapshot(),
      [db](const rocksdb::Snapshot* snapshot) { db->ReleaseSnapshot(snapshot); });
}

Status Storage::CompactAll() {
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  all.insert(all.end(), extra_handles_.begin(), extra_handles_.end());
  CASECOORD_RETURN_IF_ERROR(FromRocksStatus(db_->Flush(rocksdb::FlushOptions(), all), "flush"));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (auto* handle : all) {
    CASECOORD_RETURN_IF_ERROR(
        FromRocksStatus(db_->CompactRange(compact, handle, nullptr, nullptr), "compaction"));
  }
  return Status::Ok();
}

Status Storage::EraseDestroyed() {
  const std::string prefix = MetaKey(kErasePendingPrefix);
  std::vector<std::pair<std::string, std::string>> pending;  // meta key, value
  {
    auto it = NewIterator(ColumnFamily::kMeta);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      pending.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) return FromRocksStatus(it->status(), "reading pending erasures");
  }
  if (pending.empty()) return Status::Ok();
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_.begin(), handles_.end());
  all.insert(all.end(), extra_handles_.begin(), extra_handles_.end());
  CASECOORD_RETURN_IF_ERROR(FromRocksStatus(db_->Flush(rocksdb::FlushOptions(), all), "flush"));
  rocksdb::CompactRangeOptions compact;
  compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  WriteBatch done(*this);
  for (const auto& [key, value] : pending) {
    KeyReader reader(value);
    uint64_t family = 0;
    std::string begin, end;
    if (!reader.ReadUint64(&family) || !reader.ReadString(&begin) || !reader.ReadString(&end) ||
        family >= static_cast<uint64_t>(ColumnFamily::kCount)) {
      return Status(Reason::kErasureCorrupt, "a pending erasure is malformed");
    }
    const rocksdb::Slice from(begin), to(end);
    CASECOORD_RETURN_IF_ERROR(FromRocksStatus(
        db_->CompactRange(compact, handle(static_cast<ColumnFamily>(family)), &from, &to),
        "compaction"));
    done.Delete(ColumnFamily::kMeta, key);
  }
  return Commit(done);
}

StorageStats Storage::Stats() const {
  StorageStats stats;
  stats.encrypted = encrypted();
  if (keyring_) {
    stats.cipher = "AES-256-CTR (per-file data key wrapped with AES-256-GCM)";
    stats.current_key_id = keyring_->current().id();
  }
  for (auto* handle : handles_) {
    uint64_t value = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kLiveSstFilesSize, &value)) {
      stats.live_data_bytes += value;
    }
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kEstimateNumKeys, &value)) {
      stats.estimated_keys += value;
    }
  }
  return stats;
}

EngineMetrics Storage::Metrics() const {
  EngineMetrics metrics;
  auto sum = [this](const std::string& property) {
    uint64_t total = 0;
    for (auto* handle : handles_) {
      uint64_t value = 0;
      if (db_->GetIntProperty(handle, property, &value)) total += value;
    }
    return total;
  };
  metrics.sst_files_bytes = sum(rocksdb::DB::Properties::kTotalSstFilesSize);
  metrics.live_data_bytes = sum(rocksdb::DB::Properties::kLiveSstFilesSize);
  metrics.memtable_bytes = sum(rocksdb::DB::Properties::kCurSizeAllMemTables);
  metrics.pending_compaction_bytes = sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  uint64_t value = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kNumRunningCompactions, &value)) {
    metrics.running_compactions = value;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value)) {
    metrics.writes_stopped = value != 0;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value)) {
    metrics.delayed_write_rate = value;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheUsage, &value)) {
    metrics.block_cache_usage_bytes = value;
  }
  if (db_->GetIntProperty(rocksdb::DB::Properties::kBlockCacheCapacity, &value)) {
    metrics.block_cache_capacity_bytes = value;
  }
  if (const auto statistics = db_->GetDBOptions().statistics) {
    metrics.stall_micros = statistics->getTickerCount(rocksdb::STALL_MICROS);
    metrics.block_cache_hits = statistics->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    metrics.block_cache_misses = statistics->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  }
  return metrics;
}

}  // namespace casecoord::storage
