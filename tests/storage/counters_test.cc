#include "services/storage/counters.h"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "services/storage/backup.h"
#include "services/storage/rotation.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

std::unique_ptr<Storage> OpenOrDie(const std::string& path,
                                   std::shared_ptr<const Keyring> keyring) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  auto storage = Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  return storage.ok() ? std::move(storage).value() : nullptr;
}

std::shared_ptr<const Keyring> NewKeyring() {
  return std::make_shared<Keyring>(KeyEncryptionKey::Generate());
}

int64_t CounterOrDie(const Storage& storage, std::string_view key) {
  auto value = storage.GetCounter(key);
  EXPECT_TRUE(value.ok()) << value.status().ToString();
  return value.ok() ? value.value() : std::numeric_limits<int64_t>::min();
}

Status AddOne(Storage& storage, std::string_view key, int64_t delta) {
  WriteBatch batch(storage);
  batch.Add(ColumnFamily::kCounters, key, delta);
  return storage.Commit(batch);
}

TEST(CounterValueTest, IsEightBytesBigEndianTwosComplement) {
  EXPECT_EQ(EncodeCounterValue(1), std::string("\0\0\0\0\0\0\0\x01", 8));
  EXPECT_EQ(EncodeCounterValue(-1), std::string(8, '\xff'));
  EXPECT_EQ(EncodeCounterValue(0x0102030405060708), "\x01\x02\x03\x04\x05\x06\x07\x08");
  for (int64_t value : {int64_t{0}, int64_t{-2}, int64_t{1} << 40,
                        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(DecodeCounterValue(EncodeCounterValue(value)), value);
  }
  EXPECT_EQ(DecodeCounterValue(""), std::nullopt);
  EXPECT_EQ(DecodeCounterValue("1234567"), std::nullopt);
  EXPECT_EQ(DecodeCounterValue("123456789"), std::nullopt);
}

// Runs a full merge; std::nullopt when the operator refuses.
std::optional<int64_t> FullMerge(const rocksdb::MergeOperator& op,
                                 const std::optional<std::string>& existing,
                                 const std::vector<std::string>& operands) {
  const std::vector<rocksdb::Slice> slices(operands.begin(), operands.end());
  const std::string existing_bytes = existing.value_or("");
  const rocksdb::Slice existing_slice(existing_bytes);
  const rocksdb::Slice key("k");  // the input holds references: no temporaries
  const rocksdb::MergeOperator::MergeOperationInput in(key, existing ? &existing_slice : nullptr,
                                                       slices, nullptr);
  std::string merged;
  rocksdb::Slice existing_operand;
  rocksdb::MergeOperator::MergeOperationOutput out(merged, existing_operand);
  if (!op.FullMergeV2(in, &out)) return std::nullopt;
  // RocksDB may answer with one of its inputs instead of a new value.
  return DecodeCounterValue(merged.empty() ? existing_operand.ToString() : merged);
}

TEST(CounterMergeOperatorTest, AddsAndRejectsMalformedInputWithoutCrashing) {
  auto op = NewCounterMergeOperator();
  EXPECT_STREQ(op->Name(), "casecoord.CounterAdd");
  const std::string one = EncodeCounterValue(1);
  EXPECT_EQ(FullMerge(*op, EncodeCounterValue(2), {EncodeCounterValue(-5), EncodeCounterValue(2)}),
            -1);
  EXPECT_EQ(FullMerge(*op, std::nullopt, {one, one}), 2);
  // Wraps like two's complement instead of overflowing.
  EXPECT_EQ(FullMerge(*op, EncodeCounterValue(std::numeric_limits<int64_t>::max()), {one}),
            std::numeric_limits<int64_t>::min());

  EXPECT_EQ(FullMerge(*op, std::string("abc"), {one}), std::nullopt);
  EXPECT_EQ(FullMerge(*op, std::string(), {one}), std::nullopt);
  EXPECT_EQ(FullMerge(*op, std::nullopt, {one, "too long!"}), std::nullopt);
  std::string merged;
  EXPECT_FALSE(op->PartialMerge("k", rocksdb::Slice(""), one, &merged, nullptr));
  EXPECT_TRUE(op->PartialMerge("k", one, one, &merged, nullptr));
  EXPECT_EQ(DecodeCounterValue(merged), 2);
}

TEST(CountersTest, AbsentIsZeroAndNegativeDeltasSubtract) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  EXPECT_EQ(CounterOrDie(*storage, "c"), 0);
  ASSERT_TRUE(AddOne(*storage, "c", 5).ok());
  ASSERT_TRUE(AddOne(*storage, "c", -8).ok());
  EXPECT_EQ(CounterOrDie(*storage, "c"), -3);
  ASSERT_TRUE(AddOne(*storage, "c", 3).ok());
  EXPECT_EQ(CounterOrDie(*storage, "c"), 0);
  // A counter that returned to zero still exists, as zero.
  EXPECT_EQ(storage->Get(ColumnFamily::kCounters, "c")->value(), EncodeCounterValue(0));

  // Several deltas to one key in one batch all count.
  WriteBatch batch(*storage);
  batch.Add(ColumnFamily::kCounters, "d", 1);
  batch.Add(ColumnFamily::kCounters, "d", 1);
  batch.Add(ColumnFamily::kCounters, "d", -10);
  ASSERT_TRUE(storage->Commit(batch).ok());
  EXPECT_EQ(CounterOrDie(*storage, "d"), -8);
}

