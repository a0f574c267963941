// casectl plan ...: support plans (支援計画) from the command line; see meeting_commands.cc for
// the usage of both meeting and plan.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/meetings.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/meeting_support.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace meetings;  // NOLINT(google-build-using-namespace): this file is their user

constexpr std::string_view kPlansInfix = "/plans/";
// Plan versions are numbered from 1; the server accepts up to this.
constexpr int kMaxPlanVersion = 1000000;

constexpr char kGoalHelp[] =
    "目標 / goal, repeatable: \"[MEMBER:]TEXT\". A member id of the case (e.g. m1) before the "
    "first "
    "':' makes it that member's goal; otherwise it is the household's goal. Start with ':' for a "
    "household goal whose text begins with something like an id. Visible in the process list: "
    "prefer --goals-file";

constexpr char kActionHelp[] =
    "支援内容 / action, repeatable: \"AGENCY:[YYYY-MM-DD]:TEXT\" (the date may be empty: "
    "\"kita-houkatsu::見守り訪問\"). Without --action, --meeting copies the meeting's role "
    "assignments. Visible in the process list: prefer --actions-file";

// "3" for "cases/12/plans/3".
std::string VersionOf(const std::string& plan_name) {
  const size_t slash = plan_name.rfind('/');
  return slash == std::string::npos ? plan_name : plan_name.substr(slash + 1);
}

// "[MEMBER:]TEXT".
bool ParseGoal(const std::string& where, const std::string& spec, v1::PlanGoal* goal,
               std::string* error) {
  const auto [at, length] = FindSeparator(spec, 0);
  std::string text = spec;
  if (at != std::string::npos) {
    const std::string member(TrimSpaces(std::string_view(spec).substr(0, at)));
    if (member.empty() || IsResourceId(member)) {
      goal->set_member_id(member);
      text = spec.substr(at + length);
    }
  }
  goal->set_goal(std::string(TrimSpaces(text)));
  if (goal->goal().empty()) {
    *error = "目標がありません / " + where + ": the goal's text is empty";
    return false;
  }
  return true;
}

// --- Output -----------------------------------------------------------------------------------

std::string GoalTarget(const v1::PlanGoal& goal) {
  return goal.member_id().empty() ? "世帯全体" : Cell(goal.member_id());
}

void PrintPlan(const v1::SupportPlan& plan) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"名前 / name", plan.name()},
      {"版 / version", VersionOf(plan.name())},
      {"現行 / current", plan.current() ? "はい（実施中の計画） / yes" : "いいえ（過去の版） / no"},
      {"会議 / meeting", OrDash(plan.meeting())},
      {"次回評価日 / next_review_date", DateText(plan.next_review_date())},
      {"作成者 / author", Cell(WithoutPrefix(plan.author(), kUserPrefix))},
      {"作成 / created", TimeText(plan.create_time(), plan.has_create_time())},
  };
  PrintFields(fields);

  std::cout << "\n目標 / goals (" << plan.goals_size() << "):\n";
  if (!plan.goals().empty()) {
    std::vector<Row> rows;
    rows.reserve(plan.goals_size());
    for (int i = 0; i < plan.goals_size(); ++i) {
      rows.push_back(
          {std::to_string(i + 1), GoalTarget(plan.goals(i)), Cell(plan.goals(i).goal())});
    }
    PrintTable({"#", "対象", "目標"}, rows);
  }
  std::cout << "\n評価項目 / evaluation items (" << plan.evaluation_items_size() << "):\n";
  if (!plan.evaluation_items().empty()) {
    std::vector<Row> rows;
    rows.reserve(plan.evaluation_items_size());
    for (int i = 0; i < plan.evaluation_items_size(); ++i) {
      rows.push_back({std::to_string(i + 1), Cell(plan.evaluation_items(i))});
    }
    PrintTable({"#", "評価項目"}, rows);
  }
  std::cout << "\n支援内容 / actions (" << plan.actions_size() << "):\n";
  if (!plan.actions().empty()) {
    std::vector<Row> rows;
    for (int i = 0; i < plan.actions_size(); ++i) {
      const auto& action = plan.actions(i);
      rows.push_back({std::to_string(i + 1), Cell(WithoutPrefix(action.agency(), kAgencyPrefix)),
                      DateText(action.due_date()), Cell(action.assignment()),
                      Cell(action.action())});
    }
    PrintTable({"#", "機関", "期限", "役割分担", "内容"}, rows);
  }
  std::cout << "\n評価 / reviews (" << plan.reviews_size() << "):\n";
  if (!plan.reviews().empty()) {
    std::vector<Row> rows;
    for (const auto& review : plan.reviews()) {
      rows.push_back({std::to_string(review.number()), DateText(review.review_date()),
                      EnumText(*v1::ReviewDecision_descriptor(), review.decision()),
                      DateText(review.next_review_date()),
                      Cell(WithoutPrefix(review.reviewer(), kUserPrefix)),
                      Cell(review.evaluation())});
    }
    PrintTable({"#", "評価日", "判定", "次回評価日", "評価者", "評価"}, rows);
  }
}

