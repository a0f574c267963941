#include "clients/cli/stats_commands.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "casecoord/v1/statistics.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "clients/report/report_export.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

constexpr std::string_view kPlanPrefix = "plans/";
constexpr std::string_view kIndicatorsPart = "/indicators/";
// The range GetYearlyReport answers (statistics.proto): from 1990, at most 20 years.
constexpr int kFirstReportYear = 1990;
constexpr int kMaxReportYears = 20;
// The server's limit on 取組実績 and 今後の方針, in characters.
constexpr size_t kMaxYearTextCharacters = 4000;
// Plans fetched per ListWelfarePlans call.
constexpr int kDefaultPageSize = 100;
// The paths UpdateWelfarePlan accepts in its mask.
constexpr std::string_view kMaskPaths[] = {"display_name", "first_fiscal_year", "last_fiscal_year",
                                           "policy_areas", "indicators"};

enum class ExportFormat { kCsv, kXlsx, kSvg };

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// --- Arguments -----------------------------------------------------------------------------------

// "kyosei-2" and "plans/kyosei-2" -> "plans/kyosei-2".
bool ParsePlanArgument(const std::string& what, const std::string& text, std::string* name,
                       std::string* error) {
  std::string_view id = TrimSpaces(text);
  if (StartsWith(id, kPlanPrefix)) id.remove_prefix(kPlanPrefix.size());
  if (!IsResourceId(id)) {
    *error = "計画の指定が不正です / " + what + ": \"" + text +
             "\" is not a plan; give kyosei-2 or plans/kyosei-2 (lowercase letters, digits and "
             "'-')";
    return false;
  }
  *name = std::string(kPlanPrefix) + std::string(id);
  return true;
}

// "plans/kyosei-2/indicators/survey" as is; `plan` gets "plans/kyosei-2" and `id` "survey".
bool ParseIndicatorArgument(const std::string& text, std::string* name, std::string* plan,
                            std::string* id, std::string* error) {
  const std::string_view trimmed = TrimSpaces(text);
  const size_t part = trimmed.find(kIndicatorsPart);
  if (!StartsWith(trimmed, kPlanPrefix) || part == std::string_view::npos ||
      !IsResourceId(trimmed.substr(kPlanPrefix.size(), part - kPlanPrefix.size())) ||
      !IsResourceId(trimmed.substr(part + kIndicatorsPart.size()))) {
    *error = "指標の指定が不正です / INDICATOR: \"" + text +
             "\" is not an indicator; give plans/PLAN/indicators/ID (the ID column of stats plan "
             "get)";
    return false;
  }
  *name = std::string(trimmed);
  *plan = std::string(trimmed.substr(0, part));
  *id = std::string(trimmed.substr(part + kIndicatorsPart.size()));
  return true;
}

// ParseFiscalYear, naming the flag.
bool ParseYearFlag(const std::string& option, const std::string& text, int* year,
                   std::string* error) {
  if (ParseFiscalYear(text, year, error)) return true;
  *error += " (" + option + ")";
  return false;
}

// "終結件数:終結理由" or "CASES_CLOSED:OUTCOME" (a full-width colon also separates).
bool ParseBreakdown(const std::string& text, v1::GetYearlyReportRequest::Breakdown* breakdown,
                    std::string* error) {
  const std::vector<std::string> parts = SplitTrimmed(text, ':', "：");
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    *error = "内訳の形式が不正です / --breakdown: \"" + text +
             "\" is not METRIC:DIMENSION (e.g. 終結件数:終結理由 or CASES_CLOSED:OUTCOME)";
    return false;
  }
  int metric = 0, dimension = 0;
  if (!ParseEnumFlag("--breakdown", "統計", *v1::StatMetric_descriptor(), parts[0], &metric,
                     error) ||
      !ParseEnumFlag("--breakdown", "内訳", *v1::StatDimension_descriptor(), parts[1], &dimension,
                     error)) {
    return false;
  }
  if (dimension == v1::OUTCOME && metric != v1::CASES_CLOSED) {
    *error = "終結理由別の内訳は終結件数だけです / --breakdown: \"" + text +
             "\": OUTCOME breaks down CASES_CLOSED (終結件数) only";
    return false;
  }
  breakdown->set_metric(static_cast<v1::StatMetric>(metric));
  breakdown->set_dimension(static_cast<v1::StatDimension>(dimension));
  return true;
}

bool ParseFormat(const std::string& text, bool allow_svg, ExportFormat* format,
                 std::string* error) {
  const std::string lower = Lower(TrimSpaces(text));
  if (lower == "csv") {
    *format = ExportFormat::kCsv;
  } else if (lower == "xlsx") {
    *format = ExportFormat::kXlsx;
  } else if (lower == "svg" && allow_svg) {
    *format = ExportFormat::kSvg;
  } else {
    *error = "形式が不明です / --format: unknown format \"" + text + "\" (valid: csv, xlsx" +
             (allow_svg ? ", svg)" : ")");
    return false;
  }
  return true;
}

bool ParseEncoding(const std::string& text, report::CsvFlavor* flavor, std::string* error) {
  const std::string lower = Lower(TrimSpaces(text));
  if (lower == "utf8" || lower == "utf-8") {
    *flavor = report::CsvFlavor::kUtf8Bom;
  } else if (lower == "cp932") {
    *flavor = report::CsvFlavor::kCp932;
  } else {
    *error = "文字コードが不明です / --encoding: unknown encoding \"" + text +
             "\" (valid: utf8 (BOM付き / with a BOM, for Excel), cp932 (Shift_JIS))";
    return false;
  }
  return true;
}

