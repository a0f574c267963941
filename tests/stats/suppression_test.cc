#include "services/stats/suppression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace casecoord::stats {

void PrintTo(const DeterminedCell& cell, std::ostream* out) {
  *out << "(" << cell.row << ", " << cell.col << ")";
}

namespace {

using Cells = std::vector<std::pair<int, int>>;

// A table from its data rows (without totals): every row gets its total; when columns_add_up a
// row of column totals follows, otherwise the last data row plays the part of the last row.
SuppressionTable MakeTable(const std::vector<std::vector<int64_t>>& data, bool columns_add_up) {
  SuppressionTable table;
  table.columns_add_up = columns_add_up;
  table.rows = static_cast<int>(data.size()) + (columns_add_up ? 1 : 0);
  table.cols = static_cast<int>(data.front().size()) + 1;
  std::vector<int64_t> column_totals(table.cols, 0);
  for (const auto& row : data) {
    int64_t total = 0;
    for (size_t c = 0; c < row.size(); ++c) {
      table.values.push_back(row[c]);
      total += row[c];
      column_totals[c] += row[c];
    }
    table.values.push_back(total);
    column_totals.back() += total;
  }
  if (columns_add_up)
    table.values.insert(table.values.end(), column_totals.begin(), column_totals.end());
  return table;
}

std::vector<bool> Mask(const SuppressionTable& table, const Cells& cells) {
  std::vector<bool> mask(table.values.size(), false);
  for (const auto& [r, c] : cells) mask[static_cast<size_t>(r) * table.cols + c] = true;
  return mask;
}

std::vector<DeterminedCell> AuditOrDie(const SuppressionTable& table,
                                       const std::vector<bool>& mask) {
  auto determined = FindDeterminedCells(table, mask);
  EXPECT_TRUE(determined.ok()) << determined.status().ToString();
  return determined.ok() ? std::move(determined).value() : std::vector<DeterminedCell>{};
}

// Independent of the implementation: searches every non-negative integer completion of the hidden
// cells that satisfies the table's constraints, and records each hidden cell's smallest and
// largest value. A constraint is sum(coefficient * cell) == 0 over one line, coefficient -1 for
// the line's total. Values a line does not bound are capped; the cap lies above the largest value
// of the table plus one, and if a hidden cell can take another value at all it can take one that
// differs from the table by at most one unit in each cell (a unit cycle), so the cap hides no
// second value; a wider cap gives the same answers, only slower.
class Completions {
 public:
  Completions(const SuppressionTable& table, const std::vector<bool>& hidden)
      : table_(table), hidden_(hidden), value_(table.values.size(), -1) {
    const int last_row = table.rows - 1;
    const int last_col = table.cols - 1;
    for (int r = 0; r < table.rows; ++r) {
      Line line;
      for (int c = 0; c < table.cols; ++c) line.push_back({Index(r, c), c == last_col ? -1 : 1});
      lines_.push_back(line);
    }
    if (table.columns_add_up) {
      for (int c = 0; c < table.cols; ++c) {
        Line line;
        for (int r = 0; r < table.rows; ++r) line.push_back({Index(r, c), r == last_row ? -1 : 1});
        lines_.push_back(line);
      }
    }
    cap_ = 2 * *std::max_element(table.values.begin(), table.values.end()) + 2;
    for (size_t i = 0; i < hidden.size(); ++i) {
      if (!hidden[i]) value_[i] = table.values[i];
    }
    min_.assign(hidden.size(), std::numeric_limits<int64_t>::max());
    max_.assign(hidden.size(), std::numeric_limits<int64_t>::min());
    Search();
  }

  int64_t solutions() const { return solutions_; }
  bool Unique(int r, int c) const { return min_[Index(r, c)] == max_[Index(r, c)]; }

 private:
  struct Term {
    size_t cell;
    int coefficient;
  };
  using Line = std::vector<Term>;

  size_t Index(int r, int c) const { return static_cast<size_t>(r) * table_.cols + c; }