TEST(CountersTest, ConcurrentIncrementsSumExactly) {
  constexpr int kThreads = 8;
  constexpr int kCommitsPerThread = 1000;
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommitsPerThread; ++i) {
        WriteBatch batch(*storage);
        batch.Put(ColumnFamily::kRecords, "event/" + std::to_string(t) + "/" + std::to_string(i),
                  "x");
        batch.Add(ColumnFamily::kCounters, "total", 1);
        batch.Add(ColumnFamily::kCounters, "parity/" + std::to_string(i % 2), i % 2 ? 1 : -1);
        batch.Add(ColumnFamily::kCounters, "thread/" + std::to_string(t), i);
        if (!storage->Commit(batch).ok()) ++failures;
      }
    });
  }
  // Flushes and compactions merge operands while the writers go on.
  std::thread compactor([&] {
    while (writing) {
      if (!storage->CompactAll().ok()) ++failures;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (auto& thread : threads) thread.join();
  writing = false;
  compactor.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(CounterOrDie(*storage, "total"), kThreads * kCommitsPerThread);
  EXPECT_EQ(CounterOrDie(*storage, "parity/1"), kThreads * kCommitsPerThread / 2);
  EXPECT_EQ(CounterOrDie(*storage, "parity/0"), -kThreads * kCommitsPerThread / 2);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(CounterOrDie(*storage, "thread/" + std::to_string(t)),
              kCommitsPerThread * (kCommitsPerThread - 1) / 2);
  }
}

TEST(CountersTest, SurviveReopenAndCompaction) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  {
    auto storage = OpenOrDie(path, keyring);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(AddOne(*storage, "a", 2).ok());
    ASSERT_TRUE(storage->CompactAll().ok());  // merged into a table file
    EXPECT_EQ(CounterOrDie(*storage, "a"), 200);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(AddOne(*storage, "a", -1).ok());  // WAL only
    ASSERT_TRUE(AddOne(*storage, "b", -7).ok());
  }
  auto storage = OpenOrDie(path, keyring);  // replays the merges from the WAL
  EXPECT_EQ(CounterOrDie(*storage, "a"), 190);
  EXPECT_EQ(CounterOrDie(*storage, "b"), -7);
  ASSERT_TRUE(storage->CompactAll().ok());
  EXPECT_EQ(CounterOrDie(*storage, "a"), 190);
  EXPECT_EQ(CounterOrDie(*storage, "b"), -7);
  auto it = storage->NewIterator(ColumnFamily::kCounters);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key().ToString(), "a");
  EXPECT_EQ(it->value().ToString(), EncodeCounterValue(190));
}

TEST(CountersTest, DeleteAndDeleteRangeResetAndAppendReplaysMerges) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  for (const char* key : {"s/1", "s/2", "s/3", "t/1"}) ASSERT_TRUE(AddOne(*storage, key, 4).ok());

  WriteBatch reset(*storage);
  reset.Delete(ColumnFamily::kCounters, "t/1");
  reset.Add(ColumnFamily::kCounters, "t/1", 1);  // after the delete: starts from zero
  reset.DeleteRange(ColumnFamily::kCounters, "s/", "s/3");
  WriteBatch combined(*storage);
  combined.Add(ColumnFamily::kCounters, "s/3", 10);
  combined.Append(reset);
  EXPECT_EQ(combined.count(), 4u);
  ASSERT_TRUE(storage->Commit(combined).ok());
  EXPECT_EQ(CounterOrDie(*storage, "s/1"), 0);
  EXPECT_EQ(CounterOrDie(*storage, "s/2"), 0);
  EXPECT_EQ(CounterOrDie(*storage, "s/3"), 14);
  EXPECT_EQ(CounterOrDie(*storage, "t/1"), 1);
}

TEST(CountersTest, MalformedValueIsReportedOnReadNotACrash) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  WriteBatch put(*storage);
  put.Put(ColumnFamily::kCounters, "bad", "abc");
  ASSERT_TRUE(storage->Commit(put).ok());
  // No merge operand yet: the stored value itself is checked.
  auto plain = storage->GetCounter("bad");
  EXPECT_EQ(plain.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(plain.status().reason(), "COUNTER_CORRUPT");

  // A delta on top: the merge operator refuses, RocksDB reports corruption.
  ASSERT_TRUE(AddOne(*storage, "bad", 1).ok());
  ASSERT_TRUE(AddOne(*storage, "good", 1).ok());
  auto merged = storage->GetCounter("bad");
  EXPECT_EQ(merged.status().code(), StatusCode::kDataLoss) << merged.status().ToString();
  EXPECT_EQ(merged.status().reason(), "STORAGE_CORRUPTION");
  auto it = storage->NewIterator(ColumnFamily::kCounters);
  it->Seek("bad");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  it.reset();
  EXPECT_EQ(CounterOrDie(*storage, "good"), 1);  // other counters stay readable

  // Repair without reading the bad value.
  WriteBatch repair(*storage);
  repair.DeleteRange(ColumnFamily::kCounters, "bad", "bad\x01");
  repair.Add(ColumnFamily::kCounters, "bad", 5);
  ASSERT_TRUE(storage->Commit(repair).ok());
  EXPECT_EQ(CounterOrDie(*storage, "bad"), 5);
  ASSERT_TRUE(storage->CompactAll().ok());
  EXPECT_EQ(CounterOrDie(*storage, "bad"), 5);
  EXPECT_EQ(CounterOrDie(*storage, "good"), 1);
}

