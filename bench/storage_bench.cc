// Cost of encryption at rest: the project's Storage opened plaintext (no keyring) against the same
// Storage encrypted with a fresh Keyring, in one process, both databases open at once and measured
// in alternating quarter-second slices (A B B A ...), so that noise from the shared machine and its
// disk falls on both sides alike. The figure that matters is the ratio encrypted/plain (goal
// >= 0.95), reported as the median of the per-round ratios.
//
//   storage_bench [--seconds S] [--records N] [--rounds R] [--read-threads T] [--cache-mib M]
//
// This is a program, not a test: it prints figures and never fails on them.

#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "services/storage/encryption.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;
using storage::ColumnFamily;
using storage::Storage;
using storage::StorageOptions;

// A case record as the server stores it: a 14-byte key and a serialized message; together ~300
// bytes. Random value bytes defeat compression, so both variants do the same work on the same data.
constexpr size_t kValueBytes = 286;
constexpr int kWriteConcurrencies[] = {1, 16};
constexpr double kGoal = 0.95;

struct Flags {
  double seconds = 2.0;
  int records = 200000;
  int rounds = 3;
  int read_threads = 4;
  int cache_mib = 8;
};

[[noreturn]] void Die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "storage_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

std::shared_ptr<const storage::Keyring> KeyringFor(bool encrypted) {
  // A fresh key per database, as a new installation would have.
  if (!encrypted) return nullptr;
  return std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
}

std::unique_ptr<Storage> OpenOrDie(const std::string& path,
                                   std::shared_ptr<const storage::Keyring> keyring,
                                   size_t block_cache_bytes) {
  StorageOptions options;
  options.path = path;
  options.keyring = std::move(keyring);
  options.block_cache_bytes = block_cache_bytes;
  auto opened = Storage::Open(options);
  if (!opened.ok()) Die("opening " + path, opened.status());
  return std::move(opened).value();
}

std::string CaseKey(uint64_t id) {
  char key[32];
  std::snprintf(key, sizeof(key), "cases/%08llu", static_cast<unsigned long long>(id % 100000000));
  return key;
}

// Values are slices of one random buffer, so that generating them costs nothing in the timed loops.
class ValueSource {
 public:
  ValueSource() : bytes_(size_t{1} << 20, '\0') {
    std::mt19937_64 rng(42);
    for (auto& c : bytes_) c = static_cast<char>(rng());
  }
  std::string_view At(uint64_t n) const {
    size_t offset = (n * 7919) % (bytes_.size() - kValueBytes);
    return std::string_view(bytes_).substr(offset, kValueBytes);
  }

 private:
  std::string bytes_;
};

const ValueSource& Values() {
  static const ValueSource* values = new ValueSource();
  return *values;
}

struct Measurement {
  double ops_per_second = 0;
  double p50_us = NAN;
  double p99_us = NAN;
};

using Op = std::function<bool(int thread, uint64_t n)>;

// What one variant accumulated over all its slices of one measurement.
struct Tally {
  uint64_t ops = 0;
  double seconds = 0;
  std::vector<float> latencies_us;

  Measurement Result() {
    Measurement m;
    m.ops_per_second = ops / seconds;
    m.p50_us = Percentile(latencies_us, 0.50);
    m.p99_us = Percentile(latencies_us, 0.99);
    return m;
  }
};

// Runs `threads` copies of `op` (false means it failed) for `warmup_seconds`, then for `seconds`;
// only operations that start and complete inside the measured window count.
void RunSlice(int threads, double warmup_seconds, double seconds, const Op& op, Tally* tally) {
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<bool> failed{false};
  std::vector<std::vector<float>> latencies(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto& mine = latencies[t];
      mine.reserve(1 << 14);
      for (uint64_t n = 0;; ++n) {
        int before = phase.load(std::memory_order_relaxed);
        if (before == 2) break;
        auto start = Clock::now();
        if (!op(t, n)) {
          failed = true;
          break;
        }
        auto end = Clock::now();
        if (before == 1 && phase.load(std::memory_order_relaxed) == 1) {
          mine.push_back(std::chrono::duration<float, std::micro>(end - start).count());
        }
      }
    });
  }
  const double measured = MeasureWindow(phase, warmup_seconds, seconds);
  for (auto& worker : workers) worker.join();
  if (failed) {
    std::fprintf(stderr, "storage_bench: an operation failed\n");
    std::exit(1);
  }
  for (auto& mine : latencies) {
    tally->ops += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
}