  void Search() {
    // Prune partial assignments no completion can satisfy.
    for (const Line& line : lines_) {
      int64_t sum = 0;
      int positive_open = 0;
      int negative_open = 0;
      for (const Term& term : line) {
        if (value_[term.cell] >= 0) {
          sum += term.coefficient * value_[term.cell];
        } else {
          ++(term.coefficient > 0 ? positive_open : negative_open);
        }
      }
      if (negative_open == 0 && sum > 0) return;
      if (positive_open == 0 && sum < 0) return;
    }
    // Branch on the open cell with the narrowest range.
    size_t best = value_.size();
    int64_t best_low = 0;
    int64_t best_high = -1;
    for (size_t cell = 0; cell < value_.size(); ++cell) {
      if (value_[cell] >= 0) continue;
      int64_t low = 0;
      int64_t high = std::numeric_limits<int64_t>::max();
      bool forced = false;
      for (const Line& line : lines_) {
        int coefficient = 0;
        for (const Term& term : line) {
          if (term.cell == cell) coefficient = term.coefficient;
        }
        if (coefficient == 0) continue;
        int64_t sum = 0;
        bool others_open = false;
        bool others_same_side = true;
        for (const Term& term : line) {
          if (term.cell == cell) continue;
          if (value_[term.cell] >= 0) {
            sum += term.coefficient * value_[term.cell];
          } else {
            others_open = true;
            if (term.coefficient != coefficient) others_same_side = false;
          }
        }
        if (!others_open) {
          const int64_t value = -sum * coefficient;
          if (forced && value != low) return;
          forced = true;
          low = value;
          high = std::min(high, value);
        } else if (others_same_side) {
          // The other open cells of the line can only add to the cell's side.
          high = std::min(high, -sum * coefficient);
        }
      }
      if (forced && low > high) return;
      if (!forced) high = std::min(high, cap_);
      if (low < 0 || low > high) return;
      if (best == value_.size() || high - low < best_high - best_low) {
        best = cell;
        best_low = low;
        best_high = high;
      }
    }
    if (best == value_.size()) {
      ++solutions_;
      for (size_t cell = 0; cell < value_.size(); ++cell) {
        if (!hidden_[cell]) continue;
        min_[cell] = std::min(min_[cell], value_[cell]);
        max_[cell] = std::max(max_[cell], value_[cell]);
      }
      return;
    }
    for (int64_t value = best_low; value <= best_high; ++value) {
      value_[best] = value;
      Search();
    }
    value_[best] = -1;
  }

  const SuppressionTable& table_;
  const std::vector<bool>& hidden_;
  std::vector<Line> lines_;
  std::vector<int64_t> value_;  // -1: open
  std::vector<int64_t> min_;
  std::vector<int64_t> max_;
  int64_t cap_ = 0;
  int64_t solutions_ = 0;
};

int64_t SmallValue(std::mt19937& rng) {
  // Zeros matter (they move one way only), so they come often.
  std::uniform_int_distribution<int> die(0, 9);
  const int roll = die(rng);
  return roll < 3 ? 0 : roll - 3;  // 0..6
}

TEST(FindDeterminedCellsTest, AgreesWithExhaustiveSearchOnSmallTables) {
  std::mt19937 rng(20240601);
  int determined_seen = 0;
  int free_seen = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    const bool columns_add_up = iteration % 2 == 0;
    const int data_rows = std::uniform_int_distribution<int>(columns_add_up ? 1 : 2, 3)(rng);
    const int data_cols = std::uniform_int_distribution<int>(1, 3)(rng);
    std::vector<std::vector<int64_t>> data(data_rows, std::vector<int64_t>(data_cols));
    for (auto& row : data) {
      for (auto& value : row) value = SmallValue(rng);
    }
    const SuppressionTable table = MakeTable(data, columns_add_up);
    std::vector<bool> mask(table.values.size(), false);
    const int hidden = std::uniform_int_distribution<int>(1, 6)(rng);
    for (int i = 0; i < hidden; ++i) {
      mask[std::uniform_int_distribution<size_t>(0, mask.size() - 1)(rng)] = true;
    }

    const Completions completions(table, mask);
    ASSERT_GE(completions.solutions(), 1) << "the table itself is a completion";
    const std::vector<DeterminedCell> determined = AuditOrDie(table, mask);
    for (int r = 0; r < table.rows; ++r) {
      for (int c = 0; c < table.cols; ++c) {
        if (!mask[static_cast<size_t>(r) * table.cols + c]) continue;
        const bool reported = std::find(determined.begin(), determined.end(),
                                        DeterminedCell{r, c}) != determined.end();
        EXPECT_EQ(reported, completions.Unique(r, c))
            << "iteration " << iteration << " cell (" << r << ", " << c
            << ") columns_add_up=" << columns_add_up << " solutions=" << completions.solutions();
        ++(completions.Unique(r, c) ? determined_seen : free_seen);
      }
    }
    for (const DeterminedCell& cell : determined) {
      EXPECT_TRUE(mask[static_cast<size_t>(cell.row) * table.cols + cell.col]);
    }
    if (HasFailure()) return;
  }
  // Both answers must have been exercised for the comparison to mean something.
  EXPECT_GT(determined_seen, 1000);
  EXPECT_GT(free_seen, 1000);
}

