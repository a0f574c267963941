// The XLSX reader and the one tabular-input shape (services/text/xlsx.h, table.h), and the agency
// import on top of them: the bytes of an uploaded .xlsx file, as ImportAgencies receives them.
//
// Input: the file's bytes (a zip archive of SpreadsheetML parts, or anything else).
// Properties, besides never throwing or crashing:
//   - ReadXlsxSheet refuses only with INVALID_ARGUMENT NOT_XLSX, XLSX_MALFORMED, XLSX_TOO_LARGE
//     or SHEET_NOT_FOUND (the last only when a sheet is named), and what it reads keeps the
//     documented shape: rows in increasing order within kMaxXlsxRows, each non-empty with a
//     non-empty last cell, within kMaxXlsxColumns and kMaxXlsxCells, cells within
//     kMaxXlsxCellBytes;
//   - ListXlsxSheets agrees with it (same refusal, the sheet read is the first listed), and
//     reading the sheet by its name gives the same rows;
//   - ReadTable of a zip succeeds exactly when ReadXlsxSheet does; its rows have the header's
//     width and come from the sheet's rows in order, each sheet row after the header being either
//     a row of the table or the line of a problem;
//   - ParseAgencyCsv refuses only with INVALID_ARGUMENT.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "services/directory/agency_csv.h"
#include "services/text/table.h"
#include "services/text/xlsx.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using casecoord::Reason;
using casecoord::StatusCode;
using namespace casecoord::text;

bool IsDocumentedRefusal(const casecoord::Status& status) {
  return status.code() == StatusCode::kInvalidArgument &&
         (status.Is(Reason::kNotXlsx) || status.Is(Reason::kXlsxMalformed) ||
          status.Is(Reason::kXlsxTooLarge));
}

void CheckSheetShape(const XlsxSheet& sheet) {
  int previous = 0;
  size_t cells = 0;
  for (const XlsxRow& row : sheet.rows) {
    FUZZ_CHECK(row.row > previous && row.row <= kMaxXlsxRows, "row %d after %d", row.row, previous);
    previous = row.row;
    FUZZ_CHECK(!row.cells.empty() && !row.cells.back().empty(), "row %d ends empty", row.row);
    FUZZ_CHECK(row.cells.size() <= static_cast<size_t>(kMaxXlsxColumns), "row %d has %zu cells",
               row.row, row.cells.size());
    for (const std::string& cell : row.cells) {
      FUZZ_CHECK(cell.size() <= kMaxXlsxCellBytes, "a cell of %zu bytes in row %d", cell.size(),
                 row.row);
    }
    cells += row.cells.size();
  }
  FUZZ_CHECK(cells <= kMaxXlsxCells, "%zu cells", cells);
}

void CheckTable(std::string_view bytes, const casecoord::Result<XlsxSheet>& sheet) {
  auto table = ReadTable(bytes);
  FUZZ_CHECK(table.ok() == sheet.ok(), "ReadTable %s but ReadXlsxSheet %s",
             table.ok() ? "succeeded" : table.status().ToString().c_str(),
             sheet.ok() ? "succeeded" : sheet.status().ToString().c_str());
  if (!table.ok()) return;
  FUZZ_CHECK(table->format == TableFormat::kXlsx, "a zip read as CSV");
  if (sheet->rows.empty()) {
    FUZZ_CHECK(table->header.empty() && table->rows.empty(), "rows from an empty sheet");
    return;
  }
  FUZZ_CHECK(table->header == sheet->rows.front().cells, "the header is not the first row");
  std::set<int> problem_lines;
  for (const TableProblem& problem : table->problems) problem_lines.insert(problem.line);
  size_t next = 0;
  for (size_t r = 1; r < sheet->rows.size(); ++r) {
    const XlsxRow& row = sheet->rows[r];
    if (next < table->rows.size() && table->rows[next].line == row.row) {
      const TableRow& read = table->rows[next++];
      FUZZ_CHECK(read.cells.size() == table->header.size(), "row %d has %zu cells, header %zu",
                 row.row, read.cells.size(), table->header.size());
      for (size_t c = 0; c < read.cells.size(); ++c) {
        const std::string expected = c < row.cells.size() ? row.cells[c] : "";
        FUZZ_CHECK(read.cells[c] == expected, "row %d column %zu changed", row.row, c + 1);
      }
    } else {
      FUZZ_CHECK(problem_lines.count(row.row) == 1, "row %d neither read nor a problem", row.row);
    }
  }
  FUZZ_CHECK(next == table->rows.size(), "the table has rows the sheet has not");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto sheet = ReadXlsxSheet(bytes);
  if (!sheet.ok()) {
    FUZZ_CHECK(IsDocumentedRefusal(sheet.status()), "%s", sheet.status().ToString().c_str());
  } else {
    CheckSheetShape(*sheet);
  }

  auto names = ListXlsxSheets(bytes);
  if (!names.ok()) {
    FUZZ_CHECK(!sheet.ok() && sheet.status().reason() == names.status().reason(),
               "ListXlsxSheets: %s, ReadXlsxSheet: %s", names.status().ToString().c_str(),
               sheet.ok() ? "OK" : sheet.status().ToString().c_str());
  } else if (sheet.ok()) {
    FUZZ_CHECK(!names->empty() && names->front() == sheet->name, "the first sheet is not read");
    auto by_name = ReadXlsxSheet(bytes, sheet->name);
    FUZZ_CHECK(by_name.ok(), "%s", by_name.status().ToString().c_str());
    FUZZ_CHECK(by_name->rows.size() == sheet->rows.size(), "by name: %zu rows, first: %zu",
               by_name->rows.size(), sheet->rows.size());
  }
  auto named = ReadXlsxSheet(bytes, "名簿");
  if (!named.ok() && !named.status().Is(Reason::kSheetNotFound)) {
    FUZZ_CHECK(IsDocumentedRefusal(named.status()), "%s", named.status().ToString().c_str());
  }

  if (LooksLikeZip(bytes)) CheckTable(bytes, sheet);

  auto agencies = casecoord::directory::ParseAgencyCsv(bytes);
  if (!agencies.ok()) {
    FUZZ_CHECK(agencies.status().code() == StatusCode::kInvalidArgument, "%s",
               agencies.status().ToString().c_str());
  }
  return 0;
}