// The slice pattern A B B A A B B A ...: each variant runs first as often as second, and the two
// sides of every pair are a fraction of a second apart, so slow phases of the shared machine (or of
// its disk) hit both alike.
std::vector<int> SliceOrder(int first, int pairs) {
  std::vector<int> order;
  for (int i = 0; i < pairs; ++i) {
    int a = i % 2 == 0 ? first : 1 - first;
    order.push_back(a);
    order.push_back(1 - a);
  }
  return order;
}

constexpr double kSliceSeconds = 0.25;
// Long enough for freshly started threads to be running before the window opens.
constexpr double kSliceWarmupSeconds = 0.02;

// ops[0] is plain, ops[1] encrypted. Each gets `seconds` of measured time in slices.
std::array<Measurement, 2> Interleave(int threads, double seconds, int first,
                                      const std::array<Op, 2>& ops) {
  for (int variant : {first, 1 - first}) {
    Tally discard;
    RunSlice(threads, 0, std::min(0.5, seconds / 4), ops[variant], &discard);
  }
  int pairs = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  double slice = seconds / pairs;
  std::array<Tally, 2> tallies;
  for (int variant : SliceOrder(first, pairs)) {
    RunSlice(threads, kSliceWarmupSeconds, slice, ops[variant], &tallies[variant]);
  }
  return {tallies[0].Result(), tallies[1].Result()};
}

// One synced WriteBatch per record, as the server commits one case change per call. Fresh
// databases each time, so neither variant writes into a database the other has grown.
std::array<Measurement, 2> MeasureWrites(int concurrency, double seconds, int first) {
  std::array<testing::TempDir, 2> dirs;
  std::array<std::unique_ptr<Storage>, 2> dbs;
  std::array<std::atomic<uint64_t>, 2> next_id{};
  std::array<Op, 2> ops;
  for (int variant : {0, 1}) {
    dbs[variant] = OpenOrDie(dirs[variant].Sub("db"), KeyringFor(variant == 1), size_t{64} << 20);
    ops[variant] = [&, variant](int, uint64_t) {
      Storage& db = *dbs[variant];
      uint64_t id = next_id[variant].fetch_add(1, std::memory_order_relaxed);
      storage::WriteBatch batch(db);
      batch.Put(ColumnFamily::kRecords, CaseKey(id), Values().At(id));
      Status committed = db.Commit(batch);
      if (!committed.ok()) std::fprintf(stderr, "%s\n", committed.ToString().c_str());
      return committed.ok();
    };
  }
  return Interleave(concurrency, seconds, first, ops);
}

struct ReadDatabase {
  std::unique_ptr<testing::TempDir> dir;
  std::shared_ptr<const storage::Keyring> keyring;
  std::string path;
};

// Identical contents for both variants; compacted so that reads hit table files, not memtables.
ReadDatabase LoadReadDatabase(bool encrypted, int records) {
  ReadDatabase out;
  out.dir = std::make_unique<testing::TempDir>();
  out.path = out.dir->Sub("db");
  out.keyring = KeyringFor(encrypted);
  auto db = OpenOrDie(out.path, out.keyring, size_t{64} << 20);
  constexpr int kBatch = 1000;
  for (int first = 0; first < records; first += kBatch) {
    storage::WriteBatch batch(*db);
    for (int id = first; id < std::min(records, first + kBatch); ++id) {
      batch.Put(ColumnFamily::kRecords, CaseKey(id), Values().At(id));
    }
    Status committed = db->Commit(batch);
    if (!committed.ok()) Die("loading", committed);
  }
  Status compacted = db->CompactAll();
  if (!compacted.ok()) Die("compacting", compacted);
  return out;
}

struct ReadResults {
  std::array<Measurement, 2> reads;
  std::array<Measurement, 2> scan;
  // Data blocks read from the file (not the block cache) per Get, measured after the run: shows
  // that the reads measure decryption, not cache hits.
  std::array<double, 2> file_blocks_per_get{};
};