void ExpectProtected(const SuppressionTable& table, int64_t k, const std::string& context) {
  auto result = SuppressSmallCells(table, k);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->protected_ok) << context;
  ASSERT_EQ(result->reasons.size(), table.values.size());
  EXPECT_EQ(AuditOrDie(table, result->SuppressedMask()), std::vector<DeterminedCell>{}) << context;
  for (int r = 0; r < table.rows; ++r) {
    for (int c = 0; c < table.cols; ++c) {
      const int64_t value = table.at(r, c);
      const SuppressionReason reason = result->reasons[static_cast<size_t>(r) * table.cols + c];
      const bool small = value >= 1 && value < k;
      EXPECT_EQ(reason == SuppressionReason::kPrimary, small)
          << context << " cell (" << r << ", " << c << ") = " << value;
      EXPECT_EQ(result->suppressed(r, c), reason != SuppressionReason::kNone);
    }
  }
  auto again = SuppressSmallCells(table, k);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reasons, result->reasons) << context << ": not deterministic";
}

TEST(SuppressSmallCellsTest, RandomTablesEndSafeWithEverySmallCellPrimary) {
  std::mt19937 rng(7);
  const int64_t ks[] = {2, 3, 5, 5, 5, 10};
  for (int iteration = 0; iteration < 400; ++iteration) {
    const bool columns_add_up = iteration % 3 != 2;
    const int data_rows = std::uniform_int_distribution<int>(1, 11)(rng);
    const int data_cols = std::uniform_int_distribution<int>(1, 10)(rng);
    const int64_t k = ks[iteration % 6];
    std::vector<std::vector<int64_t>> data(data_rows, std::vector<int64_t>(data_cols));
    std::uniform_int_distribution<int> kind(0, 9);
    for (auto& row : data) {
      for (auto& value : row) {
        const int roll = kind(rng);
        value = roll < 3   ? 0
                : roll < 7 ? std::uniform_int_distribution<int64_t>(1, 6)(rng)
                           : std::uniform_int_distribution<int64_t>(5, 40)(rng);
      }
    }
    ExpectProtected(MakeTable(data, columns_add_up), k,
                    "iteration " + std::to_string(iteration) + " k=" + std::to_string(k));
    if (HasFailure()) return;
  }
}

TEST(SuppressSmallCellsTest, NothingSmallMeansNothingHidden) {
  const SuppressionTable table = MakeTable({{5, 0, 12}, {7, 9, 0}}, true);
  auto result = SuppressSmallCells(table);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->protected_ok);
  EXPECT_EQ(std::count(result->reasons.begin(), result->reasons.end(), SuppressionReason::kNone),
            static_cast<long>(table.values.size()));
}

TEST(SuppressSmallCellsTest, HandTablesEndSafe) {
  // A lone small cell, a small row total (its whole row is small), a small column of totals.
  ExpectProtected(MakeTable({{20, 3, 15}, {11, 30, 9}, {8, 12, 40}}, true), 5, "lone");
  ExpectProtected(MakeTable({{1, 0, 2}, {11, 30, 9}, {8, 12, 40}}, true), 5, "small row");
  ExpectProtected(MakeTable({{1, 10}, {2, 30}, {0, 12}}, true), 5, "small column");
  ExpectProtected(MakeTable({{1, 10}, {2, 30}, {0, 12}}, false), 5, "tags");
  ExpectProtected(MakeTable({{3}}, true), 5, "one cell");
  ExpectProtected(MakeTable({{0, 0, 0}, {0, 1, 0}}, true), 5, "zeros");
}

