#include "services/storage/storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "services/storage/backup.h"
#include "services/storage/key_source.h"
#include "services/storage/rotation.h"
#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

namespace fs = std::filesystem;

// Personal data as a case record would hold it; must never appear in any file on disk.
const std::string kCanary = "山田花子-CANARY-精神障害-債務-7f3a9c";

std::shared_ptr<const Keyring> NewKeyring() {
  return std::make_shared<Keyring>(KeyEncryptionKey::Generate());
}

std::unique_ptr<Storage> OpenOrDie(const std::string& path,
                                   std::shared_ptr<const Keyring> keyring) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  auto storage = Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  return storage.ok() ? std::move(storage).value() : nullptr;
}

Status TryOpen(const std::string& path, std::shared_ptr<const Keyring> keyring) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  return Storage::Open(options).status();
}

void PutRecords(Storage& storage, int first, int count, const std::string& payload) {
  for (int i = first; i < first + count; ++i) {
    WriteBatch batch(storage);
    std::string key = "cases/" + std::to_string(100000 + i);
    batch.Put(ColumnFamily::kRecords, key, payload + "#" + std::to_string(i));
    batch.Put(ColumnFamily::kCounters, "count/" + std::to_string(i % 7), std::to_string(i));
    ASSERT_TRUE(storage.Commit(batch).ok());
  }
}

// Every key of every column family, as "family/key" -> value.
std::map<std::string, std::string> DumpAll(const Storage& storage) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < static_cast<size_t>(ColumnFamily::kCount); ++i) {
    auto cf = static_cast<ColumnFamily>(i);
    auto it = storage.NewIterator(cf);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[std::string(ColumnFamilyName(cf)) + "/" + it->key().ToString()] = it->value().ToString();
    }
  }
  return out;
}

std::string FindWal(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".log" && entry.file_size() > 0) return entry.path().string();
  }
  return "";
}

TEST(StorageTest, CommitsAcrossColumnFamiliesAndReadsBack) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  WriteBatch batch(*storage);
  batch.Put(ColumnFamily::kRecords, "r", "record");
  batch.Put(ColumnFamily::kAudit, "a", "audit");
  EXPECT_EQ(batch.count(), 2u);
  ASSERT_TRUE(storage->Commit(batch).ok());
  EXPECT_EQ(storage->Get(ColumnFamily::kRecords, "r")->value(), "record");
  EXPECT_EQ(storage->Get(ColumnFamily::kAudit, "a")->value(), "audit");
  EXPECT_FALSE(storage->Get(ColumnFamily::kRecords, "a")->has_value());
  auto stats = storage->Stats();
  EXPECT_TRUE(stats.encrypted);
  EXPECT_EQ(stats.current_key_id.size(), 16u);
  EXPECT_EQ(fs::status(dir.Sub("db")).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST(StorageTest, NoPlaintextInAnyFileOfTheDataDirectory) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto storage = OpenOrDie(path, NewKeyring());
    PutRecords(*storage, 0, 500, kCanary);
    ASSERT_TRUE(storage->CompactAll().ok());  // SST files
    PutRecords(*storage, 500, 50, kCanary);   // still only in the WAL and memtable
    // Checked while open (live WAL) and after close.
    EXPECT_EQ(testing::FilesContaining(path, kCanary), std::vector<std::string>{});
    EXPECT_EQ(testing::FilesContaining(path, "cases/100042"), std::vector<std::string>{});
  }
  auto files = testing::ListFiles(path);
  auto has = [&](const std::string& prefix) {
    return std::any_of(files.begin(), files.end(),
                       [&](const std::string& f) { return f.rfind(prefix, 0) == 0; });
  };
  EXPECT_TRUE(has("MANIFEST-"));
  EXPECT_TRUE(has("OPTIONS-"));
  EXPECT_TRUE(std::any_of(files.begin(), files.end(),
                          [](const std::string& f) { return f.ends_with(".sst"); }));
  EXPECT_FALSE(has("LOG")) << "RocksDB's info log must be routed, not written beside the data";
  EXPECT_EQ(testing::FilesContaining(path, kCanary), std::vector<std::string>{});
  // Even the RocksDB option names are hidden: nothing is readable.
  EXPECT_EQ(testing::FilesContaining(path, "rocksdb"), std::vector<std::string>{});
}

TEST(StorageTest, ThePlaintextControlDoesShowTheCanary) {
  // Proves the scan above can fail: without a keyring the same data is visible on disk.
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), nullptr);
  PutRecords(*storage, 0, 10, kCanary);
  EXPECT_FALSE(testing::FilesContaining(dir.Sub("db"), kCanary).empty());
}

