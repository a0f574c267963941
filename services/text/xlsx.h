// Reading one worksheet of an Excel workbook (.xlsx, Office Open XML SpreadsheetML) held in
// memory, as cities keep their lists (相談機関一覧, 名簿): the cells as the user sees them in
// Excel, as UTF-8 text, with their places in the sheet for messages.
//
// An XLSX file is a zip archive of XML parts; this reads it with libzip and expat, never trusting
// the sizes the archive declares: every part is decompressed in chunks and parsed as it streams,
// and reading stops at the limits below (zip bombs, huge dimensions, endless rows). A document
// type declaration is refused (no entity expansion). No exception escapes; every failure is a
// Status with reason NOT_XLSX, XLSX_MALFORMED, XLSX_TOO_LARGE or SHEET_NOT_FOUND (all
// INVALID_ARGUMENT) and an English message naming the part or cell ("xl/worksheets/sheet1.xml:
// cell reference "ZZZZ1" is not valid").
//
// What a cell reads as:
//   - shared strings, inline strings and rich text: the text of their runs, without the phonetic
//     guides (ふりがな, <rPh>) Japanese Excel stores beside them; _xHHHH_ escapes decoded;
//   - numbers: as Excel's General format shows them, to 15 significant digits, integers without
//     ".0" ("42", "3.14", "1E+20"); a leading zero the user typed is not in a number cell;
//   - numbers in a date format (built-in ids 14–17 and 22, the Japanese-locale ids 27–36 and
//     50–58, or a custom format with y, d, or m without h/s — quoted text and [..] sections
//     excepted): "YYYY-MM-DD", with " HH:MM" (":SS" when not zero) when the format shows a time
//     and the value has one; time-only formats (18–21, 45–47, custom with h or s only) "HH:MM" or
//     "HH:MM:SS". The 1900 (with Excel's 1900-02-29) and 1904 date systems are honoured; a serial
//     outside 1900-01-01..9999-12-31 reads as the number;
//   - booleans: "TRUE" / "FALSE"; error values as shown ("#N/A");
//   - formulas: their cached value (the formula itself is not evaluated or returned).
//
// Thread safety: all functions are reentrant; they share no mutable state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord::text {

// The largest file accepted, in bytes; the limit of an import upload (ImportAgencies) too.
inline constexpr size_t kMaxXlsxBytes = size_t{64} << 20;
// The most any one part may decompress to: a sheet of the largest accepted table is ~40 MiB.
inline constexpr uint64_t kMaxXlsxPartBytes = uint64_t{128} << 20;
// The most all parts read may decompress to together, against many parts each under the limit.
inline constexpr uint64_t kMaxXlsxTotalBytes = uint64_t{256} << 20;
// The most rows (by row number) a sheet may have cells in: far above any city's list.
inline constexpr int kMaxXlsxRows = 100000;
// The most columns (by column number) a sheet may have cells in: far above any import's columns.
inline constexpr int kMaxXlsxColumns = 1024;
// The most cells the result may hold, empty cells before the last of a row included, so that
// the memory a sheet takes is bounded whatever its shape.
inline constexpr size_t kMaxXlsxCells = 2000000;
// The longest text of one cell or shared string, in UTF-8 bytes: Excel's limit is 32,767
// characters, which is at most ~96 KiB.
inline constexpr size_t kMaxXlsxCellBytes = 128 * 1024;
// The most shared strings and the most cell formats a workbook may declare.
inline constexpr size_t kMaxXlsxSharedStrings = 1000000;
inline constexpr size_t kMaxXlsxCellFormats = 65536;
// The most sheets a workbook may list.
inline constexpr size_t kMaxXlsxSheets = 1024;

// Excel's own bounds of a cell reference: A1..XFD1048576.
inline constexpr int kXlsxLastRow = 1048576;
inline constexpr int kXlsxLastColumn = 16384;

// One row of a sheet that has at least one non-empty cell.
struct XlsxRow {
  int row = 0;  // 1-based row number in the sheet
  // cells[c] is the cell of column c + 1, "" when empty; trailing empty cells are left out, so
  // the row is never empty.
  std::vector<std::string> cells;
};

struct XlsxSheet {
  std::string name;  // the sheet's tab name
  // The non-empty rows, in increasing row order (rows with only empty or formatted-but-empty
  // cells are left out).
  std::vector<XlsxRow> rows;
};

// Whether `bytes` start like a zip archive (the local file header signature "PK\3\4"), which is
// how an XLSX file is told from CSV (a CSV cannot start with those bytes in any encoding we read
// in any sensible file).
bool LooksLikeZip(std::string_view bytes);

// The Excel letters of a 1-based column: ColumnLetters(3) == "C", ColumnLetters(28) == "AB".
std::string ColumnLetters(int column);

// The Excel name of a cell: CellReference(7, 3) == "C7". Row and column are 1-based and within
// Excel's bounds.
std::string CellReference(int row, int column);

// Parses "C7" into its 1-based row and column; false unless it is a column of 1–3 capital letters
// followed by a row number without leading zero, within A1..XFD1048576.
bool ParseCellReference(std::string_view reference, int* row, int* column);

// The names of the workbook's sheets, in tab order. Errors as ReadXlsxSheet.
Result<std::vector<std::string>> ListXlsxSheets(std::string_view bytes);

// Reads the sheet named `sheet_name` (compared exactly), or the first sheet when it is empty.
// INVALID_ARGUMENT with reason:
//   NOT_XLSX: not a zip archive, or a zip without a workbook;
//   XLSX_TOO_LARGE: beyond one of the limits above (the message names which);
//   XLSX_MALFORMED: a part that is not well-formed XML, a document type declaration, a damaged
//     or encrypted entry, a missing sheet part, an invalid cell reference, a cell before the
//     previous one, an unknown shared string index, a number cell that is not a number;
//   SHEET_NOT_FOUND: no sheet of that name ("sheet 名簿 not found; the sheets are: …").
Result<XlsxSheet> ReadXlsxSheet(std::string_view bytes, std::string_view sheet_name = {});

}  // namespace casecoord::text