// A breakdown's total row is published by its own table: the breakdown must protect its small
// cells without hiding any of those totals, and keep hidden the ones that table hid.
TEST(SuppressSmallCellsTest, FixedCellsOfALinkedTableAreRespected) {
  const SuppressionTable table = MakeTable({{20, 3, 15}, {11, 30, 9}, {8, 12, 40}}, true);
  const int total_row = table.rows - 1;
  std::vector<FixedCell> fixed(table.values.size(), FixedCell::kFree);
  for (int c = 0; c < table.cols; ++c) fixed[total_row * table.cols + c] = FixedCell::kPublished;
  fixed[6] = FixedCell::kSuppressed;  // hidden by the linked table: stays hidden here
  auto result = SuppressSmallCells(table, 5, fixed);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->protected_ok);
  for (int c = 0; c < table.cols; ++c) EXPECT_FALSE(result->suppressed(total_row, c)) << c;
  EXPECT_TRUE(result->suppressed(1, 2));
  EXPECT_EQ(result->reasons[1], SuppressionReason::kPrimary);
  EXPECT_TRUE(AuditOrDie(table, result->SuppressedMask()).empty());
  // Without the fixed cells that cell would stay published: the constraint is doing work.
  auto free = SuppressSmallCells(table, 5);
  ASSERT_TRUE(free.ok());
  EXPECT_FALSE(free->suppressed(1, 2));

  // A small cell cannot be declared published, and the vector must fit the table.
  std::vector<FixedCell> small_published(table.values.size(), FixedCell::kFree);
  small_published[1] = FixedCell::kPublished;
  EXPECT_EQ(SuppressSmallCells(table, 5, small_published).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SuppressSmallCells(table, 5, std::vector<FixedCell>(3)).status().code(),
            StatusCode::kInvalidArgument);
}

// An activity breakdown's total row is the activities' own, unprotected total: published whatever
// its value (kPublic), while the breakdown's small cells are hidden around it.
TEST(SuppressSmallCellsTest, PublicTotalsStayPublishedAndTheCellsBelowThemAreProtected) {
  // Two districts over two years: contacts 3 + 1 and 0 + 2; totals 4 and 2 are public.
  const SuppressionTable table = MakeTable({{3, 0}, {1, 2}}, true);
  const int total_row = table.rows - 1;
  std::vector<FixedCell> fixed(table.values.size(), FixedCell::kFree);
  for (int c = 0; c < table.cols; ++c) fixed[total_row * table.cols + c] = FixedCell::kPublic;
  auto result = SuppressSmallCells(table, 5, fixed);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->protected_ok);
  for (int c = 0; c < table.cols; ++c) EXPECT_FALSE(result->suppressed(total_row, c)) << c;
  for (int r = 0; r < total_row; ++r) {
    for (int c = 0; c < table.cols; ++c) {
      const int64_t value = table.at(r, c);
      if (value >= 1 && value < 5) {
        EXPECT_TRUE(result->suppressed(r, c)) << r << "," << c;
      }
    }
  }
  EXPECT_TRUE(AuditOrDie(table, result->SuppressedMask()).empty());
}

TEST(FindDeterminedCellsTest, LoneHiddenCellInARowIsRecovered) {
  const SuppressionTable table = MakeTable({{20, 3, 15}, {11, 30, 9}}, true);
  EXPECT_EQ(AuditOrDie(table, Mask(table, {{0, 1}})), (std::vector<DeterminedCell>{{0, 1}}));
  // The same with tags: the row total still gives it away.
  const SuppressionTable tags = MakeTable({{20, 3, 15}, {11, 30, 9}}, false);
  EXPECT_EQ(AuditOrDie(tags, Mask(tags, {{0, 1}})), (std::vector<DeterminedCell>{{0, 1}}));
}

