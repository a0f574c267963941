#include "services/storage/file_system.h"

#include <fcntl.h>
#include <rocksdb/env_encryption.h>
#include <rocksdb/file_system.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "services/common/text.h"

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

// The name of `path` within `dir` if `path` is a file directly in `dir`; "" otherwise.
std::string NameIn(const std::filesystem::path& dir, const std::string& path) {
  const std::filesystem::path file(path);
  if (Normalised(file.parent_path().string()) != dir) return "";
  return file.filename().string();
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
    const std::string file = NameIn(db_dir_, name);
    if (file.size() <= 4 || !file.ends_with(".log")) return false;
    for (size_t i = 0; i + 4 < file.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(file[i]))) return false;
    }
    return true;
  }

  const std::filesystem::path db_dir_;
  const std::shared_ptr<WalGuardState> state_;
  const std::shared_ptr<WalFaultInjector> faults_;
};

// A raw file of the database directory whose successful syncs go to the journal.
class JournaledFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  JournaledFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name,
                std::shared_ptr<SyncJournal> journal)
      : FSWritableFileOwnerWrapper(std::move(file)),
        name_(std::move(name)),
        journal_(std::move(journal)) {}

  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    return Journaled(target()->Sync(options, dbg), options, dbg);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    return Journaled(target()->Fsync(options, dbg), options, dbg);
  }

 private:
  // The raw file writes straight through to the kernel (RocksDB's buffer is above the
  // encryption), so its size now is what the sync made durable.
  IOStatus Journaled(IOStatus status, const IOOptions& options, IODebugContext* dbg) {
    if (status.ok()) journal_->Synced(name_, target()->GetFileSize(options, dbg));
    return status;
  }

  const std::string name_;
  const std::shared_ptr<SyncJournal> journal_;
};

// Journals what happens to the raw files of the database directory (see SyncJournal).
class JournalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  JournalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target, const std::string& db_dir,
                    std::shared_ptr<SyncJournal> journal)
      : FileSystemWrapper(target), db_dir_(Normalised(db_dir)), journal_(std::move(journal)) {}

  static const char* kClassName() { return "CasecoordSyncJournalFileSystem"; }
  const char* Name() const override { return kClassName(); }

  IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                           IODebugContext* dbg) override {
    IOStatus status = target()->NewWritableFile(name, options, result, dbg);
    const std::string file = NameIn(db_dir_, name);
    if (!status.ok() || file.empty()) return status;
    journal_->Created(file);
    *result = std::make_unique<JournaledFile>(std::move(*result), file, journal_);
    return status;
  }

  // What the file held before it was reopened is taken as durable, like every file not created
  // by this process.
  IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                              std::unique_ptr<rocksdb::FSWritableFile>* result,
                              IODebugContext* dbg) override {
    IOStatus status = target()->ReopenWritableFile(name, options, result, dbg);
    const std::string file = NameIn(db_dir_, name);
    if (!status.ok() || file.empty()) return status;
    journal_->Synced(file, (*result)->GetFileSize(options.io_options, dbg));
    *result = std::make_unique<JournaledFile>(std::move(*result), file, journal_);
    return status;
  }

  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& options,
                      IODebugContext* dbg) override {
    IOStatus status = target()->RenameFile(from, to, options, dbg);
    const std::string from_file = NameIn(db_dir_, from), to_file = NameIn(db_dir_, to);
    if (status.ok() && !from_file.empty() && !to_file.empty()) {
      journal_->Renamed(from_file, to_file);
    }
    return status;
  }

  IOStatus DeleteFile(const std::string& name, const IOOptions& options,
                      IODebugContext* dbg) override {
    IOStatus status = target()->DeleteFile(name, options, dbg);
    const std::string file = NameIn(db_dir_, name);
    if (status.ok() && !file.empty()) journal_->Deleted(file);
    return status;
  }

 private:
  const std::filesystem::path db_dir_;
  const std::shared_ptr<SyncJournal> journal_;
};

