// casectl case search: finding a household (SearchCases).
//
//   case search [--name NAME] [--kana KANA] [--birth-date YYYY-MM-DD] [--phone PHONE]
//               [--number R6-0042] [--page-size N] [--page-token T] [--all]
//
// The criteria given are ANDed; at least one is required. A name or kana matches a member's whole
// name or one of its space-separated parts (hiragana finds katakana); a phone matches by its
// digits. Coordinators search every case, agency staff their team's.

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): this file is their user

// The member a search most likely found: the principal, else the first.
const v1::HouseholdMember* ShownMember(const v1::Case& record) {
  for (const auto& member : record.members()) {
    if (member.principal()) return &member;
  }
  return record.members().empty() ? nullptr : &record.members(0);
}

class CaseSearchCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--name", name_, "氏名 / a member's name, whole or one part (family name)");
    app.add_option("--kana", kana_,
                   "フリガナ / a member's reading, whole or one part; hiragana or katakana");
    app.add_option("--birth-date", birth_date_, "生年月日 / a member's birth date, YYYY-MM-DD");
    app.add_option("--phone", phone_, "電話 / the household's or a member's phone, any format");
    app.add_option("--number", number_, "受付番号 / the case number, e.g. R6-0042");
    pages_.Configure(app, "cases per call (default 50)");
    app.footer(
        "条件はすべて満たすものを探します / the criteria given are ANDed.\n"
        "例 / example:\n  casectl case search --kana やまだ --birth-date 1950-04-01\n"
        "  casectl case search --phone 03-1234-5678\n  casectl case search --number R6-0042");
  }

  int Prepare() override {
    if (const int code = CheckPageSize(pages_.size); code != kExitOk) return code;
    request_.set_name(std::string(TrimSpaces(name_)));
    request_.set_kana(std::string(TrimSpaces(kana_)));
    request_.set_phone(std::string(TrimSpaces(phone_)));
    if (!number_.empty() && !LooksLikeCaseNumber(number_)) {
      return UsageError("受付番号が不正です / --number: \"" + number_ +
                        "\" is not a case number such as R6-0042");
    }
    request_.set_case_number(std::string(TrimSpaces(number_)));
    if (!birth_date_.empty()) {
      std::string error;
      if (!ParseDecisionDate("--birth-date", birth_date_, request_.mutable_birth_date(), &error)) {
        return UsageError(error);
      }
    }
    if (request_.name().empty() && request_.kana().empty() && request_.phone().empty() &&
        request_.case_number().empty() && !request_.has_birth_date()) {
      return UsageError(
          "検索条件がありません / give at least one of --name, --kana, --birth-date, --phone, "
          "--number");
    }
    pages_.ApplyTo(&request_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return ListAndPrint(context, stub.get(), &v1::Cases::Stub::SearchCases, request_, pages_.all,
                        std::function(PrintFound));
  }

 private:
  static void PrintFound(const v1::SearchCasesResponse& all) {
    if (all.cases().empty()) {
      std::cout << "該当するケースはありません / no cases\n";
    } else {
      std::vector<Row> rows;
      for (const auto& record : all.cases()) {
        const v1::HouseholdMember* member = ShownMember(record);
        rows.push_back(
            {Cell(record.case_number()), record.name(), member ? Cell(member->display_name()) : "-",
             EnumText(*v1::CaseState_descriptor(), record.state()), Cell(record.district())});
      }
      PrintTable({"受付番号", "名前", "氏名", "状態", "地区"}, rows);
    }
    if (!all.next_page_token().empty()) {
      std::cerr << "続きがあります / more cases: --page-token " << all.next_page_token()
                << " (or --all)\n";
    }
  }

  std::string name_, kana_, birth_date_, phone_, number_;
  PageFlags pages_{0};
  v1::SearchCasesRequest request_;
};

constexpr CommandSpec kCaseSearchCommands[] = {
    {"case search", "世帯の検索 / find a household by name, kana, birth date, phone or number",
     Make<CaseSearchCommand>},
};

}  // namespace

std::span<const CommandSpec> CaseSearchCommandTable() { return kCaseSearchCommands; }

}  // namespace casecoord::cli