// A number for --actual: all of `text`, finite ("80", "83.3", "-2").
bool ParseActual(const std::string& text, double* value, std::string* error) {
  const std::string_view trimmed = TrimSpaces(text);
  double parsed = 0;
  const auto [end, failure] =
      std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), parsed);
  if (trimmed.empty() || failure != std::errc() || end != trimmed.data() + trimmed.size() ||
      !std::isfinite(parsed)) {
    *error = "実績値が不正です / --actual: \"" + text +
             "\" is not a number (e.g. 80 or 83.3; \"\" removes the actual)";
    return false;
  }
  *value = parsed;
  return true;
}

// --- Files ---------------------------------------------------------------------------------------

// A text given as `option` TEXT or `option`-file PATH (not both), trimmed, of at most
// kMaxYearTextCharacters; nullopt when neither was given (an explicit "" is given: it removes the
// text).
bool YearTextFromFlags(const std::string& option, const CLI::Option& text_flag,
                       const std::string& given, const std::string& path, bool* stdin_taken,
                       std::optional<std::string>* text, std::string* error) {
  const std::optional<std::string> flag_text =
      text_flag.count() > 0 ? std::optional<std::string>(given) : std::nullopt;
  if (!TextFromFlags(option, option + "-file", flag_text, path, stdin_taken, text, error)) {
    return false;
  }
  if (*text && CharacterCount(**text) > kMaxYearTextCharacters) {
    *error = "長すぎます / " + option + ": at most " + std::to_string(kMaxYearTextCharacters) +
             " characters";
    return false;
  }
  return true;
}

// The WelfarePlan in the JSON file `path` ("-": standard input).
bool ReadPlanFile(const std::string& path, bool* stdin_taken, v1::WelfarePlan* plan,
                  std::string* error) {
  std::string json;
  if (!ReadFlagFile("--file", path, stdin_taken, &json, error)) return false;
  // Unknown fields are refused: a misspelt field name would otherwise be dropped silently.
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(json, plan, options);
  if (!status.ok()) {
    // The parser's message continues with lines that point at the error; its first line says it.
    std::string message = status.message().ToString();
    message = std::string(TrimSpaces(message.substr(0, message.find('\n'))));
    *error = "計画ファイルの形式が不正です / --file: " +
             (path == "-" ? std::string("standard input") : "\"" + path + "\"") +
             " is not a WelfarePlan in JSON: " + message;
    return false;
  }
  return true;
}

// --- Output --------------------------------------------------------------------------------------

// `text` preceded by spaces up to `width` columns.
std::string PadLeft(const std::string& text, size_t width) {
  const size_t used = DisplayWidth(text);
  return used >= width ? text : std::string(width - used, ' ') + text;
}

// As FormatTable, but the columns marked in `right` are right-aligned, so that numbers line up on
// their last digit.
std::string FormatAlignedTable(const Row& header, const std::vector<Row>& rows,
                               const std::vector<bool>& right) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const Row& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  std::string out;
  auto format = [&](const Row& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += "  ";
      if (i >= widths.size()) {
        out += row[i];
      } else if (i < right.size() && right[i]) {
        out += PadLeft(row[i], widths[i]);
      } else {
        out += i + 1 == row.size() ? row[i] : PadRight(row[i], widths[i]);
      }
    }
    out += "\n";
  };
  format(header);
  for (const auto& row : rows) format(row);
  return out;
}

std::string YearLabel(int year) { return FiscalYearLabels(year).japanese; }

std::string YearLabel(const v1::FiscalYear& year) {
  return year.era_label_ja().empty() ? YearLabel(year.year()) : Cell(year.era_label_ja());
}

// "平成30年度〜令和2年度 (2018–2020)".
std::string PeriodText(int first, int last) {
  if (first == 0 && last == 0) return "-";
  return YearLabel(first) + "〜" + YearLabel(last) + " (" + std::to_string(first) + "–" +
         std::to_string(last) + ")";
}

// A published cell: its display ("1,234"), or "x" when suppressed, whatever `value` holds.
std::string CellText(const v1::StatCell& cell) {
  if (cell.suppressed()) return "x";
  return cell.display().empty() ? std::to_string(cell.value()) : Cell(cell.display());
}

// 80 -> "80", 83.25 -> "83.25".
std::string NumberText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

std::string RateText(const v1::IndicatorProgress& progress) {
  if (!progress.has_achievement_rate()) return "-";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f%%", progress.achievement_rate());
  return buffer;
}

void PrintStatTable(const v1::StatTable& table, const v1::YearlyReport& report) {
  std::string title = Cell(table.title_ja());
  if (!table.title().empty()) title += " / " + Cell(table.title());
  title += table.counts_households() ? "  [世帯 / households]" : "  [回 / times]";
  std::cout << title << "\n";
  if (table.cumulative() && !report.fiscal_years().empty()) {
    std::cout << "（" << YearLabel(report.fiscal_years(0)) << "からの累計 / running totals from "
              << report.fiscal_years(0).year() << "）\n";
  }
  Row header = {"区分"};
  for (const auto& year : report.fiscal_years()) header.push_back(YearLabel(year));
  header.push_back("合計");
  std::vector<Row> rows;
  for (const auto& row : table.rows()) {
    Row line = {Cell(row.label_ja())};
    for (const auto& cell : row.cells()) line.push_back(CellText(cell));
    rows.push_back(std::move(line));
  }
  std::vector<bool> right(header.size(), true);
  right[0] = false;
  std::cout << FormatAlignedTable(header, rows, right);
  if (!table.rows_add_up()) {
    std::cout
        << "※ 1世帯が複数の区分に数えられるため、内訳の計は合計と一致しません / a household may "
           "count in several rows: the rows need not add up to the total\n";
  }
}