TEST(FindDeterminedCellsTest, RectangleIsSafe) {
  const SuppressionTable table = MakeTable({{20, 3, 15}, {11, 30, 2}, {8, 12, 40}}, true);
  EXPECT_EQ(AuditOrDie(table, Mask(table, {{0, 1}, {0, 2}, {1, 1}, {1, 2}})),
            std::vector<DeterminedCell>{});
  // Rows 0 and 1 with the totals column: also a rectangle.
  EXPECT_EQ(AuditOrDie(table, Mask(table, {{0, 1}, {0, 3}, {1, 1}, {1, 3}})),
            std::vector<DeterminedCell>{});
}

TEST(FindDeterminedCellsTest, RectangleOfZerosInAZeroRowIsRecovered) {
  // Row 0 totals 0: none of its cells can be anything but 0, and then column sums give row 1 away.
  const SuppressionTable table = MakeTable({{0, 0, 7}, {4, 5, 9}}, true);
  EXPECT_EQ(AuditOrDie(table, Mask(table, {{0, 0}, {0, 1}, {1, 0}, {1, 1}})),
            (std::vector<DeterminedCell>{{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  // One zero corner is fine: it can grow while its neighbours shrink.
  const SuppressionTable one_zero = MakeTable({{0, 3, 7}, {4, 5, 9}}, true);
  EXPECT_EQ(AuditOrDie(one_zero, Mask(one_zero, {{0, 0}, {0, 1}, {1, 0}, {1, 1}})),
            std::vector<DeterminedCell>{});
}

TEST(FindDeterminedCellsTest, BridgeBetweenTwoRectanglesIsRecovered) {
  const SuppressionTable table =
      MakeTable({{6, 7, 8, 9}, {10, 11, 12, 13}, {14, 15, 16, 17}, {18, 19, 20, 21}}, true);
  // Rows 0-1 x columns 0-1 and rows 2-3 x columns 2-3, joined by (1, 2).
  const Cells cells = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {1, 2}};
  EXPECT_EQ(AuditOrDie(table, Mask(table, cells)), (std::vector<DeterminedCell>{{1, 2}}));
}

TEST(FindDeterminedCellsTest, WithoutColumnTotalsTwoCellsOfARowProtectEachOther) {
  const std::vector<std::vector<int64_t>> data = {{20, 3, 15}, {11, 30, 9}, {25, 31, 20}};
  const SuppressionTable tags = MakeTable(data, false);
  EXPECT_EQ(AuditOrDie(tags, Mask(tags, {{0, 0}, {0, 1}})), std::vector<DeterminedCell>{});
  // A hidden cell and its row total are just as good.
  EXPECT_EQ(AuditOrDie(tags, Mask(tags, {{1, 2}, {1, 3}})), std::vector<DeterminedCell>{});
  // When columns add up, the column sums give both away.
  const SuppressionTable districts = MakeTable(data, true);
  EXPECT_EQ(AuditOrDie(districts, Mask(districts, {{0, 0}, {0, 1}})),
            (std::vector<DeterminedCell>{{0, 0}, {0, 1}}));
}

TEST(FindDeterminedCellsTest, WithoutColumnTotalsAZeroPairMovesOneWay) {
  // 0 + 5 = 5: the zero may be 1 and the five 4. 0 + 0 = 0 leaves no room.
  const SuppressionTable room = MakeTable({{0, 5}, {3, 4}}, false);
  EXPECT_EQ(AuditOrDie(room, Mask(room, {{0, 0}, {0, 1}})), std::vector<DeterminedCell>{});
  const SuppressionTable none = MakeTable({{0, 0}, {3, 4}}, false);
  EXPECT_EQ(AuditOrDie(none, Mask(none, {{0, 0}, {0, 1}})),
            (std::vector<DeterminedCell>{{0, 0}, {0, 1}}));
}

TEST(SuppressionValidationTest, MalformedInputIsInvalidArgument) {
  const SuppressionTable good = MakeTable({{20, 3}, {11, 30}}, true);
  auto expect_invalid = [&](const SuppressionTable& table, const std::string& field) {
    auto suppressed = SuppressSmallCells(table);
    EXPECT_EQ(suppressed.status().code(), StatusCode::kInvalidArgument) << field;
    ASSERT_EQ(suppressed.status().field_violations().size(), 1u) << field;
    EXPECT_EQ(suppressed.status().field_violations()[0].field, field);
    auto audited = FindDeterminedCells(table, std::vector<bool>(table.values.size(), false));
    EXPECT_EQ(audited.status().code(), StatusCode::kInvalidArgument) << field;
  };
  EXPECT_TRUE(ValidateSuppressionTable(good).ok());

  SuppressionTable table = good;
  table.cols = 1;
  table.values.resize(3);
  expect_invalid(table, "table.cols");

  // One row is only the totals row when columns add up; with tags it is a table.
  SuppressionTable one_row;
  one_row.rows = 1;
  one_row.cols = 3;
  one_row.values = {2, 3, 5};
  expect_invalid(one_row, "table.rows");
  one_row.columns_add_up = false;
  EXPECT_TRUE(ValidateSuppressionTable(one_row).ok());

  table = good;
  table.values.pop_back();
  expect_invalid(table, "table.values");

  table = good;
  table.rows = 300;
  table.cols = 300;
  expect_invalid(table, "table");

  table = MakeTable({{-1, 3}, {11, 30}}, true);
  expect_invalid(table, "table.values");

  table = good;
  table.values[2] += 1;  // row 0 total
  expect_invalid(table, "table.values");

  table = good;
  table.values[6] += 1;  // column 0 total, and so also the last row's sum
  table.values[8] += 1;
  expect_invalid(table, "table.values");
  table.columns_add_up = false;  // tags: the last row need not be the column sums
  EXPECT_TRUE(ValidateSuppressionTable(table).ok());

  SuppressionTable overflow;
  overflow.rows = 1;
  overflow.cols = 3;
  overflow.columns_add_up = false;
  overflow.values = {std::numeric_limits<int64_t>::max(), 1, 0};
  expect_invalid(overflow, "table.values");

  for (int64_t k : {1, 0, -5}) {
    auto result = SuppressSmallCells(good, k);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << k;
    ASSERT_FALSE(result.status().field_violations().empty());
    EXPECT_EQ(result.status().field_violations()[0].field, "k");
  }

  auto mask = FindDeterminedCells(good, std::vector<bool>(5, true));
  EXPECT_EQ(mask.status().code(), StatusCode::kInvalidArgument);
  ASSERT_FALSE(mask.status().field_violations().empty());
  EXPECT_EQ(mask.status().field_violations()[0].field, "suppressed");
}

// Not a benchmark and no assertion: prints the time of one call on a yearly table of 30 rows
// (districts) by 11 fiscal years plus the total column and the total row.
TEST(SuppressSmallCellsTest, PrintsTimeOnA30By12Table) {
  std::mt19937 rng(42);
  constexpr int kTables = 200;
  std::vector<SuppressionTable> tables;
  for (int i = 0; i < kTables; ++i) {
    std::vector<std::vector<int64_t>> data(30, std::vector<int64_t>(11));
    std::uniform_int_distribution<int> kind(0, 9);
    for (auto& row : data) {
      for (auto& value : row) {
        const int roll = kind(rng);
        value = roll < 2   ? 0
                : roll < 5 ? std::uniform_int_distribution<int64_t>(1, 4)(rng)
                           : std::uniform_int_distribution<int64_t>(5, 60)(rng);
      }
    }
    tables.push_back(MakeTable(data, i % 2 == 0));
  }
  size_t hidden = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const SuppressionTable& table : tables) {
    auto result = SuppressSmallCells(table);
    ASSERT_TRUE(result.ok());
    hidden += static_cast<size_t>(
        std::count_if(result->reasons.begin(), result->reasons.end(),
                      [](SuppressionReason reason) { return reason != SuppressionReason::kNone; }));
  }
  const double micros =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  std::cout << "SuppressSmallCells on 31 x 12 cells: " << micros / kTables << " us per table, "
            << static_cast<double>(hidden) / kTables << " of 372 cells hidden on average\n";
  RecordProperty("micros_per_table", std::to_string(micros / kTables));
}

}  // namespace
}  // namespace casecoord::stats
