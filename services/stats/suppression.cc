#include "services/stats/suppression.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <limits>
#include <string>
#include <tuple>

namespace casecoord::stats {
namespace {

std::string CellName(int r, int c) {
  // Appending, not "(" + std::string: GCC 12 misreports that as an overlapping memcpy (bug 105651).
  std::string name = "(";
  name += std::to_string(r);
  name += ", ";
  name += std::to_string(c);
  name += ")";
  return name;
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::numeric_limits<int64_t>::max();
  return sum;
}

// The ways the hidden cells can change together while every published cell and every constraint
// holds, as a graph, so that "can this cell change?" becomes "is it on a directed cycle?".
//
// Flipping the sign of every cell that is a total of exactly one of its constrained lines (y = s x)
// turns each constraint into "the line sums to zero": the total column is -1 except in the total
// row when columns add up (a total of both lines, +1), and the total row is -1 elsewhere when
// columns add up. Each row is a node, each column a node (only when columns add up), each hidden
// cell an edge between its row and column, and a change of the hidden cells that keeps every line
// at zero is a circulation (flow d > 0 from row to column). Columns without a constraint need no
// conservation, so they are merged into one node: a path between two of them becomes a cycle,
// which is exactly the freedom they have. Parallel edges stay distinct cells.
//
// Non-negativity: a hidden positive cell can move both ways for small changes; a hidden zero can
// only grow, so only the arc whose direction increases it is usable. By conformal decomposition,
// a cell can change if and only if one of its usable arcs lies on a directed cycle that does not
// use the cell again, i.e. the arc's head reaches its tail without the cell. A unit flow around
// such a cycle changes every cell by at most one, so integer tables behave as real ones do.
class PerturbationGraph {
 public:
  explicit PerturbationGraph(const SuppressionTable& table)
      : table_(table),
        adjacency_(static_cast<size_t>(NodeCount())),
        visited_(static_cast<size_t>(NodeCount()), 0) {}

  void Add(int cell) {
    const int row = RowNode(cell);
    const int column = ColumnNode(cell);
    if (ForwardUsable(cell)) adjacency_[row].push_back({column, cell});
    if (BackwardUsable(cell)) adjacency_[column].push_back({row, cell});
  }

  // Undoes Add(cell); cells must be removed in the reverse order of their addition.
  void RemoveLast(int cell) {
    if (BackwardUsable(cell)) adjacency_[ColumnNode(cell)].pop_back();
    if (ForwardUsable(cell)) adjacency_[RowNode(cell)].pop_back();
  }

  // Whether the hidden `cell` (added) takes more than one value among the tables that agree with
  // the published cells.
  bool CanChange(int cell) {
    const int row = RowNode(cell);
    const int column = ColumnNode(cell);
    return (ForwardUsable(cell) && Reaches(column, row, cell)) ||
           (BackwardUsable(cell) && Reaches(row, column, cell));
  }

 private:
  struct Arc {
    int to;
    int cell;
  };

  int NodeCount() const { return table_.rows + (table_.columns_add_up ? table_.cols : 1); }
  int RowNode(int cell) const { return cell / table_.cols; }
  int ColumnNode(int cell) const {
    return table_.rows + (table_.columns_add_up ? cell % table_.cols : 0);
  }
  bool Positive(int cell) const { return table_.values[static_cast<size_t>(cell)] > 0; }
  // Whether y = -x for the cell (see the class comment).
  bool Flipped(int cell) const {
    const bool total_column = cell % table_.cols == table_.cols - 1;
    const bool total_row = table_.columns_add_up && cell / table_.cols == table_.rows - 1;
    return total_column != total_row;
  }
  // Flow from row to column raises y; it raises x unless the cell is flipped.
  bool ForwardUsable(int cell) const { return Positive(cell) || !Flipped(cell); }
  bool BackwardUsable(int cell) const { return Positive(cell) || Flipped(cell); }

  // Breadth-first search from `from` to `to` over arcs not belonging to `avoided_cell`.
  bool Reaches(int from, int to, int avoided_cell) {
    if (++stamp_ == 0) {  // wrapped: old marks could alias the new stamp
      std::fill(visited_.begin(), visited_.end(), 0);
      stamp_ = 1;
    }
    queue_.clear();
    queue_.push_back(from);
    visited_[from] = stamp_;
    for (size_t next = 0; next < queue_.size(); ++next) {
      for (const Arc& arc : adjacency_[queue_[next]]) {
        if (arc.cell == avoided_cell || visited_[arc.to] == stamp_) continue;
        if (arc.to == to) return true;
        visited_[arc.to] = stamp_;
        queue_.push_back(arc.to);
      }
    }
    return false;
  }

