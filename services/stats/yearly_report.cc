#include "services/stats/yearly_report.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "casecoord/v1/cases.pb.h"
#include "casecoord/v1/directory.pb.h"
#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/stats/stat_catalog.h"
#include "services/stats/vocabulary_rows.h"

namespace casecoord::stats {
namespace {

// The keys of the yearly table's two sections in StatisticsSnapshot::tables_ (no statistic has
// number -1 or -2).
constexpr std::pair<int, int> kCasesSection = {-1, 0};
constexpr std::pair<int, int> kActivitiesSection = {-2, 0};

// CASES_HANDLED is not broken down: its cells would be the sums of the cells of the two statistics
// it adds up, and a reader could subtract one from it to recover the other's suppressed cells.
Status CheckHandledNotBrokenDown(v1::StatMetric metric, v1::StatDimension dimension,
                                 const std::string& field) {
  if (metric != v1::CASES_HANDLED || dimension == v1::STAT_DIMENSION_UNSPECIFIED) {
    return Status::Ok();
  }
  return Status::InvalidArgument(field,
                                 "CASES_HANDLED (取扱件数) is not broken down; break down "
                                 "CASES_COORDINATED and CASES_COMPLETED_BY_ADVICE instead");
}

// The statistics whose own table is the yearly table's first section.
bool InCasesSection(v1::StatMetric metric) {
  return metric == v1::CASES_COORDINATED || metric == v1::CASES_COMPLETED_BY_ADVICE ||
         metric == v1::CASES_HANDLED;
}

// The table's name in a release's suppressed_cells.
std::string TableName(std::pair<int, int> key) {
  if (key == kCasesSection) return "CASES";
  return v1::StatMetric_Name(static_cast<v1::StatMetric>(key.first)) + "/" +
         v1::StatDimension_Name(static_cast<v1::StatDimension>(key.second));
}

v1::StatCell MakeCell(int64_t value, v1::SuppressionReason reason) {
  v1::StatCell cell;
  if (reason != v1::SUPPRESSION_REASON_UNSPECIFIED) {
    cell.set_suppressed(true);
    cell.set_reason(reason);
    cell.set_display("x");
  } else {
    cell.set_value(value);
    cell.set_display(FormatCount(value));
  }
  return cell;
}

// A cell of `table` for fiscal year `year` (0 outside the canonical range: nothing was counted).
struct YearCell {
  int64_t value = 0;
  v1::SuppressionReason reason = v1::SUPPRESSION_REASON_UNSPECIFIED;
};

YearCell CellOf(const ProtectedTable& table, int row, int year) {
  if (year < table.first_year || year > table.last_year) return {};
  const int column = year - table.first_year;
  return {table.value(row, column), table.reason(row, column)};
}

// The published sum of a row over [from, to]: the canonical total when the range covers the
// canonical one, else the sum of published cells, else DERIVED.
YearCell RowSum(const ProtectedTable& table, int row, int from, int to) {
  if (from <= table.first_year && to >= table.last_year) {
    const int column = table.columns() - 1;
    return {table.value(row, column), table.reason(row, column)};
  }
  if (from == to) return CellOf(table, row, from);
  YearCell sum;
  for (int year = from; year <= to; ++year) {
    const YearCell cell = CellOf(table, row, year);
    if (cell.reason != v1::SUPPRESSION_REASON_UNSPECIFIED) return {0, v1::DERIVED};
    sum.value += cell.value;
  }
  return sum;
}

void CountReasons(v1::StatTable* out) {
  for (const auto& row : out->rows()) {
    for (const auto& cell : row.cells()) {
      if (cell.reason() == v1::PRIMARY) out->set_primary_suppressed(out->primary_suppressed() + 1);
      if (cell.reason() == v1::COMPLEMENTARY) {
        out->set_complementary_suppressed(out->complementary_suppressed() + 1);
      }
      if (cell.reason() == v1::DERIVED) out->set_derived_suppressed(out->derived_suppressed() + 1);
    }
  }
}

// The columns [from, to] and the total of `table`, as published.
v1::StatTable View(const ProtectedTable& table, int from, int to, bool cumulative) {
  v1::StatTable out;
  out.set_metric(table.metric);
  out.set_dimension(table.dimension);
  out.set_counts_households(table.counts_households);
  out.set_small_cells_suppressed(table.suppressed);
  out.set_withheld(table.withheld);
  out.set_rows_add_up(table.rows_add_up);
  out.set_cumulative(cumulative);
  for (size_t r = 0; r < table.row_keys.size(); ++r) {
    const int row = static_cast<int>(r);
    v1::StatRow* out_row = out.add_rows();
    LabelRow(table.dimension, table.row_keys[r], out_row);
    if (auto label = table.term_labels.find(table.row_keys[r]); label != table.term_labels.end()) {
      out_row->set_label_ja(label->second);
    }
    for (int year = from; year <= to; ++year) {
      const YearCell cell = cumulative ? RowSum(table, row, from, year) : CellOf(table, row, year);
      *out_row->add_cells() = MakeCell(cell.value, cell.reason);
    }
    const YearCell total = RowSum(table, row, from, to);
    *out_row->add_cells() = MakeCell(total.value, total.reason);
  }
  CountReasons(&out);
  return out;
}

v1::SuppressionReason ToProto(SuppressionReason reason) {
  switch (reason) {
    case SuppressionReason::kPrimary:
      return v1::PRIMARY;
    case SuppressionReason::kComplementary:
      return v1::COMPLEMENTARY;
    default:
      return v1::SUPPRESSION_REASON_UNSPECIFIED;
  }
}

int64_t CountIn(const CounterTable& counters, int year, const char* metric,
                const std::string& dimension, const std::string& value) {
  auto it = counters.find(CounterKey{year, metric, dimension, value});
  return it == counters.end() ? 0 : it->second;
}

Status CheckTableRequest(v1::StatMetric metric, v1::StatDimension dimension) {
  if (FindMetric(metric) == nullptr) {
    return Status::InvalidArgument("metric", "choose a statistic (StatMetric)");
  }
  if (dimension != v1::STAT_DIMENSION_UNSPECIFIED && FindDimension(dimension) == nullptr) {
    return Status::InvalidArgument("dimension", "unknown dimension");
  }
  if (dimension == v1::OUTCOME && metric != v1::CASES_CLOSED) {
    return Status::InvalidArgument("dimension", "OUTCOME breaks down CASES_CLOSED only");
  }
  return CheckHandledNotBrokenDown(metric, dimension, "dimension");
}

// The values counted for `metric` under `dimension` from `first_year` on, in display order.
std::vector<std::string> BreakdownKeys(const CounterTable& counters, int first_year,
                                       const MetricInfo& metric, const DimensionInfo& dimension) {
  std::set<std::string> values;
  for (auto it = counters.lower_bound(CounterKey{first_year, "", "", ""}); it != counters.end();
       ++it) {
    if (it->first.metric == metric.counter && it->first.dimension == dimension.counter) {
      values.insert(it->first.value);
    }
  }
  std::vector<std::string> keys(values.begin(), values.end());
  std::stable_sort(keys.begin(), keys.end(), [&dimension](const auto& a, const auto& b) {
    return SortRank(dimension.dimension, a) < SortRank(dimension.dimension, b);
  });
  return keys;
}

// Fills the values of `table`, whose row keys are set (the named values, then the unspecified
// row if `unspecified_row`, then the total): one column per year, then the total column. The
// kUnregisteredKey row, if any, counts the sum of the `unregistered` values.
void FillCounts(const CounterTable& counters, const MetricInfo& metric,
                const DimensionInfo* dimension, bool unspecified_row,
                const std::vector<std::string>& unregistered, ProtectedTable* table) {
  const int rows = static_cast<int>(table->row_keys.size());
  const int columns = table->columns();
  table->values.assign(static_cast<size_t>(rows) * columns, 0);
  for (int year = table->first_year; year <= table->last_year; ++year) {
    const int c = year - table->first_year;
    const int64_t total = CountIn(counters, year, metric.counter, "", "");
    int64_t named = 0;
    const int named_rows = rows - 1 - (unspecified_row ? 1 : 0);
    for (int r = 0; r < named_rows; ++r) {
      int64_t count = 0;
      if (table->row_keys[r] == kUnregisteredKey) {
        for (const auto& value : unregistered) {
          count += CountIn(counters, year, metric.counter, dimension->counter, value);
        }
      } else {
        count = CountIn(counters, year, metric.counter, dimension->counter, table->row_keys[r]);
      }
      table->values[r * columns + c] = count;
      named += count;
    }
    if (unspecified_row)
      table->values[(rows - 2) * columns + c] = std::max<int64_t>(0, total - named);
    table->values[(rows - 1) * columns + c] = total;
  }
  for (int r = 0; r < rows; ++r) {
    int64_t sum = 0;
    for (int c = 0; c + 1 < columns; ++c) sum += table->values[r * columns + c];
    table->values[r * columns + columns - 1] = sum;
  }
}

// An empty "not recorded" row (the one before the total) tells nothing: leave it out.
void DropEmptyUnspecifiedRow(ProtectedTable* table) {
  const int rows = static_cast<int>(table->row_keys.size());
  const int columns = table->columns();
  bool empty = true;
  for (int c = 0; c < columns; ++c) empty = empty && table->values[(rows - 2) * columns + c] == 0;
  if (empty) {
    table->row_keys.erase(table->row_keys.end() - 2);
    table->values.erase(table->values.begin() + static_cast<ptrdiff_t>(rows - 2) * columns,
                        table->values.begin() + static_cast<ptrdiff_t>(rows - 1) * columns);
  }
}

// Adds to `frozen` the cells of `fiscal_year` that `table` (kept under `key`) hides.
void CollectSuppressedCells(std::pair<int, int> key, const ProtectedTable& protected_table,
                            int fiscal_year, v1::FrozenYear* frozen) {
  if (!protected_table.suppressed) return;
  if (protected_table.withheld) {
    frozen->add_suppressed_cells(TableName(key) + "|" + FrozenYears::kWithheldTable);
    return;
  }
  const int column = fiscal_year - protected_table.first_year;
  for (size_t r = 0; r < protected_table.row_keys.size(); ++r) {
    if (protected_table.reason(static_cast<int>(r), column) != v1::SUPPRESSION_REASON_UNSPECIFIED) {
      frozen->add_suppressed_cells(TableName(key) + "|" + protected_table.row_keys[r]);
    }
  }
}

// The tables of `metric` a release freezes: its own, then each breakdown it has.
std::vector<v1::StatDimension> FrozenDimensionsOf(const MetricInfo& metric) {
  std::vector<v1::StatDimension> dimensions = {v1::STAT_DIMENSION_UNSPECIFIED};
  for (const auto& dimension : kDimensionInfo) {
    if (dimension.dimension != v1::OUTCOME || metric.metric == v1::CASES_CLOSED) {
      dimensions.push_back(dimension.dimension);
    }
  }
  return dimensions;
}

// The row of `totals` that holds the total row of `table`.
int TotalsRowOf(const ProtectedTable& table, const ProtectedTable& totals) {
  int totals_row = totals.RowOf(kTotalKey);
  if (totals.dimension == v1::STAT_DIMENSION_UNSPECIFIED && totals.row_keys.size() > 1) {
    totals_row = totals.RowOf(v1::StatMetric_Name(table.metric));
  }
  return totals_row;
}

// The cells of `table` whose pattern is given rather than chosen by the suppression.
std::vector<FixedCell> FixedCellsOf(const ProtectedTable& table, const std::string& name,
                                    const ProtectedTable* totals, int totals_row,
                                    const FrozenYears& frozen) {
  const int rows = static_cast<int>(table.row_keys.size());
  const int columns = table.columns();
  // The total row is published by the statistic's own table: take its pattern as given.
  std::vector<FixedCell> fixed(table.values.size(), FixedCell::kFree);
  if (totals != nullptr) {
    for (int c = 0; c < columns; ++c) {
      // An activity's own table is not protected: its totals are public whatever their value.
      fixed[(rows - 1) * columns + c] =
          !totals->suppressed ? FixedCell::kPublic
          : totals->reason(totals_row, c) == v1::SUPPRESSION_REASON_UNSPECIFIED
              ? FixedCell::kPublished
              : FixedCell::kSuppressed;
    }
  }
  // A published year's column is as it was published: what was hidden stays hidden, and what
  // was published is known, so it can never protect another cell.
  for (int c = 0; c + 1 < columns; ++c) {
    if (!frozen.Published(table.first_year + c)) continue;
    for (int r = 0; r < rows; ++r) {
      const size_t cell = static_cast<size_t>(r) * columns + c;
      if (fixed[cell] != FixedCell::kFree) continue;
      fixed[cell] = frozen.Suppressed(table.first_year + c, name, table.row_keys[r])
                        ? FixedCell::kSuppressed
                        : FixedCell::kPublished;
    }
  }
  return fixed;
}

// Sets the reasons of `table` from the suppression `result` (the total row's as `totals` gives
// them) and returns the suppressed pattern.
std::vector<bool> ApplySuppression(const SuppressionResult& result, const ProtectedTable* totals,
                                   int totals_row, ProtectedTable* table) {
  const int rows = static_cast<int>(table->row_keys.size());
  const int columns = table->columns();
  std::vector<bool> suppressed(table->values.size());
  for (size_t i = 0; i < suppressed.size(); ++i) {
    suppressed[i] = result.reasons[i] != SuppressionReason::kNone;
    table->reasons[i] = ToProto(result.reasons[i]);
  }
  if (totals != nullptr) {
    for (int c = 0; c < columns; ++c) {
      const v1::SuppressionReason given = totals->reason(totals_row, c);
      if (given != v1::SUPPRESSION_REASON_UNSPECIFIED)
        table->reasons[(rows - 1) * columns + c] = given;
    }
  }
  return suppressed;
}

// Keeps only the total row of `table`.
void WithholdDataRows(ProtectedTable* table) {
  const int columns = table->columns();
  table->withheld = true;
  table->row_keys.erase(table->row_keys.begin(), table->row_keys.end() - 1);
  table->values.erase(table->values.begin(), table->values.end() - columns);
  table->reasons.assign(static_cast<size_t>(columns), v1::SUPPRESSION_REASON_UNSPECIFIED);
}

// Suppresses the small cells of `table` (named `name` in the frozen years) and audits the result;
// withholds its data rows when nothing can protect them next to public totals.
Status SuppressAndAudit(const std::string& name, const ProtectedTable* totals,
                        const FrozenYears& frozen, int64_t min_cell_count, ProtectedTable* table) {
  SuppressionTable input;
  input.rows = static_cast<int>(table->row_keys.size());
  input.cols = table->columns();
  input.values = table->values;
  input.columns_add_up = table->rows_add_up;
  const int totals_row = totals != nullptr ? TotalsRowOf(*table, *totals) : -1;
  const std::vector<FixedCell> fixed = FixedCellsOf(*table, name, totals, totals_row, frozen);
  auto result = SuppressSmallCells(input, min_cell_count, fixed);
  // The table is built from the counters here: a table it refuses means counters that disagree
  // with each other (a breakdown above its total), which a rebuild (RebuildCaseCounters) fixes.
  if (!result.ok()) {
    return Status(Reason::kStatisticsInconsistent,
                  "the counters of a statistics table disagree: " + result.status().message());
  }
  const std::vector<bool> suppressed = ApplySuppression(*result, totals, totals_row, table);
  auto determined = FindDeterminedCells(input, suppressed);
  if (!determined.ok()) return determined.status();
  const bool public_totals = totals != nullptr && !totals->suppressed;
  if (public_totals && (!result->protected_ok || !determined->empty())) {
    // Nothing hidden here can stay hidden next to a public total (a single row equals it):
    // publish the total row alone.
    WithholdDataRows(table);
    return Status::Ok();
  }
  if (!result->protected_ok || !determined->empty()) {
    return Status(Reason::kDisclosureAuditFailed,
                  "a statistics table failed its disclosure audit; it is not published");
  }
  return Status::Ok();
}

// The range and breakdowns of a yearly report request, with `current` the fiscal year of today.
Status CheckYearlyReportRequest(const v1::GetYearlyReportRequest& request, int current) {
  const std::string range = "must be a fiscal year from " +
                            std::to_string(kFirstReportableFiscalYear) + " to " +
                            std::to_string(current + 1);
  if (request.fiscal_year_from() < kFirstReportableFiscalYear ||
      request.fiscal_year_from() > current + 1) {
    return Status::InvalidArgument("fiscal_year_from", range);
  }
  if (request.fiscal_year_to() < kFirstReportableFiscalYear ||
      request.fiscal_year_to() > current + 1) {
    return Status::InvalidArgument("fiscal_year_to", range);
  }
  if (request.fiscal_year_to() < request.fiscal_year_from()) {
    return Status::InvalidArgument("fiscal_year_to", "must not be before fiscal_year_from");
  }
  if (request.fiscal_year_to() - request.fiscal_year_from() + 1 > kMaxReportYears) {
    return Status::InvalidArgument("fiscal_year_to",
                                   "at most " + std::to_string(kMaxReportYears) + " years");
  }
  for (int i = 0; i < request.breakdowns_size(); ++i) {
    const auto& breakdown = request.breakdowns(i);
    const std::string field = "breakdowns[" + std::to_string(i) + "]";
    if (FindMetric(breakdown.metric()) == nullptr) {
      return Status::InvalidArgument(field + ".metric", "choose a statistic (StatMetric)");
    }
    if (FindDimension(breakdown.dimension()) == nullptr) {
      return Status::InvalidArgument(field + ".dimension", "choose a dimension (StatDimension)");
    }
    if (breakdown.dimension() == v1::OUTCOME && breakdown.metric() != v1::CASES_CLOSED) {
      return Status::InvalidArgument(field + ".dimension", "OUTCOME breaks down CASES_CLOSED only");
    }
    CASECOORD_RETURN_IF_ERROR(
        CheckHandledNotBrokenDown(breakdown.metric(), breakdown.dimension(), field + ".dimension"));
  }
  return Status::Ok();
}

}  // namespace

std::string FormatCount(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

int ProtectedTable::RowOf(const std::string& key) const {
  auto it = std::find(row_keys.begin(), row_keys.end(), key);
  return it == row_keys.end() ? -1 : static_cast<int>(it - row_keys.begin());
}

Result<StatisticsSnapshot> StatisticsSnapshot::Take(const storage::Storage& storage,
                                                    int current_fiscal_year, int64_t min_cell_count,
                                                    const vocab::TermCheck* terms) {
  if (min_cell_count < 2) {
    return Status::InvalidArgument("min_cell_count", "must be at least 2");
  }
  auto counters = ReadCounters(storage, kMinFiscalYear, kMaxFiscalYear);
  if (!counters.ok()) return counters.status();
  auto frozen = ReadFrozenYears(storage);
  if (!frozen.ok()) return frozen.status();
  StatisticsSnapshot snapshot;
  snapshot.min_cell_count_ = min_cell_count;
  snapshot.terms_ = terms;
  snapshot.counters_ = std::move(counters).value();
  snapshot.frozen_ = std::move(frozen).value();
  snapshot.frozen_.Overlay(snapshot.counters_);
  snapshot.first_year_ = current_fiscal_year;
  snapshot.last_year_ = current_fiscal_year;
  if (!snapshot.counters_.empty()) {
    snapshot.first_year_ =
        std::min(current_fiscal_year, snapshot.counters_.begin()->first.fiscal_year);
    snapshot.last_year_ =
        std::max(current_fiscal_year, snapshot.counters_.rbegin()->first.fiscal_year);
  }
  return snapshot;
}

int64_t StatisticsSnapshot::Count(int year, const char* metric, const std::string& dimension,
                                  const std::string& value) const {
  return CountIn(counters_, year, metric, dimension, value);
}

Result<const ProtectedTable*> StatisticsSnapshot::Protect(std::pair<int, int> key,
                                                          ProtectedTable table,
                                                          const ProtectedTable* totals) {
  table.reasons.assign(table.values.size(), v1::SUPPRESSION_REASON_UNSPECIFIED);
  if (table.suppressed) {
    CASECOORD_RETURN_IF_ERROR(
        SuppressAndAudit(TableName(key), totals, frozen_, min_cell_count_, &table));
  }
  return &tables_.insert_or_assign(key, std::move(table)).first->second;
}

Result<const ProtectedTable*> StatisticsSnapshot::CasesTable() {
  if (auto it = tables_.find(kCasesSection); it != tables_.end()) return &it->second;
  ProtectedTable table;
  table.counts_households = true;
  table.suppressed = true;
  table.rows_add_up = true;
  table.first_year = first_year_;
  table.last_year = last_year_;
  table.row_keys = {v1::StatMetric_Name(v1::CASES_COORDINATED),
                    v1::StatMetric_Name(v1::CASES_COMPLETED_BY_ADVICE), kTotalKey};
  const int columns = table.columns();
  table.values.assign(size_t{3} * columns, 0);
  for (int year = first_year_; year <= last_year_; ++year) {
    const int c = year - first_year_;
    const int64_t coordinated = Count(year, kCasesCoordinated, "", "");
    const int64_t advice = Count(year, kCasesCompletedByAdvice, "", "");
    table.values[c] = coordinated;
    table.values[columns + c] = advice;
    table.values[2 * columns + c] = coordinated + advice;
  }
  for (int r = 0; r < 3; ++r) {
    int64_t sum = 0;
    for (int c = 0; c + 1 < columns; ++c) sum += table.values[r * columns + c];
    table.values[r * columns + columns - 1] = sum;
  }
  return Protect(kCasesSection, std::move(table), nullptr);
}

Result<const ProtectedTable*> StatisticsSnapshot::ActivitiesTable() {
  if (auto it = tables_.find(kActivitiesSection); it != tables_.end()) return &it->second;
  ProtectedTable table;
  table.counts_households = false;
  table.first_year = first_year_;
  table.last_year = last_year_;
  const v1::StatMetric metrics[] = {v1::CASE_MEETINGS, v1::COORDINATION_CONTACTS,
                                    v1::ADVISER_MEETINGS};
  for (auto metric : metrics) table.row_keys.push_back(v1::StatMetric_Name(metric));
  table.row_keys.push_back(kTotalKey);
  const int columns = table.columns();
  table.values.assign(size_t{4} * columns, 0);
  for (int r = 0; r < 3; ++r) {
    const char* counter = FindMetric(metrics[r])->counter;
    for (int year = first_year_; year <= last_year_; ++year) {
      const int c = year - first_year_;
      const int64_t count = Count(year, counter, "", "");
      table.values[r * columns + c] += count;
      table.values[r * columns + columns - 1] += count;
      table.values[3 * columns + c] += count;
      table.values[3 * columns + columns - 1] += count;
    }
  }
  table.reasons.assign(table.values.size(), v1::SUPPRESSION_REASON_UNSPECIFIED);
  return &tables_.insert_or_assign(kActivitiesSection, std::move(table)).first->second;
}

Result<const ProtectedTable*> StatisticsSnapshot::Table(v1::StatMetric metric,
                                                        v1::StatDimension dimension) {
  CASECOORD_RETURN_IF_ERROR(CheckTableRequest(metric, dimension));
  const MetricInfo* metric_info = FindMetric(metric);
  const auto key = std::make_pair(static_cast<int>(metric), static_cast<int>(dimension));
  if (auto it = tables_.find(key); it != tables_.end()) return &it->second;
  if (metric == v1::CASES_HANDLED) return CasesTable();  // its total row

  // The statistic's total row, as its own table publishes it.
  const ProtectedTable* totals = nullptr;
  if (dimension != v1::STAT_DIMENSION_UNSPECIFIED) {
    auto own =
        InCasesSection(metric) ? CasesTable() : Table(metric, v1::STAT_DIMENSION_UNSPECIFIED);
    if (!own.ok()) return own.status();
    totals = *own;
  }

  ProtectedTable table;
  table.metric = metric;
  table.dimension = dimension;
  table.counts_households = metric_info->households;
  table.suppressed = metric_info->households || dimension != v1::STAT_DIMENSION_UNSPECIFIED;
  table.first_year = first_year_;
  table.last_year = last_year_;
  const DimensionInfo* dimension_info = FindDimension(dimension);
  // A statistic's own table is its total row alone: no column constraint.
  table.rows_add_up = dimension_info != nullptr && dimension_info->single_valued;
  std::vector<std::string> unregistered;
  if (dimension_info != nullptr) {
    table.row_keys = BreakdownKeys(counters_, first_year_, *metric_info, *dimension_info);
    if (terms_ != nullptr) {
      ApplyVocabulary(*terms_, dimension, &table.row_keys, &unregistered, &table.term_labels);
    }
  }
  // Single-valued dimensions: the households without a value get a row, so that the rows add up.
  const bool unspecified_row = dimension_info != nullptr && dimension_info->single_valued;
  if (unspecified_row) table.row_keys.push_back("");
  table.row_keys.push_back(kTotalKey);
  FillCounts(counters_, *metric_info, dimension_info, unspecified_row, unregistered, &table);
  if (unspecified_row) DropEmptyUnspecifiedRow(&table);
  // Nothing counted under the dimension yet: the total row alone, which no column constraint ties
  // to anything.
  if (table.row_keys.size() == 1) table.rows_add_up = false;
  return Protect(key, std::move(table), totals);
}

Result<PublishedSum> StatisticsSnapshot::Sum(const v1::StatisticRef& ref, int from, int to) {
  if (from > to) return Status::InvalidArgument("fiscal_year", "range ends before it starts");
  const bool own_section =
      ref.dimension() == v1::STAT_DIMENSION_UNSPECIFIED && InCasesSection(ref.metric());
  const bool activity = ref.dimension() == v1::STAT_DIMENSION_UNSPECIFIED &&
                        FindMetric(ref.metric()) != nullptr &&
                        !FindMetric(ref.metric())->households;
  auto table = own_section ? CasesTable()
               : activity  ? ActivitiesTable()
                           : Table(ref.metric(), ref.dimension());
  if (!table.ok()) return table.status();
  std::string row_key = kTotalKey;
  if ((own_section && ref.metric() != v1::CASES_HANDLED) || activity) {
    row_key = v1::StatMetric_Name(ref.metric());
  }
  if (ref.dimension() != v1::STAT_DIMENSION_UNSPECIFIED) row_key = ref.value();
  const int row = (*table)->RowOf(row_key);
  if (row < 0 && (*table)->withheld) return PublishedSum{std::nullopt};
  if (row < 0) return PublishedSum{0};  // a value never counted
  const YearCell sum = RowSum(**table, row, from, to);
  if (sum.reason != v1::SUPPRESSION_REASON_UNSPECIFIED) return PublishedSum{std::nullopt};
  return PublishedSum{sum.value};
}

Result<v1::FrozenYear> StatisticsSnapshot::Freeze(int fiscal_year) {
  v1::FrozenYear frozen;
  *frozen.mutable_release()->mutable_fiscal_year() = FiscalYearMessage(fiscal_year);
  for (auto it = counters_.lower_bound(CounterKey{fiscal_year, "", "", ""});
       it != counters_.end() && it->first.fiscal_year == fiscal_year; ++it) {
    auto* count = frozen.add_counts();
    count->set_metric(it->first.metric);
    count->set_dimension(it->first.dimension);
    count->set_value(it->first.value);
    count->set_count(it->second);
  }
  if (fiscal_year < first_year_ || fiscal_year > last_year_) return frozen;
  CASECOORD_ASSIGN_OR_RETURN(const ProtectedTable* cases, CasesTable());
  CollectSuppressedCells(kCasesSection, *cases, fiscal_year, &frozen);
  for (const auto& metric : kMetricInfo) {
    if (metric.metric == v1::CASES_HANDLED) continue;  // the first section's total row
    for (auto dimension : FrozenDimensionsOf(metric)) {
      const bool own_section =
          dimension == v1::STAT_DIMENSION_UNSPECIFIED && InCasesSection(metric.metric);
      if (own_section) continue;  // their own table is the first section
      const auto key = std::make_pair(static_cast<int>(metric.metric), static_cast<int>(dimension));
      CASECOORD_ASSIGN_OR_RETURN(const ProtectedTable* table, Table(metric.metric, dimension));
      CollectSuppressedCells(key, *table, fiscal_year, &frozen);
    }
  }
  return frozen;
}

Result<StatisticsSnapshot> StatisticsReporter::Snapshot() const {
  return StatisticsSnapshot::Take(storage_, FiscalYearOf(clock_.Now()), min_cell_count_, terms_);
}

v1::DisclosureControl StatisticsReporter::Disclosure(const StatisticsSnapshot& snapshot) const {
  v1::DisclosureControl out;
  out.set_min_cell_count(static_cast<int32_t>(snapshot.min_cell_count()));
  *out.mutable_canonical_from() = FiscalYearMessage(snapshot.first_year());
  *out.mutable_canonical_to() = FiscalYearMessage(snapshot.last_year());
  const std::string k = std::to_string(snapshot.min_cell_count());
  const std::string k1 = std::to_string(snapshot.min_cell_count() - 1);
  out.set_rule_ja(
      "世帯数の表では1〜" + k1 +
      "件のセルを「x」で秘匿し（少数秘匿）、行・列の合計から逆算できないよう他のセルも"
      "秘匿しています（二次秘匿）。秘匿は" +
      out.canonical_from().era_label_ja() + "〜" + out.canonical_to().era_label_ja() +
      "の表全体で決め、秘匿値を含む集計も「x」としています。会議・個別調整の回数そのものは"
      "世帯数ではないため秘匿しませんが、地区・課題など世帯の属性別の内訳は世帯数の表と"
      "同様に秘匿し、保護できない内訳は合計のみ公表します。");
  out.set_rule(
      "In tables of households, cells of 1 to " + k1 + " are suppressed (\"x\", primary, k = " + k +
      "), and further cells are suppressed so that none can be recovered from row or "
      "column totals (complementary). Suppression is decided over fiscal years " +
      std::to_string(snapshot.first_year()) + " to " + std::to_string(snapshot.last_year()) +
      "; sums that include a suppressed cell are suppressed too. Counts of meetings and "
      "contacts are not suppressed, but their breakdowns by an attribute of the household "
      "(district, issue, field...) are, like tables of households; a breakdown that cannot be "
      "protected shows its total only.");
  out.set_audit_passed(true);  // Protect refuses any table that fails the audit
  for (const auto& [year, release] : snapshot.frozen().years) {
    out.add_published_fiscal_years(year);
  }
  if (!snapshot.frozen().years.empty()) {
    out.set_rule_ja(out.rule_ja() +
                    "公表済みの年度は、公表時の数値と秘匿のまま掲載しています（公表後の訂正は"
                    "反映しません）。");
    out.set_rule(out.rule() +
                 " Published fiscal years are shown with the figures and suppression they were "
                 "published with; corrections recorded later are not reflected.");
  }
  return out;
}

Result<v1::YearlyReport> StatisticsReporter::YearlyReport(
    const v1::GetYearlyReportRequest& request) const {
  CASECOORD_RETURN_IF_ERROR(CheckYearlyReportRequest(request, FiscalYearOf(clock_.Now())));
  auto snapshot = Snapshot();
  if (!snapshot.ok()) return snapshot.status();
  const int from = request.fiscal_year_from();
  const int to = request.fiscal_year_to();
  const bool cumulative = request.cumulative();
  v1::YearlyReport report;
  for (int year = from; year <= to; ++year) *report.add_fiscal_years() = FiscalYearMessage(year);

  auto cases = snapshot->CasesTable();
  if (!cases.ok()) return cases.status();
  *report.mutable_cases() = View(**cases, from, to, cumulative);
  report.mutable_cases()->set_title_ja("1. 総合相談支援体制取扱件数");
  report.mutable_cases()->set_title("Cases handled through the comprehensive consultation system");
  auto activities = snapshot->ActivitiesTable();
  if (!activities.ok()) return activities.status();
  *report.mutable_activities() = View(**activities, from, to, cumulative);
  report.mutable_activities()->set_title_ja("2. 会議等開催件数");
  report.mutable_activities()->set_title("Meetings and contacts");

  for (const auto& breakdown : request.breakdowns()) {
    auto table = snapshot->Table(breakdown.metric(), breakdown.dimension());
    if (!table.ok()) return table.status();
    v1::StatTable* out = report.add_breakdowns();
    *out = View(**table, from, to, cumulative);
    out->set_title_ja(LabelJa(*v1::StatMetric_descriptor(), breakdown.metric()) + "（" +
                      LabelJa(*v1::StatDimension_descriptor(), breakdown.dimension()) + "別）");
    out->set_title(std::string(FindMetric(breakdown.metric())->label) + " by " +
                   FindDimension(breakdown.dimension())->label);
  }
  *report.mutable_disclosure() = Disclosure(*snapshot);
  *report.mutable_generate_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
          .count());
  return report;
}

}  // namespace casecoord::stats