TEST(StorageTest, RefusalsNameTheProblemAndChangeNothing) {
  testing::TempDir dir;
  const std::string encrypted = dir.Sub("encrypted");
  const std::string plain = dir.Sub("plain");
  auto keyring = NewKeyring();
  { OpenOrDie(encrypted, keyring).reset(); }
  {
    auto storage = OpenOrDie(plain, nullptr);
    PutRecords(*storage, 0, 5, "x");
  }
  {
    auto storage = OpenOrDie(encrypted, keyring);
    PutRecords(*storage, 0, 5, "x");
  }
  auto before_encrypted = testing::SnapshotDirectory(encrypted);
  auto before_plain = testing::SnapshotDirectory(plain);

  Status wrong_key = TryOpen(encrypted, NewKeyring());
  EXPECT_EQ(wrong_key.reason(), "WRONG_KEY") << wrong_key.ToString();
  EXPECT_NE(wrong_key.message().find(keyring->current().id()), std::string::npos);

  Status no_key = TryOpen(encrypted, nullptr);
  EXPECT_EQ(no_key.reason(), "ENCRYPTED_DATABASE") << no_key.ToString();

  Status plaintext_as_encrypted = TryOpen(plain, keyring);
  EXPECT_EQ(plaintext_as_encrypted.reason(), "PLAINTEXT_DATABASE")
      << plaintext_as_encrypted.ToString();

  EXPECT_EQ(testing::SnapshotDirectory(encrypted), before_encrypted);
  EXPECT_EQ(testing::SnapshotDirectory(plain), before_plain);
  // And the right key still opens it.
  EXPECT_NE(OpenOrDie(encrypted, keyring), nullptr);
}

TEST(StorageTest, TamperedHeaderIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  { OpenOrDie(path, keyring).reset(); }
  {
    std::fstream current(path + "/CURRENT", std::ios::in | std::ios::out | std::ios::binary);
    current.seekp(50);  // inside the IV, covered by the GCM associated data
    current.put('\x5a');
  }
  EXPECT_EQ(TryOpen(path, keyring).reason(), "HEADER_TAMPERED");
}

TEST(StorageTest, WalTornInsideItsHeaderDoesNotAbortTheOpen) {
  for (uintmax_t torn_size : {uintmax_t{3}, uintmax_t{100}, uintmax_t{kFileHeaderSize - 1}}) {
    testing::TempDir dir;
    const std::string path = dir.Sub("db");
    auto keyring = NewKeyring();
    {
      auto storage = OpenOrDie(path, keyring);
      PutRecords(*storage, 0, 20, "flushed");
      ASSERT_TRUE(storage->CompactAll().ok());
      PutRecords(*storage, 20, 20, "in-wal");
    }
    std::string wal = FindWal(path);
    ASSERT_FALSE(wal.empty());
    fs::resize_file(wal, torn_size);
    auto storage = OpenOrDie(path, keyring);
    ASSERT_NE(storage, nullptr) << "torn at " << torn_size;
    EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "cases/100000")->has_value());
  }
}

TEST(StorageTest, WalTornInsideARecordRecoversToAPointInTime) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  {
    StorageOptions crash_like;  // the records stay in the WAL only, as after a crash
    crash_like.path = path;
    crash_like.keyring = keyring;
    crash_like.flush_on_close = false;
    auto storage = std::move(Storage::Open(crash_like)).value();
    PutRecords(*storage, 0, 100, "in-wal");
  }
  std::string wal = FindWal(path);
  ASSERT_FALSE(wal.empty());
  fs::resize_file(wal, fs::file_size(wal) - 7);
  auto storage = OpenOrDie(path, keyring);
  ASSERT_NE(storage, nullptr);
  EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "cases/100000")->has_value());
  EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "cases/100098")->has_value());
  EXPECT_FALSE(storage->Get(ColumnFamily::kRecords, "cases/100099")->has_value());
}

TEST(StorageTest, ACloseFlushesSoThatTheNextOpenReplaysNoLog) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  {
    auto storage = OpenOrDie(path, keyring);
    PutRecords(*storage, 0, 100, "flushed");
  }
  // Whatever WAL is left holds no record: emptying it loses nothing.
  const std::string wal = FindWal(path);
  if (!wal.empty() && fs::file_size(wal) > 4096) fs::resize_file(wal, 4096);
  auto storage = OpenOrDie(path, keyring);
  ASSERT_NE(storage, nullptr);
  EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "cases/100099")->has_value());
}

