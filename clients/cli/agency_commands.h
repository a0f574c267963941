// casectl agency ...: the agency directory (相談機関一覧) from the command line.
//
//   agency list [--filter F] [--order-by kana] [--page-size N] [--page-token T] [--all]
//   agency get ID
//   agency create ID --name 機関名 --kana フリガナ --kind 種別 [field flags]
//   agency update ID [field flags] [--etag E]   changes exactly the fields whose flags are given
//   agency delete ID [--etag E]
//   agency search QUERY [--limit N]
//   agency partners --tag T [--tag T ...] [--district D] [--limit N]
//   agency import FILE [--dry-run] [--allow-partial] [--existing update|skip|reject]
//   agency export FILE [--format csv|csv-sjis|hsds-json] [--filter F] [--order-by kana]
//   agency survey record ID FISCAL_YEAR --close|--not-close
//   agency survey list FISCAL_YEAR / summary FISCAL_YEAR / delete ID FISCAL_YEAR
//
// ID is "kita-houkatsu" or "agencies/kita-houkatsu". Enum flags (--kind, --operator, --field,
// --state) take the Japanese label or the value name ("福祉事務所" or WELFARE_OFFICE), as CSV
// import does. FISCAL_YEAR is 2024, R6 or 令和6年度.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
}  // namespace CLI

namespace casecoord::cli {

class AgencyCommands {
 public:
  // Adds "agency" and its subcommands to `app`. The options are bound to this object, which must
  // outlive parsing and Run().
  explicit AgencyCommands(CLI::App* app);
  ~AgencyCommands();
  AgencyCommands(const AgencyCommands&) = delete;
  AgencyCommands& operator=(const AgencyCommands&) = delete;

  // After parsing: whether the command line chose an agency command.
  bool Selected() const;

  // Checks the arguments and builds the request without connecting, so that a bad value is
  // reported before any call: kExitOk, or kExitUsage after explaining on stderr.
  int Prepare();

  // Runs the chosen command (after Prepare() succeeded); returns casectl's exit status.
  int Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace casecoord::cli
