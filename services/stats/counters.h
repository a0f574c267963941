// The statistics vocabulary (事業実績 and plan indicators): every store counts its events the same
// way, and the statistics service reads the counts back.
//
// A counter is (fiscal year, metric, dimension, value) -> signed 64-bit count, kept in
// storage::ColumnFamily::kCounters and changed only by merge (storage::WriteBatch::Add), in the
// same batch as the event it counts (design rule), so that many writers never read-modify-write.
// Dimension "" with value "" is the metric's total; every other counter breaks the total down by
// one dimension value.
//
// Keys (key_encoding): String("stat") Int64(fiscal_year) String(metric) String(dimension)
// String(value), so they sort by fiscal year, then metric, dimension and value, as CounterKey's
// operator<=> does. Values are category identifiers (district codes, tag ids), never personal data;
// a small count can still point at a household, so suppressing small cells is the publisher's job.
//
// Thread safety: CounterChanges is a value type (one per event, not shared); the free functions may
// be called concurrently, except ReplaceCounters (see there).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::stats {

// Metrics. The first five are the rows of the yearly statistics table (domain.md).
// 推進員への問い合わせ・相談のみで支援完了した件数: cases completed by inquiry or consultation
// only.
inline constexpr char kCasesCompletedByAdvice[] = "cases_completed_by_advice";
// 推進員の相談受付後、関係機関と支援調整した件数: cases coordinated with agencies after intake.
inline constexpr char kCasesCoordinated[] = "cases_coordinated";
// 推進員の訪問等による関係機関との個別調整回数: individual coordination contacts and visits.
inline constexpr char kCoordinationContacts[] = "coordination_contacts";
// ケース検討会議回数: case meetings held (複合課題ケース検討会).
inline constexpr char kCaseMeetings[] = "case_meetings";
// アドバイザー会議開催回数: adviser meetings held.
inline constexpr char kAdviserMeetings[] = "adviser_meetings";
// Cases closed (終結), broken down by kOutcome: resolved (円滑に解決) or not, then reviewed (検証).
// Every count of this metric names exactly one outcome.
inline constexpr char kCasesClosed[] = "cases_closed";
// Cases opened: referred to the coordinator with a linking sheet (つなぐシート).
inline constexpr char kCasesOpened[] = "cases_opened";

// Dimensions. district, referrer_kind and outcome take at most one value per counted event, so
// their breakdown sums to the total at most; field and tag may take several (a household has
// several issues), so their breakdown may exceed the total.
inline constexpr char kField[] = "field";                 // 分野
inline constexpr char kIssueTag[] = "tag";                // issue tag (8050, young carer, ...)
inline constexpr char kDistrict[] = "district";           // 地区 of the household
inline constexpr char kReferrerKind[] = "referrer_kind";  // kind of the referring agency
inline constexpr char kOutcome[] = "outcome";             // with kCasesClosed only

// The fiscal years a counter may have.
inline constexpr int kMinFiscalYear = 1900;
inline constexpr int kMaxFiscalYear = 9999;

struct CounterKey {
  int fiscal_year = 0;
  std::string metric;
  std::string dimension;  // "" for the total
  std::string value;      // "" for the total

  bool is_total() const { return dimension.empty() && value.empty(); }
  // "2024/cases_closed/outcome=resolved", or "2024/cases_closed" for the total; for messages.
  std::string ToString() const;
  // The order of the encoded keys.
  auto operator<=>(const CounterKey&) const = default;
};

// Counter values by key; the functions below never put a zero in one.
using CounterTable = std::map<CounterKey, int64_t>;

// The kCounters key of `key`.
std::string EncodeCounterKey(const CounterKey& key);
// The CounterKey of a kCounters key; std::nullopt unless `encoded` is a well-formed "stat" key.
std::optional<CounterKey> DecodeCounterKey(std::string_view encoded);

struct DimensionValue {
  std::string dimension;
  std::string value;
};

// The counter changes of one event (or, merged, of many), written in the event's batch:
//
//   stats::CounterChanges changes;
//   CASECOORD_RETURN_IF_ERROR(changes.Count(fy, stats::kCasesOpened,
//       {{stats::kDistrict, "kita"}, {stats::kIssueTag, "8050"}, {stats::kIssueTag, "debt"}}));
//   changes.ApplyTo(&batch);  // with the case record, its indexes and its audit entry
//
// Deltas that cancel out (a reclassification counted -1 then +1) leave no entry.
class CounterChanges {
 public:
  // Adds `delta` to the metric's total and to each given dimension value of `fiscal_year`.
  // A (dimension, value) pair given twice counts once. INVALID_ARGUMENT, changing nothing, unless:
  // the fiscal year is within [kMinFiscalYear, kMaxFiscalYear]; the metric and every dimension are
  // constants above; values are non-empty; district, referrer_kind and outcome appear at most once;
  // outcome appears exactly for kCasesClosed.
  Status Count(int fiscal_year, std::string_view metric,
               const std::vector<DimensionValue>& dimensions = {}, int64_t delta = 1);

  // Adds every change of `other`.
  void Merge(const CounterChanges& other);

  // Adds every change to `batch` as a merge into kCounters (nothing for no changes).
  void ApplyTo(storage::WriteBatch* batch) const;

  // The accumulated deltas, no zeros: a rebuild that counts every record into one CounterChanges
  // compares deltas() with ReadCounters (Compare) and writes it with ReplaceCounters.
  const CounterTable& deltas() const { return deltas_; }
  bool empty() const { return deltas_.empty(); }
  bool operator==(const CounterChanges&) const = default;

 private:
  void Add(const CounterKey& key, int64_t delta);

  CounterTable deltas_;
};

// The stored counters of fiscal years [fiscal_year_from, fiscal_year_to], zeros left out (an
// absent counter is 0). INVALID_ARGUMENT if from > to; DATA_LOSS if a key or value under "stat"
// is malformed.
Result<CounterTable> ReadCounters(const storage::Storage& storage, int fiscal_year_from,
                                  int fiscal_year_to);

// One counter's stored value; 0 if absent.
Result<int64_t> ReadCounter(const storage::Storage& storage, const CounterKey& key);

struct CounterDifference {
  CounterKey key;
  int64_t stored = 0;
  int64_t recomputed = 0;
  bool operator==(const CounterDifference&) const = default;
};

// The keys whose values differ, in key order; an absent key counts as 0 on either side.
std::vector<CounterDifference> Compare(const CounterTable& stored, const CounterTable& recomputed);

// For the rebuild tool: in one synced batch, deletes every "stat" counter of every fiscal year
// (by range, without reading them, so unreadable counters go too) and writes the non-zero entries
// of `recomputed`. Events counted between computing `recomputed` and this call are lost, so the
// writers that count must be stopped (the server offline) while rebuilding. A database that a
// malformed counter has stopped must be opened with tolerate_malformed_counters first
// (services/storage/counters.h).
Status ReplaceCounters(storage::Storage& storage, const CounterTable& recomputed);

// The changes of ReplaceCounters, into `batch` (for a rebuild committed with its audit entry while
// the counting writers are held off).
void PrepareReplaceCounters(const CounterTable& recomputed, storage::WriteBatch* batch);

}  // namespace casecoord::stats