void PrintDisclosure(const v1::YearlyReport& report, int primary, int complementary, int derived) {
  const v1::DisclosureControl& disclosure = report.disclosure();
  const int k = disclosure.min_cell_count();
  const std::string small = "1〜" + std::to_string(std::max(1, k - 1));
  const std::string small_en = "1 to " + std::to_string(std::max(1, k - 1));
  const auto& reasons = *v1::SuppressionReason_descriptor();
  std::cout << "注記 / notes\n";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"x", "秘匿 / suppressed (" + small + "世帯のセル、および逆算を防ぐためのセル / cells of " +
                small_en + " households, and cells that would give them away)"},
      {"秘匿の規則", Cell(disclosure.rule_ja())},
      {"rule", Cell(disclosure.rule())},
      {"k（最小セル数）", std::to_string(k) + "（" + small + "世帯のセルは「x」/ cells of " +
                              small_en + " households are \"x\"）"},
      {"秘匿したセル / suppressed",
       std::to_string(primary + complementary + derived) + "（" + EnumText(reasons, v1::PRIMARY) +
           " " + std::to_string(primary) + "、" + EnumText(reasons, v1::COMPLEMENTARY) + " " +
           std::to_string(complementary) + "、" + EnumText(reasons, v1::DERIVED) + " " +
           std::to_string(derived) + "）"},
      {"秘匿の判定範囲 / range",
       PeriodText(disclosure.canonical_from().year(), disclosure.canonical_to().year())},
      {"監査 / audit", disclosure.audit_passed() ? "合格 / passed" : "不合格 / NOT passed"},
  };
  if (report.has_generate_time()) {
    fields.emplace_back("作成 / generated", LocalTime(report.generate_time()));
  }
  PrintFields(fields);
}

void PrintReport(const v1::YearlyReport& report) {
  std::vector<const v1::StatTable*> tables = {&report.cases(), &report.activities()};
  for (const auto& table : report.breakdowns()) tables.push_back(&table);
  int primary = 0, complementary = 0, derived = 0;
  for (const auto* table : tables) {
    PrintStatTable(*table, report);
    std::cout << "\n";
    primary += table->primary_suppressed();
    complementary += table->complementary_suppressed();
    derived += table->derived_suppressed();
  }
  PrintDisclosure(report, primary, complementary, derived);
}

std::string SourceText(const v1::Indicator& indicator) {
  std::string text;
  const auto& binding = indicator.binding();
  if (binding.has_statistic()) {
    const auto& statistic = binding.statistic();
    text = "統計: " + EnumText(*v1::StatMetric_descriptor(), statistic.metric());
    if (statistic.dimension() != v1::STAT_DIMENSION_UNSPECIFIED) {
      text += "（" + EnumText(*v1::StatDimension_descriptor(), statistic.dimension()) + "：" +
              Cell(statistic.value()) + "）";
    }
  } else if (binding.cooperation_survey_share()) {
    text = "連携調査 / cooperation survey";
  } else {
    text = "手入力 / entered";
  }
  if (indicator.cumulative()) text += "、累計";
  return text;
}

// "60（平成30年度）".
std::string ValueInYear(double value, int year) {
  return NumberText(value) + (year != 0 ? "（" + YearLabel(year) + "）" : "");
}

void PrintPlan(const v1::WelfarePlan& plan) {
  PrintFields({
      {"名前 / name", plan.name()},
      {"計画名 / title", Cell(plan.display_name())},
      {"期間 / period", PeriodText(plan.first_fiscal_year(), plan.last_fiscal_year())},
      {"作成 / created", plan.has_create_time() ? LocalTime(plan.create_time()) : "-"},
      {"更新 / updated", plan.has_update_time() ? LocalTime(plan.update_time()) : "-"},
      {"etag", OrDash(plan.etag())},
  });
  if (!plan.policy_areas().empty()) {
    std::vector<Row> rows;
    for (const auto& area : plan.policy_areas()) {
      rows.push_back({Cell(area.id()), EnumText(*v1::PolicyAreaLevel_descriptor(), area.level()),
                      Cell(area.title()), Cell(area.parent_id())});
    }
    std::cout << "\n施策 / policy areas\n";
    PrintTable({"ID", "区分/LEVEL", "名称/TITLE", "上位/PARENT"}, rows);
  }
  if (plan.indicators().empty()) {
    std::cout << "\n指標はありません / no indicators\n";
    return;
  }
  std::vector<Row> rows;
  for (const auto& indicator : plan.indicators()) {
    rows.push_back({Cell(indicator.id()), Cell(indicator.display_name()),
                    EnumText(*v1::IndicatorUnit_descriptor(), indicator.unit()),
                    indicator.has_baseline_value()
                        ? ValueInYear(indicator.baseline_value(), indicator.baseline_fiscal_year())
                        : "-",
                    ValueInYear(indicator.target_value(), indicator.target_fiscal_year()),
                    EnumText(*v1::TargetDirection_descriptor(), indicator.direction()),
                    SourceText(indicator), Cell(indicator.department())});
  }
  std::cout << "\n指標 / indicators\n";
  PrintTable({"ID", "指標名/NAME", "単位/UNIT", "基準値/BASELINE", "目標値/TARGET",
              "方向/DIRECTION", "出典/SOURCE", "担当課/DEPARTMENT"},
             rows);
}

