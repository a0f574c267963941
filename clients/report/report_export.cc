#include "clients/report/report_export.h"

#include <stdlib.h>  // mkstemps
#include <unistd.h>  // close
#include <xlsxwriter.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "casecoord/v1/common.pb.h"
#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/text/csv.h"

namespace casecoord::report {
namespace {

// The plan period limit of statistics.proto (Plan.first_fiscal_year/last_fiscal_year).
constexpr int kMaxPlanYears = 20;

// ---------------------------------------------------------------------------------------------
// Labels

// FiscalYearLabels covers 1926 on; anything earlier is not a year these messages hold, but a label
// must still come out rather than garbage.
std::string JapaneseYearLabel(int year) {
  if (year >= 1926) return FiscalYearLabels(year).japanese;
  return std::to_string(year) + "年度";
}

std::string ShortYearLabel(int year) {
  if (year >= 1926) return FiscalYearLabels(year).short_label;
  return std::to_string(year);
}

std::string YearLabelJa(const v1::FiscalYear& year) {
  return year.era_label_ja().empty() ? JapaneseYearLabel(year.year()) : year.era_label_ja();
}

std::string YearLabelShort(const v1::FiscalYear& year) {
  return year.era_label().empty() ? ShortYearLabel(year.year()) : year.era_label();
}

// "平成30年度～令和元年度", or one label when the range is one year. U+FF5E (not U+301C) because
// it is the character Windows-31J has.
std::string RangeLabel(const std::string& from, const std::string& to) {
  return from == to ? from : from + "～" + to;
}

bool IsTotalRow(const v1::StatRow& row) { return row.is_total() || row.key() == "TOTAL"; }

std::string RowLabel(const v1::StatRow& row) {
  if (!row.label_ja().empty()) return row.label_ja();
  if (!row.label().empty()) return row.label();
  if (IsTotalRow(row)) return "合計";
  return row.key().empty() ? "（未設定）" : row.key();
}

std::string ReportTitle(const v1::YearlyReport& report) {
  const auto& years = report.fiscal_years();
  return "事業実績（" + RangeLabel(YearLabelJa(years[0]), YearLabelJa(years[years.size() - 1])) +
         "）";
}

std::string TableTitle(const v1::StatTable& table, const v1::YearlyReport& report) {
  std::string title = table.title_ja();
  if (title.empty() && table.metric() != v1::STAT_METRIC_UNSPECIFIED) {
    title = LabelJa(*v1::StatMetric_descriptor(), table.metric());
    if (table.dimension() != v1::STAT_DIMENSION_UNSPECIFIED) {
      title += "（" + LabelJa(*v1::StatDimension_descriptor(), table.dimension()) + "別）";
    }
  }
  if (title.empty()) title = table.title().empty() ? "表" : table.title();
  // A running sum looks like a yearly figure unless the title says otherwise.
  if (table.cumulative()) title += "（" + YearLabelJa(report.fiscal_years(0)) + "からの累計）";
  return title;
}

// The tables of the report in publication order; absent sections are skipped.
std::vector<const v1::StatTable*> ReportTables(const v1::YearlyReport& report) {
  std::vector<const v1::StatTable*> tables;
  if (report.has_cases()) tables.push_back(&report.cases());
  if (report.has_activities()) tables.push_back(&report.activities());
  for (const v1::StatTable& table : report.breakdowns()) tables.push_back(&table);
  return tables;
}

std::string CreatedLine(const google::protobuf::Timestamp& time) {
  const auto instant = std::chrono::system_clock::time_point(std::chrono::seconds(time.seconds()));
  return "作成日：" + FormatJstDate(instant);
}

// ---------------------------------------------------------------------------------------------
// Numbers

// The shortest decimal that reads back as `value`, never in exponent form (spreadsheets would
// take "1e+06" for text in some locales) and independent of the C locale (no "83,3").
std::string FormatDecimal(double value) {
  char buffer[400];  // enough for any fixed-form double below 1e308
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  if (error != std::errc()) return "0";
  std::string text(buffer, end);
  if (text == "-0") text = "0";
  return text;
}

int DecimalPlaces(const std::string& formatted) {
  const size_t point = formatted.find('.');
  return point == std::string::npos ? 0 : static_cast<int>(formatted.size() - point - 1);
}

std::string WithThousands(int64_t value) {
  // The magnitude as unsigned, so that INT64_MIN does not overflow.
  const uint64_t magnitude =
      value < 0 ? ~static_cast<uint64_t>(value) + 1 : static_cast<uint64_t>(value);
  const std::string digits = std::to_string(magnitude);
  std::string out = value < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation

Status CheckTable(const v1::StatTable& table, const std::string& field, int years,
                  int min_cell_count) {
  for (int r = 0; r < table.rows_size(); ++r) {
    const v1::StatRow& row = table.rows(r);
    const std::string row_field = field + ".rows[" + std::to_string(r) + "]";
    if (row.cells_size() != years + 1) {
      return Status::InvalidArgument(
          row_field + ".cells", "has " + std::to_string(row.cells_size()) + " cells; a table of " +
                                    std::to_string(years) +
                                    " fiscal years has one per year and then the total (" +
                                    std::to_string(years + 1) + ")");
    }
    const bool protected_table = table.counts_households() || table.small_cells_suppressed();
    // An activity breakdown's total row is the activities' own total, which is public.
    const bool public_total = row.is_total() && !table.counts_households();
    if (!protected_table || public_total || min_cell_count <= 1) continue;
    // Every published count of a protected table is 0 or at least k: primary suppression hides 1
    // to k−1, and a published sum of published cells cannot fall below k. Anything else did not
    // come from the server's protection, and these files are made to be published.
    for (int c = 0; c < row.cells_size(); ++c) {
      const v1::StatCell& cell = row.cells(c);
      if (!cell.suppressed() && cell.value() > 0 && cell.value() < min_cell_count) {
        return Status(Reason::kUnprotectedCell,
                      row_field + ".cells[" + std::to_string(c) + "] publishes " +
                          std::to_string(cell.value()) + ", below k = " +
                          std::to_string(min_cell_count) + ", without suppression");
      }
    }
  }
  return Status::Ok();
}

Status CheckReport(const v1::YearlyReport& report) {
  if (report.fiscal_years_size() == 0) {
    return Status::InvalidArgument("fiscal_years", "must name at least one fiscal year");
  }
  if (!report.has_disclosure() || !report.disclosure().audit_passed()) {
    return Status(
        Reason::kDisclosureAuditNotPassed,
        "the report does not carry a passed disclosure audit (disclosure.audit_passed); only "
        "reports as the server answers them can be exported for publication");
  }
  const int years = report.fiscal_years_size();
  const int k = report.disclosure().min_cell_count();
  if (report.has_cases()) CASECOORD_RETURN_IF_ERROR(CheckTable(report.cases(), "cases", years, k));
  if (report.has_activities()) {
    CASECOORD_RETURN_IF_ERROR(CheckTable(report.activities(), "activities", years, k));
  }
  for (int i = 0; i < report.breakdowns_size(); ++i) {
    CASECOORD_RETURN_IF_ERROR(
        CheckTable(report.breakdowns(i), "breakdowns[" + std::to_string(i) + "]", years, k));
  }
  return Status::Ok();
}

Status CheckFinite(double value, const std::string& field) {
  if (std::isfinite(value)) return Status::Ok();
  return Status::InvalidArgument(field, "must be a finite number");
}

// Checks that the numbers of one indicator's progress, `field` in the request, are finite.
Status CheckIndicatorProgress(const v1::IndicatorProgress& item, const std::string& field) {
  const v1::Indicator& indicator = item.indicator();
  if (indicator.has_baseline_value()) {
    CASECOORD_RETURN_IF_ERROR(
        CheckFinite(indicator.baseline_value(), field + ".indicator.baseline_value"));
  }
  CASECOORD_RETURN_IF_ERROR(
      CheckFinite(indicator.target_value(), field + ".indicator.target_value"));
  if (item.has_achievement_rate()) {
    CASECOORD_RETURN_IF_ERROR(CheckFinite(item.achievement_rate(), field + ".achievement_rate"));
  }
  for (int a = 0; a < item.actuals_size(); ++a) {
    if (item.actuals(a).has_value()) {
      CASECOORD_RETURN_IF_ERROR(CheckFinite(item.actuals(a).value(),
                                            field + ".actuals[" + std::to_string(a) + "].value"));
    }
  }
  return Status::Ok();
}

Status CheckProgress(const v1::PlanProgress& progress) {
  const v1::WelfarePlan& plan = progress.plan();
  if (plan.first_fiscal_year() <= 0) {
    return Status::InvalidArgument("plan.first_fiscal_year", "is required");
  }
  if (plan.last_fiscal_year() < plan.first_fiscal_year() ||
      plan.last_fiscal_year() - plan.first_fiscal_year() + 1 > kMaxPlanYears) {
    return Status::InvalidArgument(
        "plan.last_fiscal_year",
        "must be from first_fiscal_year to " + std::to_string(kMaxPlanYears) + " years after it");
  }
  for (int i = 0; i < progress.indicators_size(); ++i) {
    CASECOORD_RETURN_IF_ERROR(
        CheckIndicatorProgress(progress.indicators(i), "indicators[" + std::to_string(i) + "]"));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// The sheet both the CSV and the XLSX are written from, so that their layouts cannot drift apart.

enum class Role {
  kTitle,     // the title line of the sheet
  kHeading,   // a table's title, the notes heading
  kNote,      // a line of notes: spills over empty cells to the right; not measured for widths
  kHeader,    // a column heading
  kLabel,     // a text cell of a table
  kValue,     // a number, or "x", inside a table
  kLongText,  // 取組実績 and 今後の方針: wrapped in a fixed width
};

struct Cell {
  Role role = Role::kLabel;
  std::string text;  // as written in the CSV (a number without separators)
  bool is_number = false;
  double number = 0;
  int decimals = 0;    // digits after the point, for the XLSX number format
  bool total = false;  // a total row: bold in the XLSX
};

using Row = std::vector<Cell>;  // an empty row is an empty line

struct Sheet {
  std::string name;   // the XLSX sheet name
  std::string title;  // the XLSX document title
  std::vector<Row> rows;
  // The XLSX keeps rows above and columns left of this cell in view (0: none).
  int freeze_row = 0;
  int freeze_column = 0;
  int64_t created_seconds = 0;  // the document's creation time; 0: now
};

Cell Text(Role role, std::string text, bool total = false) {
  Cell cell;
  cell.role = role;
  cell.text = std::move(text);
  cell.total = total;
  return cell;
}

Cell Count(int64_t value, bool total) {
  Cell cell;
  cell.role = Role::kValue;
  cell.text = std::to_string(value);
  cell.is_number = true;
  cell.number = static_cast<double>(value);
  cell.total = total;
  return cell;
}

Cell Decimal(double value) {
  Cell cell;
  cell.role = Role::kValue;
  cell.text = FormatDecimal(value);
  cell.is_number = true;
  cell.number = value;
  cell.decimals = std::min(DecimalPlaces(cell.text), 6);
  return cell;
}

Cell Suppressed(bool total = false) { return Text(Role::kValue, "x", total); }

Cell Empty(Role role) { return Text(role, ""); }

Row Line(Role role, std::string text) { return Row{Text(role, std::move(text))}; }

void AppendDisclosureRule(const v1::DisclosureControl& disclosure, std::vector<Row>* rows) {
  if (!disclosure.rule_ja().empty()) rows->push_back(Line(Role::kNote, disclosure.rule_ja()));
  if (!disclosure.rule().empty()) rows->push_back(Line(Role::kNote, disclosure.rule()));
  const int k = disclosure.min_cell_count();
  if (k > 1) {
    rows->push_back(Line(Role::kNote,
                         "最小セル度数 k = " + std::to_string(k) + "（1～" + std::to_string(k - 1) +
                             "世帯のセルを秘匿） / minimum cell count k = " + std::to_string(k)));
  }
  if (disclosure.has_canonical_from() && disclosure.canonical_from().year() > 0) {
    rows->push_back(Line(
        Role::kNote, "秘匿を判定した期間：" + RangeLabel(YearLabelJa(disclosure.canonical_from()),
                                                         YearLabelJa(disclosure.canonical_to()))));
  }
}

// The note under the yearly sheet for one suppressed cell.
std::string SuppressedCellNote(const std::string& title, const std::string& row_label,
                               const std::string& column_label, const std::string& reason) {
  return "・「" + title + "」" + row_label + "／" + column_label + "：" + reason;
}

// One row of a yearly table; each suppressed cell also adds its note to `suppressed_notes`.
Row YearlyTableRow(const v1::StatRow& stat_row, const std::string& title,
                   const std::vector<std::string>& column_labels,
                   std::vector<std::string>* suppressed_notes) {
  const bool total = IsTotalRow(stat_row);
  Row row{Text(Role::kLabel, RowLabel(stat_row), total)};
  for (int c = 0; c < stat_row.cells_size(); ++c) {
    const v1::StatCell& cell = stat_row.cells(c);
    if (cell.suppressed()) {
      // The value field is never read for a suppressed cell, whatever it holds.
      row.push_back(Suppressed(total));
      const std::string reason = cell.reason() == v1::SUPPRESSION_REASON_UNSPECIFIED
                                     ? std::string("秘匿")
                                     : LabelJa(*v1::SuppressionReason_descriptor(), cell.reason());
      suppressed_notes->push_back(
          SuppressedCellNote(title, RowLabel(stat_row), column_labels[c], reason));
    } else {
      row.push_back(Count(cell.value(), total));
    }
  }
  return row;
}

// Appends one table of the yearly sheet (title, header, rows, a blank line) to `rows`.
void AppendYearlyTable(const v1::StatTable& table, const v1::YearlyReport& report,
                       const std::vector<std::string>& column_labels, std::vector<Row>* rows,
                       std::vector<std::string>* suppressed_notes) {
  const std::string title = TableTitle(table, report);
  rows->push_back(Line(Role::kHeading, title));
  Row header{Text(Role::kHeader, "区分")};
  for (const std::string& label : column_labels) header.push_back(Text(Role::kHeader, label));
  rows->push_back(std::move(header));
  bool has_total_row = false;
  for (const v1::StatRow& stat_row : table.rows()) {
    has_total_row = has_total_row || IsTotalRow(stat_row);
    rows->push_back(YearlyTableRow(stat_row, title, column_labels, suppressed_notes));
  }
  if (!table.rows_add_up() && has_total_row &&
      table.dimension() != v1::STAT_DIMENSION_UNSPECIFIED) {
    rows->push_back(Line(Role::kNote,
                         "※ 一つの世帯が複数の区分に該当することがあるため、各区分の計は合計と一"
                         "致しません。"));
  }
  rows->emplace_back();
}

Sheet YearlySheet(const v1::YearlyReport& report) {
  Sheet sheet;
  sheet.name = "事業実績";
  sheet.title = ReportTitle(report);
  sheet.created_seconds = report.generate_time().seconds();
  std::vector<Row>& rows = sheet.rows;
  rows.push_back(Line(Role::kTitle, sheet.title));
  if (report.has_generate_time())
    rows.push_back(Line(Role::kNote, CreatedLine(report.generate_time())));
  rows.emplace_back();

  std::vector<std::string> column_labels;
  for (const v1::FiscalYear& year : report.fiscal_years())
    column_labels.push_back(YearLabelJa(year));
  column_labels.push_back("合計");

  std::vector<std::string> suppressed_notes;
  for (const v1::StatTable* table : ReportTables(report)) {
    AppendYearlyTable(*table, report, column_labels, &rows, &suppressed_notes);
  }

  rows.push_back(Line(Role::kHeading, "注記"));
  rows.push_back(Line(Role::kNote,
                      "x：秘匿（世帯が特定されるおそれがあるため公表していません） / x: "
                      "suppressed for confidentiality"));
  AppendDisclosureRule(report.disclosure(), &rows);
  rows.push_back(Line(Role::kNote,
                      "秘匿の監査：適合（公表した値から秘匿した値を求められないことを確認済み）"));
  if (suppressed_notes.empty()) {
    rows.push_back(Line(Role::kNote, "秘匿箇所：なし"));
  } else {
    rows.push_back(Line(Role::kNote, "秘匿箇所（" + std::to_string(suppressed_notes.size()) +
                                         "か所）：表・区分／年度：理由"));
    for (std::string& note : suppressed_notes) rows.push_back(Line(Role::kNote, std::move(note)));
  }
  return sheet;
}

// The titles of the area and its enclosing areas, outermost first.
std::string AreaPath(const v1::WelfarePlan& plan, const std::string& area_id) {
  std::map<std::string, const v1::PolicyArea*> areas;
  for (const v1::PolicyArea& area : plan.policy_areas()) areas.emplace(area.id(), &area);
  std::vector<std::string> titles;
  std::set<std::string> seen;  // a malformed plan could make the parents a cycle
  std::string id = area_id;
  while (!id.empty() && seen.insert(id).second) {
    const auto found = areas.find(id);
    if (found == areas.end()) break;
    titles.push_back(found->second->title());
    id = found->second->parent_id();
  }
  std::string path;
  for (auto it = titles.rbegin(); it != titles.rend(); ++it) {
    if (!path.empty()) path += "／";
    path += *it;
  }
  return path;
}

// The column headings of the plan sheet: one 実績 column per fiscal year of the plan.
Row PlanHeader(const v1::WelfarePlan& plan) {
  Row header;
  for (const char* name :
       {"基本目標・施策", "指標名", "単位", "担当課", "基準値", "基準年度", "目標値", "目標年度"}) {
    header.push_back(Text(Role::kHeader, name));
  }
  for (int year = plan.first_fiscal_year(); year <= plan.last_fiscal_year(); ++year) {
    header.push_back(Text(Role::kHeader, JapaneseYearLabel(year) + "実績"));
  }
  for (const char* name : {"達成率（%）", "状況", "記載年度", "取組実績", "今後の方針"}) {
    header.push_back(Text(Role::kHeader, name));
  }
  return header;
}

// The latest year of `item` with either text (取組実績 or 今後の方針); nullptr when none has.
const v1::IndicatorActual* LatestTexts(const v1::IndicatorProgress& item) {
  const v1::IndicatorActual* texts = nullptr;
  for (const v1::IndicatorActual& actual : item.actuals()) {
    if ((!actual.achievements().empty() || !actual.next_steps().empty()) &&
        (texts == nullptr || actual.fiscal_year() >= texts->fiscal_year())) {
      texts = &actual;
    }
  }
  return texts;
}

// Appends one 実績 cell per fiscal year of the plan; sets `any_suppressed` when one is "x".
void AppendActuals(const v1::WelfarePlan& plan, const v1::IndicatorProgress& item, Row* row,
                   bool* any_suppressed) {
  std::map<int, const v1::IndicatorActual*> by_year;
  for (const v1::IndicatorActual& actual : item.actuals()) by_year[actual.fiscal_year()] = &actual;
  for (int year = plan.first_fiscal_year(); year <= plan.last_fiscal_year(); ++year) {
    const auto found = by_year.find(year);
    const v1::IndicatorActual* actual = found == by_year.end() ? nullptr : found->second;
    if (actual != nullptr && actual->suppressed()) {
      *any_suppressed = true;
      row->push_back(Suppressed());
    } else if (actual != nullptr && actual->has_value()) {
      row->push_back(Decimal(actual->value()));
    } else {
      row->push_back(Empty(Role::kValue));
    }
  }
}

// The row of one indicator; sets `any_suppressed` when one of its actuals is "x".
Row IndicatorRow(const v1::WelfarePlan& plan, const v1::IndicatorProgress& item,
                 bool* any_suppressed) {
  const v1::Indicator& indicator = item.indicator();
  Row row;
  row.push_back(Text(Role::kLabel, AreaPath(plan, indicator.policy_area_id())));
  row.push_back(Text(Role::kLabel, indicator.display_name()));
  row.push_back(
      Text(Role::kLabel, indicator.unit() == v1::INDICATOR_UNIT_UNSPECIFIED
                             ? ""
                             : LabelJa(*v1::IndicatorUnit_descriptor(), indicator.unit())));
  row.push_back(Text(Role::kLabel, indicator.department()));
  row.push_back(indicator.has_baseline_value() ? Decimal(indicator.baseline_value())
                                               : Empty(Role::kValue));
  row.push_back(Text(Role::kLabel, indicator.baseline_fiscal_year() > 0
                                       ? JapaneseYearLabel(indicator.baseline_fiscal_year())
                                       : ""));
  row.push_back(Decimal(indicator.target_value()));
  row.push_back(Text(Role::kLabel, indicator.target_fiscal_year() > 0
                                       ? JapaneseYearLabel(indicator.target_fiscal_year())
                                       : ""));
  AppendActuals(plan, item, &row, any_suppressed);
  const v1::IndicatorActual* texts = LatestTexts(item);
  row.push_back(item.has_achievement_rate() ? Decimal(item.achievement_rate())
                                            : Empty(Role::kValue));
  row.push_back(
      Text(Role::kLabel, item.status() == v1::INDICATOR_STATUS_UNSPECIFIED
                             ? ""
                             : LabelJa(*v1::IndicatorStatus_descriptor(), item.status())));
  row.push_back(
      Text(Role::kLabel, texts == nullptr ? "" : JapaneseYearLabel(texts->fiscal_year())));
  row.push_back(Text(Role::kLongText, texts == nullptr ? "" : texts->achievements()));
  row.push_back(Text(Role::kLongText, texts == nullptr ? "" : texts->next_steps()));
  return row;
}

// Appends the notes under the plan sheet.
void AppendPlanNotes(const v1::PlanProgress& progress, bool any_suppressed,
                     std::vector<Row>* rows) {
  rows->push_back(Line(Role::kHeading, "注記"));
  if (any_suppressed) {
    rows->push_back(Line(Role::kNote,
                         "x：統計の秘匿値に基づくため公表していません / x: depends on a "
                         "suppressed statistic"));
  }
  rows->push_back(Line(Role::kNote,
                       "達成率（%）＝（最新の実績値 - 基準値）÷（目標値 - 基準値）× 100。減少を"
                       "目指す指標では減少が正の達成率になります。"));
  rows->push_back(Line(Role::kNote,
                       "状況：達成＝目標値に到達、順調＝達成率が計画期間の経過割合以上、遅れ＝それ"
                       "未満、未把握＝実績値がないか秘匿。"));
  rows->push_back(Line(Role::kNote, "取組実績・今後の方針は記載年度のものです。"));
  if (progress.has_disclosure()) AppendDisclosureRule(progress.disclosure(), rows);
}

Sheet PlanSheet(const v1::PlanProgress& progress) {
  const v1::WelfarePlan& plan = progress.plan();
  Sheet sheet;
  sheet.name = "成果指標";
  const std::string period = RangeLabel(JapaneseYearLabel(plan.first_fiscal_year()),
                                        JapaneseYearLabel(plan.last_fiscal_year()));
  sheet.title = (plan.display_name().empty() ? std::string("計画") : plan.display_name()) +
                " 成果指標の進捗状況（" + period + "）";
  sheet.created_seconds = progress.generate_time().seconds();
  std::vector<Row>& rows = sheet.rows;
  rows.push_back(Line(Role::kTitle, sheet.title));
  if (progress.has_generate_time()) {
    rows.push_back(Line(Role::kNote, CreatedLine(progress.generate_time())));
  }
  rows.emplace_back();

  Row header = PlanHeader(plan);
  sheet.freeze_row = static_cast<int>(rows.size()) + 1;
  sheet.freeze_column = 2;
  rows.push_back(std::move(header));

  bool any_suppressed = false;
  for (const v1::IndicatorProgress& item : progress.indicators()) {
    rows.push_back(IndicatorRow(plan, item, &any_suppressed));
  }
  rows.emplace_back();

  AppendPlanNotes(progress, any_suppressed, &rows);
  return sheet;
}

// ---------------------------------------------------------------------------------------------
// CSV

// A text cell a spreadsheet would run as a formula ("- 研修を実施" typed as a bullet) gets a
// leading apostrophe, as the agency CSV does (services/directory/agency_csv.h); so does a cell of
// apostrophes before such a character, so that the rule stays reversible.
std::string GuardFormula(std::string text) {
  const size_t first = text.find_first_not_of('\'');
  if (first == std::string::npos) return text;
  const char c = text[first];
  if (c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r') {
    text.insert(text.begin(), '\'');
  }
  return text;
}

Result<std::string> SheetCsv(const Sheet& sheet, CsvFlavor flavor) {
  size_t width = 0;
  for (const Row& row : sheet.rows) width = std::max(width, row.size());
  std::string utf8;
  std::vector<std::string> fields;
  for (const Row& row : sheet.rows) {
    if (row.empty()) {
      utf8 += "\r\n";
      continue;
    }
    fields.assign(width, "");
    for (size_t i = 0; i < row.size(); ++i) {
      fields[i] = row[i].is_number ? row[i].text : GuardFormula(row[i].text);
    }
    // WriteCsv's header is simply its first record: one record per call keeps its quoting rules
    // while the empty lines between tables stay empty.
    utf8 += text::WriteCsv(fields, {});
  }
  return text::EncodeFromUtf8(
      utf8, flavor == CsvFlavor::kCp932 ? text::CsvEncoding::kCp932 : text::CsvEncoding::kUtf8Bom);
}

// ---------------------------------------------------------------------------------------------
// XLSX

// The width of UTF-8 text in "0" characters of the default font, the unit of Excel's column
// widths: East Asian wide characters take about two.
double DisplayWidth(std::string_view text) {
  double width = 0;
  double line = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    char32_t code = lead;
    size_t length = 1;
    if (lead >= 0xF0) {
      length = 4;
      code = lead & 0x07;
    } else if (lead >= 0xE0) {
      length = 3;
      code = lead & 0x0F;
    } else if (lead >= 0xC0) {
      length = 2;
      code = lead & 0x1F;
    }
    for (size_t j = 1; j < length && i + j < text.size(); ++j) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + j]) & 0x3F);
    }
    i += length;
    if (code == '\n') {
      width = std::max(width, line);
      line = 0;
      continue;
    }
    const bool halfwidth_kana = code >= 0xFF61 && code <= 0xFF9F;
    line += (code >= 0x1100 && !halfwidth_kana) ? 2.1 : 1.1;
  }
  return std::max(width, line);
}

