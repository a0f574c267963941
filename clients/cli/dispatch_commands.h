// casectl adviser ... and casectl dispatch ...: the adviser registry (アドバイザー名簿) and adviser
// dispatch (アドバイザー派遣) from the command line.
//
//   adviser list [--kind K] [--field F] [--active | --inactive]
//   adviser create ID --name 氏名 --kind K --field F [--field F ...] [--kana カナ]
//             [--agency AGENCY] [--user USER] [--inactive]
//   dispatch request (--case CASE | --group 団体名) --field F (--note-file PATH | --note TEXT)
//             [--adviser ADVISER] [--request-id ID]
//   dispatch get DISPATCH
//   dispatch list [--state S] [--case CASE] [--adviser ADVISER] [--page-size N] [--all]
//   dispatch approve DISPATCH --adviser ADVISER [--etag E]
//   dispatch decline DISPATCH (--reason-file PATH | --reason TEXT) [--etag E]
//   dispatch session DISPATCH (--report-file PATH | --report TEXT) [--date YYYY-MM-DD]
//             [--minutes N] [--etag E]
//   dispatch followup DISPATCH (--note-file PATH | --note TEXT) [--date YYYY-MM-DD] [--etag E]
//   dispatch close DISPATCH [--etag E]
//
// DISPATCH is "dispatches/3" or "3"; CASE "cases/12" or "12"; ADVISER "kobayashi" or
// "advisers/kobayashi"; AGENCY "kita-houkatsu" or "agencies/kita-houkatsu"; USER "alice" or
// "users/alice". Enum flags (--kind, --field, --state) take the Japanese label or the value name
// ("障害" or DISABILITY). --date defaults to today (JST); the server refuses a day in the future.
// `dispatch request` without --request-id makes a random one (UUID v4) and prints it on stderr, so
// that a retry after a lost answer can reuse it and get the same dispatch.
//
// Free text about a household (依頼内容, 報告, 記録, 理由) is better given as a file (--X-file
// PATH;
// "-" reads standard input, one flag per command): a command-line argument is visible to other
// local users in the process list and stays in the shell history. Files must be UTF-8.
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

class DispatchCommands {
 public:
  // Adds "adviser" and "dispatch" and their subcommands to `app`. The options are bound to this
  // object, which must outlive parsing and Run().
  explicit DispatchCommands(CLI::App* app);
  ~DispatchCommands();
  DispatchCommands(const DispatchCommands&) = delete;
  DispatchCommands& operator=(const DispatchCommands&) = delete;

  // After parsing: whether the command line chose an adviser or dispatch command.
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