// RocksDB chooses every name in the database directory; none has white space, which the journal
// uses as its separator.
bool JournalableName(std::string_view file) {
  if (file.empty()) return false;
  for (char c : file) {
    if (std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<SyncJournal>> SyncJournal::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(Reason::kIoError,
                  "cannot open the sync journal " + path + ": " + std::strerror(errno));
  }
  return std::shared_ptr<SyncJournal>(new SyncJournal(fd));
}

SyncJournal::~SyncJournal() { ::close(fd_); }

void SyncJournal::Created(std::string_view file) {
  if (JournalableName(file)) Append("create " + std::string(file) + "\n");
}

void SyncJournal::Synced(std::string_view file, uint64_t size) {
  if (JournalableName(file)) {
    Append("sync " + std::to_string(size) + " " + std::string(file) + "\n");
  }
}

void SyncJournal::Renamed(std::string_view from, std::string_view to) {
  if (JournalableName(from) && JournalableName(to)) {
    Append("rename " + std::string(from) + " " + std::string(to) + "\n");
  }
}

void SyncJournal::Deleted(std::string_view file) {
  if (JournalableName(file)) Append("delete " + std::string(file) + "\n");
}

void SyncJournal::Append(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One write per line (O_APPEND): a kill leaves whole lines, or a last line without its newline,
  // which DropUnsyncedData ignores. A failed write is a failed test seam, not a failed sync.
  [[maybe_unused]] const ssize_t written = ::write(fd_, line.data(), line.size());
}

namespace {

// Applies one journal event to the durable sizes; false if the event is not one the journal writes.
bool ApplyJournalEvent(const std::string& op, const std::string& first, const std::string& second,
                       std::map<std::string, uint64_t>& durable) {
  if (op == "create" && !first.empty()) {
    durable[first] = 0;
  } else if (op == "sync" && !second.empty()) {
    auto size = ParseDecimalId(first, /*allow_zero=*/true);
    if (!size) return false;
    durable[second] = *size;
  } else if (op == "rename" && !second.empty()) {
    auto from = durable.find(first);
    if (from == durable.end()) {
      durable.erase(second);  // a file from before the process, durable as found
    } else {
      durable[second] = from->second;
      durable.erase(from);
    }
  } else if (op == "delete" && !first.empty()) {
    durable.erase(first);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Result<DroppedData> DropUnsyncedData(const std::string& journal_path, const std::string& db_dir) {
  std::ifstream in(journal_path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  // The durable size of every file created (or reopened) by the journaled process.
  std::map<std::string, uint64_t> durable;
  std::string line;
  for (int number = 1; std::getline(text, line); ++number) {
    if (text.eof()) break;  // no newline: the write was cut short, the event did not return
    std::istringstream words(line);
    std::string op, first, second;
    words >> op >> first >> second;
    auto bad = [&] {
      return Status::InvalidArgument("journal", journal_path + ":" + std::to_string(number) +
                                                    ": cannot read \"" + ShortQuote(line) + "\"");
    };
    if (!ApplyJournalEvent(op, first, second, durable)) return bad();
  }
  DroppedData dropped;
  for (const auto& [file, size] : durable) {
    const std::filesystem::path path = std::filesystem::path(db_dir) / file;
    std::error_code error;
    const uintmax_t now = std::filesystem::file_size(path, error);
    if (error) continue;  // deleted after its last journal line was written
    if (now > size) {
      std::filesystem::resize_file(path, size, error);
      if (error) {
        return Status(Reason::kIoError, "cannot cut " + path.string() + ": " + error.message());
      }
      ++dropped.files_cut;
      dropped.bytes_dropped += now - size;
    }
  }
  dropped.durable_sizes = std::move(durable);
  return dropped;
}

StorageEnv NewStorageEnv(const std::string& db_dir, std::shared_ptr<const Keyring> keyring,
                         std::shared_ptr<WalFaultInjector> faults,
                         std::shared_ptr<SyncJournal> journal) {
  std::shared_ptr<rocksdb::FileSystem> files = rocksdb::FileSystem::Default();
  if (journal) files = std::make_shared<JournalFileSystem>(files, db_dir, std::move(journal));
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