void PrintPlanList(const v1::ListPlanVersionsResponse& list) {
  std::vector<Row> rows;
  for (const auto& plan : list.plans()) {
    const std::string decision =
        plan.reviews().empty()
            ? "-"
            : EnumText(*v1::ReviewDecision_descriptor(), plan.reviews().rbegin()->decision());
    rows.push_back({VersionOf(plan.name()), plan.name(), plan.current() ? "現行" : "-",
                    plan.has_create_time() ? JstDate(plan.create_time()) : "-",
                    Cell(WithoutPrefix(plan.author(), kUserPrefix)), OrDash(plan.meeting()),
                    DateText(plan.next_review_date()), std::to_string(plan.reviews_size()),
                    decision});
  }
  PrintTable(
      {"版", "名前", "現行", "作成日", "作成者", "会議", "次回評価日", "評価回数", "最終判定"},
      rows);
}

// --- The commands -------------------------------------------------------------------------------

std::unique_ptr<v1::Meetings::Stub> MeetingsStub(const Context& context) {
  return v1::Meetings::NewStub(context.channel);
}

// A command on the plan of one case (the CASE argument).
class PlanCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("case", case_text_, kCaseHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParseCaseArgument("CASE", case_text_, &name_, &error)) return UsageError(error);
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  // After Prepare: the case ("cases/12"); PrepareVersion makes it a plan's name.
  std::string name_;
  std::string version_text_;

  // `name_` (the case) becomes the plan's name: --version N, or the plan in force.
  int PrepareVersion() {
    if (version_text_.empty()) {
      name_ += "/plans/current";
      return kExitOk;
    }
    int version = 0;
    if (!ParseInt(TrimSpaces(version_text_), 1, kMaxPlanVersion, &version)) {
      return UsageError("版の指定が不正です / --version: \"" + version_text_ +
                        "\" is not a version number (1, 2, ... the 版 column of plan list)");
    }
    name_ += std::string(kPlansInfix) + std::to_string(version);
    return kExitOk;
  }

 private:
  std::string case_text_;
};

