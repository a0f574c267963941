// The file system every Storage writes through: our encryption (encryption.h), or plain files,
// under a guard on the write-ahead-log files (*.log) of the database directory.
//
// Why the guard: RocksDB 7.8 treats a plain I/O error while appending to or syncing the WAL as a
// *fatal* background error, which only a reopen of the database clears; the same error scoped to
// the file (IOStatus::SetScope(kIOErrorScopeFile)) is a *hard* error, which DB::Resume() clears by
// flushing the memtables and switching to a new log file (RocksDB's db/error_handler.cc,
// ErrorHandler::SetBGError). A failed write or sync says nothing certain about the next file, so
// the guard reports every I/O error on a WAL file as scoped to that file. Out-of-space errors keep
// their own handling (ErrorHandler::HandleKnownErrors). What Resume() still cannot do is described
// in docs/architecture.md, "When a disk write fails".
//
// Thread safety: everything here may be used from any thread.
#pragma once

#include <rocksdb/env.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "services/common/status.h"
#include "services/storage/encryption.h"

namespace casecoord::storage {

// Test seam: makes operations on the WAL files of the database directory fail with an I/O error
// ("injected EIO"), as on a failing disk, before the guard classifies the error.
class WalFaultInjector {
 public:
  // Bits of SetFailing's argument.
  static constexpr unsigned kAppend = 1;  // appends and buffer flushes
  static constexpr unsigned kSync = 2;    // sync, fsync and range sync
  static constexpr unsigned kCreate = 4;  // creating a new WAL file
  static constexpr unsigned kAll = kAppend | kSync | kCreate;

  // Fails the operations in `operations` from now on; 0 stops failing.
  void SetFailing(unsigned operations) { failing_.store(operations, std::memory_order_release); }
  bool Fails(unsigned operation) const {
    return (failing_.load(std::memory_order_acquire) & operation) != 0;
  }
  // How many operations have been failed so far (tests wait on it to know a retry happened).
  uint64_t failures() const { return failures_.load(std::memory_order_acquire); }
  void CountFailure() { failures_.fetch_add(1, std::memory_order_acq_rel); }

 private:
  std::atomic<unsigned> failing_{0};
  std::atomic<uint64_t> failures_{0};
};

// What the guard has seen of the database's WAL files.
class WalGuardState {
 public:
  // True if a WAL file of the database failed a write, flush or sync since the newest one was
  // created: RocksDB may still be appending to that failed file (storage.cc uses this to decide
  // whether DB::Resume() is safe).
  bool newest_wal_failed() const { return newest_wal_failed_.load(std::memory_order_acquire); }

  // Called by the guard only.
  void WalCreated() { newest_wal_failed_.store(false, std::memory_order_release); }
  void WalFailed() { newest_wal_failed_.store(true, std::memory_order_release); }

 private:
  std::atomic<bool> newest_wal_failed_{false};
};

// Test seam for crash tests that model a power failure: a journal of what of each file of the
// database directory was durable. The model: a file's bytes up to its size at its last successful
// Sync or Fsync survive; anything after that is lost; a file never synced since it was created
// loses everything (it is kept, empty). RangeSync starts write-back without waiting for it and
// Close syncs nothing, so neither counts. Creating, renaming and deleting files are taken as
// durable at once (directory entries are not modelled: RocksDB fsyncs the directory after each
// such step that matters, and we do not simulate losing one). Sizes are those of the raw
// (encrypted) files, header included. Files the journal does not name were there before the
// process started and are taken as durable as found.
//
// Each event is appended to the journal file with one write(2) right after the operation has
// succeeded and before it returns to RocksDB. A kill -9 leaves the page cache, so the journal
// survives the process without an fsync of its own; a sync that the kill interrupts before its line
// is written counts as not done, which is what its caller (not yet answered) must assume anyway.
//
// Never enabled in the production caseserver: only the caseserver_test_seams binary, built for the
// tests, reads CASECOORD_TEST_SYNC_JOURNAL (services/server/main.cc).
class SyncJournal {
 public:
  // Creates or truncates the journal at `path` (it describes one process's writes).
  static Result<std::shared_ptr<SyncJournal>> Open(const std::string& path);
  ~SyncJournal();
  SyncJournal(const SyncJournal&) = delete;
  SyncJournal& operator=(const SyncJournal&) = delete;

  // Called by the file system with file names relative to the database directory.
  void Created(std::string_view file);
  void Synced(std::string_view file, uint64_t size);
  void Renamed(std::string_view from, std::string_view to);
  void Deleted(std::string_view file);

 private:
  explicit SyncJournal(int fd) : fd_(fd) {}
  void Append(const std::string& line);

  const int fd_;
  std::mutex mutex_;  // one line at a time, so that lines never interleave
};

// What DropUnsyncedData did.
struct DroppedData {
  int files_cut = 0;  // files made shorter
  uint64_t bytes_dropped = 0;
  std::map<std::string, uint64_t> durable_sizes;  // every file the journal named, as it left them
};

// Cuts every file of `db_dir` that the journal at `journal_path` names to its last synced size
// (SyncJournal's model), as a power failure would have left it. Run only while no process has
// the database open. INVALID_ARGUMENT for a line it cannot read; a journal that does not exist
// names no file.
Result<DroppedData> DropUnsyncedData(const std::string& journal_path, const std::string& db_dir);

struct StorageEnv {
  std::unique_ptr<rocksdb::Env> env;
  std::shared_ptr<WalGuardState> wal_state;
};

// The Env for the database in `db_dir`: files encrypted under `keyring` (plain files when it is
// null) with the WAL guard above. The test seams `faults` and `journal` may be null; `journal`
// records the raw files, beneath the encryption.
StorageEnv NewStorageEnv(const std::string& db_dir, std::shared_ptr<const Keyring> keyring,
                         std::shared_ptr<WalFaultInjector> faults,
                         std::shared_ptr<SyncJournal> journal = nullptr);

}  // namespace casecoord::storage
