#include "services/text/table.h"

#include <utility>

#include "services/text/xlsx.h"

namespace casecoord::text {
namespace {

// The line of the header record: 1 plus the blank lines ParseCsv skips before it.
int CsvHeaderLine(std::string_view utf8) {
  if (utf8.starts_with("\xEF\xBB\xBF")) utf8.remove_prefix(3);
  int line = 1;
  for (size_t i = 0; i < utf8.size(); ++i) {
    if (utf8[i] == '\r') {
      if (i + 1 < utf8.size() && utf8[i + 1] == '\n') ++i;
    } else if (utf8[i] != '\n') {
      break;
    }
    ++line;
  }
  return line;
}

Result<Table> ReadCsvTable(std::string_view bytes) {
  Table table;
  table.format = TableFormat::kCsv;
  CASECOORD_ASSIGN_OR_RETURN(const std::string utf8, DecodeToUtf8(bytes, &table.encoding));
  CsvTable csv = ParseCsv(utf8);
  table.header_line = CsvHeaderLine(utf8);
  table.header = std::move(csv.header);
  table.rows.reserve(csv.rows.size());
  for (CsvRow& row : csv.rows) table.rows.push_back({row.line, std::move(row.fields)});
  for (CsvProblem& problem : csv.problems) {
    table.problems.push_back({problem.line, problem.column, std::move(problem.problem)});
  }
  return table;
}

Result<Table> ReadXlsxTable(std::string_view bytes, std::string_view sheet_name) {
  CASECOORD_ASSIGN_OR_RETURN(XlsxSheet sheet, ReadXlsxSheet(bytes, sheet_name));
  Table table;
  table.format = TableFormat::kXlsx;
  table.sheet_name = std::move(sheet.name);
  if (sheet.rows.empty()) {
    table.problems.push_back({1, 0, "the file has no header row"});
    return table;
  }
  table.header_line = sheet.rows.front().row;
  table.header = std::move(sheet.rows.front().cells);
  for (const CsvProblem& problem : HeaderNameProblems(table.header, table.header_line)) {
    table.problems.push_back({problem.line, problem.column, problem.problem});
  }
  const size_t width = table.header.size();
  for (size_t r = 1; r < sheet.rows.size(); ++r) {
    XlsxRow& row = sheet.rows[r];
    if (row.cells.size() > width) {
      // The reader drops trailing empty cells, so the last cell has a value.
      const int column = static_cast<int>(row.cells.size());
      table.problems.push_back({row.row, column,
                                "cell " + CellReference(row.row, column) +
                                    " is beyond the header's last column " +
                                    ColumnLetters(static_cast<int>(width))});
      continue;
    }
    row.cells.resize(width);
    table.rows.push_back({row.row, std::move(row.cells)});
  }
  return table;
}

}  // namespace

Result<Table> ReadTable(std::string_view bytes, std::string_view sheet_name) {
  if (LooksLikeZip(bytes)) return ReadXlsxTable(bytes, sheet_name);
  return ReadCsvTable(bytes);
}

}  // namespace casecoord::text