class PlanCreateCommand : public PlanCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    return CallAndPrint(
        context, stub.get(), &v1::Meetings::Stub::CreatePlanVersion, request_,
        std::function([](const v1::SupportPlan& plan) {
          std::cout << "支援計画を作成しました / plan version created: " << plan.name() << "\n";
          PrintPlan(plan);
        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    AddRepeatable(app, "--goal", &goals_, kGoalHelp);
    app.add_option("--goals-file", goals_file_, LinesFileHelp("目標 ([MEMBER:]TEXT)"));
    AddRepeatable(app, "--eval", &evals_,
                  "評価項目 / what the review looks at, repeatable" +
                      std::string(kArgumentWarning) + "--evals-file)");
    app.add_option("--evals-file", evals_file_, LinesFileHelp("評価項目"));
    app.add_option("--review-by", review_by_, "次回評価日 / when the plan is reviewed, YYYY-MM-DD")
        ->required();
    app.add_option(
        "--meeting", meeting_text_,
        "会議 / the meeting of this case that agreed the plan: " + std::string(kMeetingHelp));
    AddRepeatable(app, "--action", &actions_, kActionHelp);
    app.add_option("--actions-file", actions_file_,
                   LinesFileHelp("支援内容 (AGENCY:[YYYY-MM-DD]:TEXT)"));
    app.footer(kPlanCreateHelp);
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_parent(name_);
    v1::SupportPlan& plan = *request_.mutable_plan();
    bool stdin_taken = false;
    if (const int code = PrepareGoals(plan, &stdin_taken); code != kExitOk) return code;
    if (!ParseDay("--review-by", review_by_, /*not_future=*/false, plan.mutable_next_review_date(),
                  &error)) {
      return UsageError(error);
    }
    if (!meeting_text_.empty()) {
      std::string meeting;
      if (!ParseMeetingArgument("--meeting", meeting_text_, &meeting, &error)) {
        return UsageError(error);
      }
      plan.set_meeting(meeting);
    }
    return PrepareActions(plan, &stdin_taken);
  }

 private:
  static constexpr char kPlanCreateHelp[] =
      "目標 (--goal か --goals-file) と評価項目 (--eval か --evals-file) が必要です。--meeting "
      "を付け "
      "--action を付けないと、会議の役割分担が支援内容に写されます。\n"
      "Goals and evaluation items are required. With --meeting and no --action, the meeting's "
      "role assignments become the plan's actions.\n"
      "例 / example:\n  casectl plan create 12 --meeting 3 --goals-file goals.txt \\\n"
      "    --evals-file evals.txt --review-by 2025-10-01\n"
      "  goals.txt:\n    m1:週に1回、地域の居場所に通う\n    世帯の家計が安定する";

  // Goals and evaluation items, at least one of each.
  int PrepareGoals(v1::SupportPlan& plan, bool* stdin_taken) const {
    std::vector<std::string> items;
    std::string error;
    if (!ItemsFromFlags("--goal", "--goals-file", goals_, goals_file_, stdin_taken, &items,
                        &error)) {
      return UsageError(error);
    }
    const std::string goal_option = goals_file_.empty() ? "--goal" : "--goals-file line";
    for (size_t i = 0; i < items.size(); ++i) {
      if (!ParseGoal(Where(goal_option, i + 1), items[i], plan.add_goals(), &error)) {
        return UsageError(error);
      }
    }
    if (plan.goals().empty()) {
      return UsageError(
          "目標がありません / give at least one goal: --goals-file (recommended) or "
          "--goal [MEMBER:]TEXT");
    }
    if (!ItemsFromFlags("--eval", "--evals-file", evals_, evals_file_, stdin_taken, &items,
                        &error)) {
      return UsageError(error);
    }
    for (auto& item : items) plan.add_evaluation_items(std::move(item));
    if (plan.evaluation_items().empty()) {
      return UsageError(
          "評価項目がありません / give at least one evaluation item: --evals-file "
          "(recommended) or --eval TEXT");
    }
    return kExitOk;
  }

  int PrepareActions(v1::SupportPlan& plan, bool* stdin_taken) const {
    std::vector<std::string> items;
    std::string error;
    if (!ItemsFromFlags("--action", "--actions-file", actions_, actions_file_, stdin_taken, &items,
                        &error)) {
      return UsageError(error);
    }
    const std::string option = actions_file_.empty() ? "--action" : "--actions-file line";
    for (size_t i = 0; i < items.size(); ++i) {
      AgencyDateText parsed;
      if (!ParseAgencyDateText(Where(option, i + 1), items[i], /*date_required=*/false, &parsed,
                               &error)) {
        return UsageError(error);
      }
      v1::PlanAction* action = plan.add_actions();
      action->set_agency(parsed.agency);
      if (parsed.date) *action->mutable_due_date() = *parsed.date;
      action->set_action(parsed.text);
    }
    return kExitOk;
  }

  std::string goals_file_, evals_file_, review_by_, meeting_text_, actions_file_;
  std::vector<std::string> goals_, evals_, actions_;
  v1::CreatePlanVersionRequest request_;
};

class PlanGetCommand : public PlanCommand {
 public:
  int Run(const Context& context) override {
    v1::GetPlanRequest request;
    request.set_name(name_);
    auto stub = MeetingsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Meetings::Stub::GetPlan, request,
                        std::function(PrintPlan));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--version", version_text_,
                   "版 / version number (the 版 column of plan list); default: the plan in force");
  }

  int PrepareFlags() override { return PrepareVersion(); }
};

class PlanListCommand : public PlanCommand {
 public:
  int Run(const Context& context) override {
    v1::ListPlanVersionsRequest request;
    request.set_parent(name_);
    auto stub = MeetingsStub(context);
    return ListAndPrint(context, stub.get(), &v1::Meetings::Stub::ListPlanVersions, request,
                        /*all_pages=*/true,
                        std::function([](const v1::ListPlanVersionsResponse& all) {
                          if (all.plans().empty()) {
                            std::cout << "支援計画はありません / the case has no plan\n";
                          } else {
                            PrintPlanList(all);
                          }
                        }));
  }
};