void PrintProgress(const v1::PlanProgress& progress) {
  const v1::WelfarePlan& plan = progress.plan();
  std::cout << Cell(plan.display_name()) << " (" << plan.name() << ")  "
            << PeriodText(plan.first_fiscal_year(), plan.last_fiscal_year()) << "\n";
  if (progress.indicators().empty()) {
    std::cout << "指標はありません / no indicators\n";
    return;
  }
  Row header = {"ID", "指標名", "単位"};
  // Every indicator has one actual per year of the plan's period, in order.
  for (int year = plan.first_fiscal_year(); year <= plan.last_fiscal_year(); ++year) {
    header.push_back(YearLabel(year));
  }
  header.push_back("達成率");
  header.push_back("状況");
  std::vector<Row> rows;
  bool suppressed = false;
  for (const auto& indicator : progress.indicators()) {
    Row row = {Cell(indicator.indicator().id()), Cell(indicator.indicator().display_name()),
               EnumText(*v1::IndicatorUnit_descriptor(), indicator.indicator().unit())};
    for (const auto& actual : indicator.actuals()) {
      suppressed = suppressed || actual.suppressed();
      row.push_back(actual.suppressed() ? "x" : Cell(actual.display()));
    }
    row.push_back(RateText(indicator));
    row.push_back(EnumText(*v1::IndicatorStatus_descriptor(), indicator.status()));
    rows.push_back(std::move(row));
  }
  std::vector<bool> right(header.size(), true);
  for (size_t text_column : {size_t{0}, size_t{1}, size_t{2}, right.size() - 1}) {
    right[text_column] = false;
  }
  std::cout << FormatAlignedTable(header, rows, right);
  std::cout << "達成率 = (最新の実績 − 基準値) ÷ (目標値 − 基準値) × 100 / achievement rate of the "
               "latest actual\n";
  if (suppressed) {
    std::cout << "x: 秘匿したセルを含むため公表しません / not published: it includes a suppressed "
                 "cell of the report\n";
  }
}

}  // namespace

struct StatsCommands::State {
  CLI::App* stats = nullptr;
  CLI::App* yearly = nullptr;
  CLI::App* export_report = nullptr;
  CLI::App* publish = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* plan_list = nullptr;
  CLI::App* plan_get = nullptr;
  CLI::App* plan_create = nullptr;
  CLI::App* plan_update = nullptr;
  CLI::App* plan_record = nullptr;
  CLI::App* plan_progress = nullptr;
  CLI::App* plan_export = nullptr;
  CLI::Option* report_encoding_option = nullptr;
  CLI::Option* plan_encoding_option = nullptr;
  CLI::Option* etag_option = nullptr;         // stats plan update --etag
  CLI::Option* record_etag_option = nullptr;  // stats plan record --etag
  CLI::Option* actual_option = nullptr;
  CLI::Option* achievements_option = nullptr;
  CLI::Option* next_steps_option = nullptr;

  // Arguments as given.
  std::string from, to, format, encoding, output, plan_text, plan_id, file, mask, etag,
      indicator_text, year, actual, achievements, achievements_file, next_steps, next_steps_file;
  std::vector<std::string> breakdowns;
  bool cumulative = false;
  int page_size = kDefaultPageSize;

  // Built by Prepare().
  v1::GetYearlyReportRequest report_request;
  ExportFormat export_format = ExportFormat::kCsv;
  report::CsvFlavor flavor = report::CsvFlavor::kUtf8Bom;
  AtomicFile output_file;
  std::string plan_name;
  v1::CreateWelfarePlanRequest create_request;
  v1::UpdateWelfarePlanRequest update_request;
  std::string indicator_name, indicator_id;
  int record_year = 0;
  int publish_year = 0;
  bool actual_given = false;
  std::optional<double> actual_value;
  std::optional<std::string> achievements_text, next_steps_text;

  void AddReportOptions(CLI::App* command);
  int PrepareReport();
  int PrepareOutput(CLI::Option* encoding_option, bool allow_svg);
  int PrepareCreate();
  int PrepareUpdate();
  int PrepareRecord();

