// Disk faults and what a crash leaves behind: a failed write-ahead-log sync, a log zero-filled by a
// power failure, and keys that do not fit. Real RocksDB in a temporary directory; faults come from
// the file system's test seam (services/storage/file_system.h).
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "services/storage/backup.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Keyring> NewKeyring() {
  return std::make_shared<Keyring>(KeyEncryptionKey::Generate());
}

// Records every write-state change the storage reports, and waits for one.
class StateLog {
 public:
  std::function<void(WriteState, const Status&)> Callback() {
    return [this](WriteState state, const Status&) {
      std::lock_guard<std::mutex> lock(mutex_);
      states_.push_back(state);
      changed_.notify_all();
    };
  }
  // True once `state` is the latest reported; gives up after a minute (a hang, not a timing test).
  bool WaitFor(WriteState state) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::minutes(1),
                             [&] { return !states_.empty() && states_.back() == state; });
  }
  std::vector<WriteState> states() {
    std::lock_guard<std::mutex> lock(mutex_);
    return states_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<WriteState> states_;
};

// Waits until `condition` holds, for at most a minute.
bool Eventually(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

Status Put(Storage& storage, const std::string& key) {
  WriteBatch batch(storage);
  batch.Put(ColumnFamily::kRecords, key, "value of " + key);
  batch.Add(ColumnFamily::kCounters, "written", 1);
  return storage.Commit(batch);
}

bool Has(const Storage& storage, const std::string& key) {
  auto value = storage.Get(ColumnFamily::kRecords, key);
  return value.ok() && value->has_value();
}

StorageOptions FaultyOptions(const std::string& path, std::shared_ptr<const Keyring> keyring,
                             std::shared_ptr<WalFaultInjector> faults, StateLog* states) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  options.wal_faults = std::move(faults);
  options.on_write_state_change = states->Callback();
  options.resume_first_delay = std::chrono::milliseconds(5);
  options.resume_max_delay = std::chrono::milliseconds(50);
  return options;
}

TEST(StorageFaultsTest, AFailedWalSyncStopsWritesUntilTheStorageResumesByItself) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  auto faults = std::make_shared<WalFaultInjector>();
  StateLog states;
  StorageOptions options = FaultyOptions(path, keyring, faults, &states);
  options.flush_on_close = false;
  auto storage = std::move(Storage::Open(options)).value();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(*storage, "before/" + std::to_string(i)).ok());

  // The disk fails: syncing the log and creating a new one both return EIO.
  faults->SetFailing(WalFaultInjector::kSync | WalFaultInjector::kCreate);
  Status failed = Put(*storage, "failed");
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_EQ(failed.reason(), "STORAGE_UNAVAILABLE") << failed.ToString();
  // Reported on the failing commit's own thread, before it returned.
  EXPECT_EQ(storage->write_state(), WriteState::kRecovering);
  EXPECT_EQ(states.states(), std::vector<WriteState>{WriteState::kRecovering});
  EXPECT_EQ(Put(*storage, "refused").reason(), "STORAGE_UNAVAILABLE");
  EXPECT_TRUE(Has(*storage, "before/19"));  // reads go on
  EXPECT_FALSE(Has(*storage, "failed"));

  // While the disk keeps failing, Resume() fails too (it cannot create a new log) and is retried.
  const uint64_t failures = faults->failures();
  ASSERT_TRUE(Eventually([&] { return faults->failures() >= failures + 3; }));
  EXPECT_EQ(storage->write_state(), WriteState::kRecovering);

  faults->SetFailing(0);
  ASSERT_TRUE(states.WaitFor(WriteState::kWritable));
  EXPECT_EQ(storage->write_state(), WriteState::kWritable);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(*storage, "after/" + std::to_string(i)).ok());
  EXPECT_EQ(*storage->GetCounter("written"), 40);

  // Everything acknowledged, before and after the fault, is durable: reopen (replaying the log,
  // since nothing was flushed on close) and read it back.
  storage.reset();
  StorageOptions reopen;
  reopen.path = path;
  reopen.keyring = keyring;
  auto reopened = std::move(Storage::Open(reopen)).value();
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(Has(*reopened, "before/" + std::to_string(i))) << i;
    EXPECT_TRUE(Has(*reopened, "after/" + std::to_string(i))) << i;
  }
  EXPECT_EQ(*reopened->GetCounter("written"), 40);
  EXPECT_TRUE(Put(*reopened, "later").ok());
}

TEST(StorageFaultsTest, AFailedLogWithEveryMemtableEmptyWaitsForARestartAndLosesNothing) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  auto faults = std::make_shared<WalFaultInjector>();
  StateLog states;
  {
    StorageOptions options = FaultyOptions(path, keyring, faults, &states);
    options.flush_on_close = false;
    auto storage = std::move(Storage::Open(options)).value();
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(*storage, "before/" + std::to_string(i)).ok());
    ASSERT_TRUE(storage->CompactAll().ok());  // every memtable flushed: the next log is fresh

    faults->SetFailing(WalFaultInjector::kAppend | WalFaultInjector::kSync);
    EXPECT_EQ(Put(*storage, "failed").reason(), "STORAGE_UNAVAILABLE");
    // Resume() would switch to no new log and the next commit would append to the failed one
    // (an assertion failure in Debian's RocksDB): the storage says a restart is needed instead.
    ASSERT_TRUE(states.WaitFor(WriteState::kNeedsRestart));
    faults->SetFailing(0);
    EXPECT_EQ(Put(*storage, "refused").reason(), "STORAGE_UNAVAILABLE");
    EXPECT_TRUE(Has(*storage, "before/19"));
  }
  StorageOptions restart;
  restart.path = path;
  restart.keyring = keyring;
  auto storage = std::move(Storage::Open(restart)).value();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(Has(*storage, "before/" + std::to_string(i))) << i;
  EXPECT_TRUE(Put(*storage, "after-restart").ok());
  EXPECT_EQ(storage->write_state(), WriteState::kWritable);
}

