// What the casectl case commands share (case_commands.cc: the case itself; case_team_commands.cc:
// its consultation log and referrals): CASE and agency arguments, decision dates, and the base of
// the commands on one case.
#pragma once

#include <google/protobuf/descriptor.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "services/common/status.h"

namespace casecoord::cli::cases {

inline constexpr char kCaseHelp[] =
    "ケース / case: cases/12 or 12 (the 名前 column of case list), or its 受付番号 such as R6-0042";
inline constexpr char kAgencyIdHelp[] = "ID or agencies/ID, from the directory";

// "12" and "cases/12" -> "cases/12"; nullopt for anything else (the server's ids are decimal
// numbers without leading zeros).
std::optional<std::string> CaseName(std::string_view text);

// Whether `text` is written as a case number (受付番号): an era letter (S, H, R, either case),
// the era's year, '-', the number: "R6-0042", "h30-1".
bool LooksLikeCaseNumber(std::string_view text);

// How casectl reaches the server when a case is named by its number: `connect` gives the channel
// (called on every case number; the caller keeps and reuses it, so that no channel outlives main
// in a static), `options` the timeout. casectl's main sets it before Prepare and clears it (empty
// `connect`, null `options`) before returning; unset, case numbers are refused as arguments.
void SetCaseNumberLookup(std::function<Result<std::shared_ptr<grpc::Channel>>()> connect,
                         const GlobalOptions* options);

// The one place where casectl reads a case argument (`option` names it in messages): "12" and
// "cases/12" as CaseName; a case number ("R6-0042") through one SearchCases call, so that it
// names the case the caller can see with that number. False with a message for people otherwise
// (a malformed argument, a number no visible case has, or the server's error).
bool ResolveCaseArgument(const std::string& option, const std::string& text, std::string* name,
                         std::string* error);

// ResolveCaseArgument for the CASE argument.
bool ParseCaseArgument(const std::string& text, std::string* name, std::string* error);

// "kita-houkatsu" or "agencies/kita-houkatsu" -> "agencies/kita-houkatsu".
bool ParseAgencyArgument(const std::string& option, const std::string& what,
                         const std::string& text, std::string* name, std::string* error);

// "2025-04-01" or "2025/4/1", a JST day not after today.
bool ParseDecisionDate(const std::string& option, const std::string& text, v1::Date* date,
                       std::string* error);

// An optional enum flag into `set` (untouched when `text` is empty).
template <typename Enum, typename Message>
bool OptionalEnum(const std::string& option, const std::string& what,
                  const google::protobuf::EnumDescriptor& type, const std::string& text,
                  Message* message, void (Message::*set)(Enum), std::string* error) {
  if (text.empty()) return true;
  int number = 0;
  if (!ParseEnumFlag(option, what, type, text, &number, error)) return false;
  (message->*set)(static_cast<Enum>(number));
  return true;
}

inline std::unique_ptr<v1::Cases::Stub> CasesStub(const Context& context) {
  return v1::Cases::NewStub(context.channel);
}

// A command on one case (the CASE argument).
class CaseCommand : public Command {
 public:
  void Configure(CLI::App& app) override;
  int Prepare() override;

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  std::string name_;  // "cases/{case}"

 private:
  std::string case_text_;
};

}  // namespace casecoord::cli::cases
