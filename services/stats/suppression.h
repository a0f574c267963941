// Statistical disclosure control for the published yearly tables: small-cell suppression with
// complementary suppression, and an audit that proves a suppression pattern safe.
//
// Planners see aggregates only, but a count of 1 to k-1 households in a district or under an
// issue tag can still point at a household. SuppressSmallCells hides such cells (primary
// suppression, published as "x") and then hides further cells (complementary suppression) until no
// hidden value can be worked out from the published cells and the row and column totals.
// FindDeterminedCells is the proof: it lists the hidden cells whose value is fixed by what is
// published, so an empty answer means the pattern discloses no hidden value exactly.
//
// What is and is not protected: the audit considers the table's linear constraints (row sums,
// column sums when the breakdown is single-valued) and that no count is negative. It does not
// bound how narrow the range of a hidden value may be (interval disclosure). Tables that share
// cells (a breakdown's total row) are linked through SuppressSmallCells' `fixed` cells; each
// table is then audited on its own, with the shared cells as that table publishes them.
//
// Both functions are exact: a cell is reported determined if and only if every non-negative table
// that agrees with the published cells and the constraints has the same value in that cell (over
// the integers and over the reals alike, the constraint matrix being totally unimodular).
//
// Errors: INVALID_ARGUMENT (reason INVALID_FIELD, naming the field) for a malformed table, a
// suppression mask of the wrong size, or k < 2; nothing else.
//
// Thread safety: the functions are pure (no shared or static state); they may be called
// concurrently. The types are plain values.
//
// Cost: polynomial; SuppressSmallCells on a table of 31 x 12 cells takes a fraction of a
// millisecond (tests/stats/suppression_test.cc prints it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "services/common/status.h"

namespace casecoord::stats {

// The smallest count published by default: 1 to 4 households are suppressed.
inline constexpr int64_t kDefaultMinPublishedCount = 5;

// Published tables have at most a few thousand cells; the cap keeps a wrong caller from buying
// seconds of CPU with one request.
inline constexpr int64_t kMaxSuppressionTableCells = 1 << 16;

// A table of non-negative counts with a total column and a last row that holds the column totals
// (or, see columns_add_up, one more row).
struct SuppressionTable {
  // Including the total row and the total column. At least 2 columns (a data column and the
  // total); at least 2 rows when columns_add_up (a data row and the total row), else at least 1.
  int rows = 0;
  int cols = 0;
  // Row-major, rows * cols values, all >= 0.
  std::vector<int64_t> values;
  // The last cell of every row is that row's total: the sum of the row's other cells.
  // When true, the last row holds the column totals: each column's other cells sum to its last
  // cell (single-valued breakdowns such as district, where households of no district have an
  // "unspecified" row). When false, a household may count under several rows (issue tags): the
  // last row is then just another row (typically all households, which the rows need not add up
  // to) and no column constraint exists.
  bool columns_add_up = true;

  // The value at row r, column c; both must be in range.
  int64_t at(int r, int c) const { return values[static_cast<size_t>(r) * cols + c]; }
};

enum class SuppressionReason {
  kNone,           // published
  kPrimary,        // 1 <= value <= k - 1
  kComplementary,  // hidden so that no hidden value can be recovered
};

struct SuppressionResult {
  int rows = 0;
  int cols = 0;
  // Row-major, rows * cols.
  std::vector<SuppressionReason> reasons;
  // True when FindDeterminedCells finds nothing for the pattern. False only if even hiding every
  // cell left a hidden value determined; every cell is then hidden. Cannot happen for a table that
  // passes validation (hiding everything lets a data cell, its row total, its column total and the
  // grand total all grow together), but callers must still check it before publishing.
  bool protected_ok = true;

  bool suppressed(int r, int c) const {
    return reasons[static_cast<size_t>(r) * cols + c] != SuppressionReason::kNone;
  }
  // The pattern as FindDeterminedCells takes it.
  std::vector<bool> SuppressedMask() const;
};

// Hides every cell (totals included) whose value is in [1, k - 1] and then, greedily, cheap
// further cells until FindDeterminedCells finds nothing: for each hidden cell still determined
// (row-major order), the cheapest of one published cell in its row or column, or the missing
// corners of a rectangle with another row and column, that makes it undetermined. Cost is the sum
// of the newly hidden values, a zero counting as k (a hidden zero can only be imagined larger,
// so it protects in one direction only); ties go to fewer zeros, then fewer cells, then row cells
// before column cells before rectangles, each in row-major order. If no such set helps, the cell's
// whole row and column are hidden; if the pattern is still unsafe, every cell is. Deterministic:
// the same table and k give the same result.
//
// `fixed` (empty, or one entry per cell, row-major) carries decisions made by another table that
// shares cells with this one (a breakdown's total row is the statistic's own row): a kSuppressed
// cell starts hidden (reason kComplementary unless its value makes it primary); a kPublished cell
// is never chosen to protect another, since hiding it here would not hide it there. A kPublic
// cell is published elsewhere as a figure that is not protected at all (the activities' own
// totals): like kPublished, and never primary whatever its value. With published cells a pattern
// may be impossible: protected_ok then says so.
//
// INVALID_ARGUMENT if the table is malformed (see ValidateSuppressionTable), k < 2, `fixed` has
// the wrong size, or a kPublished cell holds 1 to k - 1.
enum class FixedCell { kFree, kSuppressed, kPublished, kPublic };
Result<SuppressionResult> SuppressSmallCells(const SuppressionTable& table,
                                             int64_t k = kDefaultMinPublishedCount,
                                             const std::vector<FixedCell>& fixed = {});

struct DeterminedCell {
  int row = 0;
  int col = 0;
  bool operator==(const DeterminedCell&) const = default;
};

// The audit. `suppressed` is row-major, rows * cols, true for a hidden cell. Returns, in row-major
// order, the hidden cells whose value is the same in every non-negative table that agrees with
// the published cells and the table's constraints; empty means the pattern is safe.
//
// INVALID_ARGUMENT if the table is malformed or `suppressed` has the wrong size.
Result<std::vector<DeterminedCell>> FindDeterminedCells(const SuppressionTable& table,
                                                        const std::vector<bool>& suppressed);

// OK if the table is well formed: sizes as documented on SuppressionTable, at most
// kMaxSuppressionTableCells cells, values.size() == rows * cols, no negative value, every row
// total equal to its row's sum and, when columns_add_up, every column total equal to its column's
// sum (without overflowing int64). Otherwise INVALID_ARGUMENT naming the first problem found.
Status ValidateSuppressionTable(const SuppressionTable& table);

}  // namespace casecoord::stats
