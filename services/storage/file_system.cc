#include "services/storage/file_system.h"

#include <rocksdb/env_encryption.h>
#include <rocksdb/file_system.h>

#include <cctype>
#include <filesystem>

namespace casecoord::storage {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

std::filesystem::path Normalised(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return std::filesystem::path(path).lexically_normal();
}

// Reports an I/O error as scoped to this file (see file_system.h). Out-of-space, fencing and the
// other subcodes keep RocksDB's own handling.
IOStatus ScopedToFile(IOStatus status) {
  if (status.IsIOError() && status.subcode() == rocksdb::Status::SubCode::kNone) {
    status.SetScope(IOStatus::IOErrorScope::kIOErrorScopeFile);
  }
  return status;
}

// The injected failure for `operation` (a WalFaultInjector bit), or OK.
IOStatus Injected(WalFaultInjector* faults, unsigned operation, const char* what,
                  const std::string& file) {
  if (faults == nullptr || !faults->Fails(operation)) return IOStatus::OK();
  faults->CountFailure();
  return IOStatus::IOError(std::string(what) + " " + file, "injected EIO");
}

// One WAL file: every write-path error is scoped to the file and marks the newest WAL as failed.
class GuardedWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  GuardedWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name,
                 std::shared_ptr<WalGuardState> state, std::shared_ptr<WalFaultInjector> faults)
      : FSWritableFileOwnerWrapper(std::move(file)),
        name_(std::move(name)),
        state_(std::move(state)),
        faults_(std::move(faults)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kAppend, "append",
                 [&] { return target()->Append(data, options, dbg); });
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kAppend, "append",
                 [&] { return target()->Append(data, options, info, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kAppend, "append",
                 [&] { return target()->PositionedAppend(data, offset, options, dbg); });
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& info,
                            IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kAppend, "append",
                 [&] { return target()->PositionedAppend(data, offset, options, info, dbg); });
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kAppend, "flush", [&] { return target()->Flush(options, dbg); });
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kSync, "sync", [&] { return target()->Sync(options, dbg); });
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kSync, "fsync", [&] { return target()->Fsync(options, dbg); });
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    return Guard(WalFaultInjector::kSync, "range sync",
                 [&] { return target()->RangeSync(offset, nbytes, options, dbg); });
  }
  // A failed close concerns a log RocksDB has finished with: scoped, but the newest log is fine.
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    return ScopedToFile(target()->Close(options, dbg));
  }

 private:
  template <typename Operation>
  IOStatus Guard(unsigned kind, const char* what, Operation operation) {
    IOStatus status = Injected(faults_.get(), kind, what, name_);
    if (status.ok()) status = operation();
    if (status.ok()) return status;
    state_->WalFailed();
    return ScopedToFile(std::move(status));
  }

  const std::string name_;
  const std::shared_ptr<WalGuardState> state_;
  const std::shared_ptr<WalFaultInjector> faults_;
};

class WalGuardFileSystem : public rocksdb::FileSystemWrapper {
 public:
  WalGuardFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, const std::string& db_dir,
                     std::shared_ptr<WalGuardState> state, std::shared_ptr<WalFaultInjector> faults)
      : FileSystemWrapper(target),
        db_dir_(Normalised(db_dir)),
        state_(std::move(state)),
        faults_(std::move(faults)) {}

  static const char* kClassName() { return "CasecoordWalGuardFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                           IODebugContext* dbg) override {
    if (!IsDatabaseWal(name)) return target()->NewWritableFile(name, options, result, dbg);
    IOStatus status = Injected(faults_.get(), WalFaultInjector::kCreate, "create", name);
    if (status.ok()) status = target()->NewWritableFile(name, options, result, dbg);
    if (!status.ok()) return ScopedToFile(std::move(status));
    state_->WalCreated();
    *result = std::make_unique<GuardedWalFile>(std::move(*result), name, state_, faults_);
    return status;
  }

  IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                              std::unique_ptr<rocksdb::FSWritableFile>* result,
                              IODebugContext* dbg) override {
    IOStatus status = target()->ReopenWritableFile(name, options, result, dbg);
    if (!status.ok() || !IsDatabaseWal(name)) return status;
    *result = std::make_unique<GuardedWalFile>(std::move(*result), name, state_, faults_);
    return status;
  }

 private:
  // RocksDB names its logs <digits>.log in the database directory (the default wal_dir). Backups
  // copied through the same Env live elsewhere and are not guarded.
  bool IsDatabaseWal(const std::string& name) const {
    const std::filesystem::path path(name);
    const std::string file = path.filename().string();
    if (file.size() <= 4 || !file.ends_with(".log")) return false;
    for (size_t i = 0; i + 4 < file.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(file[i]))) return false;
    }
    return Normalised(path.parent_path().string()) == db_dir_;
  }

  const std::filesystem::path db_dir_;
  const std::shared_ptr<WalGuardState> state_;
  const std::shared_ptr<WalFaultInjector> faults_;
};

}  // namespace

StorageEnv NewStorageEnv(const std::string& db_dir, std::shared_ptr<const Keyring> keyring,
                         std::shared_ptr<WalFaultInjector> faults) {
  std::shared_ptr<rocksdb::FileSystem> files = rocksdb::FileSystem::Default();
  if (keyring) {
    files = rocksdb::NewEncryptedFS(
        files, std::make_shared<EnvelopeEncryptionProvider>(std::move(keyring)));
  }
  StorageEnv out;
  out.wal_state = std::make_shared<WalGuardState>();
  out.env = rocksdb::NewCompositeEnv(
      std::make_shared<WalGuardFileSystem>(files, db_dir, out.wal_state, std::move(faults)));
  return out;
}

}  // namespace casecoord::storage