// libxlsxwriter calls gmtime() and rand(), which share static state: one workbook at a time.
std::mutex& XlsxMutex() {
  static std::mutex mutex;
  return mutex;
}

class TempFile {
 public:
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  // Creates an empty file of mode 0600 that no other caller can have picked.
  Status Create() {
    std::error_code error;
    std::filesystem::path dir = std::filesystem::temp_directory_path(error);
    if (error) dir = "/tmp";
    std::string pattern = (dir / "casecoord-export-XXXXXX.xlsx").string();
    const int fd = mkstemps(pattern.data(), 5);
    if (fd < 0) {
      return Status(Reason::kXlsxWriteFailed, "cannot create a temporary file in " + dir.string() +
                                                  ": " + std::strerror(errno));
    }
    ::close(fd);
    path_ = pattern;
    return Status::Ok();
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class FormatCache {
 public:
  explicit FormatCache(lxw_workbook* workbook) : workbook_(workbook) {}

  lxw_format* For(const Cell& cell) {
    const auto key = std::make_tuple(cell.role, cell.total, cell.is_number, cell.decimals);
    const auto found = formats_.find(key);
    if (found != formats_.end()) return found->second;
    lxw_format* format = Make(cell);
    formats_.emplace(key, format);
    return format;
  }

 private:
  lxw_format* Make(const Cell& cell) {
    if (cell.role == Role::kNote) return nullptr;
    lxw_format* format = workbook_add_format(workbook_);
    if (format == nullptr) return nullptr;
    switch (cell.role) {
      case Role::kTitle:
        format_set_bold(format);
        format_set_font_size(format, 14);
        return format;
      case Role::kHeading:
        format_set_bold(format);
        return format;
      case Role::kHeader:
        format_set_bold(format);
        format_set_bg_color(format, 0xD9E1F2);
        format_set_align(format, LXW_ALIGN_CENTER);
        format_set_align(format, LXW_ALIGN_VERTICAL_CENTER);
        format_set_text_wrap(format);
        break;
      case Role::kLabel:
        // Labels longer than the widest column wrap instead of hiding under the next cell.
        format_set_text_wrap(format);
        format_set_align(format, LXW_ALIGN_VERTICAL_TOP);
        break;
      case Role::kValue:
        format_set_align(format, LXW_ALIGN_VERTICAL_TOP);
        if (cell.is_number) {
          std::string pattern = "#,##0";
          if (cell.decimals > 0) pattern += "." + std::string(cell.decimals, '0');
          format_set_num_format(format, pattern.c_str());
        } else {
          format_set_align(format, LXW_ALIGN_RIGHT);  // "x" stands where its number would
        }
        break;
      case Role::kLongText:
        format_set_text_wrap(format);
        format_set_align(format, LXW_ALIGN_VERTICAL_TOP);
        break;
      case Role::kNote:
        break;
    }
    format_set_border(format, LXW_BORDER_THIN);
    if (cell.total) format_set_bold(format);
    return format;
  }

  lxw_workbook* workbook_;
  std::map<std::tuple<Role, bool, bool, int>, lxw_format*> formats_;
};

constexpr double kLongTextWidth = 40;
constexpr double kMaxColumnWidth = 60;
constexpr double kMinColumnWidth = 8;

// The lines `text` takes when wrapped in a column `width` wide (see DisplayWidth).
double WrappedLines(std::string_view text, double width) {
  const double usable = std::max(1.0, width - 1);
  double lines = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines += std::max(1.0, std::ceil(DisplayWidth(text.substr(start, end - start)) / usable));
    start = end + 1;
  }
  return lines;
}

// The width of each column: long texts get a fixed width, other table cells their widest text
// within [kMinColumnWidth, kMaxColumnWidth]; titles and notes do not count.
std::vector<double> ColumnWidths(const Sheet& sheet) {
  size_t columns = 0;
  for (const Row& row : sheet.rows) columns = std::max(columns, row.size());
  std::vector<double> widths(columns, kMinColumnWidth);
  for (const Row& row : sheet.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      const Cell& cell = row[c];
      if (cell.role == Role::kLongText) {
        widths[c] = kLongTextWidth;
      } else if (cell.role == Role::kHeader || cell.role == Role::kLabel ||
                 cell.role == Role::kValue) {
        // Numbers gain thousands separators in the sheet.
        const double width =
            (cell.is_number ? DisplayWidth(cell.text) * 1.4 : DisplayWidth(cell.text)) + 2;
        widths[c] = std::max(widths[c], std::min(width, kMaxColumnWidth));
      }
    }
  }
  return widths;
}

