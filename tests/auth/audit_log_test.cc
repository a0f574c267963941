#include "services/auth/audit_log.h"

#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kHeadKey[] = "audit-head";

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  storage::AppendUint64(&key, sequence);
  return key;
}

std::string Sha256(const std::string& bytes) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), 32);
}

std::string Hmac(const std::string& key, const std::string& bytes) {
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), mac, &size);
  return std::string(reinterpret_cast<char*>(mac), 32);
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    OpenStorage();
    log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  }

  void OpenStorage() {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
  }

  void Reopen() {
    log_.reset();
    storage_.reset();
    Open();
  }

  // Closes the log and the database and opens the database alone, as an attacker with the files
  // (but not the audit key) would before a server is started on them.
  void CloseLogAndReopenStorage() {
    log_.reset();
    storage_.reset();
    OpenStorage();
  }

  void AppendMany(int count, const std::string& user = "alice") {
    for (int i = 0; i < count; ++i) {
      AuditRecord record{user,
                         "agencies/a1",
                         "/casecoord.v1.Admin/GetUser",
                         "users/u" + std::to_string(i % 3),
                         "OK",
                         "role:ADMIN",
                         "",
                         {}};
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

  std::string RawEntry(uint64_t sequence) {
    auto value = storage_->Get(ColumnFamily::kAudit, SequenceKey(sequence));
    return value.ok() && value->has_value() ? **value : std::string();
  }

  // Every stored entry's bytes by sequence, to show that something changed none of them.
  std::map<uint64_t, std::string> RawEntries() {
    std::map<uint64_t, std::string> entries;
    auto it = storage_->NewIterator(ColumnFamily::kAudit);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      storage::KeyReader reader(std::string_view(it->key().data(), it->key().size()));
      uint64_t sequence = 0;
      EXPECT_TRUE(reader.ReadUint64(&sequence));
      entries[sequence] = it->value().ToString();
    }
    return entries;
  }

  std::string RawHead() { return storage_->Get(ColumnFamily::kMeta, kHeadKey)->value_or(""); }

  void WriteRawHead(const std::string& value) {
    storage::WriteBatch batch(*storage_);
    batch.Put(ColumnFamily::kMeta, kHeadKey, value);
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  void DeleteRawHead() {
    storage::WriteBatch batch(*storage_);
    batch.Delete(ColumnFamily::kMeta, kHeadKey);
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  // Writes entries 1..count and their head exactly as a server from before chain_format did: the
  // hash covers CanonicalAuditBytes only, times are whole microseconds.
  void WriteLegacyTrail(int count) {
    std::string previous(32, '\0');
    storage::WriteBatch batch(*storage_);
    for (int sequence = 1; sequence <= count; ++sequence) {
      v1::AuditEntry entry;
      entry.set_sequence(sequence);
      entry.set_name("auditEntries/" + std::to_string(sequence));
      *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(
          TimeUtil::TimestampToMicroseconds(TimeUtil::TimeTToTimestamp(1700000000)) + sequence);
      entry.set_user_id("legacy");
      entry.set_method("/casecoord.v1.Admin/GetUser");
      entry.set_resource("users/u1");
      entry.set_outcome("OK");
      entry.set_legal_basis("role:ADMIN");
      entry.set_previous_hash(previous);
      previous = Sha256(CanonicalAuditBytes(entry));
      entry.set_hash(previous);
      entry.set_mac(Hmac(key_, previous));
      batch.Put(ColumnFamily::kAudit, SequenceKey(sequence), entry.SerializeAsString());
    }
    std::string head_bytes = "head";
    storage::AppendUint64(&head_bytes, static_cast<uint64_t>(count));
    head_bytes += previous;
    std::string head;
    storage::AppendUint64(&head, static_cast<uint64_t>(count));
    head += previous + Hmac(key_, head_bytes);
    batch.Put(ColumnFamily::kMeta, kHeadKey, head);
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

TEST_F(AuditLogTest, CommitStatsCountDurableGroupsAndTheirEntriesButNotFailedOnes) {
  EXPECT_EQ(log_->commit_stats().groups, 0u);
  EXPECT_EQ(log_->commit_stats().entries, 0u);
  // One at a time: each append is its own group.
  AppendMany(3);
  EXPECT_EQ(log_->commit_stats().groups, 3u);
  EXPECT_EQ(log_->commit_stats().entries, 3u);
  // A failed group is not counted.
  log_->FailAppendsForTesting(Status(Reason::kIoError, "disk on fire"));
  AuditRecord record{"alice", "", "/m", "r", "OK", "", "", {}};
  EXPECT_FALSE(log_->Append(record, nullptr).ok());
  log_->FailAppendsForTesting(Status::Ok());
  EXPECT_EQ(log_->commit_stats().groups, 3u);
  EXPECT_EQ(log_->commit_stats().entries, 3u);
  // Concurrent appends: every entry is counted once, in at least one and at most as many groups.
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this, t] { AppendMany(10, "user" + std::to_string(t)); });
  }
  for (auto& thread : threads) thread.join();
  const AuditCommitStats stats = log_->commit_stats();
  EXPECT_EQ(stats.entries, 83u);
  EXPECT_GE(stats.groups, 4u);
  EXPECT_LE(stats.groups, 83u);
  EXPECT_EQ(log_->head().sequence, stats.entries);
  // Counted since Open(), not read from the trail.
  Reopen();
  EXPECT_EQ(log_->commit_stats().groups, 0u);
  EXPECT_EQ(log_->commit_stats().entries, 0u);
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
  // A forger can recompute the SHA-256 (of the entry without hash and MAC) but not the HMAC.
  const std::string mac = entry.mac();
  entry.clear_hash();
  entry.clear_mac();
  entry.set_hash(Sha256(entry.SerializeAsString()));
  entry.set_mac(mac);
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
  log_->FailAppendsForTesting(Status(Reason::kIoError, "disk on fire"));
  storage::WriteBatch changes(*storage_);
  changes.Put(ColumnFamily::kRecords, "r", "v");
  AuditRecord record{"alice", "", "/m", "r", "OK", "", "", {}};
  EXPECT_EQ(log_->Append(record, &changes).reason(), "IO_ERROR");
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

// Finding 14.2: with the head gone, Open used to start again at sequence 1 and overwrite the
// surviving entries one by one.
TEST_F(AuditLogTest, MissingHeadStopsOpenAndOverwritesNothing) {
  AppendMany(10);
  CloseLogAndReopenStorage();
  DeleteRawHead();
  const auto before = RawEntries();
  auto reopened = AuditLog::Open(*storage_, key_, clock_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().reason(), "AUDIT_HEAD_MISSING");
  EXPECT_NE(reopened.status().message().find("caseserver audit recover"), std::string::npos)
      << reopened.status().message();
  EXPECT_EQ(RawEntries(), before);
  AuditVerification result = VerifyAuditTrail(*storage_, key_);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.problem, "audit head missing");
}

TEST_F(AuditLogTest, OlderHeadThanTheDataStopsOpenUntilRecovered) {
  AppendMany(5);
  const std::string old_head = RawHead();
  AppendMany(5);
  CloseLogAndReopenStorage();
  WriteRawHead(old_head);
  const auto before = RawEntries();
  auto reopened = AuditLog::Open(*storage_, key_, clock_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().reason(), "AUDIT_HEAD_BEHIND");
  EXPECT_EQ(RawEntries(), before);
  EXPECT_FALSE(VerifyAuditTrail(*storage_, key_).intact);

  auto recovered = AuditLog::Recover(*storage_, key_, "head restored from an old copy", clock_);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->finding, "AUDIT_HEAD_BEHIND");
  EXPECT_EQ(recovered->head.sequence, 11u);
  for (const auto& [sequence, bytes] : before) EXPECT_EQ(RawEntry(sequence), bytes) << sequence;
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  AuditVerification result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 11);
}

