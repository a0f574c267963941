#include "clients/cli/case_support.h"

#include <CLI/CLI.hpp>
#include <chrono>

#include "clients/cli/render.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli::cases {

std::optional<std::string> CaseName(std::string_view text) {
  text = TrimSpaces(text);
  if (StartsWith(text, kCasePrefix)) text.remove_prefix(kCasePrefix.size());
  if (text.empty() || text.size() > kMaxIdDigits || text.front() == '0' ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(kCasePrefix) + std::string(text);
}

bool ParseCaseArgument(const std::string& text, std::string* name, std::string* error) {
  std::optional<std::string> parsed = CaseName(text);
  if (!parsed) {
    *error = "ケースの指定が不正です / CASE: \"" + text +
             "\" is not a case; give its name, cases/12 or 12 (the 名前 column of case list; "
             "受付番号 such as R6-0042 are not accepted)";
    return false;
  }
  *name = *parsed;
  return true;
}

bool ParseAgencyArgument(const std::string& option, const std::string& what,
                         const std::string& text, std::string* name, std::string* error) {
  const std::string id = WithoutPrefix(std::string(TrimSpaces(text)), kAgencyPrefix);
  if (!IsResourceId(id)) {
    *error = what + "が不正です / " + option + ": \"" + text +
             "\" is not an agency id (e.g. kita-houkatsu or agencies/kita-houkatsu)";
    return false;
  }
  *name = std::string(kAgencyPrefix) + id;
  return true;
}

bool ParseDecisionDate(const std::string& option, const std::string& text, v1::Date* date,
                       std::string* error) {
  std::chrono::system_clock::time_point instant;
  if (!ParseDateFlag(option, text, &instant, error)) return false;
  if (instant > std::chrono::system_clock::now()) {
    *error = "未来の日付は指定できません / " + option + ": " + text + " is in the future";
    return false;
  }
  const std::string normalized = FormatJstDate(instant);  // "YYYY-MM-DD"
  const std::string_view digits = normalized;
  int year = 0, month = 0, day = 0;
  if (normalized.size() != 10 || !ParseInt(digits.substr(0, 4), 1900, 9999, &year) ||
      !ParseInt(digits.substr(5, 2), 1, 12, &month) ||
      !ParseInt(digits.substr(8, 2), 1, 31, &day)) {
    *error = option + ": cannot read \"" + text + "\"";
    return false;
  }
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
  return true;
}

void CaseCommand::Configure(CLI::App& app) {
  app.add_option("case", case_text_, kCaseHelp)->required();
  ConfigureFlags(app);
}

int CaseCommand::Prepare() {
  std::string error;
  if (!ParseCaseArgument(case_text_, &name_, &error)) return UsageError(error);
  return PrepareFlags();
}

}  // namespace casecoord::cli::cases
