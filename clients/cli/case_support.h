// What the casectl case commands share (case_commands.cc: the case itself; case_team_commands.cc:
// its consultation log and referrals): CASE and agency arguments, decision dates, and the base of
// the commands on one case.
#pragma once

#include <google/protobuf/descriptor.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"

namespace casecoord::cli::cases {

inline constexpr char kCaseHelp[] = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
inline constexpr char kAgencyIdHelp[] = "ID or agencies/ID, from the directory";

// "12" and "cases/12" -> "cases/12"; nullopt for anything else (the server's ids are decimal
// numbers without leading zeros).
std::optional<std::string> CaseName(std::string_view text);

// CaseName, or a usage message for the CASE argument.
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