TEST_F(AuditLogTest, TruncatedTailStopsOpen) {
  AppendMany(10);
  CloseLogAndReopenStorage();
  DeleteRaw(10);
  DeleteRaw(9);
  auto reopened = AuditLog::Open(*storage_, key_, clock_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().reason(), "AUDIT_TRUNCATED");
  EXPECT_NE(reopened.status().message().find("9 to 10"), std::string::npos)
      << reopened.status().message();
}

TEST_F(AuditLogTest, LastEntryThatIsNotTheSignedHeadStopsOpen) {
  AppendMany(5);
  const std::string fifth = RawEntry(5);
  AppendMany(1);
  CloseLogAndReopenStorage();
  // Entry 6 replaced by a copy of entry 5 under its key: a head for 6 that names another hash.
  v1::AuditEntry entry;
  ASSERT_TRUE(entry.ParseFromString(fifth));
  entry.set_sequence(6);
  WriteRaw(6, entry.SerializeAsString());
  auto reopened = AuditLog::Open(*storage_, key_, clock_);
  EXPECT_EQ(reopened.status().reason(), "AUDIT_HEAD_MISMATCH");
}

// Deleting everything leaves what looks like a new trail; only a head kept elsewhere tells.
TEST_F(AuditLogTest, WipedTrailIsReportedAgainstAWitnessedHead) {
  AppendMany(10);
  const AuditHead witness = log_->head();
  EXPECT_EQ(witness.sequence, 10u);
  EXPECT_EQ(witness.hash, ReadEntry(10).hash());
  CloseLogAndReopenStorage();
  for (uint64_t sequence = 1; sequence <= 10; ++sequence) DeleteRaw(sequence);
  DeleteRawHead();
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  EXPECT_TRUE(log_->Verify().intact);

  AuditVerification result = log_->Verify(witness);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 1);
  EXPECT_NE(result.problem.find("witness"), std::string::npos) << result.problem;
  EXPECT_FALSE(VerifyAuditTrail(*storage_, key_, witness).intact);
}

