#include "services/common/fiscal_year.h"

namespace casecoord {
namespace {

struct Era {
  int first_fiscal_year;
  const char* letter;
  const char* name;
};

// Newest first. A fiscal year takes the era in force for most of it, i.e. from its first full year.
constexpr Era kEras[] = {{2019, "R", "令和"}, {1989, "H", "平成"}, {1926, "S", "昭和"}};

}  // namespace

int FiscalYearOfDate(int year, int month) { return month >= 4 ? year : year - 1; }

int FiscalYearOf(std::chrono::system_clock::time_point instant) {
  using namespace std::chrono;
  const auto jst = floor<days>(instant + hours(9));
  const year_month_day date{jst};
  return FiscalYearOfDate(static_cast<int>(date.year()),
                          static_cast<int>(static_cast<unsigned>(date.month())));
}

EraLabels FiscalYearLabels(int fiscal_year) {
  for (const Era& era : kEras) {
    if (fiscal_year < era.first_fiscal_year) continue;
    const int number = fiscal_year - era.first_fiscal_year + 1;
    return EraLabels{
        era.letter + std::to_string(number),
        std::string(era.name) + (number == 1 ? "元" : std::to_string(number)) + "年度"};
  }
  return EraLabels{std::to_string(fiscal_year), std::to_string(fiscal_year) + "年度"};
}

}  // namespace casecoord
