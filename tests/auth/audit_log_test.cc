#include "services/auth/audit_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <filesystem>
#include <thread>

#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"

namespace casecoord::auth {
namespace {

using storage::ColumnFamily;

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  storage::AppendUint64(&key, sequence);
  return key;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
    log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  }

  void Reopen() {
    log_.reset();
    storage_.reset();
    Open();
  }

  void AppendMany(int count, const std::string& user = "alice") {
    for (int i = 0; i < count; ++i) {
      AuditRecord record{user,
                         "agencies/a1",
                         "/casecoord.v1.Admin/GetUser",
                         "users/u" + std::to_string(i % 3),
                         "OK",
                         "role:ADMIN",
                         ""};
      ASSERT_TRUE(log_->Append(record, nullptr).ok());
    }
  }

  v1::AuditEntry ReadEntry(uint64_t sequence) {
    v1::AuditEntry entry;
    entry.ParseFromString(**storage_->Get(ColumnFamily::kAudit, SequenceKey(sequence)));
    return entry;
  }

  void WriteRaw(uint64_t sequence, const std::string& value) {
    storage::WriteBatch batch(*storage_);
    batch.Put(ColumnFamily::kAudit, SequenceKey(sequence), value);
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  void DeleteRaw(uint64_t sequence) {
    storage::WriteBatch batch(*storage_);
    batch.Delete(ColumnFamily::kAudit, SequenceKey(sequence));
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  testing::TempDir dir_;
  std::shared_ptr<const storage::Keyring> keyring_ =
      std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  std::string key_ = std::string(32, 'k');
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(500000))};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, ConcurrentAppendsFormOneGapFreeVerifiedChain) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([this, t] { AppendMany(25, "user" + std::to_string(t)); });
  }
  for (auto& thread : threads) thread.join();
  AuditVerification result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 400);
  for (uint64_t sequence = 1; sequence <= 400; ++sequence) {
    ASSERT_EQ(ReadEntry(sequence).sequence(), static_cast<int64_t>(sequence));
  }
  // The chain continues across a restart.
  Reopen();
  AppendMany(3);
  result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 403);
}

TEST_F(AuditLogTest, EditingAnEntryIsDetectedAtItsPosition) {
  AppendMany(10);
  v1::AuditEntry entry = ReadEntry(5);
  entry.set_user_id("mallory");  // hash and MAC left as they were
  WriteRaw(5, entry.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 5);
  EXPECT_EQ(result.problem, "entry altered");
}

TEST_F(AuditLogTest, RehashingAnEditedEntryWithoutTheKeyIsDetected) {
  AppendMany(10);
  v1::AuditEntry entry = ReadEntry(6);
  entry.set_outcome("PERMISSION_DENIED");
  // A forger can recompute the SHA-256 but not the HMAC.
  entry.set_hash(std::string(32, '\0'));
  std::string canonical = CanonicalAuditBytes(entry);
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &size, EVP_sha256(), nullptr);
  entry.set_hash(std::string(reinterpret_cast<char*>(digest), 32));
  WriteRaw(6, entry.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 6);
  EXPECT_NE(result.problem.find("MAC"), std::string::npos) << result.problem;
}

TEST_F(AuditLogTest, DeletingAnEntryIsDetectedAtItsPosition) {
  AppendMany(10);
  DeleteRaw(7);
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 7);
  EXPECT_EQ(result.problem, "entry missing (deleted)");
}

TEST_F(AuditLogTest, ReorderingEntriesIsDetectedAtTheFirstMovedPosition) {
  AppendMany(10);
  v1::AuditEntry third = ReadEntry(3);
  v1::AuditEntry fourth = ReadEntry(4);
  WriteRaw(3, fourth.SerializeAsString());
  WriteRaw(4, third.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 3);
  EXPECT_NE(result.problem.find("reordered"), std::string::npos) << result.problem;
}

TEST_F(AuditLogTest, TruncatingTheTailIsDetectedAgainstTheSignedHead) {
  AppendMany(10);
  DeleteRaw(10);
  DeleteRaw(9);
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 9);
  EXPECT_NE(result.problem.find("truncated"), std::string::npos) << result.problem;
}

