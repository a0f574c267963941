// casectl case ...: cases (ケース) from the command line.
//
//   case open --district D --referrer AGENCY_ID (--problem-file PATH | --problem TEXT)
//             --member SPEC [--member SPEC ...] [--household-tag T ...] [--urgency U]
//             [--consent C] [--address TEXT] [--referral-note TEXT] [--request-id ID]
//   case get CASE
//   case list [--state S] [--district D] [--page-size N] [--page-token T] [--all]
//   case transition CASE --to STATE [--outcome O] [--reason TEXT] [--date YYYY-MM-DD]
//             [--decider TEXT] [--etag E]
//   case close CASE --outcome O [--reason TEXT] [--date YYYY-MM-DD] [--decider TEXT] [--etag E]
//   case history CASE
//   case log CASE                                   (the consultation log, oldest first)
//   case log CASE --kind KIND (--summary-file PATH | --summary TEXT) [--date YYYY-MM-DD]
//             [--agency AGENCY] [--method M]        (appends an entry)
//   case log CASE --amends N (--reason-file PATH | --reason TEXT)
//             (--summary-file PATH | --summary TEXT) [--date YYYY-MM-DD]   (appends a correction)
//   case refer CASE --agency AGENCY --role ROLE [--note-file PATH | --note TEXT]
//   case referrals [CASE]                           (without CASE: your agency's pending inbox)
//   case accept REFERRAL
//   case decline REFERRAL (--reason-file PATH | --reason TEXT) [--propose AGENCY]
//   case revoke REFERRAL
//
// CASE is "cases/12" or "12"; REFERRAL is "cases/12/referrals/1" (the 名前 column of case
// referrals); AGENCY is "kita-houkatsu" or "agencies/kita-houkatsu". SPEC is
// "ID:氏名:続柄[:本人][:tag,tag]":
//   --member "m1:山田 太郎:長男:本人:hikikomori" --member "m2:山田 花子:母:dementia"
// (a 続柄 of 本人 also marks the principal; see case open --help). Enum flags (--urgency,
// --consent, --state, --to, --outcome, --kind, --method, --role) take the Japanese label or the
// value name ("緊急" or URGENT). `case open` without --request-id makes a random one (UUID v4) and
// prints it, so that a retry after a lost answer can reuse it and get the same case rather than a
// second one.
//
// Free text about a household (相談内容, 記録, 紹介メモ, 理由) is better given as a file: a
// command-line argument can be read by every local user in the process list and stays in the
// shell history. Each such --X TEXT flag has a --X-file PATH twin; "-" reads standard input (one
// flag per command at most). Files must be UTF-8 (a byte order mark is dropped, CRLF becomes LF).
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent. Error messages name members by position and ID, and never repeat the personal
// data given.
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
