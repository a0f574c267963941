// casectl meeting ... and casectl plan ...: case meetings (複合課題ケース検討会, 支援会議) and
// support plans (支援計画) from the command line.
//
//   meeting schedule --type TYPE [--case CASE] --title TITLE --at "YYYY-MM-DD HH:MM" [--location L]
//             --participant USER[@AGENCY]:ROLE [--participant ...]
//             [--materials-file PATH | --materials TEXT] [--request-id ID]
//   meeting get MEETING
//   meeting list [--case CASE] [--type TYPE] [--state STATE] [--page-size N] [--page-token T]
//             [--all]
//   meeting acknowledge MEETING                     (the caller's duty of confidentiality)
//   meeting minutes MEETING --held YYYY-MM-DD (--policy-file PATH | --policy TEXT)
//             [--decision TEXT ... | --decisions-file PATH]
//             [--assign AGENCY:YYYY-MM-DD:ACTION ... | --assignments-file PATH] [--etag E]
//   meeting cancel MEETING (--reason-file PATH | --reason TEXT) [--etag E]
//   meeting assignment MEETING ID [--status STATUS] [--due YYYY-MM-DD]
//   meeting export MEETING [--out FILE]
//   plan create CASE (--goal [MEMBER:]TEXT ... | --goals-file PATH)
//             (--eval TEXT ... | --evals-file PATH) --review-by YYYY-MM-DD [--meeting MEETING]
//             [--action AGENCY:[YYYY-MM-DD]:TEXT ... | --actions-file PATH]
//   plan get CASE [--version N]
//   plan list CASE                                  (every version, newest first)
//   plan review CASE (--evaluation-file PATH | --evaluation TEXT) --decision DECISION
//             [--next YYYY-MM-DD] [--date YYYY-MM-DD] [--version N]
//
// MEETING is "meetings/3" or "3"; CASE is "cases/12" or "12"; USER is "agency-staff" or
// "users/agency-staff"; AGENCY is "kita-houkatsu" or "agencies/kita-houkatsu"; ID is an assignment
// of the meeting, "r1" or "1". --at is Japan time (JST). Enum flags (--type, --state, ROLE,
// --status, --decision) take the Japanese label or the value name ("支援会議" or SUPPORT_MEETING,
// "本人支援" or PRINCIPAL_SUPPORT_ROLE, "完了" or DONE, "見直し" or ADJUST).
//
// A participant of a meeting reads its record (materials, minutes) only after `meeting
// acknowledge`; before, the server answers CONFIDENTIALITY_NOT_ACKNOWLEDGED. Anyone who is neither
// a participant nor a coordinator gets NOT_FOUND. `plan create --meeting M` without --action copies
// the meeting's role assignments into the plan's actions.
//
// Text about a household (資料, 支援方針, 決定事項, 役割分担, 目標, 評価項目, 評価, 中止理由) is
// better given as a file: a command-line argument can be read by every local user in the process
// list and stays in the shell history. Each --X TEXT flag has a file twin; "-" reads standard input
// (one flag per command at most). Files must be UTF-8 (a byte order mark is dropped, CRLF becomes
// LF). The twins of repeatable flags (--decisions-file, --assignments-file, --goals-file,
// --evals-file, --actions-file) hold one item per line, written as the flag's value; blank lines
// are skipped.
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent. Error messages name items by position and never repeat the personal data given.
// `meeting export --out` replaces FILE atomically and leaves it readable by its owner only (0600).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
}  // namespace CLI

namespace casecoord::cli {

class MeetingCommands {
 public:
  // Adds "meeting" and "plan" with their subcommands to `app`. The options are bound to this
  // object, which must outlive parsing and Run().
  explicit MeetingCommands(CLI::App* app);
  ~MeetingCommands();
  MeetingCommands(const MeetingCommands&) = delete;
  MeetingCommands& operator=(const MeetingCommands&) = delete;

  // After parsing: whether the command line chose a meeting or plan command.
  bool Selected() const;

  // Checks the arguments, reads the files and builds the request without connecting, so that a bad
  // value is reported before any call: kExitOk, or kExitUsage after explaining on stderr.
  int Prepare();

  // Runs the chosen command (after Prepare() succeeded); returns casectl's exit status.
  int Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace casecoord::cli
