#include "services/stats/counters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"

namespace casecoord::stats {

void PrintTo(const CounterKey& key, std::ostream* out) { *out << key.ToString(); }
void PrintTo(const CounterDifference& difference, std::ostream* out) {
  *out << difference.key.ToString() << ": " << difference.stored << " -> " << difference.recomputed;
}

namespace {

using storage::ColumnFamily;

std::unique_ptr<storage::Storage> OpenOrDie(const std::string& path) {
  storage::StorageOptions options;
  options.path = path;
  options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  auto storage = storage::Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  return storage.ok() ? std::move(storage).value() : nullptr;
}

CounterKey Total(int fiscal_year, std::string metric) {
  return CounterKey{fiscal_year, std::move(metric), "", ""};
}

CounterKey By(int fiscal_year, std::string metric, std::string dimension, std::string value) {
  return CounterKey{fiscal_year, std::move(metric), std::move(dimension), std::move(value)};
}

Status Commit(storage::Storage& storage, const CounterChanges& changes) {
  storage::WriteBatch batch(storage);
  changes.ApplyTo(&batch);
  return storage.Commit(batch);
}

CounterTable ReadOrDie(const storage::Storage& storage, int from, int to) {
  auto table = ReadCounters(storage, from, to);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return table.ok() ? std::move(table).value() : CounterTable{};
}

TEST(CounterKeyTest, EncodingSortsByYearMetricDimensionValueAndRoundTrips) {
  // In the intended order; each differs from the next in the component that decides.
  const std::vector<CounterKey> ordered = {
      Total(2019, "zzz"),
      Total(2020, "a"),
      By(2020, "a", "district", "kita"),
      By(2020, "a", "tag", ""),
      By(2020, "a", "tag", "8050"),
      By(2020, "a", "tag", "8050\x01"),
      By(2020, "a", "tag", "debt"),
      By(2020, "a", "tags", "0"),
      Total(2020, "a\x01"),
      Total(2020, "ab"),
      Total(2020, "b"),
      By(2020, "b", "\xff", "\xff"),
      Total(2021, ""),
  };
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(ordered[i], ordered[i + 1]) << i;
    EXPECT_LT(EncodeCounterKey(ordered[i]), EncodeCounterKey(ordered[i + 1]))
        << ordered[i].ToString() << " vs " << ordered[i + 1].ToString();
  }
  for (const auto& key : ordered) EXPECT_EQ(DecodeCounterKey(EncodeCounterKey(key)), key);
  EXPECT_EQ(DecodeCounterKey(EncodeCounterKey(By(2024, "m", "d", std::string("a\0b", 3))))->value,
            std::string("a\0b", 3));