  int Yearly(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int ExportReport(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Publish(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int List(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Get(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Create(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Update(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Record(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int Progress(const GlobalOptions& options, v1::Statistics::Stub* stub);
  int ExportProgress(const GlobalOptions& options, v1::Statistics::Stub* stub);

  bool FetchReport(const GlobalOptions& options, v1::Statistics::Stub* stub,
                   v1::YearlyReport* report, int* code);
  bool FetchProgress(const GlobalOptions& options, v1::Statistics::Stub* stub,
                     v1::PlanProgress* progress, int* code);
  int WriteExport(const GlobalOptions& options, const Result<std::string>& bytes,
                  const google::protobuf::Message& message);
};

void StatsCommands::State::AddReportOptions(CLI::App* command) {
  const std::string year_help = "2019, R1, 令和元年度, H30 or 平成30年度";
  command->add_option("--from", from, "最初の年度 / first fiscal year: " + year_help)->required();
  command->add_option("--to", to, "最後の年度 / last fiscal year (at most 20 years)")->required();
  command->add_flag("--cumulative", cumulative,
                    "累計 / running totals from --from instead of yearly figures");
  command
      ->add_option("--breakdown", breakdowns,
                   "内訳 / add a table METRIC:DIMENSION, repeatable, e.g. 終結件数:終結理由 or "
                   "CASES_OPENED:DISTRICT. METRIC: " +
                       ValidValues(*v1::StatMetric_descriptor()) +
                       ". DIMENSION: " + ValidValues(*v1::StatDimension_descriptor()))
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

StatsCommands::StatsCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const std::string encoding_help =
      "CSVの文字コード / CSV encoding: utf8 (BOM付き, the default; Excel reads it) or cp932 "
      "(Shift_JIS, for older Excel)";
  const std::string output_help = "書き出し先 / the file to write (replaced atomically)";
  s.stats = app->add_subcommand(
      "stats", "統計・推進計画 / statistics (事業実績) and welfare plans (推進計画)");
  s.stats->require_subcommand(1);

  s.yearly = s.stats->add_subcommand("yearly", "事業実績 / the yearly report as tables");
  s.AddReportOptions(s.yearly);
  s.yearly->footer(
      "例 / example:\n  casectl stats yearly --from H30 --to R6 --breakdown 終結件数:終結理由");

  s.export_report = s.stats->add_subcommand(
      "export", "事業実績の書き出し / write the yearly report as CSV, XLSX or SVG (a chart)");
  s.AddReportOptions(s.export_report);
  s.export_report->add_option("--format", s.format, "形式 / format: csv, xlsx or svg")->required();
  s.report_encoding_option = s.export_report->add_option("--encoding", s.encoding, encoding_help);
  s.export_report->add_option("--output", s.output, output_help)->required();

  s.publish = s.stats->add_subcommand(
      "publish",
      "年度の公表 / publish a closed fiscal year: its figures and suppression are frozen, and "
      "later corrections no longer change it in any report");
  s.publish
      ->add_option("year", s.year, "公表する年度 / the fiscal year: 2019, R1, 令和元年度, H30 ...")
      ->required();

  s.plan = s.stats->add_subcommand(
      "plan",
      "推進計画 / welfare plans and their indicators (planners write; see casectl plan "
      "for support plans of cases)");
  s.plan->require_subcommand(1);
  const std::string plan_help = "計画 / plan: kyosei-2 or plans/kyosei-2";
  const std::string file_help =
      "計画 / the WelfarePlan as JSON (UTF-8; - reads standard input; stats plan get --json "
      "prints one)";

  s.plan_list = s.plan->add_subcommand("list", "計画の一覧 / every plan");
  s.plan_list->add_option("--page-size", s.page_size, "plans fetched per call (default 100)");

  s.plan_get = s.plan->add_subcommand("get", "表示 / a plan, its policy areas and indicators");
  s.plan_get->add_option("plan", s.plan_text, plan_help)->required();

  s.plan_create = s.plan->add_subcommand("create", "登録 / create a plan from a JSON file");
  s.plan_create
      ->add_option("plan_id", s.plan_id, "計画ID / the id: lowercase letters, digits and '-'")
      ->required();
  s.plan_create->add_option("--file", s.file, file_help)->required();

  s.plan_update =
      s.plan->add_subcommand("update", "更新 / replace the fields --mask names from a JSON file");
  s.plan_update->add_option("plan", s.plan_text, plan_help)->required();
  s.plan_update->add_option("--file", s.file, file_help)->required();
  s.plan_update
      ->add_option("--mask", s.mask,
                   "更新する項目 / the fields to replace, comma-separated: display_name, "
                   "first_fiscal_year, last_fiscal_year, policy_areas, indicators")
      ->required();
  s.etag_option = s.plan_update->add_option(
      "--etag", s.etag, "変更の競合を防ぐ / only if the plan is still this etag");

  s.plan_record = s.plan->add_subcommand(
      "record", "実績の記録 / record a fiscal year of an indicator (actual, 取組実績, 今後の方針)");
  s.plan_record
      ->add_option("indicator", s.indicator_text,
                   "指標 / indicator: plans/PLAN/indicators/ID (the ID column of stats plan get)")
      ->required();
  s.plan_record->add_option("--year", s.year, "年度 / fiscal year: 2019, R1 or 令和元年度")
      ->required();
  s.actual_option = s.plan_record->add_option(
      "--actual", s.actual,
      "実績値 / the actual value (indicators entered by hand only); \"\" removes it");
  s.achievements_option = s.plan_record->add_option("--achievements", s.achievements,
                                                    "取組実績 / what was done; \"\" removes it");
  s.plan_record->add_option("--achievements-file", s.achievements_file,
                            "取組実績をファイルから / from a UTF-8 text file; - reads standard "
                            "input");
  s.next_steps_option = s.plan_record->add_option("--next-steps", s.next_steps,
                                                  "今後の方針 / what comes next; \"\" removes it");
  s.plan_record->add_option("--next-steps-file", s.next_steps_file,
                            "今後の方針をファイルから / from a UTF-8 text file; - reads standard "
                            "input");
  s.record_etag_option = s.plan_record->add_option(
      "--etag", s.etag, "変更の競合を防ぐ / only if the plan is still this etag");
  s.plan_record->footer(
      "与えた項目だけを変更します / only the fields given change; the year's other fields are "
      "kept.\n例 / example:\n  casectl stats plan record plans/kyosei-2/indicators/survey --year "
      "R6 --actual 80 --achievements-file r6.txt");

  s.plan_progress = s.plan->add_subcommand(
      "progress", "進捗 / each indicator's actuals, achievement rate and status (達成率, 状況)");
  s.plan_progress->add_option("plan", s.plan_text, plan_help)->required();

  s.plan_export = s.plan->add_subcommand(
      "export", "進捗の書き出し / write the indicators' progress as CSV or XLSX");
  s.plan_export->add_option("plan", s.plan_text, plan_help)->required();
  s.plan_export->add_option("--format", s.format, "形式 / format: csv or xlsx")->required();
  s.plan_encoding_option = s.plan_export->add_option("--encoding", s.encoding, encoding_help);
  s.plan_export->add_option("--output", s.output, output_help)->required();
}

StatsCommands::~StatsCommands() = default;

bool StatsCommands::Selected() const { return state_->stats->parsed(); }

int StatsCommands::Prepare() {
  State& s = *state_;
  if (s.yearly->parsed()) return s.PrepareReport();
  if (s.export_report->parsed()) {
    if (const int code = s.PrepareReport(); code != kExitOk) return code;
    return s.PrepareOutput(s.report_encoding_option, /*allow_svg=*/true);
  }
  if (s.plan_list->parsed()) {
    if (s.page_size < 0) {
      return UsageError("--page-size: must be 0 (server default) or more, not " +
                        std::to_string(s.page_size));
    }
    return kExitOk;
  }
  if (s.plan_create->parsed()) return s.PrepareCreate();
  if (s.plan_record->parsed()) return s.PrepareRecord();
  std::string error;
  if (s.publish->parsed()) {
    return ParseYearFlag("year", s.year, &s.publish_year, &error) ? kExitOk : UsageError(error);
  }
  if (!ParsePlanArgument("PLAN", s.plan_text, &s.plan_name, &error)) return UsageError(error);
  if (s.plan_update->parsed()) return s.PrepareUpdate();
  if (s.plan_export->parsed()) return s.PrepareOutput(s.plan_encoding_option, /*allow_svg=*/false);
  return kExitOk;
}

int StatsCommands::State::PrepareReport() {
  std::string error;
  int first = 0, last = 0;
  if (!ParseYearFlag("--from", from, &first, &error) || !ParseYearFlag("--to", to, &last, &error)) {
    return UsageError(error);
  }
  const int next = FiscalYearOf(std::chrono::system_clock::now()) + 1;
  if (first < kFirstReportYear || last > next) {
    return UsageError("年度が範囲外です / --from, --to: the report covers " +
                      YearLabel(kFirstReportYear) + " (" + std::to_string(kFirstReportYear) +
                      ") to " + YearLabel(next) + " (" + std::to_string(next) + ")");
  }
  if (first > last) {
    return UsageError("年度の順序が逆です / --to: " + YearLabel(last) + " is before --from " +
                      YearLabel(first));
  }
  if (last - first + 1 > kMaxReportYears) {
    return UsageError("年度が多すぎます / --from, --to: at most " +
                      std::to_string(kMaxReportYears) + " fiscal years, not " +
                      std::to_string(last - first + 1));
  }
  report_request.set_fiscal_year_from(first);
  report_request.set_fiscal_year_to(last);
  report_request.set_cumulative(cumulative);
  for (const auto& text : breakdowns) {
    if (!ParseBreakdown(text, report_request.add_breakdowns(), &error)) return UsageError(error);
  }
  return kExitOk;
}

int StatsCommands::State::PrepareOutput(CLI::Option* encoding_option, bool allow_svg) {
  std::string error;
  if (!ParseFormat(format, allow_svg, &export_format, &error)) return UsageError(error);
  if (encoding_option->count() > 0) {
    if (export_format != ExportFormat::kCsv) {
      return UsageError(
          "--encoding は --format csv と一緒に指定します / --encoding goes with --format csv");
    }
    if (!ParseEncoding(encoding, &flavor, &error)) return UsageError(error);
  }
  if (output.empty()) return UsageError("書き出し先がありません / --output: give a file name");
  std::error_code ignored;
  if (std::filesystem::is_directory(output, ignored)) {
    return UsageError("書き出し先がフォルダです / --output: \"" + output +
                      "\" is a directory; give a file name");
  }
  // Created now, before any call, so that a place that cannot be written is a usage error and the
  // report is not fetched in vain; it replaces `output` only when the export is complete.
  if (!output_file.Open(output, &error)) {
    return UsageError("書き出し先に書けません / --output: " + error);
  }
  return kExitOk;
}

int StatsCommands::State::PrepareCreate() {
  std::string_view id = TrimSpaces(plan_id);
  if (StartsWith(id, kPlanPrefix)) id.remove_prefix(kPlanPrefix.size());
  if (!IsResourceId(id)) {
    return UsageError("計画IDが不正です / PLAN_ID: \"" + plan_id +
                      "\" must be 1 to 63 lowercase letters, digits and '-' (e.g. kyosei-2)");
  }
  create_request.set_plan_id(std::string(id));
  std::string error;
  bool stdin_taken = false;
  v1::WelfarePlan* plan = create_request.mutable_plan();
  if (!ReadPlanFile(file, &stdin_taken, plan, &error)) return UsageError(error);
  // Output only: a file made from `stats plan get --json` of another plan carries them.
  plan->clear_name();
  plan->clear_etag();
  plan->clear_create_time();
  plan->clear_update_time();
  return kExitOk;
}

int StatsCommands::State::PrepareUpdate() {
  std::string error;
  bool stdin_taken = false;
  v1::WelfarePlan* plan = update_request.mutable_plan();
  if (!ReadPlanFile(file, &stdin_taken, plan, &error)) return UsageError(error);
  // A file of another plan would otherwise overwrite this one.
  if (!plan->name().empty() && plan->name() != plan_name) {
    return UsageError("計画が一致しません / --file: the file is " + Cell(plan->name()) + ", not " +
                      plan_name);
  }
  plan->set_name(plan_name);
  if (etag_option->count() > 0) plan->set_etag(std::string(TrimSpaces(etag)));
  plan->clear_create_time();
  plan->clear_update_time();
  for (const auto& path : SplitTrimmed(mask, ',', "，")) {
    if (path.empty()) continue;
    const bool known =
        std::find(std::begin(kMaskPaths), std::end(kMaskPaths), path) != std::end(kMaskPaths);
    if (!known) {
      return UsageError(
          "更新できない項目です / --mask: \"" + path +
          "\" (valid: display_name, first_fiscal_year, last_fiscal_year, policy_areas, "
          "indicators)");
    }
    const auto& paths = update_request.update_mask().paths();
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
      update_request.mutable_update_mask()->add_paths(path);
    }
  }
  if (update_request.update_mask().paths().empty()) {
    return UsageError("更新する項目がありません / --mask: name at least one field");
  }
  return kExitOk;
}

int StatsCommands::State::PrepareRecord() {
  std::string error;
  if (!ParseIndicatorArgument(indicator_text, &indicator_name, &plan_name, &indicator_id, &error)) {
    return UsageError(error);
  }
  if (!ParseYearFlag("--year", year, &record_year, &error)) return UsageError(error);
  actual_given = actual_option->count() > 0;
  if (actual_given && !TrimSpaces(actual).empty()) {
    double value = 0;
    if (!ParseActual(actual, &value, &error)) return UsageError(error);
    actual_value = value;
  }
  bool stdin_taken = false;
  if (!YearTextFromFlags("--achievements", *achievements_option, achievements, achievements_file,
                         &stdin_taken, &achievements_text, &error) ||
      !YearTextFromFlags("--next-steps", *next_steps_option, next_steps, next_steps_file,
                         &stdin_taken, &next_steps_text, &error)) {
    return UsageError(error);
  }
  if (!actual_given && !achievements_text && !next_steps_text) {
    return UsageError(
        "記録する項目がありません / nothing to record: give --actual, --achievements(-file) or "
        "--next-steps(-file)");
  }
  return kExitOk;
}

int StatsCommands::Run(const GlobalOptions& options,
                       const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Statistics::NewStub(channel);
  if (s.yearly->parsed()) return s.Yearly(options, stub.get());
  if (s.export_report->parsed()) return s.ExportReport(options, stub.get());
  if (s.publish->parsed()) return s.Publish(options, stub.get());
  if (s.plan_list->parsed()) return s.List(options, stub.get());
  if (s.plan_get->parsed()) return s.Get(options, stub.get());
  if (s.plan_create->parsed()) return s.Create(options, stub.get());
  if (s.plan_update->parsed()) return s.Update(options, stub.get());
  if (s.plan_record->parsed()) return s.Record(options, stub.get());
  if (s.plan_progress->parsed()) return s.Progress(options, stub.get());
  if (s.plan_export->parsed()) return s.ExportProgress(options, stub.get());
  return UsageError("stats: give a subcommand (see casectl stats --help)");
}

bool StatsCommands::State::FetchReport(const GlobalOptions& options, v1::Statistics::Stub* stub,
                                       v1::YearlyReport* report, int* code) {
  auto context = NewContext(options);
  const grpc::Status status = stub->GetYearlyReport(context.get(), report_request, report);
  if (!status.ok()) *code = ReportError(status);
  return status.ok();
}

bool StatsCommands::State::FetchProgress(const GlobalOptions& options, v1::Statistics::Stub* stub,
                                         v1::PlanProgress* progress, int* code) {
  v1::GetPlanProgressRequest request;
  request.set_name(plan_name);
  auto context = NewContext(options);
  const grpc::Status status = stub->GetPlanProgress(context.get(), request, progress);
  if (!status.ok()) *code = ReportError(status);
  return status.ok();
}

int StatsCommands::State::Yearly(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::YearlyReport report;
  int code = kExitOk;
  if (!FetchReport(options, stub, &report, &code)) return code;
  if (options.json) {
    PrintJson(report);
  } else {
    PrintReport(report);
  }
  return kExitOk;
}

int StatsCommands::State::WriteExport(const GlobalOptions& options,
                                      const Result<std::string>& bytes,
                                      const google::protobuf::Message& message) {
  if (!bytes.ok()) {
    std::cerr << "エラー / error: 書き出せません / cannot export: " << bytes.status().ToString()
              << "\n";
    if (bytes.status().reason() == "UNMAPPABLE_CHARACTER") {
      std::cerr << "  --encoding utf8 なら書き出せます / --encoding utf8 can write these "
                   "characters\n";
    }
    return kExitFailed;
  }
  std::string error;
  if (!output_file.Write(bytes.value(), &error) || !output_file.Commit(&error)) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(message);
    return kExitOk;
  }
  std::string kind =
      export_format == ExportFormat::kXlsx ? "XLSX"
      : export_format == ExportFormat::kSvg
          ? "SVG"
          : (flavor == report::CsvFlavor::kCp932 ? "CSV, Shift_JIS (CP932)"
                                                 : "CSV, UTF-8 (BOM付き / with BOM)");
  std::cout << "書き出しました / wrote " << output << " (" << kind << ", "
            << HumanBytes(static_cast<int64_t>(bytes.value().size())) << ")\n";
  return kExitOk;
}

int StatsCommands::State::ExportReport(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::YearlyReport report;
  int code = kExitOk;
  if (!FetchReport(options, stub, &report, &code)) return code;
  switch (export_format) {
    case ExportFormat::kCsv:
      return WriteExport(options, report::YearlyReportCsv(report, flavor), report);
    case ExportFormat::kXlsx:
      return WriteExport(options, report::YearlyReportXlsx(report), report);
    case ExportFormat::kSvg:
      return WriteExport(options, report::YearlyReportSvg(report), report);
  }
  return kExitFailed;
}

int StatsCommands::State::List(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::ListWelfarePlansResponse all;
  v1::ListWelfarePlansRequest request;
  request.set_page_size(page_size);
  const grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Statistics::Stub::ListWelfarePlans, stub), request,
                 &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.plans().empty()) {
    std::cout << "計画はありません / no plans\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& plan : all.plans()) {
    rows.push_back({plan.name(), Cell(plan.display_name()),
                    PeriodText(plan.first_fiscal_year(), plan.last_fiscal_year()),
                    std::to_string(plan.indicators_size()),
                    plan.has_update_time() ? LocalTime(plan.update_time()) : "-"});
  }
  PrintTable({"名前/NAME", "計画名/TITLE", "期間/PERIOD", "指標/INDICATORS", "更新/UPDATED"}, rows);
  return kExitOk;
}

int StatsCommands::State::Publish(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::PublishYearRequest request;
  request.set_fiscal_year(publish_year);
  v1::YearRelease release;
  auto context = NewContext(options);
  const grpc::Status status = stub->PublishYear(context.get(), request, &release);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(release);
  } else {
    std::cout << release.fiscal_year().era_label_ja() << "を公表しました / published "
              << release.name() << ": " << release.frozen_counts() << " counts and "
              << release.frozen_suppressed_cells() << " suppressed cells frozen\n";
  }
  return kExitOk;
}

int StatsCommands::State::Get(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::GetWelfarePlanRequest request;
  request.set_name(plan_name);
  v1::WelfarePlan plan;
  auto context = NewContext(options);
  const grpc::Status status = stub->GetWelfarePlan(context.get(), request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
  } else {
    PrintPlan(plan);
  }
  return kExitOk;
}

int StatsCommands::State::Create(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::WelfarePlan plan;
  auto context = NewContext(options);
  const grpc::Status status = stub->CreateWelfarePlan(context.get(), create_request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
    return kExitOk;
  }
  std::cout << "計画を登録しました / plan created: " << plan.name() << "\n";
  PrintPlan(plan);
  return kExitOk;
}

int StatsCommands::State::Update(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::WelfarePlan plan;
  auto context = NewContext(options);
  const grpc::Status status = stub->UpdateWelfarePlan(context.get(), update_request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
    return kExitOk;
  }
  std::cout << "計画を更新しました / plan updated: " << plan.name() << " ("
            << Join(update_request.update_mask().paths(), ", ") << ")\n";
  PrintPlan(plan);
  return kExitOk;
}

int StatsCommands::State::Record(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  // RecordIndicatorYear replaces the year's whole entry: start from the stored one so that the
  // fields not given are kept, and send the etag it was read at so that a change made in between
  // is refused (ABORTED) rather than overwritten.
  v1::WelfarePlan plan;
  {
    v1::GetWelfarePlanRequest request;
    request.set_name(plan_name);
    auto context = NewContext(options);
    const grpc::Status status = stub->GetWelfarePlan(context.get(), request, &plan);
    if (!status.ok()) return ReportError(status);
  }
  v1::RecordIndicatorYearRequest request;
  request.set_indicator(indicator_name);
  request.set_etag(record_etag_option->count() > 0 ? std::string(TrimSpaces(etag)) : plan.etag());
  v1::IndicatorYear* entry = request.mutable_year();
  for (const auto& indicator : plan.indicators()) {
    if (indicator.id() != indicator_id) continue;
    for (const auto& stored : indicator.years()) {
      if (stored.fiscal_year() == record_year) *entry = stored;
    }
  }
  entry->set_fiscal_year(record_year);
  if (actual_given) {
    if (actual_value) {
      entry->set_actual(*actual_value);
    } else {
      entry->clear_actual();
    }
  }
  if (achievements_text) entry->set_achievements(*achievements_text);
  if (next_steps_text) entry->set_next_steps(*next_steps_text);

  v1::WelfarePlan recorded;
  auto context = NewContext(options);
  const grpc::Status status = stub->RecordIndicatorYear(context.get(), request, &recorded);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(recorded);
    return kExitOk;
  }
  std::cout << "記録しました / recorded: " << indicator_name << " " << YearLabel(record_year)
            << "\n";
  PrintFields({
      {"実績 / actual", entry->has_actual() ? NumberText(entry->actual()) : "-"},
      {"取組実績 / achievements", FieldText(entry->achievements())},
      {"今後の方針 / next steps", FieldText(entry->next_steps())},
      {"etag", recorded.etag()},
  });
  return kExitOk;
}

int StatsCommands::State::Progress(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::PlanProgress progress;
  int code = kExitOk;
  if (!FetchProgress(options, stub, &progress, &code)) return code;
  if (options.json) {
    PrintJson(progress);
  } else {
    PrintProgress(progress);
  }
  return kExitOk;
}

int StatsCommands::State::ExportProgress(const GlobalOptions& options, v1::Statistics::Stub* stub) {
  v1::PlanProgress progress;
  int code = kExitOk;
  if (!FetchProgress(options, stub, &progress, &code)) return code;
  if (export_format == ExportFormat::kXlsx) {
    return WriteExport(options, report::PlanProgressXlsx(progress), progress);
  }
  return WriteExport(options, report::PlanProgressCsv(progress, flavor), progress);
}

}  // namespace casecoord::cli
