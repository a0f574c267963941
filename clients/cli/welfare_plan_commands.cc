// casectl stats plan ...: the welfare plans (推進計画) and their indicators; see
// stats_commands.cc for the usage.
#include <google/protobuf/util/json_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

constexpr std::string_view kPlanPrefix = "plans/";
constexpr std::string_view kIndicatorsPart = "/indicators/";
// The server's limit on 取組実績 and 今後の方針, in characters.
constexpr size_t kMaxYearTextCharacters = 4000;
// Plans fetched per ListWelfarePlans call.
constexpr int kDefaultPageSize = 100;
// The paths UpdateWelfarePlan accepts in its mask.
constexpr std::string_view kMaskPaths[] = {"display_name", "first_fiscal_year", "last_fiscal_year",
                                           "policy_areas", "indicators"};

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
  std::cout << FormatTable(header, rows, right);
  std::cout << "達成率 = (最新の実績 − 基準値) ÷ (目標値 − 基準値) × 100 / achievement rate of the "
               "latest actual\n";
  if (suppressed) {
    std::cout << "x: 秘匿したセルを含むため公表しません / not published: it includes a suppressed "
                 "cell of the report\n";
  }
}

// --- The commands -------------------------------------------------------------------------------

constexpr char kPlanHelp[] = "計画 / plan: kyosei-2 or plans/kyosei-2";
constexpr char kFileHelp[] =
    "計画 / the WelfarePlan as JSON (UTF-8; - reads standard input; stats plan get --json prints "
    "one)";
constexpr char kEtagHelp[] = "変更の競合を防ぐ / only if the plan is still this etag";

std::unique_ptr<v1::Statistics::Stub> StatisticsStub(const Context& context) {
  return v1::Statistics::NewStub(context.channel);
}

// Prints `done` and the plan.
std::function<void(const v1::WelfarePlan&)> PrintPlanAfter(std::string done) {
  return [done = std::move(done)](const v1::WelfarePlan& plan) {
    std::cout << done << plan.name() << "\n";
    PrintPlan(plan);
  };
}

class WelfarePlanListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--page-size", page_size_, "plans fetched per call (default 100)");
  }

  int Prepare() override {
    if (const int code = CheckPageSize(page_size_); code != kExitOk) return code;
    return kExitOk;
  }

  int Run(const Context& context) override {
    v1::ListWelfarePlansRequest request;
    request.set_page_size(page_size_);
    auto stub = StatisticsStub(context);
    return ListAndPrint(context, stub.get(), &v1::Statistics::Stub::ListWelfarePlans, request,
                        /*all_pages=*/true, std::function(PrintPlans));
  }

 private:
  static void PrintPlans(const v1::ListWelfarePlansResponse& all) {
    if (all.plans().empty()) {
      std::cout << "計画はありません / no plans\n";
      return;
    }
    std::vector<Row> rows;
    for (const auto& plan : all.plans()) {
      rows.push_back({plan.name(), Cell(plan.display_name()),
                      PeriodText(plan.first_fiscal_year(), plan.last_fiscal_year()),
                      std::to_string(plan.indicators_size()),
                      TimeText(plan.update_time(), plan.has_update_time())});
    }
    PrintTable({"名前/NAME", "計画名/TITLE", "期間/PERIOD", "指標/INDICATORS", "更新/UPDATED"},
               rows);
  }

  int page_size_ = kDefaultPageSize;
};

// A command on one plan (the PLAN argument).
class WelfarePlanCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("plan", plan_text_, kPlanHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParsePlanArgument("PLAN", plan_text_, &name_, &error)) return UsageError(error);
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  // Fetches the plan's progress; false after reporting the error.
  bool FetchProgress(const Context& context, v1::PlanProgress* progress) const {
    v1::GetPlanProgressRequest request;
    request.set_name(name_);
    auto stub = StatisticsStub(context);
    const grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->GetPlanProgress(call, request, progress);
    });
    if (!status.ok()) ReportError(status);
    return status.ok();
  }

  std::string name_;  // "plans/kyosei-2"

 private:
  std::string plan_text_;
};

