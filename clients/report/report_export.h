// Exports of the statistics people actually use: the yearly report (事業実績) and the plan's
// indicator progress (成果指標の進捗状況) as CSV and XLSX files laid out as cities publish them,
// and the yearly figures as an SVG chart for reports and web pages.
//
// Input. The messages as the Statistics service answers them (proto/casecoord/v1/statistics.proto):
// suppression has already been decided by the server. These functions only present it, and they
// never print a value the message marks as suppressed: a suppressed cell is always "x", whatever
// its `value` field holds. Labels of fiscal years come from FiscalYear.era_label(_ja), falling
// back to the labels computed from the year when the message leaves them empty.
//
// Layout (CSV and XLSX alike; the XLSX sheet has the same rows and columns as the CSV):
//   Yearly report — a title line ("事業実績（平成30年度～令和元年度）"), the creation date when
//   generate_time is set, then each table (cases, activities, each breakdown in order) as
//     [table title, with "（…からの累計）" when the table is cumulative]
//     [区分, era_label_ja of each fiscal year (令和元年度, …), 合計]
//     [row label_ja, one cell per fiscal year, the total]   — one line per StatRow
//     [a note when the rows of a breakdown need not add up to its total]
//   with an empty line after each table, and at the end the disclosure-control notes (注記):
//   what "x" means, rule_ja and rule, k, the canonical range, the audit result and every
//   suppressed cell ("「table」row／年度：少数秘匿|二次秘匿|秘匿値を含む集計").
//   Plan progress — a title line, an empty line, then the header
//     [基本目標・施策, 指標名, 単位, 担当課, 基準値, 基準年度, 目標値, 目標年度,
//      <era_label_ja>実績 for each fiscal year of the plan, 達成率（%）, 状況, 記載年度, 取組実績,
//      今後の方針]
//   and one line per indicator, then an empty line and the notes. Values and years are in
//   separate columns (not "10（平成29年度）") so that values stay numbers in a spreadsheet.
//   基本目標・施策 is the title of the indicator's policy area, after those of its enclosing areas
//   ("地域で支え合う／見守り体制の充実"). 取組実績 and 今後の方針 are those of the latest fiscal
//   year that has either text; 記載年度 names that year.
//
// Numbers. CSV cells hold plain numbers without thousands separators ("1234", "83.3"), so that
// spreadsheets and statistics tools read them as numbers rather than text; the server's
// `display` strings ("1,234") are not used for this reason. XLSX cells are numeric cells with a
// "#,##0" (or "#,##0.0"…) format, so they read "1,234" and still compute. "x" is text in both.
//
// CSV. RFC 4180 with CRLF line ends, written by services/text/csv.h (WriteCsv quoting,
// EncodeFromUtf8). Every record has the same number of fields (the widest table's), so tools that
// expect a rectangular table read the whole file; the lines between tables are truly empty
// (spreadsheets show an empty row; ParseCsv skips them). Two encodings (CsvFlavor): UTF-8 with a
// BOM (Excel needs the BOM to read UTF-8; without it Japanese Excel assumes CP932) and CP932
// (Windows-31J) for older Excel and municipal systems. A text cell that a spreadsheet would run
// as a formula (starting with = + - @, tab or CR, e.g. "- 研修を拡充" typed as a bullet) is written
// with a leading apostrophe, as the agency CSV does (services/directory/agency_csv.h); the XLSX
// needs no such guard, its text cells are text.
//
// Errors (casecoord::Status):
//   - INVALID_ARGUMENT "INVALID_FIELD" when the message is not shaped as the server answers it: no
//     fiscal years, a row whose number of cells is not one per fiscal year plus the total, a plan
//     period that is empty or longer than 20 years, a value that is not finite (the violation
//     names the field);
//   - FAILED_PRECONDITION "DISCLOSURE_AUDIT_NOT_PASSED" when a yearly report does not carry a
//     passed disclosure audit (the server never answers such a report, so it did not come from
//     the server intact), and "UNPROTECTED_CELL" when a table of households publishes a count of
//     1 to k−1: these files are made to be published, so they refuse rather than reveal;
//   - INVALID_ARGUMENT "UNMAPPABLE_CHARACTER" (from EncodeFromUtf8) when kCp932 cannot represent
//     some label (𠮷, emoji, …): choose kUtf8Bom for such data; nothing is replaced by '?';
//   - INTERNAL "XLSX_WRITE_FAILED" when libxlsxwriter or the temporary file fails.
//
// Thread safety: every function is reentrant and may be called from several threads at once. The
// XLSX functions serialize their use of libxlsxwriter behind one process-wide mutex (it calls
// gmtime() and rand(), which are not reentrant; other code of the process that calls gmtime() at
// the same moment is outside this guard) and each writes its own temporary file (mode 0600, in
// std::filesystem::temp_directory_path(), removed before returning).
#pragma once

#include <string>

#include "casecoord/v1/statistics.pb.h"
#include "services/common/status.h"

namespace casecoord::report {

enum class CsvFlavor {
  kUtf8Bom,  // UTF-8 with EF BB BF, which Excel needs to recognise UTF-8
  kCp932,    // Windows-31J (Microsoft's Shift_JIS)
};

// The yearly report as CSV (see the layout above).
Result<std::string> YearlyReportCsv(const v1::YearlyReport& report, CsvFlavor flavor);

// The plan's indicator progress as CSV (see the layout above).
Result<std::string> PlanProgressCsv(const v1::PlanProgress& progress, CsvFlavor flavor);

// The bytes of an .xlsx workbook with one sheet "事業実績" laid out as YearlyReportCsv: bold
// title and header rows, bordered tables, counts as numeric cells, "x" as right-aligned text, and
// column widths that fit the Japanese labels.
Result<std::string> YearlyReportXlsx(const v1::YearlyReport& report);

// The bytes of an .xlsx workbook with one sheet "成果指標" laid out as PlanProgressCsv; the
// header row and the first two columns stay in view when scrolling, and the long texts wrap.
Result<std::string> PlanProgressXlsx(const v1::PlanProgress& progress);

// A standalone SVG 1.1 document (UTF-8, XML-escaped text) charting the yearly figures: a grouped
// bar chart of the cases table (households) and a second panel of the activities table, one group
// per fiscal year (labelled by era_label: "H30", "R1") and one bar per row other than the total,
// with a legend of the rows' label_ja, a title and a value axis with ticks. The total column and
// the total rows are not drawn. A suppressed cell is drawn as a hatched marker of one fixed small
// height labelled "x", never as a bar: the axis scale is computed from the published cells only,
// so the drawing does not depend on anything the server withheld. The font-family lists common
// Japanese sans-serif fonts and ends with the generic sans-serif. Errors as for the CSV (the same
// checks), except that there is no encoding to fail.
Result<std::string> YearlyReportSvg(const v1::YearlyReport& report);

}  // namespace casecoord::report