  std::string other;  // a counter of another store in the same column family
  storage::AppendString(&other, "coop-survey-counts");
  storage::AppendUint64(&other, 2024);
  EXPECT_EQ(DecodeCounterKey(other), std::nullopt);
  EXPECT_EQ(DecodeCounterKey(EncodeCounterKey(Total(2024, "m")) + "x"), std::nullopt);
  EXPECT_EQ(DecodeCounterKey(EncodeCounterKey(Total(2024, "m")).substr(0, 10)), std::nullopt);
  EXPECT_EQ(Total(2024, kCasesOpened).ToString(), "2024/cases_opened");
  EXPECT_EQ(By(2024, kCasesClosed, kOutcome, "resolved").ToString(),
            "2024/cases_closed/outcome=resolved");
}

TEST(CounterChangesTest, CountExpandsIntoTheTotalAndOneCounterPerDimensionValue) {
  CounterChanges changes;
  ASSERT_TRUE(changes
                  .Count(2024, kCasesOpened,
                         {{kDistrict, "kita"},
                          {kIssueTag, "8050"},
                          {kIssueTag, "debt"},
                          {kIssueTag, "8050"},  // twice: counts once
                          {kReferrerKind, "houkatsu"}})
                  .ok());
  ASSERT_TRUE(changes.Count(2024, kCoordinationContacts, {}, 3).ok());
  ASSERT_TRUE(
      changes.Count(2024, kCasesClosed, {{kOutcome, "resolved"}, {kField, "elderly"}}).ok());
  const CounterTable expected = {
      {Total(2024, kCasesOpened), 1},
      {By(2024, kCasesOpened, kDistrict, "kita"), 1},
      {By(2024, kCasesOpened, kIssueTag, "8050"), 1},
      {By(2024, kCasesOpened, kIssueTag, "debt"), 1},
      {By(2024, kCasesOpened, kReferrerKind, "houkatsu"), 1},
      {Total(2024, kCoordinationContacts), 3},
      {Total(2024, kCasesClosed), 1},
      {By(2024, kCasesClosed, kOutcome, "resolved"), 1},
      {By(2024, kCasesClosed, kField, "elderly"), 1},
  };
  EXPECT_EQ(changes.deltas(), expected);

  // A reclassification: the old district out, the new one in; the totals cancel out.
  CounterChanges moved;
  ASSERT_TRUE(moved.Count(2024, kCasesOpened, {{kDistrict, "kita"}}, -1).ok());
  ASSERT_TRUE(moved.Count(2024, kCasesOpened, {{kDistrict, "minami"}}, +1).ok());
  EXPECT_EQ(moved.deltas(), (CounterTable{{By(2024, kCasesOpened, kDistrict, "kita"), -1},
                                          {By(2024, kCasesOpened, kDistrict, "minami"), 1}}));
  changes.Merge(moved);
  EXPECT_EQ(changes.deltas().count(By(2024, kCasesOpened, kDistrict, "kita")), 0u);
  EXPECT_EQ(changes.deltas().at(By(2024, kCasesOpened, kDistrict, "minami")), 1);
  EXPECT_EQ(changes.deltas().at(Total(2024, kCasesOpened)), 1);

  CounterChanges a, b;
  ASSERT_TRUE(a.Count(2024, kCaseMeetings).ok());
  ASSERT_TRUE(b.Count(2024, kCaseMeetings, {}, 2).ok());
  EXPECT_FALSE(a == b);
  ASSERT_TRUE(b.Count(2024, kCaseMeetings, {}, -1).ok());
  EXPECT_TRUE(a == b);
  ASSERT_TRUE(a.Count(2024, kCaseMeetings, {}, 0).ok());
  EXPECT_TRUE(a == b);
  ASSERT_TRUE(b.Count(2024, kCaseMeetings, {}, -1).ok());
  EXPECT_TRUE(b.empty());
}

TEST(CounterChangesTest, RejectsWhatIsOutsideTheVocabularyAndChangesNothing) {
  CounterChanges changes;
  ASSERT_TRUE(changes.Count(2024, kAdviserMeetings).ok());
  const CounterChanges before = changes;
  auto rejected = [&](int fy, std::string_view metric, std::vector<DimensionValue> dimensions) {
    Status status = changes.Count(fy, metric, dimensions);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    return status.code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(rejected(1899, kCasesOpened, {}));
  EXPECT_TRUE(rejected(10000, kCasesOpened, {}));
  EXPECT_TRUE(rejected(2024, "cases", {}));
  EXPECT_TRUE(rejected(2024, kCasesOpened, {{"ward", "kita"}}));
  EXPECT_TRUE(rejected(2024, kCasesOpened, {{kIssueTag, "8050"}, {kDistrict, ""}}));
  EXPECT_TRUE(rejected(2024, kCasesOpened, {{kDistrict, "kita"}, {kDistrict, "minami"}}));
  EXPECT_TRUE(rejected(2024, kCasesClosed, {{kDistrict, "kita"}}));
  EXPECT_TRUE(rejected(2024, kCasesClosed, {{kOutcome, "resolved"}, {kOutcome, "unresolved"}}));
  EXPECT_TRUE(rejected(2024, kCasesOpened, {{kOutcome, "resolved"}}));
  EXPECT_EQ(changes, before);
}

TEST(CountersTest, ApplyToAndReadCountersRoundTrip) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"));
  CounterChanges changes;
  for (int fy : {2023, 2024, 2025}) {
    ASSERT_TRUE(changes.Count(fy, kCasesCoordinated, {{kDistrict, "kita"}}, fy - 2020).ok());
  }
  ASSERT_TRUE(changes.Count(2024, kCasesCompletedByAdvice, {{kIssueTag, "debt"}}, -2).ok());
  storage::WriteBatch batch(*storage);
  batch.Put(ColumnFamily::kRecords, "cases/1", "record");  // the event, in the same batch
  changes.ApplyTo(&batch);
  std::string other;  // another store's read-modify-write counter in the same family
  storage::AppendString(&other, "coop-survey-counts");
  batch.Put(ColumnFamily::kCounters, other, std::string(16, '\x01'));
  ASSERT_TRUE(storage->Commit(batch).ok());
  ASSERT_TRUE(Commit(*storage, changes).ok());  // and once more: values add up

  CounterTable doubled;
  for (const auto& [key, delta] : changes.deltas()) doubled[key] = 2 * delta;
  EXPECT_EQ(ReadOrDie(*storage, 2023, 2025), doubled);
  EXPECT_EQ(ReadOrDie(*storage, kMinFiscalYear, kMaxFiscalYear), doubled);
  EXPECT_EQ(ReadOrDie(*storage, 2024, 2024),
            (CounterTable{{Total(2024, kCasesCompletedByAdvice), -4},
                          {By(2024, kCasesCompletedByAdvice, kIssueTag, "debt"), -4},
                          {Total(2024, kCasesCoordinated), 8},
                          {By(2024, kCasesCoordinated, kDistrict, "kita"), 8}}));
  EXPECT_TRUE(ReadOrDie(*storage, 2026, 2030).empty());
  EXPECT_EQ(ReadCounter(*storage, Total(2025, kCasesCoordinated)).value(), 10);
  EXPECT_EQ(ReadCounter(*storage, Total(2025, kCaseMeetings)).value(), 0);
  EXPECT_EQ(ReadCounters(*storage, 2025, 2024).status().code(), StatusCode::kInvalidArgument);

  // Counters back at zero are left out.
  CounterChanges undo;
  ASSERT_TRUE(undo.Count(2023, kCasesCoordinated, {{kDistrict, "kita"}}, -6).ok());
  ASSERT_TRUE(Commit(*storage, undo).ok());
  EXPECT_TRUE(ReadOrDie(*storage, 2023, 2023).empty());
}

TEST(CountersTest, CompareReportsExactlyTheDifferingKeys) {
  const CounterTable stored = {
      {Total(2024, "a"), 1}, {Total(2024, "b"), 2}, {Total(2024, "c"), 3}, {Total(2024, "z"), 0}};
  const CounterTable recomputed = {
      {Total(2023, "x"), 0}, {Total(2024, "b"), 2}, {Total(2024, "c"), 4}, {Total(2024, "d"), 5}};
  EXPECT_THAT(Compare(stored, recomputed),
              ::testing::ElementsAre(CounterDifference{Total(2024, "a"), 1, 0},
                                     CounterDifference{Total(2024, "c"), 3, 4},
                                     CounterDifference{Total(2024, "d"), 0, 5}));
  EXPECT_TRUE(Compare(stored, stored).empty());
  EXPECT_TRUE(Compare({}, {}).empty());
  EXPECT_EQ(Compare({}, recomputed).size(), 3u);  // b, c, d; x is 0
}

TEST(CountersTest, ReplaceCountersLeavesExactlyTheRecomputedSet) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"));
  CounterChanges drifted;
  ASSERT_TRUE(drifted.Count(2022, kCaseMeetings, {}, 4).ok());
  ASSERT_TRUE(drifted.Count(2024, kCasesOpened, {{kDistrict, "kita"}, {kIssueTag, "8050"}}).ok());
  ASSERT_TRUE(Commit(*storage, drifted).ok());
  std::string other;
  storage::AppendString(&other, "coop-survey-counts");
  {
    storage::WriteBatch batch(*storage);
    batch.Put(ColumnFamily::kCounters, other, "survey");
    // A corrupt counter: its value cannot be read, only deleted.
    const std::string bad = EncodeCounterKey(Total(2023, kAdviserMeetings));
    batch.Put(ColumnFamily::kCounters, bad, "abc");
    batch.Add(ColumnFamily::kCounters, bad, 1);
    ASSERT_TRUE(storage->Commit(batch).ok());
  }
  EXPECT_EQ(ReadCounters(*storage, 2020, 2025).status().code(), StatusCode::kDataLoss);