// Writes the cells of one row and sets its height for wrapped text; every libxlsxwriter error
// goes to `check`.
template <typename Check>
void WriteRow(lxw_worksheet* worksheet, FormatCache& formats, const Row& row, lxw_row_t row_index,
              const std::vector<double>& widths, const Check& check) {
  double lines = 1;
  for (size_t c = 0; c < row.size(); ++c) {
    const Cell& cell = row[c];
    const auto column = static_cast<lxw_col_t>(c);
    lxw_format* format = formats.For(cell);
    if (cell.is_number) {
      check(worksheet_write_number(worksheet, row_index, column, cell.number, format));
    } else if (cell.text.empty()) {
      // Blank but formatted, so that the table's borders stay whole.
      if (format != nullptr) check(worksheet_write_blank(worksheet, row_index, column, format));
    } else {
      check(worksheet_write_string(worksheet, row_index, column, cell.text.c_str(), format));
    }
    if (cell.role == Role::kLongText || cell.role == Role::kLabel) {
      lines = std::max(lines, WrappedLines(cell.text, widths[c]));
    }
  }
  // Excel does not grow a row for wrapped text written by another program: estimate.
  if (lines > 1) {
    check(worksheet_set_row(worksheet, row_index, std::min(409.0, 15 * lines), nullptr));
  }
}