// Rolling entries and head back together (as restoring an old backup does) leaves a consistent
// trail that Open accepts; a witness from after the rollback point reports it.
TEST_F(AuditLogTest, RolledBackTrailIsReportedAgainstAWitnessedHead) {
  AppendMany(5);
  const std::string old_head = RawHead();
  AppendMany(5);
  const AuditHead witness = log_->head();
  EXPECT_TRUE(log_->Verify(witness).intact);
  CloseLogAndReopenStorage();
  for (uint64_t sequence = 6; sequence <= 10; ++sequence) DeleteRaw(sequence);
  WriteRawHead(old_head);
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  EXPECT_TRUE(log_->Verify().intact);
  AuditVerification result = log_->Verify(witness);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 6);

  // New entries after the rollback reach the witnessed sequence with another hash.
  AppendMany(5, "mallory");
  result = log_->Verify(witness);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 10);
  EXPECT_NE(result.problem.find("witness"), std::string::npos) << result.problem;
}

TEST_F(AuditLogTest, NameAndSubMicrosecondTimeAreCoveredByTheChain) {
  AppendMany(10);
  const std::string original = RawEntry(4);
  v1::AuditEntry entry = ReadEntry(4);
  entry.set_name("auditEntries/999");
  WriteRaw(4, entry.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 4);
  EXPECT_EQ(result.problem, "entry altered");

  WriteRaw(4, original);
  EXPECT_TRUE(log_->Verify().intact);
  entry = ReadEntry(7);
  entry.mutable_time()->set_nanos(entry.time().nanos() + 1);
  WriteRaw(7, entry.SerializeAsString());
  result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 7);
  EXPECT_EQ(result.problem, "entry altered");
}

TEST_F(AuditLogTest, ReturnedRecordsAreCoveredByTheChainAndPagesStayWithinTheirByteBudget) {
  // Entries as large as a full page of cases makes them: 2,000 names of ~200 bytes.
  AuditRecord record{"u1", "", "/casecoord.v1.Cases/ListCases", "cases", "OK", "role:COORDINATOR",
                     "",   {}};
  for (int i = 0; i < 2000; ++i) {
    record.returned_records.push_back("cases/" + std::to_string(i) + std::string(200, 'x'));
  }
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(log_->Append(record, nullptr).ok());
  AuditQuery query;
  query.limit = 1000;
  auto page = log_->List(query);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->more);
  size_t bytes = 0;
  for (const auto& entry : page->entries) bytes += entry.ByteSizeLong();
  EXPECT_LE(bytes, kMaxAuditPageBytes);
  EXPECT_GE(page->entries.size(), 2u);
  query.resource = "cases/1999" + std::string(200, 'x');
  page = log_->List(query);
  ASSERT_TRUE(page.ok());
  EXPECT_LT(page->entries.size(), 12u);  // the budget applies to every index alike

  v1::AuditEntry entry = ReadEntry(5);
  entry.set_returned_records(7, "cases/elsewhere");
  WriteRaw(5, entry.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 5);
  EXPECT_EQ(result.problem, "entry altered");
}