class WelfarePlanGetCommand : public WelfarePlanCommand {
 public:
  int Run(const Context& context) override {
    v1::GetWelfarePlanRequest request;
    request.set_name(name_);
    auto stub = StatisticsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Statistics::Stub::GetWelfarePlan, request,
                        std::function(PrintPlan));
  }
};

class WelfarePlanCreateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("plan_id", plan_id_, "計画ID / the id: lowercase letters, digits and '-'")
        ->required();
    app.add_option("--file", file_, kFileHelp)->required();
  }

  int Prepare() override {
    std::string_view id = TrimSpaces(plan_id_);
    if (StartsWith(id, kPlanPrefix)) id.remove_prefix(kPlanPrefix.size());
    if (!IsResourceId(id)) {
      return UsageError("計画IDが不正です / PLAN_ID: \"" + plan_id_ +
                        "\" must be 1 to 63 lowercase letters, digits and '-' (e.g. kyosei-2)");
    }
    request_.set_plan_id(std::string(id));
    std::string error;
    bool stdin_taken = false;
    v1::WelfarePlan* plan = request_.mutable_plan();
    if (!ReadPlanFile(file_, &stdin_taken, plan, &error)) return UsageError(error);
    // Output only: a file made from `stats plan get --json` of another plan carries them.
    plan->clear_name();
    plan->clear_etag();
    plan->clear_create_time();
    plan->clear_update_time();
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = StatisticsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Statistics::Stub::CreateWelfarePlan, request_,
                        PrintPlanAfter("計画を登録しました / plan created: "));
  }

 private:
  std::string plan_id_, file_;
  v1::CreateWelfarePlanRequest request_;
};

