// casectl stats ...: the statistics (事業実績) and the welfare plans' indicators
// (成果指標・活動指標) from the command line.
//
//   stats yearly --from FY --to FY [--cumulative] [--breakdown METRIC:DIMENSION ...]
//             the yearly report as tables, one column per fiscal year and 合計, then the
//             disclosure notes (注記: the rule, k and the number of suppressed cells)
//   stats export --from FY --to FY [--cumulative] [--breakdown METRIC:DIMENSION ...]
//             --format csv|xlsx|svg [--encoding utf8|cp932] --output PATH
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
// The welfare plans (地域共生社会推進計画 and the like) are under `stats plan`, because `casectl
// plan` is already the support plans of cases (支援計画, meeting_commands.h).
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
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
}  // namespace CLI

namespace casecoord::cli {

class StatsCommands {
 public:
  // Adds "stats" with its subcommands (and "stats plan" with its own) to `app`. The options are
  // bound to this object, which must outlive parsing and Run().
  explicit StatsCommands(CLI::App* app);
  ~StatsCommands();
  StatsCommands(const StatsCommands&) = delete;
  StatsCommands& operator=(const StatsCommands&) = delete;

  // After parsing: whether the command line chose one of these commands.
  bool Selected() const;

  // Checks the arguments, reads the files, opens the export's output and builds the request
  // without connecting: kExitOk, or kExitUsage after explaining on stderr.
  int Prepare();

  // Runs the chosen command (after Prepare() succeeded); returns casectl's exit status.
  int Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace casecoord::cli