TEST(CountersTest, BackupRestoreAndKeyRotationKeepCounters) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto old_key = KeyEncryptionKey::Generate();
  auto keyring = std::make_shared<Keyring>(old_key);
  {
    auto storage = OpenOrDie(path, keyring);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(AddOne(*storage, "c", 3).ok());
    ASSERT_TRUE(storage->CompactAll().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(AddOne(*storage, "c", -1).ok());  // unflushed operands
    auto backup = CreateBackup(*storage, dir.Sub("backups"));
    ASSERT_TRUE(backup.ok()) << backup.status().ToString();
    auto restored_keys =
        RestoreBackup(dir.Sub("backups"), backup->id, dir.Sub("restored"), keyring);
    ASSERT_TRUE(restored_keys.ok()) << restored_keys.status().ToString();
    EXPECT_EQ(*restored_keys, 1u);
    auto restored = OpenOrDie(dir.Sub("restored"), keyring);
    EXPECT_EQ(CounterOrDie(*restored, "c"), 145);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(AddOne(*storage, "c", 1).ok());  // WAL only
  }
  auto new_key = KeyEncryptionKey::Generate();
  auto report =
      RotateKey(path, std::make_shared<Keyring>(new_key, std::vector<KeyEncryptionKey>{old_key}));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto storage = OpenOrDie(path, std::make_shared<Keyring>(new_key));
  EXPECT_EQ(CounterOrDie(*storage, "c"), 150);
}

TEST(CountersTest, MalformedCounterInAFlushStopsTheDatabaseUntilOpenedTolerantly) {
  testing::TempDir dir;
  const std::string path = dir.Sub("db");
  auto keyring = NewKeyring();
  {
    auto storage = OpenOrDie(path, keyring);
    WriteBatch put(*storage);
    put.Put(ColumnFamily::kCounters, "bad", "abc");
    ASSERT_TRUE(storage->Commit(put).ok());
    ASSERT_TRUE(AddOne(*storage, "bad", 1).ok());
    // RocksDB 7.8 fails the flush, then refuses every write: a background error, which the
    // storage names when it refuses a commit.
    EXPECT_EQ(storage->CompactAll().reason(), "STORAGE_CORRUPTION");
    Status refused = AddOne(*storage, "other", 1);
    EXPECT_EQ(refused.reason(), "STORAGE_UNAVAILABLE");
    EXPECT_NE(refused.message().find("STORAGE_CORRUPTION"), std::string::npos)
        << refused.ToString();
  }
  // The WAL still holds the bad pair, and opening flushes it.
  auto strict = Storage::OpenExisting(path, keyring);
  EXPECT_EQ(strict.status().reason(), "STORAGE_CORRUPTION") << strict.status().ToString();

  {
    StorageOptions tolerant;
    tolerant.path = path;
    tolerant.keyring = keyring;
    tolerant.tolerate_malformed_counters = true;
    auto storage = Storage::Open(tolerant);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    EXPECT_EQ(CounterOrDie(**storage, "bad"), 1);  // "abc" counted as 0
    WriteBatch rebuild(**storage);
    rebuild.DeleteRange(ColumnFamily::kCounters, "bad", "bad\x01");
    rebuild.Add(ColumnFamily::kCounters, "bad", 7);
    ASSERT_TRUE((*storage)->Commit(rebuild).ok());
  }
  auto storage = OpenOrDie(path, keyring);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(CounterOrDie(*storage, "bad"), 7);
  EXPECT_TRUE(storage->CompactAll().ok());
  EXPECT_TRUE(AddOne(*storage, "bad", 1).ok());
  EXPECT_EQ(CounterOrDie(*storage, "bad"), 8);
}

TEST(CountersDeathTest, AddOutsideTheCountersFamilyAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  testing::TempDir dir;
  // Encrypted, so that OpenSSL is initialised before RocksDB's default Env when this test runs
  // first: their exit-time teardown order otherwise shows OpenSSL's per-thread state as leaked.
  auto storage = OpenOrDie(dir.Sub("db"), NewKeyring());
  WriteBatch batch(*storage);
  EXPECT_DEATH(batch.Add(ColumnFamily::kRecords, "k", 1), "merge operator");
}

}  // namespace
}  // namespace casecoord::storage