class PlanReviewCommand : public PlanCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Meetings::Stub::ReviewPlan, request_,
                        std::function(PrintReviewed));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--evaluation", evaluation_,
                   "評価 / the evaluation" + std::string(kArgumentWarning) + "--evaluation-file)");
    app.add_option("--evaluation-file", evaluation_file_, FileHelp("評価"));
    app.add_option("--decision", decision_,
                   "判定 / decision: " + ValidValues(*v1::ReviewDecision_descriptor()))
        ->required();
    app.add_option(
        "--next", next_,
        "次回評価日 / the next review, YYYY-MM-DD; required unless --decision 終結 (CLOSE)");
    app.add_option("--date", date_,
                   "評価日 / the day of the review, YYYY-MM-DD; default today (JST), not in the "
                   "future");
    app.add_option("--version", version_text_,
                   "版 / the version reviewed, which must be the plan in force; default: the plan "
                   "in force");
  }

  int PrepareFlags() override {
    if (const int code = PrepareVersion(); code != kExitOk) return code;
    request_.set_name(name_);
    v1::PlanReview& review = *request_.mutable_review();
    std::string text, error;
    bool stdin_taken = false;
    if (!TextOrEmpty("--evaluation", "--evaluation-file", evaluation_, evaluation_file_,
                     &stdin_taken, &text, &error)) {
      return UsageError(error);
    }
    if (text.empty()) {
      return UsageError(
          "評価がありません / give the evaluation with --evaluation-file (recommended) or "
          "--evaluation");
    }
    review.set_evaluation(text);
    int number = 0;
    if (!ParseEnum("--decision", "判定", *v1::ReviewDecision_descriptor(), decision_, &number,
                   &error)) {
      return UsageError(error);
    }
    review.set_decision(static_cast<v1::ReviewDecision>(number));
    if (const int code = PrepareNext(review); code != kExitOk) return code;
    if (!date_.empty() &&
        !ParseDay("--date", date_, /*not_future=*/true, review.mutable_review_date(), &error)) {
      return UsageError(error);
    }
    return kExitOk;
  }

 private:
  // --next: required, unless the plan closes (then refused).
  int PrepareNext(v1::PlanReview& review) const {
    std::string error;
    if (review.decision() == v1::CLOSE) {
      if (next_.empty()) return kExitOk;
      // The server would drop it silently; the user meant something by it.
      return UsageError(
          "終結では次回評価日を指定しません / --next: a plan that closes (終結, CLOSE) has no "
          "next review");
    }
    if (next_.empty()) {
      return UsageError(
          "次回評価日がありません / --next YYYY-MM-DD is required unless --decision "
          "終結 (CLOSE)");
    }
    if (!ParseDay("--next", next_, /*not_future=*/false, review.mutable_next_review_date(),
                  &error)) {
      return UsageError(error);
    }
    return kExitOk;
  }

  static void PrintReviewed(const v1::SupportPlan& plan) {
    const v1::PlanReview* review = plan.reviews().empty() ? nullptr : &*plan.reviews().rbegin();
    std::cout << "評価を記録しました / review recorded: " << plan.name();
    if (review != nullptr) {
      std::cout << " #" << review->number() << " "
                << EnumTextWithName(*v1::ReviewDecision_descriptor(), review->decision());
    }
    std::cout << "\n";
    PrintPlan(plan);
  }

  std::string evaluation_, evaluation_file_, decision_, next_, date_;
  v1::ReviewPlanRequest request_;
};

constexpr CommandSpec kPlanCommands[] = {
    {"plan", "支援計画 / support plans (coordinators write; the case team reads)"},
    {"plan create",
     "新しい版 / write a new version of the case's plan (it replaces the plan in force)",
     Make<PlanCreateCommand>},
    {"plan get", "詳細 / show a version of the plan (default: current)", Make<PlanGetCommand>},
    {"plan list", "版の一覧 / every version, newest first", Make<PlanListCommand>},
    {"plan review", "評価 / review the plan in force: evaluation, decision, next review date",
     Make<PlanReviewCommand>},
};

}  // namespace

std::span<const CommandSpec> PlanCommandTable() { return kPlanCommands; }

}  // namespace casecoord::cli