  const SuppressionTable& table_;
  std::vector<std::vector<Arc>> adjacency_;
  std::vector<uint32_t> visited_;
  uint32_t stamp_ = 0;
  std::vector<int> queue_;
};

// A set of cells to hide together so that one determined cell can change.
struct Candidate {
  int64_t cost = 0;
  int zeros = 0;
  int count = 0;
  int order = 0;  // generation order: the position tie-break
  std::array<int, 3> cells = {};

  auto Key() const { return std::tie(cost, zeros, count, order); }
};

class Suppressor {
 public:
  Suppressor(const SuppressionTable& table, int64_t k, const std::vector<FixedCell>& fixed)
      : table_(table),
        k_(k),
        fixed_(fixed),
        cell_count_(table.rows * table.cols),
        graph_(table),
        hidden_(static_cast<size_t>(cell_count_), false),
        known_safe_(static_cast<size_t>(cell_count_), false) {}

  SuppressionResult Run() {
    SuppressionResult result;
    result.rows = table_.rows;
    result.cols = table_.cols;
    result.reasons.assign(static_cast<size_t>(cell_count_), SuppressionReason::kNone);
    for (int cell = 0; cell < cell_count_; ++cell) {
      const int64_t value = table_.values[static_cast<size_t>(cell)];
      if (value >= 1 && value < k_ && Fixed(cell) != FixedCell::kPublic) {
        Hide(cell, SuppressionReason::kPrimary, &result);
      } else if (Fixed(cell) == FixedCell::kSuppressed) {
        Hide(cell, SuppressionReason::kComplementary, &result);
      }
    }
    // Each round hides at least one more cell, so the bound is never the reason to stop.
    bool safe = false;
    for (int round = 0; round <= cell_count_; ++round) {
      const int target = FirstDetermined();
      if (target < 0) {
        safe = true;
        break;
      }
      std::vector<int> chosen = CheapestProtection(target);
      if (chosen.empty()) chosen = RowAndColumn(target);
      if (chosen.empty()) break;
      for (int cell : chosen) Hide(cell, SuppressionReason::kComplementary, &result);
    }
    if (!safe) {
      for (int cell = 0; cell < cell_count_; ++cell) {
        if (!hidden_[cell] && !Published(cell)) {
          Hide(cell, SuppressionReason::kComplementary, &result);
        }
      }
      safe = FirstDetermined() < 0;
    }
    result.protected_ok = safe;
    return result;
  }

 private:
  FixedCell Fixed(int cell) const {
    return fixed_.empty() ? FixedCell::kFree : fixed_[static_cast<size_t>(cell)];
  }
  bool Published(int cell) const {
    return Fixed(cell) == FixedCell::kPublished || Fixed(cell) == FixedCell::kPublic;
  }

  void Hide(int cell, SuppressionReason reason, SuppressionResult* result) {
    hidden_[cell] = true;
    result->reasons[static_cast<size_t>(cell)] = reason;
    graph_.Add(cell);
  }

  // The first hidden cell, row-major, that cannot change; -1 if none. Hiding more cells only adds
  // edges and so only adds cycles: a cell once found free stays free and is not searched again.
  int FirstDetermined() {
    for (int cell = 0; cell < cell_count_; ++cell) {
      if (!hidden_[cell] || known_safe_[cell]) continue;
      if (!graph_.CanChange(cell)) return cell;
      known_safe_[cell] = true;
    }
    return -1;
  }

  int64_t Cost(int cell) const {
    const int64_t value = table_.values[static_cast<size_t>(cell)];
    return value > 0 ? value : k_;
  }

  void Consider(std::initializer_list<int> cells, std::vector<Candidate>* candidates) const {
    Candidate candidate;
    candidate.order = static_cast<int>(candidates->size());
    for (int cell : cells) {
      if (hidden_[cell]) continue;
      if (Published(cell)) return;  // published elsewhere: cannot hide it
      candidate.cells[candidate.count++] = cell;
      candidate.cost = SaturatingAdd(candidate.cost, Cost(cell));
      if (table_.values[static_cast<size_t>(cell)] == 0) ++candidate.zeros;
    }
    if (candidate.count > 0) candidates->push_back(candidate);
  }

