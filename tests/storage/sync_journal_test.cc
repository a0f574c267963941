// The power-failure model of the crash tests (storage::SyncJournal, DropUnsyncedData) on real
// files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "services/storage/file_system.h"
#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

void WriteBytes(const std::string& path, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << std::string(size, 'x');
}

uintmax_t SizeOf(const std::string& path) { return std::filesystem::file_size(path); }

TEST(SyncJournalTest, EachFileIsCutToItsSizeAtItsLastSync) {
  testing::TempDir dir;
  const std::string db = dir.Sub("db"), journal_path = dir.Sub("journal");
  std::filesystem::create_directories(db);
  for (const auto& [name, size] :
       std::vector<std::pair<std::string, size_t>>{{"000004.log", 10},
                                                   {"000005.sst", 7},
                                                   {"CURRENT", 6},
                                                   {"MANIFEST-000003", 9},
                                                   {"OPTIONS-000006", 8},
                                                   {"000002.log", 4}}) {
    WriteBytes(db + "/" + name, size);
  }
  {
    auto journal = SyncJournal::Open(journal_path);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    (*journal)->Created("000004.log");
    (*journal)->Synced("000004.log", 3);
    (*journal)->Synced("000004.log", 5);  // the last sync counts
    (*journal)->Created("000005.sst");    // never synced: nothing of it is durable
    (*journal)->Created("000007.dbtmp");
    (*journal)->Synced("000007.dbtmp", 2);
    (*journal)->Renamed("000007.dbtmp", "CURRENT");  // CURRENT is now what the temporary file was
    (*journal)->Created("000008.log");
    (*journal)->Deleted("000008.log");
    (*journal)->Created("OPTIONS-000006");
    (*journal)->Renamed("OPTIONS-000001", "OPTIONS-000006");  // from before the process: durable
  }
  // MANIFEST-000003 and 000002.log are not named: they were there before the process started.
  auto dropped = DropUnsyncedData(journal_path, db);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(SizeOf(db + "/000004.log"), 5u);
  EXPECT_EQ(SizeOf(db + "/000005.sst"), 0u);
  EXPECT_EQ(SizeOf(db + "/CURRENT"), 2u);
  EXPECT_EQ(SizeOf(db + "/OPTIONS-000006"), 8u);
  EXPECT_EQ(SizeOf(db + "/MANIFEST-000003"), 9u);
  EXPECT_EQ(SizeOf(db + "/000002.log"), 4u);
  EXPECT_EQ(dropped->files_cut, 3);
  EXPECT_EQ(dropped->bytes_dropped, 5u + 7u + 4u);
  EXPECT_EQ(dropped->durable_sizes, (std::map<std::string, uint64_t>{
                                        {"000004.log", 5}, {"000005.sst", 0}, {"CURRENT", 2}}));
  // Cutting again changes nothing.
  auto again = DropUnsyncedData(journal_path, db);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files_cut, 0);
}

TEST(SyncJournalTest, ALineTheKillCutShortIsIgnoredAndAnUnreadableOneRefused) {
  testing::TempDir dir;
  const std::string db = dir.Sub("db");
  std::filesystem::create_directories(db);
  WriteBytes(db + "/000004.log", 10);
  {
    std::ofstream journal(dir.Sub("torn"), std::ios::binary);
    journal << "create 000004.log\nsync 7 000004.log\nsync 9 0000";  // the last write was cut
  }
  auto dropped = DropUnsyncedData(dir.Sub("torn"), db);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(SizeOf(db + "/000004.log"), 7u);

  {
    std::ofstream journal(dir.Sub("bad"), std::ios::binary);
    journal << "create 000004.log\nsync -1 000004.log\n";
  }
  auto refused = DropUnsyncedData(dir.Sub("bad"), db);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SizeOf(db + "/000004.log"), 7u);

  // No journal: the process never opened one, so it wrote nothing.
  auto none = DropUnsyncedData(dir.Sub("absent"), db);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->durable_sizes.empty());
}

}  // namespace
}  // namespace casecoord::storage