class WelfarePlanUpdateCommand : public WelfarePlanCommand {
 public:
  int Run(const Context& context) override {
    auto stub = StatisticsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Statistics::Stub::UpdateWelfarePlan, request_,
                        std::function([this](const v1::WelfarePlan& plan) {
                          std::cout << "計画を更新しました / plan updated: " << plan.name() << " ("
                                    << Join(request_.update_mask().paths(), ", ") << ")\n";
                          PrintPlan(plan);
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--file", file_, kFileHelp)->required();
    app.add_option("--mask", mask_,
                   "更新する項目 / the fields to replace, comma-separated: display_name, "
                   "first_fiscal_year, last_fiscal_year, policy_areas, indicators")
        ->required();
    etag_option_ = app.add_option("--etag", etag_, kEtagHelp);
  }

  int PrepareFlags() override {
    std::string error;
    bool stdin_taken = false;
    v1::WelfarePlan* plan = request_.mutable_plan();
    if (!ReadPlanFile(file_, &stdin_taken, plan, &error)) return UsageError(error);
    // A file of another plan would otherwise overwrite this one.
    if (!plan->name().empty() && plan->name() != name_) {
      return UsageError("計画が一致しません / --file: the file is " + Cell(plan->name()) +
                        ", not " + name_);
    }
    plan->set_name(name_);
    if (etag_option_->count() > 0) plan->set_etag(std::string(TrimSpaces(etag_)));
    plan->clear_create_time();
    plan->clear_update_time();
    return PrepareMask();
  }

 private:
  int PrepareMask() {
    for (const auto& path : SplitTrimmed(mask_, ',', "，")) {
      if (path.empty()) continue;
      const bool known =
          std::find(std::begin(kMaskPaths), std::end(kMaskPaths), path) != std::end(kMaskPaths);
      if (!known) {
        return UsageError(
            "更新できない項目です / --mask: \"" + path +
            "\" (valid: display_name, first_fiscal_year, last_fiscal_year, policy_areas, "
            "indicators)");
      }
      const auto& paths = request_.update_mask().paths();
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) {
        request_.mutable_update_mask()->add_paths(path);
      }
    }
    if (request_.update_mask().paths().empty()) {
      return UsageError("更新する項目がありません / --mask: name at least one field");
    }
    return kExitOk;
  }

  CLI::Option* etag_option_ = nullptr;
  std::string file_, mask_, etag_;
  v1::UpdateWelfarePlanRequest request_;
};

class WelfarePlanRecordCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("indicator", indicator_text_,
                   "指標 / indicator: plans/PLAN/indicators/ID (the ID column of stats plan get)")
        ->required();
    app.add_option("--year", year_, "年度 / fiscal year: 2019, R1 or 令和元年度")->required();
    actual_option_ = app.add_option(
        "--actual", actual_,
        "実績値 / the actual value (indicators entered by hand only); \"\" removes it");
    achievements_option_ = app.add_option("--achievements", achievements_,
                                          "取組実績 / what was done; \"\" removes it");
    app.add_option("--achievements-file", achievements_file_,
                   "取組実績をファイルから / from a UTF-8 text file; - reads standard input");
    next_steps_option_ = app.add_option("--next-steps", next_steps_,
                                        "今後の方針 / what comes next; \"\" removes it");
    app.add_option("--next-steps-file", next_steps_file_,
                   "今後の方針をファイルから / from a UTF-8 text file; - reads standard input");
    etag_option_ = app.add_option("--etag", etag_, kEtagHelp);
    app.footer(
        "与えた項目だけを変更します / only the fields given change; the year's other fields are "
        "kept.\n例 / example:\n  casectl stats plan record plans/kyosei-2/indicators/survey "
        "--year R6 --actual 80 --achievements-file r6.txt");
  }

  int Prepare() override {
    std::string error;
    if (!ParseIndicatorArgument(indicator_text_, &indicator_name_, &plan_name_, &indicator_id_,
                                &error)) {
      return UsageError(error);
    }
    if (!ParseYearFlag("--year", year_, &record_year_, &error)) return UsageError(error);
    actual_given_ = actual_option_->count() > 0;
    if (actual_given_ && !TrimSpaces(actual_).empty()) {
      double value = 0;
      if (!ParseActual(actual_, &value, &error)) return UsageError(error);
      actual_value_ = value;
    }
    bool stdin_taken = false;
    if (!YearTextFromFlags("--achievements", *achievements_option_, achievements_,
                           achievements_file_, &stdin_taken, &achievements_text_, &error) ||
        !YearTextFromFlags("--next-steps", *next_steps_option_, next_steps_, next_steps_file_,
                           &stdin_taken, &next_steps_text_, &error)) {
      return UsageError(error);
    }
    if (!actual_given_ && !achievements_text_ && !next_steps_text_) {
      return UsageError(
          "記録する項目がありません / nothing to record: give --actual, --achievements(-file) or "
          "--next-steps(-file)");
    }
    return kExitOk;
  }

  int Run(const Context& context) override {
    // RecordIndicatorYear replaces the year's whole entry: start from the stored one so that the
    // fields not given are kept, and send the etag it was read at so that a change made in
    // between is refused (ABORTED) rather than overwritten.
    auto stub = StatisticsStub(context);
    v1::WelfarePlan plan;
    v1::GetWelfarePlanRequest get;
    get.set_name(plan_name_);
    const grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* get_call) {
      return stub->GetWelfarePlan(get_call, get, &plan);
    });
    if (!status.ok()) return ReportError(status);
    v1::RecordIndicatorYearRequest request = Request(plan);
    const v1::IndicatorYear& entry = request.year();
    return CallAndPrint(
        context, stub.get(), &v1::Statistics::Stub::RecordIndicatorYear, request,
        std::function([&](const v1::WelfarePlan& recorded) {
          std::cout << "記録しました / recorded: " << indicator_name_ << " "
                    << YearLabel(record_year_) << "\n";
          PrintFields({
              {"実績 / actual", entry.has_actual() ? NumberText(entry.actual()) : "-"},
              {"取組実績 / achievements", FieldText(entry.achievements())},
              {"今後の方針 / next steps", FieldText(entry.next_steps())},
              {"etag", recorded.etag()},
          });
        }));
  }

 private:
  // The stored entry of the year in `plan`, with what the flags give.
  v1::RecordIndicatorYearRequest Request(const v1::WelfarePlan& plan) const {
    v1::RecordIndicatorYearRequest request;
    request.set_indicator(indicator_name_);
    request.set_etag(etag_option_->count() > 0 ? std::string(TrimSpaces(etag_)) : plan.etag());
    v1::IndicatorYear* entry = request.mutable_year();
    for (const auto& indicator : plan.indicators()) {
      if (indicator.id() != indicator_id_) continue;
      for (const auto& stored : indicator.years()) {
        if (stored.fiscal_year() == record_year_) *entry = stored;
      }
    }
    entry->set_fiscal_year(record_year_);
    if (actual_given_ && actual_value_) entry->set_actual(*actual_value_);
    if (actual_given_ && !actual_value_) entry->clear_actual();
    if (achievements_text_) entry->set_achievements(*achievements_text_);
    if (next_steps_text_) entry->set_next_steps(*next_steps_text_);
    return request;
  }

  CLI::Option* actual_option_ = nullptr;
  CLI::Option* achievements_option_ = nullptr;
  CLI::Option* next_steps_option_ = nullptr;
  CLI::Option* etag_option_ = nullptr;
  std::string indicator_text_, year_, actual_, achievements_, achievements_file_, next_steps_,
      next_steps_file_, etag_;
  std::string indicator_name_, plan_name_, indicator_id_;
  int record_year_ = 0;
  bool actual_given_ = false;
  std::optional<double> actual_value_;
  std::optional<std::string> achievements_text_, next_steps_text_;
};