// The name of a WAL file RocksDB has not used yet in `dir`.
std::string NextWalName(const std::string& dir) {
  uint64_t highest = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const size_t digits = name.find_first_of("0123456789");
    if (digits != std::string::npos) {
      highest = std::max<uint64_t>(highest, std::strtoull(name.c_str() + digits, nullptr, 10));
    }
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%06lu.log", static_cast<unsigned long>(highest + 10));
  return (fs::path(dir) / buffer).string();
}

void WriteBytes(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(StorageFaultsTest, ALogZeroFilledByAPowerFailureIsEmptiedAndTheDataKept) {
  for (size_t zeros : {size_t{4096}, size_t{3 * 4096 + 17}, size_t{100}}) {
    testing::TempDir dir;
    const std::string path = dir.Sub("db");
    auto keyring = NewKeyring();
    {
      StorageOptions options;  // records left in the live log, as after a crash
      options.path = path;
      options.keyring = keyring;
      options.flush_on_close = false;
      auto storage = std::move(Storage::Open(options)).value();
      for (int i = 0; i < 20; ++i) ASSERT_TRUE(Put(*storage, "k" + std::to_string(i)).ok());
    }
    // A log created just before the power failed: its size reached the disk, its bytes did not.
    const std::string zeroed = NextWalName(path);
    WriteBytes(zeroed, std::string(zeros, '\0'));

    StorageOptions options;
    options.path = path;
    options.keyring = keyring;
    auto storage = Storage::Open(options);
    ASSERT_TRUE(storage.ok()) << zeros << ": " << storage.status().ToString();
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(Has(**storage, "k" + std::to_string(i))) << i;
    EXPECT_EQ(*(*storage)->GetCounter("written"), 20);
    EXPECT_TRUE(Put(**storage, "after").ok());
    EXPECT_TRUE(!fs::exists(zeroed) || fs::file_size(zeroed) == 0);
  }
}

TEST(StorageFaultsTest, ALogWithAZeroHeaderButDataAfterItIsRefusedUntouched) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  {
    StorageOptions options;
    options.path = path;
    options.keyring = keyring;
    auto storage = std::move(Storage::Open(options)).value();
    ASSERT_TRUE(Put(*storage, "k").ok());
  }
  WriteBytes(NextWalName(path), std::string(4096, '\0') + "not zero");
  auto before = testing::SnapshotDirectory(path);
  StorageOptions options;
  options.path = path;
  options.keyring = keyring;
  Status refused = Storage::Open(options).status();
  EXPECT_EQ(refused.reason(), "WAL_HEADER_LOST") << refused.ToString();
  EXPECT_EQ(testing::SnapshotDirectory(path), before);
}

TEST(StorageFaultsTest, APlaintextDatabaseIsStillRefusedBeforeRocksDbOpensIt) {
  testing::TempDir dir;
  const std::string plain = dir.Sub("plain");
  {
    StorageOptions options;
    options.path = plain;
    options.flush_on_close = false;
    auto storage = std::move(Storage::Open(options)).value();
    ASSERT_TRUE(Put(*storage, "k").ok());
  }
  WriteBytes(NextWalName(plain), std::string(8192, '\0'));
  auto before = testing::SnapshotDirectory(plain);
  StorageOptions options;
  options.path = plain;
  options.keyring = NewKeyring();
  Status refused = Storage::Open(options).status();
  EXPECT_EQ(refused.reason(), "PLAINTEXT_DATABASE") << refused.ToString();
  EXPECT_EQ(testing::SnapshotDirectory(plain), before);
}

TEST(StorageFaultsTest, BackupsUnderAnotherKeyAreNamedAsAWrongKey) {
  testing::TempDir dir;
  const std::string backups = dir.Sub("backups");
  auto keyring = NewKeyring();
  {
    StorageOptions options;
    options.path = dir.Sub("db");
    options.keyring = keyring;
    auto storage = std::move(Storage::Open(options)).value();
    ASSERT_TRUE(Put(*storage, "k").ok());
    ASSERT_TRUE(CreateBackup(*storage, backups).ok());
  }
  auto wrong = NewKeyring();
  auto listed = ListBackups(backups, wrong);
  ASSERT_FALSE(listed.ok()) << "listed " << listed->size() << " backups under the wrong key";
  EXPECT_EQ(listed.status().reason(), "WRONG_KEY") << listed.status().ToString();
  EXPECT_NE(listed.status().message().find(keyring->current().id()), std::string::npos);

  Status restored = RestoreBackup(backups, 1, dir.Sub("restored"), wrong).status();
  EXPECT_EQ(restored.reason(), "WRONG_KEY") << restored.ToString();
  EXPECT_FALSE(fs::exists(dir.Sub("restored")));

  // The right key lists it, and a backup that does not exist is named as such.
  auto right = ListBackups(backups, keyring);
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  EXPECT_EQ(right->size(), 1u);
  EXPECT_EQ(RestoreBackup(backups, 7, dir.Sub("restored"), keyring).status().reason(),
            "BACKUP_NOT_FOUND");
}

}  // namespace
}  // namespace casecoord::storage