TEST_F(AuditLogTest, UnknownFieldsInAnEntryAreReported) {
  AppendMany(10);
  const std::string original = RawEntry(3);
  WriteRaw(3, original + "\x98\x06\x01");  // field 99, varint 1
  AuditVerification result = log_->Verify();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.first_broken_sequence, 3);
  EXPECT_NE(result.problem.find("unknown field"), std::string::npos) << result.problem;

  WriteRaw(3, original);
  v1::AuditEntry entry = ReadEntry(8);
  entry.mutable_time()
      ->GetReflection()
      ->MutableUnknownFields(entry.mutable_time())
      ->AddVarint(99, 1);
  WriteRaw(8, entry.SerializeAsString());
  result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 8);
  EXPECT_NE(result.problem.find("unknown field"), std::string::npos) << result.problem;
}

// A database written before chain_format keeps verifying, and its chain goes on in the new format.
TEST_F(AuditLogTest, LegacyEntriesStillVerifyAndTheChainContinuesInTheNewFormat) {
  log_.reset();
  WriteLegacyTrail(3);
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  AppendMany(2);
  AuditVerification result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 5);
  EXPECT_EQ(ReadEntry(3).chain_format(), 0);
  EXPECT_EQ(ReadEntry(4).chain_format(), 1);
  EXPECT_EQ(ReadEntry(4).previous_hash(), ReadEntry(3).hash());
}

// The legacy hash leaves out the name and the time below a microsecond, but older servers always
// wrote "auditEntries/{sequence}" and whole microseconds, so those are checked as fixed.
TEST_F(AuditLogTest, LegacyEntriesNameAndSubMicrosecondTimeAreChecked) {
  log_.reset();
  WriteLegacyTrail(3);
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  const std::string original = RawEntry(2);
  v1::AuditEntry entry = ReadEntry(2);
  entry.set_name("auditEntries/7");
  WriteRaw(2, entry.SerializeAsString());
  AuditVerification result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 2);
  EXPECT_EQ(result.problem, "entry altered");

  entry.ParseFromString(original);
  entry.mutable_time()->set_nanos(entry.time().nanos() + 1);
  WriteRaw(2, entry.SerializeAsString());
  result = log_->Verify();
  EXPECT_EQ(result.first_broken_sequence, 2);
  EXPECT_EQ(result.problem, "entry altered");
}

TEST_F(AuditLogTest, RecoveryContinuesFromTheLastEntryAndRecordsItself) {
  AppendMany(10);
  CloseLogAndReopenStorage();
  DeleteRawHead();
  const auto before = RawEntries();
  clock_.Advance(std::chrono::hours(1));
  auto recovered =
      AuditLog::Recover(*storage_, key_, "ヘッド消失 / head lost in incident 2026-11-03", clock_);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->finding, "AUDIT_HEAD_MISSING");
  EXPECT_EQ(recovered->head.sequence, 11u);
  for (const auto& [sequence, bytes] : before) EXPECT_EQ(RawEntry(sequence), bytes) << sequence;

  v1::AuditEntry entry = ReadEntry(11);
  EXPECT_EQ(entry.user_id(), "operator");
  EXPECT_EQ(entry.method(), "caseserver/audit-recover");
  EXPECT_EQ(entry.outcome(), "OK");
  EXPECT_NE(entry.detail().find("AUDIT_HEAD_MISSING"), std::string::npos) << entry.detail();
  EXPECT_NE(entry.detail().find("head lost in incident 2026-11-03"), std::string::npos)
      << entry.detail();
  EXPECT_EQ(entry.previous_hash(), ReadEntry(10).hash());
  EXPECT_EQ(recovered->head.hash, entry.hash());

  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  AppendMany(1);
  EXPECT_EQ(ReadEntry(12).previous_hash(), entry.hash());
  AuditVerification result = log_->Verify();
  EXPECT_TRUE(result.intact) << result.problem;
  EXPECT_EQ(result.entries_checked, 12);
}