// The bytes of the finished workbook file.
Result<std::string> ReadWorkbook(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || bytes.empty()) {
    return Status(Reason::kXlsxWriteFailed, "cannot read back " + path);
  }
  return bytes;
}

Result<std::string> SheetXlsx(const Sheet& sheet) {
  std::lock_guard<std::mutex> lock(XlsxMutex());
  TempFile file;
  CASECOORD_RETURN_IF_ERROR(file.Create());

  lxw_workbook* workbook = workbook_new(file.path().c_str());
  if (workbook == nullptr) {
    return Status(Reason::kXlsxWriteFailed, "libxlsxwriter could not create a workbook");
  }
  lxw_error first_error = LXW_NO_ERROR;
  const auto check = [&first_error](lxw_error error) {
    if (first_error == LXW_NO_ERROR) first_error = error;
  };

  lxw_doc_properties properties = {};
  std::string title = sheet.title;
  properties.title = title.data();
  // The creation time of the report rather than now: the same report gives the same file.
  properties.created = static_cast<time_t>(sheet.created_seconds);
  check(workbook_set_properties(workbook, &properties));

  lxw_worksheet* worksheet = workbook_add_worksheet(workbook, sheet.name.c_str());
  if (worksheet == nullptr) {
    workbook_close(workbook);
    return Status(Reason::kXlsxWriteFailed, "libxlsxwriter refused the sheet " + sheet.name);
  }
  // Column widths first: the row heights of wrapped cells depend on them.
  const std::vector<double> widths = ColumnWidths(sheet);
  for (size_t c = 0; c < widths.size(); ++c) {
    const auto column = static_cast<lxw_col_t>(c);
    check(worksheet_set_column(worksheet, column, column, widths[c], nullptr));
  }

  FormatCache formats(workbook);
  for (size_t r = 0; r < sheet.rows.size(); ++r) {
    WriteRow(worksheet, formats, sheet.rows[r], static_cast<lxw_row_t>(r), widths, check);
  }
  if (sheet.freeze_row > 0 || sheet.freeze_column > 0) {
    worksheet_freeze_panes(worksheet, static_cast<lxw_row_t>(sheet.freeze_row),
                           static_cast<lxw_col_t>(sheet.freeze_column));
  }
  const lxw_error closed = workbook_close(workbook);  // frees the workbook whatever happens
  if (first_error == LXW_NO_ERROR) first_error = closed;
  if (first_error != LXW_NO_ERROR) {
    return Status(Reason::kXlsxWriteFailed,
                  std::string("libxlsxwriter: ") + lxw_strerror(first_error));
  }

  return ReadWorkbook(file.path());
}