  // The cheapest candidate set that lets `target` change; empty if none does.
  std::vector<int> CheapestProtection(int target) {
    const int cols = table_.cols;
    const int a = target / cols;
    const int b = target % cols;
    candidates_.clear();
    // One more cell in the row closes a cycle through the merged column node, or through paths
    // that already exist; likewise one in the column.
    for (int d = 0; d < cols; ++d) {
      if (d != b) Consider({a * cols + d}, &candidates_);
    }
    if (table_.columns_add_up) {
      for (int c = 0; c < table_.rows; ++c) {
        if (c != a) Consider({c * cols + b}, &candidates_);
      }
    }
    for (int c = 0; c < table_.rows; ++c) {
      if (c == a) continue;
      for (int d = 0; d < cols; ++d) {
        if (d != b) Consider({a * cols + d, c * cols + b, c * cols + d}, &candidates_);
      }
    }
    std::sort(candidates_.begin(), candidates_.end(),
              [](const Candidate& x, const Candidate& y) { return x.Key() < y.Key(); });
    for (const Candidate& candidate : candidates_) {
      for (int i = 0; i < candidate.count; ++i) graph_.Add(candidate.cells[i]);
      const bool works = graph_.CanChange(target);
      for (int i = candidate.count - 1; i >= 0; --i) graph_.RemoveLast(candidate.cells[i]);
      if (works) return {candidate.cells.begin(), candidate.cells.begin() + candidate.count};
    }
    return {};
  }

  std::vector<int> RowAndColumn(int target) const {
    const int cols = table_.cols;
    std::vector<int> cells;
    for (int cell = 0; cell < cell_count_; ++cell) {
      if (!hidden_[cell] && !Published(cell) &&
          (cell / cols == target / cols || cell % cols == target % cols)) {
        cells.push_back(cell);
      }
    }
    return cells;
  }