  CounterChanges recomputed;
  ASSERT_TRUE(recomputed.Count(2024, kCasesOpened, {{kDistrict, "minami"}}).ok());
  ASSERT_TRUE(recomputed.Count(2025, kAdviserMeetings, {}, 2).ok());
  ASSERT_TRUE(ReplaceCounters(*storage, recomputed.deltas()).ok());
  EXPECT_EQ(ReadOrDie(*storage, kMinFiscalYear, kMaxFiscalYear), recomputed.deltas());
  EXPECT_TRUE(Compare(ReadOrDie(*storage, 2020, 2030), recomputed.deltas()).empty());
  EXPECT_EQ(storage->Get(ColumnFamily::kCounters, other)->value(), "survey");

  // Zero entries of the recomputed table are not written; and it survives compaction.
  CounterTable with_zero = recomputed.deltas();
  with_zero[Total(2026, kCaseMeetings)] = 0;
  ASSERT_TRUE(ReplaceCounters(*storage, with_zero).ok());
  ASSERT_TRUE(storage->CompactAll().ok());
  EXPECT_EQ(ReadOrDie(*storage, kMinFiscalYear, kMaxFiscalYear), recomputed.deltas());
  auto it = storage->NewIterator(ColumnFamily::kCounters);
  size_t keys = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++keys;
  EXPECT_EQ(keys, recomputed.deltas().size() + 1);  // + the survey counter
}