// ---------------------------------------------------------------------------------------------
// SVG

// Text and attribute values for XML: the five special characters escaped, and the control
// characters XML 1.0 does not allow dropped (they cannot be written at all, even as references).
std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out.push_back(c);
    }
  }
  return out;
}

// A coordinate: two decimals at most, locale-independent.
std::string Px(double value) {
  char buffer[64];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 2);
  if (error != std::errc()) return "0";
  std::string text(buffer, end);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text == "-0" || text.empty() ? "0" : text;
}

// The estimated width of text in px at `font_size` (wide characters are one em, others ~0.6).
double TextWidth(std::string_view text, double font_size) {
  return DisplayWidth(text) / 2.1 * font_size;  // DisplayWidth counts a wide character as 2.1
}

constexpr const char* kFontFamily =
    "'Hiragino Kaku Gothic ProN','Hiragino Sans','Yu Gothic','YuGothic','Meiryo',"
    "'Noto Sans CJK JP','Noto Sans JP','IPAexGothic',sans-serif";
constexpr const char* kPalette[] = {"#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2",
                                    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"};
constexpr double kMargin = 24;
constexpr double kAxisWidth = 56;
constexpr double kMinBarWidth = 14;
constexpr double kMaxBarWidth = 32;
constexpr double kBarGap = 2;
// Few years and few rows still make a chart of a readable size: wider bars, then wider gaps.
constexpr double kMinPlotWidth = 360;
constexpr double kGroupGap = 24;
constexpr double kPlotHeight = 200;
constexpr double kPlotOffset = 44;  // from a panel's top: its title, then the unit above the axis
constexpr double kLegendLine = 18;
// The height of the marker of a suppressed cell: the same for every such cell, and small, so it
// reads as a marker and says nothing about the value.
constexpr double kSuppressedMarkHeight = 12;

struct Series {
  std::string label;
  std::vector<std::optional<int64_t>> values;  // per fiscal year; nullopt: suppressed
};

struct Panel {
  std::string title;
  std::string unit;
  std::vector<Series> series;
  bool any_suppressed = false;
  int64_t max_value = 0;  // over published cells only
};

Panel MakePanel(const v1::StatTable& table, const v1::YearlyReport& report) {
  Panel panel;
  panel.title = TableTitle(table, report);
  panel.unit = table.counts_households() ? "（件）" : "（回）";
  const int years = report.fiscal_years_size();
  for (const v1::StatRow& row : table.rows()) {
    if (IsTotalRow(row)) continue;
    Series series;
    series.label = RowLabel(row);
    for (int y = 0; y < years; ++y) {
      const v1::StatCell& cell = row.cells(y);
      if (cell.suppressed()) {
        series.values.push_back(std::nullopt);
        panel.any_suppressed = true;
      } else {
        series.values.push_back(cell.value());
        panel.max_value = std::max(panel.max_value, cell.value());
      }
    }
    panel.series.push_back(std::move(series));
  }
  return panel;
}

// A tick step of 1, 2 or 5 times a power of ten giving at most five intervals; whole numbers,
// since these are counts.
int64_t TickStep(int64_t max_value) {
  int64_t step = 1;
  for (int64_t magnitude = 1;; magnitude *= 10) {
    for (int64_t factor : {1, 2, 5}) {
      step = factor * magnitude;
      if (step * 5 >= max_value) return step;
    }
    if (magnitude > INT64_MAX / 100) return step;
  }
}

struct PanelLayout {
  double bar_width = kMinBarWidth;
  double group = 0;  // the width of one fiscal year's bars
  double group_gap = kGroupGap;
  double plot_width = 0;
};

PanelLayout Layout(const Panel& panel, int years) {
  PanelLayout layout;
  const double bars = static_cast<double>(std::max<size_t>(panel.series.size(), 1));
  const double per_group = kMinPlotWidth / years - kGroupGap;
  layout.bar_width = std::clamp((per_group + kBarGap) / bars - kBarGap, kMinBarWidth, kMaxBarWidth);
  layout.group = bars * (layout.bar_width + kBarGap) - kBarGap;
  layout.plot_width = kGroupGap + years * (layout.group + kGroupGap);
  if (layout.plot_width < kMinPlotWidth) {
    layout.group_gap = (kMinPlotWidth - years * layout.group) / (years + 1);
    layout.plot_width = kMinPlotWidth;
  }
  return layout;
}

double PanelWidth(const Panel& panel, int years) {
  double width = kMargin + kAxisWidth + Layout(panel, years).plot_width + kMargin;
  width = std::max(width, kMargin * 2 + TextWidth(panel.title, 14));
  for (const Series& series : panel.series) {
    width = std::max(width, kMargin + kAxisWidth + 18 + TextWidth(series.label, 12) + kMargin);
  }
  return width;
}

int LegendLines(const Panel& panel) {
  return static_cast<int>(panel.series.size()) + (panel.any_suppressed ? 1 : 0);
}

double PanelHeight(const Panel& panel) {
  return kPlotOffset + kPlotHeight + 36 + LegendLines(panel) * kLegendLine + 16;
}

// Where a panel's plot sits in the SVG and how its values scale.
struct PanelFrame {
  double left = 0;      // the value axis
  double plot_top = 0;  // the top of the plot area
  double bottom = 0;    // the category axis
  PanelLayout layout;
  int64_t step = 1;      // between ticks
  int64_t axis_max = 1;  // the value at the top of the plot area
};

// Gridlines, tick labels and both axes.
void DrawAxes(const PanelFrame& frame, std::string& out) {
  const double left = frame.left;
  const double bottom = frame.bottom;
  const double plot_width = frame.layout.plot_width;
  for (int64_t tick = 0; tick <= frame.axis_max; tick += frame.step) {
    const double y =
        bottom - kPlotHeight * static_cast<double>(tick) / static_cast<double>(frame.axis_max);
    out += "<line class=\"grid\" x1=\"" + Px(left) + "\" y1=\"" + Px(y) + "\" x2=\"" +
           Px(left + plot_width) + "\" y2=\"" + Px(y) + "\" stroke=\"#DDDDDD\"/>\n";
    out += "<line class=\"tick\" x1=\"" + Px(left - 4) + "\" y1=\"" + Px(y) + "\" x2=\"" +
           Px(left) + "\" y2=\"" + Px(y) + "\" stroke=\"#333333\"/>\n";
    out += "<text class=\"tick-label\" x=\"" + Px(left - 6) + "\" y=\"" + Px(y + 4) +
           "\" font-size=\"10\" text-anchor=\"end\">" + WithThousands(tick) + "</text>\n";
  }
  out += "<line class=\"axis\" x1=\"" + Px(left) + "\" y1=\"" + Px(frame.plot_top) + "\" x2=\"" +
         Px(left) + "\" y2=\"" + Px(bottom) + "\" stroke=\"#333333\"/>\n";
  out += "<line class=\"axis\" x1=\"" + Px(left) + "\" y1=\"" + Px(bottom) + "\" x2=\"" +
         Px(left + plot_width) + "\" y2=\"" + Px(bottom) + "\" stroke=\"#333333\"/>\n";
}

// One bar at `x`: its height, or a hatched mark with an "x" above it when the value is
// suppressed (nullopt). `tooltip` starts the bar's title.
void DrawBar(const PanelFrame& frame, std::optional<int64_t> value, double x, const char* color,
             const std::string& tooltip, std::string& out) {
  const double bar_width = frame.layout.bar_width;
  if (!value.has_value()) {
    const double mark_top = frame.bottom - kSuppressedMarkHeight;
    out += "<rect class=\"bar-suppressed\" x=\"" + Px(x) + "\" y=\"" + Px(mark_top) +
           "\" width=\"" + Px(bar_width) + "\" height=\"" + Px(kSuppressedMarkHeight) +
           "\" fill=\"url(#hatch)\" stroke=\"" + color + "\" stroke-dasharray=\"2,2\"><title>" +
           EscapeXml(tooltip + "x（秘匿）") + "</title></rect>\n";
    out += "<text class=\"suppressed-label\" x=\"" + Px(x + bar_width / 2) + "\" y=\"" +
           Px(mark_top - 3) + "\" font-size=\"10\" text-anchor=\"middle\">x</text>\n";
    return;
  }
  const double height =
      kPlotHeight * static_cast<double>(*value) / static_cast<double>(frame.axis_max);
  out += "<rect class=\"bar\" x=\"" + Px(x) + "\" y=\"" + Px(frame.bottom - height) +
         "\" width=\"" + Px(bar_width) + "\" height=\"" + Px(height) + "\" fill=\"" + color +
         "\"><title>" + EscapeXml(tooltip + WithThousands(*value)) + "</title></rect>\n";
}

// The bars of fiscal year `y` (one per series) and the year's label under them.
void DrawYearGroup(const Panel& panel, const v1::YearlyReport& report, int y,
                   const PanelFrame& frame, std::string& out) {
  const PanelLayout& layout = frame.layout;
  const double group_left = frame.left + layout.group_gap + y * (layout.group + layout.group_gap);
  const std::string year_ja = YearLabelJa(report.fiscal_years(y));
  for (size_t s = 0; s < panel.series.size(); ++s) {
    const Series& series = panel.series[s];
    const char* color = kPalette[s % std::size(kPalette)];
    const double x = group_left + static_cast<double>(s) * (layout.bar_width + kBarGap);
    DrawBar(frame, series.values[y], x, color, series.label + " " + year_ja + "：", out);
  }
  out += "<text class=\"year-label\" x=\"" + Px(group_left + layout.group / 2) + "\" y=\"" +
         Px(frame.bottom + 18) + "\" text-anchor=\"middle\">" +
         EscapeXml(YearLabelShort(report.fiscal_years(y))) + "</text>\n";
}

// The legend under the plot: a swatch per series, and the hatch when a value is suppressed.
void DrawLegend(const Panel& panel, const PanelFrame& frame, std::string& out) {
  const double left = frame.left;
  double legend_y = frame.bottom + 36;
  for (size_t s = 0; s < panel.series.size(); ++s) {
    out += "<rect class=\"legend-swatch\" x=\"" + Px(left) + "\" y=\"" + Px(legend_y - 10) +
           "\" width=\"12\" height=\"12\" fill=\"" + kPalette[s % std::size(kPalette)] + "\"/>\n";
    out += "<text class=\"legend\" x=\"" + Px(left + 18) + "\" y=\"" + Px(legend_y) + "\">" +
           EscapeXml(panel.series[s].label) + "</text>\n";
    legend_y += kLegendLine;
  }
  if (panel.any_suppressed) {
    out += "<rect class=\"legend-swatch\" x=\"" + Px(left) + "\" y=\"" + Px(legend_y - 10) +
           "\" width=\"12\" height=\"12\" fill=\"url(#hatch)\" stroke=\"#666666\" "
           "stroke-dasharray=\"2,2\"/>\n";
    out += "<text class=\"legend\" x=\"" + Px(left + 18) + "\" y=\"" + Px(legend_y) +
           "\">x：秘匿（値は公表していません）</text>\n";
  }
}

void DrawPanel(const Panel& panel, const v1::YearlyReport& report, double top, std::string* svg) {
  std::string& out = *svg;
  const int years = report.fiscal_years_size();
  PanelFrame frame;
  frame.left = kMargin + kAxisWidth;
  frame.plot_top = top + kPlotOffset;
  frame.bottom = frame.plot_top + kPlotHeight;
  frame.layout = Layout(panel, years);
  frame.step = TickStep(panel.max_value);
  frame.axis_max = std::max<int64_t>(
      frame.step, (panel.max_value + frame.step - 1) / frame.step * frame.step);  // >= 1 interval
  const double left = frame.left;

  out += "<g class=\"panel\">\n";
  out += "<text x=\"" + Px(kMargin) + "\" y=\"" + Px(top + 16) +
         "\" font-size=\"14\" font-weight=\"bold\">" + EscapeXml(panel.title) + "</text>\n";
  out += "<text x=\"" + Px(left - 6) + "\" y=\"" + Px(frame.plot_top - 8) +
         "\" font-size=\"10\" text-anchor=\"end\">" + EscapeXml(panel.unit) + "</text>\n";
  DrawAxes(frame, out);
  for (int y = 0; y < years; ++y) DrawYearGroup(panel, report, y, frame, out);
  DrawLegend(panel, frame, out);
  if (panel.series.empty()) {
    out += "<text x=\"" + Px(left + 8) + "\" y=\"" + Px(frame.plot_top + kPlotHeight / 2) +
           "\">データがありません</text>\n";
  }
  out += "</g>\n";
}

}  // namespace

