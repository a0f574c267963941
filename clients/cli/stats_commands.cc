// casectl stats ...: the statistics (事業実績) and the welfare plans' indicators
// (成果指標・活動指標) from the command line.
//
//   stats yearly --from FY --to FY [--cumulative] [--breakdown METRIC:DIMENSION ...]
//             the yearly report as tables, one column per fiscal year and 合計, then the
//             disclosure notes (注記: the rule, k and the number of suppressed cells)
//   stats export --from FY --to FY [--cumulative] [--breakdown METRIC:DIMENSION ...]
//             --format csv|xlsx|svg [--encoding utf8|cp932] --output PATH
//   stats rebuild [--validate-only]                 recount the case counters, print differences
//   stats plan list [--page-size N]                 every plan (all pages)
//   stats plan get PLAN
//   stats plan create PLAN_ID --file PLAN.json
//   stats plan update PLAN --file PLAN.json --mask PATH[,PATH...] [--etag E]
//   stats plan record INDICATOR --year FY [--actual N]
//             [--achievements-file PATH | --achievements TEXT]
//             [--next-steps-file PATH | --next-steps TEXT] [--etag E]
//   stats plan progress PLAN                        指標名, 単位, each year's actual, 達成率, 状況
//   stats plan export PLAN --format csv|xlsx [--encoding utf8|cp932] --output PATH
//
// The welfare plans (地域共生社会推進計画 and the like) are under `stats plan` (in
// welfare_plan_commands.cc), because `casectl plan` is already the support plans of cases
// (支援計画, plan_commands.cc).
//
// FY is a fiscal year (年度): 2019, R1, 令和元年度, H30 or 平成30年度; the report covers 1990 to
// the next fiscal year, at most 20 years. METRIC and DIMENSION take the Japanese label or the value
// name
// ("終結件数:終結理由" or CASES_CLOSED:OUTCOME; OUTCOME breaks down CASES_CLOSED only). PLAN is
// "kyosei-2" or "plans/kyosei-2"; INDICATOR is "plans/kyosei-2/indicators/survey-cooperation".
//
// PLAN.json is a WelfarePlan in the API's JSON (proto field names or lowerCamelCase; enums by value
// name, e.g. "unit": "PERCENT"), UTF-8; "-" reads standard input. `stats plan get --json` prints
// one to start from. For create the output-only fields (name, etag, times) are ignored; for update
// the plan's name, if the file has one, must be PLAN, and --mask names the fields to replace
// (display_name, first_fiscal_year, last_fiscal_year, policy_areas, indicators; the lists are
// replaced whole). The precondition etag is --etag, else the file's etag, else none.
//
// `stats plan record` changes only what its flags give for that fiscal year: the other fields of
// the year's entry are kept (it reads the plan and records against the etag it read, so a change
// made in between is refused rather than overwritten). --actual "" removes a hand-entered actual;
// --achievements "" and --next-steps "" remove those texts. An indicator bound to a statistic takes
// no --actual (its actual is computed from the published figures).
//
// Exports are written atomically (a temporary file beside PATH replaces it when complete). CSV is
// UTF-8 with a byte order mark (--encoding utf8, the default, which Excel reads) or CP932
// (Shift_JIS for older Excel); --encoding goes with --format csv only. With --json, exports print
// the report or progress they wrote as JSON.
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/stats_support.h"
#include "clients/cli/table.h"
#include "clients/report/report_export.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using stats::ExportFormat;
using stats::ExportOutput;
using stats::ParseYearFlag;
using stats::PeriodText;
using stats::YearLabel;

// The range GetYearlyReport answers (statistics.proto): from 1990, at most 20 years.
constexpr int kFirstReportYear = 1990;
constexpr int kMaxReportYears = 20;

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

// --- Output -------------------------------------------------------------------------------------

// A published cell: its display ("1,234"), or "x" when suppressed, whatever `value` holds.
std::string CellText(const v1::StatCell& cell) {
  if (cell.suppressed()) return "x";
  return cell.display().empty() ? std::to_string(cell.value()) : Cell(cell.display());
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
  std::cout << FormatTable(header, rows, right);
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

// --- The commands -------------------------------------------------------------------------------

// stats yearly and stats export: the yearly report of --from to --to.
class ReportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    const std::string year_help = "2019, R1, 令和元年度, H30 or 平成30年度";
    app.add_option("--from", from_, "最初の年度 / first fiscal year: " + year_help)->required();
    app.add_option("--to", to_, "最後の年度 / last fiscal year (at most 20 years)")->required();
    app.add_flag("--cumulative", cumulative_,
                 "累計 / running totals from --from instead of yearly figures");
    AddRepeatable(app, "--breakdown", &breakdowns_,
                  "内訳 / add a table METRIC:DIMENSION, repeatable, e.g. 終結件数:終結理由 or "
                  "CASES_OPENED:DISTRICT. METRIC: " +
                      ValidValues(*v1::StatMetric_descriptor()) +
                      ". DIMENSION: " + ValidValues(*v1::StatDimension_descriptor()));
  }

  int Prepare() override {
    std::string error;
    int first = 0, last = 0;
    if (!ParseYearFlag("--from", from_, &first, &error) ||
        !ParseYearFlag("--to", to_, &last, &error)) {
      return UsageError(error);
    }
    if (const int code = CheckYears(first, last); code != kExitOk) return code;
    request_.set_fiscal_year_from(first);
    request_.set_fiscal_year_to(last);
    request_.set_cumulative(cumulative_);
    for (const auto& text : breakdowns_) {
      if (!ParseBreakdown(text, request_.add_breakdowns(), &error)) return UsageError(error);
    }
    return kExitOk;
  }

 protected:
  // Fetches the report; false after reporting the error.
  bool Fetch(const Context& context, v1::YearlyReport* report) const {
    auto stub = v1::Statistics::NewStub(context.channel);
    const grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->GetYearlyReport(call, request_, report);
    });
    if (!status.ok()) ReportError(status);
    return status.ok();
  }

 private:
  static int CheckYears(int first, int last) {
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
    return kExitOk;
  }

  std::string from_, to_;
  std::vector<std::string> breakdowns_;
  bool cumulative_ = false;
  v1::GetYearlyReportRequest request_;
};

