#include "services/stats/counters.h"

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "services/storage/counters.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::stats {
namespace {

using storage::ColumnFamily;

constexpr std::array<std::string_view, 7> kMetrics = {
    kCasesCompletedByAdvice, kCasesCoordinated, kCoordinationContacts, kCaseMeetings,
    kAdviserMeetings,        kCasesClosed,      kCasesOpened};
constexpr std::array<std::string_view, 5> kDimensions = {kField, kIssueTag, kDistrict,
                                                         kReferrerKind, kOutcome};
// Dimensions an event has at most one value of.
constexpr std::array<std::string_view, 3> kSingleValued = {kDistrict, kReferrerKind, kOutcome};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string Prefix() {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kCounter.name);
  return key;
}

std::string YearPrefix(int64_t fiscal_year) {
  std::string key = Prefix();
  storage::AppendInt64(&key, fiscal_year);
  return key;
}

// Two's complement sum, as the merge operator computes it.
int64_t WrappingAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace

std::string CounterKey::ToString() const {
  std::string out = std::to_string(fiscal_year) + "/" + metric;
  if (!is_total()) out += "/" + dimension + "=" + value;
  return out;
}

std::string EncodeCounterKey(const CounterKey& key) {
  std::string out = YearPrefix(key.fiscal_year);
  storage::AppendString(&out, key.metric);
  storage::AppendString(&out, key.dimension);
  storage::AppendString(&out, key.value);
  return out;
}

std::optional<CounterKey> DecodeCounterKey(std::string_view encoded) {
  storage::KeyReader reader(encoded);
  std::string prefix;
  int64_t fiscal_year = 0;
  CounterKey key;
  if (!reader.ReadString(&prefix) || prefix != storage::key_spaces::kCounter.name ||
      !reader.ReadInt64(&fiscal_year) || fiscal_year < std::numeric_limits<int>::min() ||
      fiscal_year > std::numeric_limits<int>::max() || !reader.ReadString(&key.metric) ||
      !reader.ReadString(&key.dimension) || !reader.ReadString(&key.value) || !reader.done()) {
    return std::nullopt;
  }
  key.fiscal_year = static_cast<int>(fiscal_year);
  return key;
}

Status CounterChanges::Count(int fiscal_year, std::string_view metric,
                             const std::vector<DimensionValue>& dimensions, int64_t delta) {
  if (fiscal_year < kMinFiscalYear || fiscal_year > kMaxFiscalYear) {
    return Status::InvalidArgument("fiscal_year", "must be " + std::to_string(kMinFiscalYear) +
                                                      " to " + std::to_string(kMaxFiscalYear));
  }
  if (!Contains(kMetrics, metric)) {
    return Status::InvalidArgument("metric", "unknown metric \"" + std::string(metric) + "\"");
  }
  std::set<std::pair<std::string_view, std::string_view>> pairs;
  std::set<std::string_view> single_valued_seen;
  for (const auto& [dimension, value] : dimensions) {
    if (!Contains(kDimensions, dimension)) {
      return Status::InvalidArgument("dimension", "unknown dimension \"" + dimension + "\"");
    }
    if (value.empty()) {
      return Status::InvalidArgument("dimension", "dimension \"" + dimension + "\" has no value");
    }
    if (!pairs.emplace(dimension, value).second) continue;  // the same pair twice counts once
    if (Contains(kSingleValued, dimension) && !single_valued_seen.insert(dimension).second) {
      return Status::InvalidArgument("dimension",
                                     "dimension \"" + dimension + "\" takes one value per event");
    }
  }
  if ((metric == kCasesClosed) != single_valued_seen.contains(kOutcome)) {
    return Status::InvalidArgument("dimension", std::string("\"") + kOutcome +
                                                    "\" is required with \"" + kCasesClosed +
                                                    "\" and allowed with it only");
  }
  if (delta == 0) return Status::Ok();
  Add(CounterKey{fiscal_year, std::string(metric), "", ""}, delta);
  for (const auto& [dimension, value] : pairs) {
    Add(CounterKey{fiscal_year, std::string(metric), std::string(dimension), std::string(value)},
        delta);
  }
  return Status::Ok();
}

void CounterChanges::Add(const CounterKey& key, int64_t delta) {
  auto [it, inserted] = deltas_.try_emplace(key, delta);
  if (inserted) return;
  it->second = WrappingAdd(it->second, delta);
  if (it->second == 0) deltas_.erase(it);
}

void CounterChanges::Merge(const CounterChanges& other) {
  for (const auto& [key, delta] : other.deltas_) Add(key, delta);
}

void CounterChanges::ApplyTo(storage::WriteBatch* batch) const {
  for (const auto& [key, delta] : deltas_) {
    batch->Add(ColumnFamily::kCounters, EncodeCounterKey(key), delta);
  }
}

Result<CounterTable> ReadCounters(const storage::Storage& storage, int fiscal_year_from,
                                  int fiscal_year_to) {
  if (fiscal_year_from > fiscal_year_to) {
    return Status::InvalidArgument("fiscal_year_to", "must not be before fiscal_year_from");
  }
  const std::string end = YearPrefix(int64_t{fiscal_year_to} + 1);
  CounterTable out;
  auto it = storage.NewIterator(ColumnFamily::kCounters);
  for (it->Seek(YearPrefix(fiscal_year_from)); it->Valid() && it->key().compare(end) < 0;
       it->Next()) {
    auto key = DecodeCounterKey(it->key().ToStringView());
    if (!key) {
      return Status(Reason::kCounterKeyCorrupt, "a statistics counter key is unreadable");
    }
    auto value = storage::DecodeCounterValue(it->value().ToStringView());
    if (!value) {
      return Status(Reason::kCounterCorrupt,
                    "the statistics counter " + key->ToString() + " is unreadable");
    }
    // Keys arrive in order: appending at the end costs no search.
    if (*value != 0) out.emplace_hint(out.end(), std::move(*key), *value);
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading counters");
  return out;
}

Result<int64_t> ReadCounter(const storage::Storage& storage, const CounterKey& key) {
  return storage.GetCounter(EncodeCounterKey(key));
}

std::vector<CounterDifference> Compare(const CounterTable& stored, const CounterTable& recomputed) {
  std::vector<CounterDifference> out;
  auto s = stored.begin();
  auto r = recomputed.begin();
  while (s != stored.end() || r != recomputed.end()) {
    if (r == recomputed.end() || (s != stored.end() && s->first < r->first)) {
      if (s->second != 0) out.push_back({s->first, s->second, 0});
      ++s;
    } else if (s == stored.end() || r->first < s->first) {
      if (r->second != 0) out.push_back({r->first, 0, r->second});
      ++r;
    } else {
      if (s->second != r->second) out.push_back({s->first, s->second, r->second});
      ++s;
      ++r;
    }
  }
  return out;
}

void PrepareReplaceCounters(const CounterTable& recomputed, storage::WriteBatch* batch) {
  const std::string prefix = Prefix();
  batch->DeleteRange(ColumnFamily::kCounters, prefix, storage::PrefixSuccessor(prefix));
  for (const auto& [key, value] : recomputed) {
    if (value != 0) batch->Add(ColumnFamily::kCounters, EncodeCounterKey(key), value);
  }
}

Status ReplaceCounters(storage::Storage& storage, const CounterTable& recomputed) {
  storage::WriteBatch batch(storage);
  PrepareReplaceCounters(recomputed, &batch);
  return storage.Commit(batch);
}

}  // namespace casecoord::stats