double FileBlocksPerGet(const Storage& db, int records) {
  constexpr int kProbes = 20000;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> pick(0, records - 1);
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  for (int i = 0; i < kProbes; ++i) {
    auto value = db.Get(ColumnFamily::kRecords, CaseKey(pick(rng)));
    if (!value.ok()) Die("probe", value.status());
  }
  double blocks = static_cast<double>(rocksdb::get_perf_context()->block_read_count) / kProbes;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  return blocks;
}

// A full scan in key order; returns its duration.
double ScanPass(const Storage& db, int records) {
  auto start = Clock::now();
  auto it = db.NewIterator(ColumnFamily::kRecords);
  uint64_t count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->value().size() != kValueBytes)
      Die("scan", Status(Reason::kStorageCorruption, "scan read a value of the wrong size"));
    ++count;
  }
  if (!it->status().ok()) Die("scan", storage::FromRocksStatus(it->status(), "scan"));
  if (count != static_cast<uint64_t>(records)) {
    Die("scan",
        Status(Reason::kStorageCorruption, "scan counted " + std::to_string(count) + " records"));
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Random point reads from several threads with a block cache much smaller than the data, so most
// reads go to the file (and, encrypted, decrypt a block); then full scans, pass by pass.
ReadResults MeasureReads(const std::array<ReadDatabase, 2>& databases, const Flags& flags,
                         int first) {
  // Reopened every round: the block cache starts cold for both alike.
  std::array<std::unique_ptr<Storage>, 2> dbs;
  std::array<std::vector<std::mt19937_64>, 2> rngs;
  std::array<Op, 2> ops;
  std::uniform_int_distribution<int> pick(0, flags.records - 1);
  for (int variant : {0, 1}) {
    dbs[variant] = OpenOrDie(databases[variant].path, databases[variant].keyring,
                             size_t(flags.cache_mib) << 20);
    for (int t = 0; t < flags.read_threads; ++t) rngs[variant].emplace_back(1000 * variant + t);
    ops[variant] = [&, variant](int thread, uint64_t) {
      auto value = dbs[variant]->Get(ColumnFamily::kRecords, CaseKey(pick(rngs[variant][thread])));
      return value.ok() && value->has_value() && (*value)->size() == kValueBytes;
    };
  }
  ReadResults results;
  results.reads = Interleave(flags.read_threads, flags.seconds, first, ops);
  for (int variant : {0, 1}) {
    results.file_blocks_per_get[variant] = FileBlocksPerGet(*dbs[variant], flags.records);
  }

  // Scans alternate pass by pass (A B B A ...) until each variant has had `seconds`.
  std::array<Tally, 2> tallies;
  for (int variant : {first, 1 - first}) ScanPass(*dbs[variant], flags.records);  // warm-up
  for (int i = 0; tallies[0].seconds < flags.seconds || tallies[1].seconds < flags.seconds; ++i) {
    int a = i % 2 == 0 ? first : 1 - first;
    for (int variant : {a, 1 - a}) {
      tallies[variant].seconds += ScanPass(*dbs[variant], flags.records);
      tallies[variant].ops += flags.records;
    }
  }
  results.scan = {tallies[0].Result(), tallies[1].Result()};
  return results;
}

struct Metric {
  std::string name;
  // [0] plain, [1] encrypted; one entry per round.
  std::vector<Measurement> runs[2];
  std::vector<double> ratios;
};

std::string Latency(const Measurement& m) {
  if (std::isnan(m.p50_us)) return "-";
  char text[64];
  // Cached reads take a microsecond or two; whole microseconds would hide the difference.
  const char* format = m.p99_us < 100 ? "%.1f / %.1f" : "%.0f / %.0f";
  std::snprintf(text, sizeof(text), format, m.p50_us, m.p99_us);
  return text;
}

Measurement MedianOf(const std::vector<Measurement>& runs) {
  std::vector<double> ops, p50, p99;
  for (const auto& m : runs) {
    ops.push_back(m.ops_per_second);
    p50.push_back(m.p50_us);
    p99.push_back(m.p99_us);
  }
  return Measurement{Median(ops), Median(p50), Median(p99)};
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(
      argc, argv,
      "storage_bench [--seconds S] [--records N] [--rounds R] [--read-threads T] [--cache-mib M]",
      FlagSpec{{{"--seconds", &flags.seconds}},
               {{"--records", &flags.records},
                {"--rounds", &flags.rounds},
                {"--read-threads", &flags.read_threads},
                {"--cache-mib", &flags.cache_mib}},
               {}});
  std::printf(
      "storage_bench: %d rounds, %.1f s per measurement, records of %zu bytes (14-byte key + "
      "%zu-byte random value), %d read records, %d read threads, %d MiB block cache for reads, "
      "%u hardware threads\n",
      flags.rounds, flags.seconds, 14 + kValueBytes, kValueBytes, flags.records, flags.read_threads,
      flags.cache_mib, std::thread::hardware_concurrency());
  std::printf("writes: one synced WriteBatch per record; ops/s = acknowledged (durable) commits\n");
  std::fflush(stdout);

  std::vector<Metric> metrics;
  for (int c : kWriteConcurrencies) metrics.push_back({"writes c=" + std::to_string(c), {}, {}});
  const size_t kReads = metrics.size();
  metrics.push_back({"random reads t=" + std::to_string(flags.read_threads), {}, {}});
  const size_t kScan = metrics.size();
  metrics.push_back({"scan (records/s)", {}, {}});

  auto load_start = Clock::now();
  std::array<ReadDatabase, 2> read_databases = {LoadReadDatabase(false, flags.records),
                                                LoadReadDatabase(true, flags.records)};
  std::printf("loaded and compacted %d records twice in %.1f s\n\n", flags.records,
              std::chrono::duration<double>(Clock::now() - load_start).count());

  std::printf("%-5s %-20s %14s %18s %16s %18s %9s\n", "round", "measurement", "plain ops/s",
              "plain p50/p99 us", "encrypted ops/s", "enc p50/p99 us", "enc/plain");
  for (int round = 0; round < flags.rounds; ++round) {
    // Alternate which variant goes first, so neither always runs on a warmer (or busier) machine.
    const int first = round % 2;
    auto report = [&](size_t metric, const std::array<Measurement, 2>& m) {
      for (int variant : {0, 1}) metrics[metric].runs[variant].push_back(m[variant]);
      double ratio = m[1].ops_per_second / m[0].ops_per_second;
      metrics[metric].ratios.push_back(ratio);
      std::printf("%-5d %-20s %14.0f %18s %16.0f %18s %9.3f\n", round + 1,
                  metrics[metric].name.c_str(), m[0].ops_per_second, Latency(m[0]).c_str(),
                  m[1].ops_per_second, Latency(m[1]).c_str(), ratio);
      std::fflush(stdout);
    };
    for (size_t w = 0; w < std::size(kWriteConcurrencies); ++w) {
      report(w, MeasureWrites(kWriteConcurrencies[w], flags.seconds, first));
    }
    ReadResults read = MeasureReads(read_databases, flags, first);
    report(kReads, read.reads);
    report(kScan, read.scan);
    std::printf("      (data blocks read from file per Get: plain %.2f, encrypted %.2f)\n",
                read.file_blocks_per_get[0], read.file_blocks_per_get[1]);
  }

  std::printf("\nmedians over %d rounds (ratio = median of the per-round ratios)\n", flags.rounds);
  std::printf("%-20s %14s %14s %9s %16s %16s  %s\n", "measurement", "plain ops/s",
              "encrypted ops/s", "enc/plain", "plain p50/p99us", "enc p50/p99us",
              "per-round ratios");
  for (const auto& metric : metrics) {
    Measurement plain = MedianOf(metric.runs[0]);
    Measurement encrypted = MedianOf(metric.runs[1]);
    std::string ratios;
    for (double r : metric.ratios) {
      char text[16];
      std::snprintf(text, sizeof(text), "%s%.3f", ratios.empty() ? "" : " ", r);
      ratios += text;
    }
    std::printf("%-20s %14.0f %14.0f %9.3f %16s %16s  %s\n", metric.name.c_str(),
                plain.ops_per_second, encrypted.ops_per_second, Median(metric.ratios),
                Latency(plain).c_str(), Latency(encrypted).c_str(), ratios.c_str());
  }
  std::printf("\n");
  for (const auto& metric : metrics) {
    double ratio = Median(metric.ratios);
    std::printf("ratio encrypted/plain %s: %.2f (goal >= %.2f: %s)\n", metric.name.c_str(), ratio,
                kGoal, ratio >= kGoal ? "met" : "NOT met");
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