  const SuppressionTable& table_;
  const int64_t k_;
  const std::vector<FixedCell>& fixed_;  // empty: every cell free
  const int cell_count_;
  PerturbationGraph graph_;
  std::vector<bool> hidden_;
  std::vector<bool> known_safe_;
  std::vector<Candidate> candidates_;
};

}  // namespace

std::vector<bool> SuppressionResult::SuppressedMask() const {
  std::vector<bool> mask(reasons.size());
  for (size_t i = 0; i < reasons.size(); ++i) mask[i] = reasons[i] != SuppressionReason::kNone;
  return mask;
}

namespace {

// Dimensions, the cell limit and the number of values.
Status CheckTableShape(const SuppressionTable& table) {
  if (table.cols < 2) {
    return Status::InvalidArgument(
        "table.cols",
        "need at least 2 (a data column and the row totals), got " + std::to_string(table.cols));
  }
  const int min_rows = table.columns_add_up ? 2 : 1;
  if (table.rows < min_rows) {
    return Status::InvalidArgument(
        "table.rows", std::string("need at least ") + std::to_string(min_rows) +
                          (table.columns_add_up ? " (a data row and the column totals)" : "") +
                          ", got " + std::to_string(table.rows));
  }
  const int64_t cells = static_cast<int64_t>(table.rows) * table.cols;
  if (cells > kMaxSuppressionTableCells) {
    return Status::InvalidArgument("table", std::to_string(table.rows) + " x " +
                                                std::to_string(table.cols) + " cells exceed " +
                                                std::to_string(kMaxSuppressionTableCells));
  }
  if (table.values.size() != static_cast<size_t>(cells)) {
    return Status::InvalidArgument("table.values", "need rows * cols = " + std::to_string(cells) +
                                                       " values, got " +
                                                       std::to_string(table.values.size()));
  }
  return Status::Ok();
}

Status CheckCellsNotNegative(const SuppressionTable& table) {
  for (int r = 0; r < table.rows; ++r) {
    for (int c = 0; c < table.cols; ++c) {
      if (table.at(r, c) < 0) {
        return Status::InvalidArgument("table.values", "cell " + CellName(r, c) + " is negative: " +
                                                           std::to_string(table.at(r, c)));
      }
    }
  }
  return Status::Ok();
}

// The last column holds each row's total.
Status CheckRowTotals(const SuppressionTable& table) {
  const int last_col = table.cols - 1;
  for (int r = 0; r < table.rows; ++r) {
    int64_t sum = 0;
    for (int c = 0; c < last_col; ++c) {
      if (__builtin_add_overflow(sum, table.at(r, c), &sum)) {
        return Status::InvalidArgument("table.values",
                                       "row " + std::to_string(r) + " sum overflows int64");
      }
    }
    if (sum != table.at(r, last_col)) {
      return Status::InvalidArgument("table.values", "row " + std::to_string(r) + " sums to " +
                                                         std::to_string(sum) + " but its total " +
                                                         CellName(r, last_col) + " is " +
                                                         std::to_string(table.at(r, last_col)));
    }
  }
  return Status::Ok();
}

// The last row holds each column's total.
Status CheckColumnTotals(const SuppressionTable& table) {
  const int last_row = table.rows - 1;
  for (int c = 0; c < table.cols; ++c) {
    int64_t sum = 0;
    for (int r = 0; r < last_row; ++r) {
      if (__builtin_add_overflow(sum, table.at(r, c), &sum)) {
        return Status::InvalidArgument("table.values",
                                       "column " + std::to_string(c) + " sum overflows int64");
      }
    }
    if (sum != table.at(last_row, c)) {
      return Status::InvalidArgument("table.values", "column " + std::to_string(c) + " sums to " +
                                                         std::to_string(sum) + " but its total " +
                                                         CellName(last_row, c) + " is " +
                                                         std::to_string(table.at(last_row, c)));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateSuppressionTable(const SuppressionTable& table) {
  CASECOORD_RETURN_IF_ERROR(CheckTableShape(table));
  CASECOORD_RETURN_IF_ERROR(CheckCellsNotNegative(table));
  CASECOORD_RETURN_IF_ERROR(CheckRowTotals(table));
  if (table.columns_add_up) CASECOORD_RETURN_IF_ERROR(CheckColumnTotals(table));
  return Status::Ok();
}

Result<SuppressionResult> SuppressSmallCells(const SuppressionTable& table, int64_t k,
                                             const std::vector<FixedCell>& fixed) {
  if (k < 2) return Status::InvalidArgument("k", "must be at least 2, got " + std::to_string(k));
  CASECOORD_RETURN_IF_ERROR(ValidateSuppressionTable(table));
  if (!fixed.empty()) {
    if (fixed.size() != table.values.size()) {
      return Status::InvalidArgument(
          "fixed", "need rows * cols = " + std::to_string(table.values.size()) + " entries, got " +
                       std::to_string(fixed.size()));
    }
    for (size_t cell = 0; cell < fixed.size(); ++cell) {
      const int64_t value = table.values[cell];
      if (fixed[cell] == FixedCell::kPublished && value >= 1 && value < k) {
        return Status::InvalidArgument(
            "fixed",
            "cell " +
                CellName(static_cast<int>(cell) / table.cols, static_cast<int>(cell) % table.cols) +
                " holds " + std::to_string(value) + " (below k) and cannot be published");
      }
    }
  }
  return Suppressor(table, k, fixed).Run();
}

Result<std::vector<DeterminedCell>> FindDeterminedCells(const SuppressionTable& table,
                                                        const std::vector<bool>& suppressed) {
  CASECOORD_RETURN_IF_ERROR(ValidateSuppressionTable(table));
  if (suppressed.size() != table.values.size()) {
    return Status::InvalidArgument(
        "suppressed", "need rows * cols = " + std::to_string(table.values.size()) + " flags, got " +
                          std::to_string(suppressed.size()));
  }
  PerturbationGraph graph(table);
  const int cell_count = table.rows * table.cols;
  for (int cell = 0; cell < cell_count; ++cell) {
    if (suppressed[cell]) graph.Add(cell);
  }
  std::vector<DeterminedCell> determined;
  for (int cell = 0; cell < cell_count; ++cell) {
    if (suppressed[cell] && !graph.CanChange(cell)) {
      determined.push_back({cell / table.cols, cell % table.cols});
    }
  }
  return determined;
}

}  // namespace casecoord::stats
