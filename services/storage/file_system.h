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
#include <memory>
#include <string>

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

struct StorageEnv {
  std::unique_ptr<rocksdb::Env> env;
  std::shared_ptr<WalGuardState> wal_state;
};

// The Env for the database in `db_dir`: files encrypted under `keyring` (plain files when it is
// null) with the WAL guard above. `faults` (tests only) may be null.
StorageEnv NewStorageEnv(const std::string& db_dir, std::shared_ptr<const Keyring> keyring,
                         std::shared_ptr<WalFaultInjector> faults);

}  // namespace casecoord::storage