TEST_F(AuditLogTest, AnotherKeyCannotContinueTheChain) {
  AppendMany(2);
  log_.reset();
  auto other = AuditLog::Open(*storage_, std::string(32, 'x'), clock_);
  EXPECT_EQ(other.status().reason(), "AUDIT_KEY_MISMATCH");
}

TEST_F(AuditLogTest, TheCheckFileRefusesAnotherKeyWithoutTheDatabase) {
  AppendMany(2);
  const std::string data_dir = dir_.Sub("db");
  EXPECT_TRUE(CheckAuditKeyFile(data_dir, key_).ok());
  Status other = CheckAuditKeyFile(data_dir, std::string(32, 'x'));
  EXPECT_EQ(other.reason(), "AUDIT_KEY_MISMATCH") << other.ToString();
  EXPECT_NE(other.message().find("wrong audit key"), std::string::npos) << other.ToString();
  // A directory without the file (new, or written by an older server) cannot tell yet.
  EXPECT_TRUE(CheckAuditKeyFile(dir_.Sub("elsewhere"), std::string(32, 'x')).ok());
}

TEST_F(AuditLogTest, AnOlderDirectoryGetsTheCheckFileOnlyFromAKeyThatVerifiesTheHead) {
  AppendMany(2);
  log_.reset();
  const std::string check = dir_.Sub("db") + "/" + storage::kAuditKeyCheckFileName;
  ASSERT_TRUE(std::filesystem::remove(check));
  // The wrong key is still refused (by the signed head) and leaves no check file behind.
  EXPECT_EQ(AuditLog::Open(*storage_, std::string(32, 'x'), clock_).status().reason(),
            "AUDIT_KEY_MISMATCH");
  EXPECT_FALSE(std::filesystem::exists(check));
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  EXPECT_TRUE(std::filesystem::exists(check));
  EXPECT_EQ(CheckAuditKeyFile(dir_.Sub("db"), std::string(32, 'x')).reason(), "AUDIT_KEY_MISMATCH");
}

TEST_F(AuditLogTest, AFailedAppendCommitsNeitherTheEntryNorTheChange) {
  AppendMany(2);
  log_->FailAppendsForTesting(Status::Internal("INJECTED", "disk on fire"));
  storage::WriteBatch changes(*storage_);
  changes.Put(ColumnFamily::kRecords, "r", "v");
  AuditRecord record{"alice", "", "/m", "r", "OK", "", ""};
  EXPECT_EQ(log_->Append(record, &changes).reason(), "INJECTED");
  EXPECT_FALSE(storage_->Get(ColumnFamily::kRecords, "r")->has_value());
  log_->FailAppendsForTesting(Status::Ok());
  ASSERT_TRUE(log_->Append(record, &changes).ok());
  EXPECT_TRUE(storage_->Get(ColumnFamily::kRecords, "r")->has_value());
  AuditVerification result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 3);
}

TEST_F(AuditLogTest, ListsByUserResourceAndTimeRangeWithPaging) {
  AppendMany(4, "alice");  // at t0
  clock_.Advance(std::chrono::hours(1));
  AppendMany(4, "bob");  // at t0 + 1h
  const auto t1 = clock_.Now();
  clock_.Advance(std::chrono::hours(1));
  AppendMany(2, "alice");  // at t0 + 2h

  AuditQuery by_user;
  by_user.user_id = "alice";
  auto alice = log_->List(by_user);
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->entries.size(), 6u);
  EXPECT_EQ(alice->entries[4].sequence(), 9);

  AuditQuery by_resource;
  by_resource.resource = "users/u0";
  EXPECT_EQ(log_->List(by_resource)->entries.size(), 5u);  // i % 3 == 0: i = 0, 3 / 0, 3 / 0

  AuditQuery window;
  window.start = t1;
  window.end = t1 + std::chrono::minutes(30);
  auto in_window = log_->List(window);
  ASSERT_EQ(in_window->entries.size(), 4u);
  EXPECT_EQ(in_window->entries.front().user_id(), "bob");

  AuditQuery paged;
  paged.limit = 3;
  std::vector<int64_t> sequences;
  for (;;) {
    auto page = log_->List(paged);
    for (const auto& entry : page->entries) sequences.push_back(entry.sequence());
    if (!page->more) break;
    paged.after_sequence = static_cast<uint64_t>(sequences.back());
  }
  EXPECT_EQ(sequences, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

}  // namespace
}  // namespace casecoord::auth
