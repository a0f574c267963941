// Published years (statistics.proto, YearRelease): a closed fiscal year's counts and the cells
// hidden in it, frozen when a planner publishes it, so that every later report shows the year as
// published.
//
// Thread safety: FrozenYears is a plain value. YearReleases' methods may be called concurrently;
// PreparePublish callers hold LockForPublish() until the batch is committed.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "casecoord/v1/statistics.pb.h"
#include "services/common/status.h"
#include "services/stats/counters.h"
#include "services/storage/storage.h"

namespace casecoord::stats {

// The releases read from storage, by fiscal year.
struct FrozenYears {
  std::map<int, v1::FrozenYear> years;
  // (fiscal year, "{table}|{row key}") of every frozen hidden cell.
  std::set<std::pair<int, std::string>> suppressed;

  bool Published(int year) const { return years.count(year) > 0; }
  // Whether the cell of `row_key` and `year` in `table` was hidden when `year` was published
  // (every cell of a table then withheld counts as hidden).
  bool Suppressed(int year, const std::string& table, const std::string& row_key) const {
    return suppressed.count({year, table + "|" + row_key}) > 0 ||
           suppressed.count({year, table + "|" + kWithheldTable}) > 0;
  }
  // The row key standing for every row of a table withheld at publication.
  static constexpr char kWithheldTable[] = "*";
  // Replaces the counters of every published year in `counters` by the frozen ones.
  void Overlay(CounterTable& counters) const;
};

// "statistics/releases/2024".
std::string YearReleaseName(int fiscal_year);

// Every release. DATA_LOSS (YEAR_RELEASE_CORRUPT) if one cannot be read.
Result<FrozenYears> ReadFrozenYears(const storage::Storage& storage);

class YearReleases {
 public:
  explicit YearReleases(const storage::Storage& storage) : storage_(storage) {}

  // Serialises publications, so that a year is published once.
  std::unique_lock<std::mutex> LockForPublish() { return std::unique_lock<std::mutex>(mutex_); }

  // OK if `fiscal_year` may be published: closed (before `current_fiscal_year`; else
  // FAILED_PRECONDITION YEAR_NOT_CLOSED) and not published yet (ALREADY_EXISTS
  // YEAR_ALREADY_PUBLISHED).
  Status CheckPublishable(int fiscal_year, int current_fiscal_year) const;

  // Completes the release of `content` (name, time, publisher, sizes) and puts it into `batch`.
  // Call under LockForPublish() after CheckPublishable. Returns the release.
  v1::YearRelease PreparePublish(v1::FrozenYear content, const std::string& user_id,
                                 std::chrono::system_clock::time_point now,
                                 storage::WriteBatch* batch) const;

 private:
  const storage::Storage& storage_;
  std::mutex mutex_;
};

}  // namespace casecoord::stats