Result<std::string> YearlyReportCsv(const v1::YearlyReport& report, CsvFlavor flavor) {
  CASECOORD_RETURN_IF_ERROR(CheckReport(report));
  return SheetCsv(YearlySheet(report), flavor);
}

Result<std::string> PlanProgressCsv(const v1::PlanProgress& progress, CsvFlavor flavor) {
  CASECOORD_RETURN_IF_ERROR(CheckProgress(progress));
  return SheetCsv(PlanSheet(progress), flavor);
}

Result<std::string> YearlyReportXlsx(const v1::YearlyReport& report) {
  CASECOORD_RETURN_IF_ERROR(CheckReport(report));
  return SheetXlsx(YearlySheet(report));
}

Result<std::string> PlanProgressXlsx(const v1::PlanProgress& progress) {
  CASECOORD_RETURN_IF_ERROR(CheckProgress(progress));
  return SheetXlsx(PlanSheet(progress));
}

Result<std::string> YearlyReportSvg(const v1::YearlyReport& report) {
  CASECOORD_RETURN_IF_ERROR(CheckReport(report));
  const int years = report.fiscal_years_size();
  std::vector<Panel> panels;
  if (report.has_cases()) panels.push_back(MakePanel(report.cases(), report));
  if (report.has_activities()) panels.push_back(MakePanel(report.activities(), report));

  const std::string title = ReportTitle(report);
  double width = std::max(480.0, kMargin * 2 + TextWidth(title, 16));
  double height = 48;
  for (const Panel& panel : panels) {
    width = std::max(width, PanelWidth(panel, years));
    height += PanelHeight(panel);
  }
  width = std::ceil(width);
  height = std::ceil(height);

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + Px(width) +
         "\" height=\"" + Px(height) + "\" viewBox=\"0 0 " + Px(width) + " " + Px(height) +
         "\" font-family=\"" + EscapeXml(kFontFamily) + "\" font-size=\"12\" fill=\"#222222\">\n";
  svg += "<title>" + EscapeXml(title) + "</title>\n";
  svg += "<desc>" +
         EscapeXml(
             "総合相談支援体制取扱件数と会議等開催件数の年度別推移。x は秘匿（値は公表して"
             "いません）。") +
         "</desc>\n";
  svg +=
      "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\">"
      "<rect width=\"6\" height=\"6\" fill=\"#FFFFFF\"/>"
      "<path d=\"M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5\" stroke=\"#888888\" stroke-width=\"1\"/>"
      "</pattern></defs>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#FFFFFF\"/>\n";
  svg += "<text class=\"title\" x=\"" + Px(kMargin) +
         "\" y=\"30\" font-size=\"16\" font-weight=\"bold\">" + EscapeXml(title) + "</text>\n";
  double top = 48;
  for (const Panel& panel : panels) {
    DrawPanel(panel, report, top, &svg);
    top += PanelHeight(panel);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace casecoord::report