class WelfarePlanProgressCommand : public WelfarePlanCommand {
 public:
  int Run(const Context& context) override {
    v1::PlanProgress progress;
    if (!FetchProgress(context, &progress)) return kExitFailed;
    return PrintResult(context, progress, [&progress] { PrintProgress(progress); });
  }
};

class WelfarePlanExportCommand : public WelfarePlanCommand {
 public:
  int Run(const Context& context) override {
    v1::PlanProgress progress;
    if (!FetchProgress(context, &progress)) return kExitFailed;
    if (output_.format() == ExportFormat::kXlsx) {
      return output_.Write(context, report::PlanProgressXlsx(progress), progress);
    }
    return output_.Write(context, report::PlanProgressCsv(progress, output_.flavor()), progress);
  }

 protected:
  void ConfigureFlags(CLI::App& app) override { output_.Configure(app); }
  int PrepareFlags() override { return output_.Prepare(); }

 private:
  ExportOutput output_{/*allow_svg=*/false};
};

constexpr CommandSpec kWelfarePlanCommands[] = {
    {"stats plan",
     "推進計画 / welfare plans and their indicators (planners write; see casectl plan for "
     "support plans of cases)"},
    {"stats plan list", "計画の一覧 / every plan", Make<WelfarePlanListCommand>},
    {"stats plan get", "表示 / a plan, its policy areas and indicators",
     Make<WelfarePlanGetCommand>},
    {"stats plan create", "登録 / create a plan from a JSON file", Make<WelfarePlanCreateCommand>},
    {"stats plan update", "更新 / replace the fields --mask names from a JSON file",
     Make<WelfarePlanUpdateCommand>},
    {"stats plan record",
     "実績の記録 / record a fiscal year of an indicator (actual, 取組実績, 今後の方針)",
     Make<WelfarePlanRecordCommand>},
    {"stats plan progress",
     "進捗 / each indicator's actuals, achievement rate and status (達成率, 状況)",
     Make<WelfarePlanProgressCommand>},
    {"stats plan export", "進捗の書き出し / write the indicators' progress as CSV or XLSX",
     Make<WelfarePlanExportCommand>},
};

}  // namespace

std::span<const CommandSpec> WelfarePlanCommandTable() { return kWelfarePlanCommands; }

}  // namespace casecoord::cli