TEST(CountersTest, ConcurrentCommitsFromThreadsSum) {
  constexpr int kThreads = 8;
  constexpr int kEventsPerThread = 250;
  const std::vector<std::string> districts = {"kita", "minami", "higashi"};
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.Sub("db"));
  std::atomic<int> failures{0};
  std::vector<CounterChanges> per_thread(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        CounterChanges event;
        std::vector<DimensionValue> dimensions = {{kDistrict, districts[(t + i) % 3]},
                                                  {kIssueTag, "8050"}};
        if (i % 4 == 0) dimensions.push_back({kIssueTag, "young-carer"});
        if (!event.Count(2024 + i % 2, kCasesOpened, dimensions).ok()) ++failures;
        if (!event.Count(2024, kCoordinationContacts, {{kField, "elderly"}}, i % 3).ok()) {
          ++failures;
        }
        storage::WriteBatch batch(*storage);
        batch.Put(ColumnFamily::kRecords, "cases/" + std::to_string(t * kEventsPerThread + i), "x");
        event.ApplyTo(&batch);
        if (!storage->Commit(batch).ok()) ++failures;
        per_thread[t].Merge(event);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  CounterChanges expected;
  for (const auto& changes : per_thread) expected.Merge(changes);
  EXPECT_EQ(expected.deltas().at(Total(2024, kCasesOpened)), kThreads * kEventsPerThread / 2);
  EXPECT_EQ(expected.deltas().at(By(2025, kCasesOpened, kIssueTag, "8050")),
            kThreads * kEventsPerThread / 2);
  EXPECT_THAT(Compare(ReadOrDie(*storage, 2024, 2025), expected.deltas()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace casecoord::stats
