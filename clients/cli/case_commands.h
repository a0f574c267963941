// casectl case ...: cases (ケース) from the command line.
//
//   case open --district D --referrer AGENCY_ID --problem TEXT --member SPEC [--member SPEC ...]
//             [--household-tag T ...] [--urgency U] [--consent C] [--address TEXT]
//             [--referral-note TEXT] [--request-id ID]
//   case get CASE
//   case list [--state S] [--district D] [--page-size N] [--page-token T] [--all]
//   case transition CASE --to STATE [--outcome O] [--reason TEXT] [--date YYYY-MM-DD]
//             [--decider TEXT] [--etag E]
//   case close CASE --outcome O [--reason TEXT] [--date YYYY-MM-DD] [--decider TEXT] [--etag E]
//   case history CASE
//
// CASE is "cases/12" or "12". SPEC is "ID:氏名:続柄[:本人][:tag,tag]":
//   --member "m1:山田 太郎:長男:本人:hikikomori" --member "m2:山田 花子:母:dementia"
// (a 続柄 of 本人 also marks the principal; see case open --help). Enum flags (--urgency,
// --consent, --state, --to, --outcome) take the Japanese label or the value name ("緊急" or
// URGENT). `case open` without --request-id makes a random one (UUID v4) and prints it, so that a
// retry after a lost answer can reuse it and get the same case rather than a second one.
//
// Every flag is checked before any call: a bad value is exit status 2 and nothing is sent. Error
// messages name members by position and ID, never by the personal data given.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
}  // namespace CLI

namespace casecoord::cli {

class CaseCommands {
 public:
  // Adds "case" and its subcommands to `app`. The options are bound to this object, which must
  // outlive parsing and Run().
  explicit CaseCommands(CLI::App* app);
  ~CaseCommands();
  CaseCommands(const CaseCommands&) = delete;
  CaseCommands& operator=(const CaseCommands&) = delete;

  // After parsing: whether the command line chose a case command.
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