TEST(StorageTest, EveryAcknowledgedCommitSurvivesAProcessKill) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    StorageOptions options;
    options.path = path;
    options.keyring = keyring;
    auto storage = Storage::Open(options);
    if (!storage.ok()) _exit(2);
    for (uint32_t i = 0; i < 200; ++i) {
      WriteBatch batch(**storage);
      batch.Put(ColumnFamily::kRecords, "k" + std::to_string(i), "v");
      if (!(*storage)->Commit(batch).ok()) _exit(3);
      if (write(pipe_fds[1], &i, sizeof(i)) != sizeof(i)) _exit(4);
    }
    kill(getpid(), SIGKILL);  // no close, no flush: only what was synced survives
  }
  close(pipe_fds[1]);
  uint32_t acknowledged = 0, last = 0;
  while (read(pipe_fds[0], &last, sizeof(last)) == sizeof(last)) ++acknowledged;
  close(pipe_fds[0]);
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  ASSERT_TRUE(WIFSIGNALED(wait_status));
  ASSERT_EQ(acknowledged, 200u);
  auto storage = OpenOrDie(path, keyring);
  for (uint32_t i = 0; i < acknowledged; ++i) {
    EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "k" + std::to_string(i))->has_value()) << i;
  }
}

// CommitUnsynced skips only the fsync: the write is visible at once and is in the (encrypted) WAL,
// so a killed loader loses nothing that CommitUnsynced returned for. Only a machine crash could.
TEST(StorageTest, CommitUnsyncedIsVisibleAtOnceAndSurvivesAProcessKill) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    StorageOptions options;
    options.path = path;
    options.keyring = keyring;
    auto storage = Storage::Open(options);
    if (!storage.ok()) _exit(2);
    for (uint32_t i = 0; i < 200; ++i) {
      WriteBatch batch(**storage);
      const std::string key = "k" + std::to_string(i);
      batch.Put(ColumnFamily::kRecords, key, kCanary);
      batch.Add(ColumnFamily::kCounters, "loaded", 1);
      if (!(*storage)->CommitUnsynced(batch).ok()) _exit(3);
      auto read = (*storage)->Get(ColumnFamily::kRecords, key);
      if (!read.ok() || !read->has_value()) _exit(4);
      if (write(pipe_fds[1], &i, sizeof(i)) != sizeof(i)) _exit(5);
    }
    kill(getpid(), SIGKILL);  // no close, no flush, no sync: what survives came from the WAL
  }
  close(pipe_fds[1]);
  uint32_t returned = 0, last = 0;
  while (read(pipe_fds[0], &last, sizeof(last)) == sizeof(last)) ++returned;
  close(pipe_fds[0]);
  int wait_status = 0;
  waitpid(child, &wait_status, 0);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited with " << WEXITSTATUS(wait_status);
  ASSERT_EQ(returned, 200u);
  auto storage = OpenOrDie(path, keyring);
  for (uint32_t i = 0; i < returned; ++i) {
    EXPECT_TRUE(storage->Get(ColumnFamily::kRecords, "k" + std::to_string(i))->has_value()) << i;
  }
  EXPECT_EQ(*storage->GetCounter("loaded"), 200);
  storage.reset();
  // The WAL it wrote is encrypted like every other file.
  EXPECT_EQ(testing::FilesContaining(path, kCanary), std::vector<std::string>{});
}

TEST(StorageTest, KeyRotationKeepsEveryRecordAndRetiresTheOldKey) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto old_key = KeyEncryptionKey::Generate();
  auto old_keyring = std::make_shared<Keyring>(old_key);
  std::map<std::string, std::string> before;
  {
    auto storage = OpenOrDie(path, old_keyring);
    PutRecords(*storage, 0, 300, kCanary);
    ASSERT_TRUE(storage->CompactAll().ok());
    PutRecords(*storage, 300, 30, kCanary);  // some only in the WAL
    before = DumpAll(*storage);
  }
  auto new_key = KeyEncryptionKey::Generate();
  auto rotating = std::make_shared<Keyring>(new_key, std::vector<KeyEncryptionKey>{old_key});
  auto report = RotateKey(path, rotating);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->old_keys_unused);
  EXPECT_EQ(report->files_per_key_id.count(old_key.id()), 0u);
  EXPECT_GT(report->files_per_key_id.at(new_key.id()), 0);

  // The new key alone now opens the database, and every record is intact.
  auto storage = OpenOrDie(path, std::make_shared<Keyring>(new_key));
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(DumpAll(*storage), before);
  storage.reset();
  EXPECT_EQ(TryOpen(path, old_keyring).reason(), "WRONG_KEY");
  EXPECT_EQ(testing::FilesContaining(path, kCanary), std::vector<std::string>{});
}

