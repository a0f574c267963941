// One shape for tabular input, whatever the user saved it as: CSV (in the encodings of csv.h) or
// an Excel workbook (.xlsx, its first sheet or a named one; see xlsx.h). Importers take a Table
// and need not know which it was, except to say so in their answer.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"
#include "services/text/csv.h"

namespace casecoord::text {

enum class TableFormat {
  kCsv,   // see Table::encoding
  kXlsx,  // an Excel workbook; see Table::sheet_name
};

struct TableRow {
  // 1-based: the physical line on which a CSV record starts, or the row number in the sheet.
  int line = 0;
  // Exactly as many cells as the header has.
  std::vector<std::string> cells;
};

// A problem with the table, in English (importers show their users their own words for it).
struct TableProblem {
  int line = 0;    // as TableRow::line
  int column = 0;  // 1-based column, or 0 when the problem concerns the whole row
  std::string problem;
};

struct Table {
  TableFormat format = TableFormat::kCsv;
  CsvEncoding encoding = CsvEncoding::kUtf8;  // for kCsv: the encoding the file was in
  std::string sheet_name;                     // for kXlsx: the sheet read
  // The line (row) of the header, and its cells; an empty header means the table had no rows.
  int header_line = 0;
  std::vector<std::string> header;
  // The well-formed data rows, in order (blank rows are skipped without a problem).
  std::vector<TableRow> rows;
  // What is wrong, row by row: a row with a problem (other than on the header's line) is not in
  // `rows`. CSV: the problems of ParseCsv. XLSX: the header names' problems (as ParseCsv's), and
  // "cell H7 is beyond the header's last column G" for a row with a value right of the header.
  std::vector<TableProblem> problems;
};

// Reads `bytes` as XLSX when they start with the zip signature (LooksLikeZip), reading the sheet
// `sheet_name` or, when empty, the first; otherwise as CSV (DecodeToUtf8, then ParseCsv). The
// header is the first non-blank record (CSV) or the first row with a value (XLSX). Errors: the
// INVALID_ARGUMENT of DecodeToUtf8 ("UNDECODABLE") or of ReadXlsxSheet (NOT_XLSX, XLSX_MALFORMED,
// XLSX_TOO_LARGE, SHEET_NOT_FOUND); a table without rows is not an error (empty header).
Result<Table> ReadTable(std::string_view bytes, std::string_view sheet_name = {});

}  // namespace casecoord::text