class StatsYearlyCommand : public ReportCommand {
 public:
  void Configure(CLI::App& app) override {
    ReportCommand::Configure(app);
    app.footer(
        "例 / example:\n  casectl stats yearly --from H30 --to R6 --breakdown 終結件数:終結理由");
  }

  int Run(const Context& context) override {
    v1::YearlyReport report;
    if (!Fetch(context, &report)) return kExitFailed;
    return PrintResult(context, report, [&report] { PrintReport(report); });
  }
};

class StatsExportCommand : public ReportCommand {
 public:
  void Configure(CLI::App& app) override {
    ReportCommand::Configure(app);
    output_.Configure(app);
  }

  int Prepare() override {
    if (const int code = ReportCommand::Prepare(); code != kExitOk) return code;
    return output_.Prepare();
  }

  int Run(const Context& context) override {
    v1::YearlyReport report;
    if (!Fetch(context, &report)) return kExitFailed;
    switch (output_.format()) {
      case ExportFormat::kCsv:
        return output_.Write(context, report::YearlyReportCsv(report, output_.flavor()), report);
      case ExportFormat::kXlsx:
        return output_.Write(context, report::YearlyReportXlsx(report), report);
      case ExportFormat::kSvg:
        return output_.Write(context, report::YearlyReportSvg(report), report);
    }
    return kExitFailed;
  }

 private:
  ExportOutput output_{/*allow_svg=*/true};
};

class StatsPublishCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("year", year_text_,
                   "公表する年度 / the fiscal year: 2019, R1, 令和元年度, H30 ...")
        ->required();
  }

  int Prepare() override {
    std::string error;
    int year = 0;
    if (!ParseYearFlag("year", year_text_, &year, &error)) return UsageError(error);
    request_.set_fiscal_year(year);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = v1::Statistics::NewStub(context.channel);
    return CallAndPrint(context, stub.get(), &v1::Statistics::Stub::PublishYear, request_,
                        std::function([](const v1::YearRelease& release) {
                          std::cout << release.fiscal_year().era_label_ja()
                                    << "を公表しました / published " << release.name() << ": "
                                    << release.frozen_counts() << " counts and "
                                    << release.frozen_suppressed_cells()
                                    << " suppressed cells frozen\n";
                        }));
  }

 private:
  std::string year_text_;
  v1::PublishYearRequest request_;
};

// stats rebuild: recounts the case counters from the records (Cases.RebuildCaseCounters) and
// prints where the stored counters differed; --validate-only changes nothing.
class StatsRebuildCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_flag("--validate-only", validate_only_,
                 "確認のみ / only report the differences; change nothing");
    app.footer(
        "差分がなければ集計は記録と一致しています / no differences: the counters agree with the "
        "records.");
  }

  int Run(const Context& context) override {
    v1::RebuildCaseCountersRequest request;
    request.set_validate_only(validate_only_);
    auto stub = v1::Cases::NewStub(context.channel);
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::RebuildCaseCounters, request,
                        std::function(PrintRebuilt));
  }

 private:
  static void PrintRebuilt(const v1::RebuildCaseCountersResponse& response) {
    if (response.differences().empty()) {
      std::cout << "差分はありません / no differences: the counters agree with the records ("
                << response.counters_recomputed() << " counters)\n";
    } else {
      std::vector<Row> rows;
      for (const auto& difference : response.differences()) {
        rows.push_back({std::to_string(difference.fiscal_year()), Cell(difference.metric()),
                        Cell(difference.dimension().empty() ? "-" : difference.dimension()),
                        Cell(difference.value().empty() ? "-" : difference.value()),
                        std::to_string(difference.stored()),
                        std::to_string(difference.recomputed())});
      }
      PrintTable({"年度", "指標", "内訳", "値", "保存値", "再集計"}, rows);
    }
    std::cout << (response.replaced() ? "集計を再集計の値に置き換えました / counters replaced by "
                                        "the recount\n"
                                      : "集計は変更していません / counters unchanged\n");
  }

  bool validate_only_ = false;
};

constexpr CommandSpec kStatsCommands[] = {
    {"stats", "統計・推進計画 / statistics (事業実績) and welfare plans (推進計画)"},
    {"stats yearly", "事業実績 / the yearly report as tables", Make<StatsYearlyCommand>},
    {"stats export", "事業実績の書き出し / write the yearly report as CSV, XLSX or SVG (a chart)",
     Make<StatsExportCommand>},
    {"stats publish",
     "年度の公表 / publish a closed fiscal year: its figures and suppression are frozen, and "
     "later corrections no longer change it in any report",
     Make<StatsPublishCommand>},
    {"stats rebuild",
     "再集計 / recount the case counters from the records and show the differences "
     "(--validate-only: change nothing)",
     Make<StatsRebuildCommand>},
};

}  // namespace

std::span<const CommandSpec> StatsCommandTable() { return kStatsCommands; }

}  // namespace casecoord::cli