TEST(StorageTest, BackupThenRestoreGivesIdenticalRecordsAndStaysEncrypted) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  const std::string backups = dir.Sub("backups");
  auto keyring = NewKeyring();
  auto storage = OpenOrDie(path, keyring);
  PutRecords(*storage, 0, 200, kCanary);
  auto at_first = DumpAll(*storage);
  auto first = CreateBackup(*storage, backups);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  PutRecords(*storage, 200, 50, kCanary);
  auto at_second = DumpAll(*storage);
  // The audit head the server records with a backup comes back with it.
  const std::string audit_head = "42:" + std::string(64, 'b');
  auto second = CreateBackup(*storage, backups, audit_head);
  ASSERT_TRUE(second.ok());
  EXPECT_GT(second->id, first->id);
  EXPECT_EQ(second->audit_head, audit_head);

  auto listed = ListBackups(backups, keyring);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->front().id, second->id);  // newest first
  EXPECT_EQ(listed->front().audit_head, audit_head);
  EXPECT_EQ(listed->back().audit_head, "");

  EXPECT_EQ(testing::FilesContaining(backups, kCanary), std::vector<std::string>{});

  auto restored_keys = RestoreBackup(backups, first->id, dir.Sub("restored"), keyring);
  ASSERT_TRUE(restored_keys.ok()) << restored_keys.status().ToString();
  EXPECT_EQ(*restored_keys, at_first.size());
  {
    auto restored = OpenOrDie(dir.Sub("restored"), keyring);
    EXPECT_EQ(DumpAll(*restored), at_first);
  }
  EXPECT_EQ(testing::FilesContaining(dir.Sub("restored"), kCanary), std::vector<std::string>{});
  EXPECT_EQ(TryOpen(dir.Sub("restored"), nullptr).reason(), "ENCRYPTED_DATABASE");

  ASSERT_TRUE(RestoreBackup(backups, second->id, dir.Sub("restored2"), keyring).ok());
  EXPECT_EQ(DumpAll(*OpenOrDie(dir.Sub("restored2"), keyring)), at_second);

  auto again = RestoreBackup(backups, first->id, dir.Sub("restored"), keyring);
  EXPECT_EQ(again.status().reason(), "TARGET_NOT_EMPTY");
  auto missing = RestoreBackup(backups, 99, dir.Sub("restored3"), keyring);
  EXPECT_EQ(missing.status().reason(), "BACKUP_NOT_FOUND");
  auto wrong_key = ListBackups(backups, NewKeyring());
  EXPECT_FALSE(wrong_key.ok() && !wrong_key->empty());
}

TEST(KeySourceTest, KeyFileMustBePrivate) {
  testing::TempDir dir;
  const std::string path = dir.Sub("kek");
  auto generated = GenerateKeyFile(path);
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto loaded = LoadKeyFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->id(), generated->id());
  EXPECT_EQ(GenerateKeyFile(path).status().reason(), "KEY_FILE_EXISTS");

  chmod(path.c_str(), 0640);
  EXPECT_EQ(LoadKeyFile(path).status().reason(), "KEY_FILE_PERMISSIONS");
  chmod(path.c_str(), 0600);
  std::ofstream(path) << "not a key";
  EXPECT_EQ(LoadKeyFile(path).status().reason(), "KEY_FILE_MALFORMED");
  EXPECT_EQ(LoadKeyFile(dir.Sub("missing")).status().reason(), "KEY_FILE_UNREADABLE");
}

TEST(KeySourceTest, EnvironmentKeyIsClearedAfterReading) {
  auto key = KeyEncryptionKey::Generate();
  setenv("CASECOORD_TEST_KEK", key.ToHex().c_str(), 1);
  auto loaded = LoadKeyFromEnvironment("CASECOORD_TEST_KEK");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->id(), key.id());
  EXPECT_EQ(getenv("CASECOORD_TEST_KEK"), nullptr);
  EXPECT_EQ(LoadKeyFromEnvironment("CASECOORD_TEST_KEK").status().reason(), "KEY_NOT_SET");
}

}  // namespace
}  // namespace casecoord::storage
