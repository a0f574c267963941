// casectl due / casectl monitoring ...: the work list and monitoring (モニタリング) from the
// command line.
//
//   due [--owner OWNER] [--by YYYY-MM-DD] [--page-size N]
//             the work list, soonest first (every page); overdue lines say 期限超過
//   due --watch [--owner OWNER]
//             everything due now, then each item as it falls due, until Ctrl-C
//   monitoring get CASE
//   monitoring set CASE --track TRACK (--every DAYS [--start YYYY-MM-DD] | --date YYYY-MM-DD ...)
//             [--etag E]
//   monitoring check CASE --kind KIND [--date YYYY-MM-DD] [--stage STAGE]
//             (--note-file PATH | --note TEXT) [--etag E]
//
// OWNER is your own list by default: "users/ID" (a coordinator's) or "agencies/ID" (your agency's);
// nobody else's list can be read. --by defaults to two weeks ahead; overdue items are always
// listed. CASE is "cases/12", "12" or "cases/12/monitoring". --date of a check defaults to today
// and may not be in the future. Enum flags (--track, --kind, --stage) take the Japanese label or
// the value name ("生活支援" or LIFE, "確認" or ROUTINE_CHECK, "訪問" or STAGE_VISIT).
//
// A note about a household is better given as a file (--note-file; "-" reads standard input): a
// command-line argument can be read by every local user in the process list and stays in the shell
// history. Files must be UTF-8.
//
// Every flag is checked before any call: a bad value is exit status 2 and nothing is sent.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
}  // namespace CLI

namespace casecoord::cli {

class MonitoringCommands {
 public:
  // Adds "due" and "monitoring" with its subcommands to `app`. The options are bound to this
  // object, which must outlive parsing and Run().
  explicit MonitoringCommands(CLI::App* app);
  ~MonitoringCommands();
  MonitoringCommands(const MonitoringCommands&) = delete;
  MonitoringCommands& operator=(const MonitoringCommands&) = delete;

  // After parsing: whether the command line chose one of these commands.
  bool Selected() const;

  // Checks the arguments and builds the request without connecting: kExitOk, or kExitUsage after
  // explaining on stderr.
  int Prepare();

  // Runs the chosen command (after Prepare() succeeded); returns casectl's exit status.
  int Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace casecoord::cli