TEST_F(AuditLogTest, RecoveryOfATruncatedTrailRecordsWhatWasLost) {
  AppendMany(10);
  const AuditHead witness = log_->head();
  CloseLogAndReopenStorage();
  DeleteRaw(10);
  DeleteRaw(9);
  auto recovered = AuditLog::Recover(*storage_, key_, "tail lost", clock_);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->finding, "AUDIT_TRUNCATED");
  EXPECT_EQ(recovered->head.sequence, 9u);
  EXPECT_NE(ReadEntry(9).detail().find("9 to 10"), std::string::npos) << ReadEntry(9).detail();
  log_ = std::move(AuditLog::Open(*storage_, key_, clock_)).value();
  EXPECT_TRUE(log_->Verify().intact);
  // The loss stays visible to whoever kept the head from before it.
  EXPECT_FALSE(log_->Verify(witness).intact);
}

TEST_F(AuditLogTest, RecoveryRefusesAnIntactTrailAnotherKeyAndNoReason) {
  AppendMany(3);
  log_.reset();
  EXPECT_EQ(AuditLog::Recover(*storage_, key_, "just because", clock_).status().reason(),
            "AUDIT_NOTHING_TO_RECOVER");
  DeleteRawHead();
  const auto before = RawEntries();
  // Recovery signs a new head: it refuses when the last entry is not signed by the same key.
  EXPECT_EQ(
      AuditLog::Recover(*storage_, std::string(32, 'x'), "other key", clock_).status().reason(),
      "AUDIT_LAST_ENTRY_UNVERIFIED");
  EXPECT_EQ(AuditLog::Recover(*storage_, key_, "  ", clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditLog::Recover(*storage_, key_, std::string(2000, 'a'), clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AuditLog::Recover(*storage_, key_, "bad \xff utf-8", clock_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RawEntries(), before);
  EXPECT_EQ(RawHead(), "");
}

// The head record and the entries are read from one snapshot, so a Verify that runs while entries
// are appended never mistakes a newer head for a truncation.
TEST_F(AuditLogTest, VerifyWhileAppendingSeesOneConsistentState) {
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([this] { AppendMany(50); });
  }
  std::thread stopper([&] {
    for (auto& writer : writers) writer.join();
    done = true;
  });
  int verified = 0;
  std::string problem;
  while (!done || verified == 0) {
    AuditVerification result = log_->Verify();
    if (!result.intact && problem.empty()) problem = result.problem;
    ++verified;
  }
  stopper.join();
  EXPECT_EQ(problem, "");
  EXPECT_EQ(log_->Verify().entries_checked, 200);
}

TEST_F(AuditLogTest, HeadWitnessTextRoundTripsAndMalformedTextIsRefused) {
  AppendMany(2);
  const AuditHead head = log_->head();
  const std::string text = FormatAuditHead(head);
  EXPECT_EQ(text.size(), 2u + 64u);
  EXPECT_EQ(text.substr(0, 2), "2:");
  auto parsed = ParseAuditHead(text, "expect-head");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->sequence, 2u);
  EXPECT_EQ(parsed->hash, head.hash);
  EXPECT_EQ(FormatAuditHead(AuditHead{}), "0:" + std::string(64, '0'));
  const std::string hex(64, 'a');
  for (const std::string& bad :
       {std::string(), std::string("2"), ":" + hex, "x:" + hex, "-1:" + hex, " 2:" + hex,
        "99999999999999999999:" + hex, "2:" + hex.substr(1), "2:" + hex + "0",
        "2:" + std::string(64, 'g'), "2:" + hex + "\n"}) {
    auto refused = ParseAuditHead(bad, "expect-head");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    ASSERT_FALSE(refused.status().field_violations().empty());
    EXPECT_EQ(refused.status().field_violations()[0].field, "expect-head");
  }
}

}  // namespace
}  // namespace casecoord::auth
