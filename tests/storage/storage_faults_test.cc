// Disk faults and what a crash leaves behind, and keys that do not fit. Real RocksDB in a temporary
// directory.
#include <gtest/gtest.h>

#include <filesystem>

#include "services/storage/backup.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Keyring> NewKeyring() {
  return std::make_shared<Keyring>(KeyEncryptionKey::Generate());
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
