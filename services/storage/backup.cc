#include "services/storage/backup.h"

#include <rocksdb/utilities/backup_engine.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>

#include "services/common/log.h"

namespace casecoord::storage {
namespace {

std::mutex& BackupMutex() {
  static std::mutex mutex;
  return mutex;
}

rocksdb::BackupEngineOptions EngineOptions(const std::string& backup_dir, rocksdb::Env* env) {
  rocksdb::BackupEngineOptions options(backup_dir, env);
  options.share_table_files = true;
  options.sync = true;
  static const std::shared_ptr<rocksdb::Logger> logger = NewRoutedRocksLogger();
  options.info_log = logger.get();
  options.max_background_operations = 1;
  return options;
}

BackupSummary Summarise(const rocksdb::BackupInfo& info) {
  return BackupSummary{info.backup_id, info.timestamp, info.size, info.number_files,
                       info.app_metadata};
}

uint64_t CountKeys(const Storage& storage) {
  uint64_t keys = 0;
  for (size_t i = 0; i < static_cast<size_t>(ColumnFamily::kCount); ++i) {
    auto it = storage.NewIterator(static_cast<ColumnFamily>(i));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
  }
  return keys;
}

bool AllDigits(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

bool HasOurHeader(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[sizeof(kHeaderMagic)] = {};
  in.read(magic, sizeof(magic));
  return in && std::memcmp(magic, kHeaderMagic, sizeof(magic)) == 0;
}

// Refuses a backup directory that `keyring` cannot read before a BackupEngine opens it: the engine
// would count every backup it cannot decrypt as corrupt and leave it out, so a wrong key showed as
// an empty list or "no backup N" (and Debian's RocksDB asserts on a short plaintext file read
// through the encrypted file system). Checks each backup's description (meta/<id>), or, for `id`,
// that backup's description and private files; the shared table files are checked by the restore's
// verification.
// The files CheckBackupKeys reads: every backup's description, or backup `id`'s description and
// private files.
Result<std::vector<std::filesystem::path>> BackupFilesToCheck(const std::string& backup_dir,
                                                              std::optional<uint32_t> id) {
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path meta = fs::path(backup_dir) / "meta";
  std::vector<fs::path> files;
  if (id) {
    const fs::path description = meta / std::to_string(*id);
    if (!fs::is_regular_file(description, error)) {
      return Status(Reason::kBackupNotFound,
                    "no backup " + std::to_string(*id) + " in " + backup_dir);
    }
    files.push_back(description);
    const fs::path private_files = fs::path(backup_dir) / "private" / std::to_string(*id);
    for (const auto& entry : fs::directory_iterator(private_files, error)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  } else {
    for (const auto& entry : fs::directory_iterator(meta, error)) {
      if (entry.is_regular_file() && AllDigits(entry.path().filename().string())) {
        files.push_back(entry.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Whether `keyring` (null: none configured) reads `file`, named `name` within `backup_dir`.
Status CheckBackupFileKey(const std::string& backup_dir, const std::filesystem::path& file,
                          const std::string& name, const Keyring* keyring) {
  if (keyring == nullptr) {
    if (HasOurHeader(file)) {
      return Status(Reason::kEncryptedBackup,
                    backup_dir + " is encrypted (" + name +
                        ") but no key-encryption key is configured; set --kek-file "
                        "or CASECOORD_KEK");
    }
    return Status::Ok();
  }
  auto key = CheckFileKey(file.string(), *keyring);
  if (key.ok()) return Status::Ok();
  if (key.status().Is(Reason::kNotEncrypted)) {
    return Status(Reason::kPlaintextBackup,
                  backup_dir + " holds unencrypted backups (" + name +
                      " has no casecoord encryption header); refusing to read it "
                      "as encrypted");
  }
  std::string message = "backup directory " + backup_dir + ": " + key.status().message();
  if (key.status().Is(Reason::kWrongKey)) {
    message += " (a backup taken before a key rotation needs the old key in --previous-kek-files)";
  }
  return key.status().WithMessage(std::move(message));
}

Status CheckBackupKeys(const std::string& backup_dir, const Keyring* keyring,
                       std::optional<uint32_t> id) {
  namespace fs = std::filesystem;
  auto files = BackupFilesToCheck(backup_dir, id);
  if (!files.ok()) return files.status();
  std::error_code error;
  for (const auto& file : *files) {
    if (fs::file_size(file, error) == 0 || error) continue;
    const std::string name = fs::relative(file, backup_dir, error).string();
    CASECOORD_RETURN_IF_ERROR(CheckBackupFileKey(backup_dir, file, name, keyring));
  }
  return Status::Ok();
}

// A read-only engine over `backup_dir`, with the Env it reads through (the engine must not outlive
// it).
struct ReadOnlyEngine {
  std::unique_ptr<rocksdb::Env> env;  // null for a plaintext backup directory
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
};

Result<ReadOnlyEngine> OpenReadOnly(const std::string& backup_dir,
                                    std::shared_ptr<const Keyring> keyring) {
  ReadOnlyEngine out;
  if (keyring) out.env = NewEncryptedEnv(std::move(keyring));
  rocksdb::Env* env = out.env ? out.env.get() : rocksdb::Env::Default();
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  auto opened = rocksdb::BackupEngineReadOnly::Open(EngineOptions(backup_dir, env), env, &raw);
  if (!opened.ok()) return FromRocksStatus(opened, "opening backup directory " + backup_dir);
  out.engine.reset(raw);
  return out;
}

}  // namespace

namespace {

// Deletes every backup but `kept` (those taken before a destruction of data) and the table files
// only they shared, then the `superseding` markers of those destructions.
Status DeleteSupersededBackups(Storage& storage, rocksdb::BackupEngine& engine, uint32_t kept,
                               const std::vector<std::string>& superseding) {
  std::vector<rocksdb::BackupInfo> older;
  engine.GetBackupInfo(&older);
  for (const auto& backup : older) {
    if (backup.backup_id == kept) continue;
    auto deleted = engine.DeleteBackup(backup.backup_id);
    if (!deleted.ok()) return FromRocksStatus(deleted, "deleting a superseded backup");
  }
  // Table files only the deleted backups shared go too.
  auto collected = engine.GarbageCollect();
  if (!collected.ok()) return FromRocksStatus(collected, "removing superseded backup files");
  WriteBatch done(storage);
  for (const auto& key : superseding) done.Delete(ColumnFamily::kMeta, key);
  CASECOORD_RETURN_IF_ERROR(storage.Commit(done));
  log::Info("backups taken before a destruction of data deleted",
            {{"deleted", std::to_string(older.size() - 1)}, {"kept", std::to_string(kept)}});
  return Status::Ok();
}

}  // namespace

Result<BackupSummary> CreateBackup(Storage& storage, const std::string& backup_dir,
                                   const std::string& audit_head) {
  std::lock_guard<std::mutex> lock(BackupMutex());
  CASECOORD_RETURN_IF_ERROR(CheckBackupKeys(backup_dir, storage.keyring().get(), std::nullopt));
  // Destroyed values must be out of the live files before they are copied, and the backups taken
  // before their destruction go once this one exists (listed now: a destruction that commits
  // during the backup waits for the next one).
  CASECOORD_RETURN_IF_ERROR(storage.EraseDestroyed());
  std::vector<std::string> superseding;
  {
    const std::string prefix = MetaKey(kBackupsSupersededPrefix);
    auto it = storage.NewIterator(ColumnFamily::kMeta);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      superseding.push_back(it->key().ToString());
    }
    if (!it->status().ok()) return FromRocksStatus(it->status(), "reading destroyed ranges");
  }
  rocksdb::BackupEngine* raw = nullptr;
  auto opened =
      rocksdb::BackupEngine::Open(EngineOptions(backup_dir, storage.env()), storage.env(), &raw);
  if (!opened.ok()) return FromRocksStatus(opened, "opening backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  std::error_code error;
  std::filesystem::permissions(backup_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, error);

  rocksdb::CreateBackupOptions create;
  create.flush_before_backup = true;
  uint32_t id = 0;
  auto created = engine->CreateNewBackupWithMetadata(create, storage.db(), audit_head, &id);
  if (!created.ok()) return FromRocksStatus(created, "creating backup");
  if (!superseding.empty()) {
    CASECOORD_RETURN_IF_ERROR(DeleteSupersededBackups(storage, *engine, id, superseding));
  }
  rocksdb::BackupInfo info;
  auto described = engine->GetBackupInfo(id, &info);
  if (!described.ok()) return FromRocksStatus(described, "describing backup");
  return Summarise(info);
}

Result<uint32_t> PurgeOldBackups(Storage& storage, const std::string& backup_dir, uint32_t keep) {
  if (keep == 0) return Status::InvalidArgument("keep", "must keep at least one backup");
  std::lock_guard<std::mutex> lock(BackupMutex());
  CASECOORD_RETURN_IF_ERROR(CheckBackupKeys(backup_dir, storage.keyring().get(), std::nullopt));
  rocksdb::BackupEngine* raw = nullptr;
  auto opened =
      rocksdb::BackupEngine::Open(EngineOptions(backup_dir, storage.env()), storage.env(), &raw);
  if (!opened.ok()) return FromRocksStatus(opened, "opening backup directory " + backup_dir);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  std::vector<rocksdb::BackupInfo> before;
  engine->GetBackupInfo(&before);
  auto purged = engine->PurgeOldBackups(keep);
  if (!purged.ok()) return FromRocksStatus(purged, "deleting old backups");
  return before.size() > keep ? static_cast<uint32_t>(before.size() - keep) : 0;
}

Result<std::vector<BackupSummary>> ListBackups(const std::string& backup_dir,
                                               std::shared_ptr<const Keyring> keyring) {
  std::vector<BackupSummary> out;
  std::error_code error;
  if (!std::filesystem::exists(backup_dir, error)) return out;
  std::lock_guard<std::mutex> lock(BackupMutex());
  CASECOORD_RETURN_IF_ERROR(CheckBackupKeys(backup_dir, keyring.get(), std::nullopt));
  auto opened = OpenReadOnly(backup_dir, std::move(keyring));
  if (!opened.ok()) return opened.status();
  std::vector<rocksdb::BackupInfo> infos;
  opened->engine->GetBackupInfo(&infos);
  for (const auto& info : infos) out.push_back(Summarise(info));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
  return out;
}

Result<uint64_t> RestoreBackup(const std::string& backup_dir, uint32_t id,
                               const std::string& target_dir,
                               std::shared_ptr<const Keyring> keyring) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::exists(target_dir, error) && !fs::is_empty(target_dir, error)) {
    return Status(Reason::kTargetNotEmpty,
                  "restore target " + target_dir + " exists and is not empty");
  }
  if (!fs::exists(backup_dir, error)) {
    return Status(Reason::kBackupNotFound, "no backup directory " + backup_dir);
  }
  {
    std::lock_guard<std::mutex> lock(BackupMutex());
    CASECOORD_RETURN_IF_ERROR(CheckBackupKeys(backup_dir, keyring.get(), id));
    auto opened = OpenReadOnly(backup_dir, keyring);
    if (!opened.ok()) return opened.status();
    auto& engine = opened->engine;
    rocksdb::BackupInfo info;
    if (!engine->GetBackupInfo(id, &info).ok()) {
      return Status(Reason::kBackupNotFound, "no backup " + std::to_string(id));
    }
    auto verified = engine->VerifyBackup(id, /*verify_with_checksum=*/true);
    if (!verified.ok()) return FromRocksStatus(verified, "verifying backup");
    fs::create_directories(target_dir, error);
    fs::permissions(target_dir, fs::perms::owner_all, fs::perm_options::replace, error);
    auto restored = engine->RestoreDBFromBackup(id, target_dir, target_dir);
    if (!restored.ok()) return FromRocksStatus(restored, "restoring backup");
  }
  auto restored = Storage::OpenExisting(target_dir, std::move(keyring));
  if (!restored.ok()) return restored.status();
  return CountKeys(**restored);
}

}  // namespace casecoord::storage
