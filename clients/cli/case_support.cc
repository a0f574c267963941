#include "clients/cli/case_support.h"

#include <CLI/CLI.hpp>
#include <chrono>

#include "clients/cli/render.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
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

namespace {

struct CaseNumberLookup {
  std::function<Result<std::shared_ptr<grpc::Channel>>()> connect;
  const GlobalOptions* options = nullptr;
};

CaseNumberLookup& Lookup() {
  static CaseNumberLookup lookup;  // casectl runs one command per process, on one thread
  return lookup;
}

// The case numbered `number` that the caller can see, as "cases/{id}".
bool FindNumberedCase(const std::string& option, const std::string& number, std::string* name,
                      std::string* error) {
  CaseNumberLookup& lookup = Lookup();
  if (!lookup.connect || lookup.options == nullptr) {
    *error = option + ": \"" + number + "\": give the case as cases/12 or 12 here";
    return false;
  }
  auto channel = lookup.connect();
  if (!channel.ok()) {
    *error = "エラー / error: " + channel.status().ToString();
    return false;
  }
  v1::SearchCasesRequest request;
  request.set_case_number(number);
  request.set_page_size(1);
  v1::SearchCasesResponse response;
  auto context = NewContext(*lookup.options);
  const grpc::Status status =
      v1::Cases::NewStub(*channel)->SearchCases(context.get(), request, &response);
  if (!status.ok()) {
    *error =
        "受付番号を確認できません / " + option + " " + number + ": " + DescribeGrpcError(status);
    return false;
  }
  if (response.cases().empty()) {
    *error = "受付番号 " + number + " のケースは見つかりません / " + option +
             ": no case numbered " + number + " that you can see";
    return false;
  }
  *name = response.cases(0).name();
  return true;
}

}  // namespace

bool LooksLikeCaseNumber(std::string_view text) {
  text = TrimSpaces(text);
  const size_t dash = text.find('-');
  if (text.size() < 4 || dash == std::string_view::npos || dash < 2 || dash + 1 == text.size()) {
    return false;
  }
  const char era = text[0];
  const auto digits = [](std::string_view part) {
    return part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return std::string_view("SHRshr").find(era) != std::string_view::npos &&
         digits(text.substr(1, dash - 1)) && digits(text.substr(dash + 1));
}

void SetCaseNumberLookup(std::function<Result<std::shared_ptr<grpc::Channel>>()> connect,
                         const GlobalOptions* options) {
  Lookup() = CaseNumberLookup{std::move(connect), options};
}

bool ResolveCaseArgument(const std::string& option, const std::string& text, std::string* name,
                         std::string* error) {
  if (std::optional<std::string> parsed = CaseName(text)) {
    *name = *parsed;
    return true;
  }
  if (LooksLikeCaseNumber(text)) {
    return FindNumberedCase(option, std::string(TrimSpaces(text)), name, error);
  }
  *error = "ケースの指定が不正です / " + option + ": \"" + text +
           "\" is not a case; give its name, cases/12 or 12 (the 名前 column of case list), or "
           "its 受付番号 such as R6-0042";
  return false;
}

bool ParseCaseArgument(const std::string& text, std::string* name, std::string* error) {
  return ResolveCaseArgument("CASE", text, name, error);
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
