// The published statistics (事業実績): the yearly table, its breakdowns and the figures plan
// indicators are bound to, built from the counters (counters.h) and protected against disclosure
// (suppression.h) before anything leaves the server.
//
// How protection is decided (statistics.proto states it for the API):
//   - every table of households is suppressed over the canonical range of fiscal years — the first
//     fiscal year that has any count through the current one — whatever range is asked for, so
//     that two answers over different ranges are slices of the same protected table;
//   - a figure that is not a cell of a canonical table (a total over a shorter range, a running
//     sum, a bound indicator's cumulative actual) is published only as a sum of published cells,
//     else "x" (DERIVED);
//   - a breakdown's total row is the statistic's total row as its own table publishes it: the cells
//     suppressed there are suppressed in the breakdown, and the breakdown's complementary
//     suppressions never use a total that is published elsewhere (so each breakdown is safe even
//     for a reader who holds every published total);
//   - every protected table is audited (FindDeterminedCells) before it is used: a table that fails
//     is an INTERNAL error, never an answer.
// Activity statistics (meetings, contacts) count events, not households: their own section is not
// suppressed, but a breakdown of them by an attribute of the household is, like a household table
// (one contact with a young carer in a district points at that household). Its total row is the
// activities' public total; when no pattern can protect the data rows around it, they are withheld.
//
// Cost: one range read of the counters of the canonical years (a few thousand keys at most,
// independent of the number of cases), then small tables.
//
// Thread safety: a StatisticsSnapshot is not shared between threads; StatisticsReporter's methods
// may be called concurrently.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "casecoord/v1/statistics.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/stats/counters.h"
#include "services/stats/suppression.h"
#include "services/stats/year_release.h"
#include "services/storage/storage.h"

namespace casecoord::stats {

// One table over the canonical years, protected: rows × (years + total column).
struct ProtectedTable {
  v1::StatMetric metric = v1::STAT_METRIC_UNSPECIFIED;
  v1::StatDimension dimension = v1::STAT_DIMENSION_UNSPECIFIED;
  bool counts_households = false;
  // Small cells suppressed (every household table, and every breakdown): see the header comment.
  bool suppressed = false;
  // An activity breakdown that no suppression can protect around its public totals: only the
  // total row is kept.
  bool withheld = false;
  bool rows_add_up = true;
  std::vector<std::string> row_keys;  // the last is "TOTAL"
  int first_year = 0;                 // canonical columns first_year..last_year, then the total
  int last_year = 0;
  std::vector<int64_t> values;  // row-major
  std::vector<v1::SuppressionReason> reasons;

  int columns() const { return last_year - first_year + 2; }
  int64_t value(int row, int column) const { return values[row * columns() + column]; }
  v1::SuppressionReason reason(int row, int column) const {
    return reasons[row * columns() + column];
  }
  // The row of `key`, or -1.
  int RowOf(const std::string& key) const;
};

// A published sum: the value, or nullopt when it includes a suppressed cell.
struct PublishedSum {
  std::optional<int64_t> value;
};

// The counters of the canonical range, read once, and the protected tables built from them on
// demand (each at most once).
class StatisticsSnapshot {
 public:
  // Reads the counters, those of published years as frozen (year_release.h).
  // `current_fiscal_year` ends the canonical range (unless counts exist in a later year). k >= 2.
  static Result<StatisticsSnapshot> Take(const storage::Storage& storage, int current_fiscal_year,
                                         int64_t min_cell_count);

  int first_year() const { return first_year_; }
  int last_year() const { return last_year_; }
  int64_t min_cell_count() const { return min_cell_count_; }
  const FrozenYears& frozen() const { return frozen_; }

  // What publishing `fiscal_year` freezes: its counts and, in the yearly table's first section and
  // every breakdown of a statistic of households, the cells of its column that are hidden.
  // INTERNAL if a table fails its audit.
  Result<v1::FrozenYear> Freeze(int fiscal_year);

  // The protected table of `metric` by `dimension` (STAT_DIMENSION_UNSPECIFIED: the statistic's
  // own table, one data row and the total; for CASES_COORDINATED and CASES_COMPLETED_BY_ADVICE
  // that is the yearly table's first section, whose rows are the two statistics, and for
  // CASES_HANDLED too, whose row is its total). INVALID_ARGUMENT for an unknown statistic, OUTCOME
  // without CASES_CLOSED or CASES_HANDLED with any dimension; INTERNAL if the audit fails.
  Result<const ProtectedTable*> Table(v1::StatMetric metric, v1::StatDimension dimension);

  // The first section of the yearly table (coordinated, completed by advice, total).
  Result<const ProtectedTable*> CasesTable();
  // The second section (case meetings, coordination contacts, adviser meetings, total).
  Result<const ProtectedTable*> ActivitiesTable();

  // The published sum of the statistic `ref` over fiscal years [from, to]: a cell of the canonical
  // table when the range is one year or the whole canonical range, else the sum of the cells when
  // none is suppressed. Years outside the canonical range count 0.
  Result<PublishedSum> Sum(const v1::StatisticRef& ref, int from, int to);

 private:
  StatisticsSnapshot() = default;
  // Suppresses and audits a table of households (the total row's pattern taken from `totals`,
  // when given; the cells of published years hidden as they were published) and keeps it under
  // `key`.
  Result<const ProtectedTable*> Protect(std::pair<int, int> key, ProtectedTable table,
                                        const ProtectedTable* totals);
  int64_t Count(int year, const char* metric, const std::string& dimension,
                const std::string& value) const;

  int first_year_ = 0;
  int last_year_ = 0;
  int64_t min_cell_count_ = kDefaultMinPublishedCount;
  CounterTable counters_;
  FrozenYears frozen_;
  // Keyed by (metric, dimension); the yearly table's sections by keys no statistic has.
  std::map<std::pair<int, int>, ProtectedTable> tables_;
};

class StatisticsReporter {
 public:
  // Both must outlive the reporter. k >= 2.
  StatisticsReporter(const storage::Storage& storage, const Clock& clock, int64_t min_cell_count)
      : storage_(storage), clock_(clock), min_cell_count_(min_cell_count) {}

  // A snapshot as of now.
  Result<StatisticsSnapshot> Snapshot() const;

  // The yearly report. INVALID_ARGUMENT naming the field: fiscal_year_from/fiscal_year_to outside
  // 1990 to the current fiscal year + 1, from after to, more than 20 years; a breakdown without a
  // statistic or dimension, or OUTCOME with another statistic than CASES_CLOSED.
  Result<v1::YearlyReport> YearlyReport(const v1::GetYearlyReportRequest& request) const;

  // The disclosure-control metadata of answers from `snapshot`.
  v1::DisclosureControl Disclosure(const StatisticsSnapshot& snapshot) const;

  int64_t min_cell_count() const { return min_cell_count_; }
  const Clock& clock() const { return clock_; }

 private:
  const storage::Storage& storage_;
  const Clock& clock_;
  int64_t min_cell_count_;
};

// The fiscal years a request may name: 1990 to the current fiscal year + 1.
inline constexpr int kFirstReportableFiscalYear = 1990;
inline constexpr int kMaxReportYears = 20;

// "1,234".
std::string FormatCount(int64_t value);

}  // namespace casecoord::stats
