// Japanese fiscal years (年度): April 1 to March 31 in Japan Standard Time (UTC+9, no daylight
// saving), named by the calendar year in which they start, and labelled by era: 2018 = 平成30年度
// (H30), 2019 = 令和元年度 (R1; the era changed on 2019-05-01, but public bodies name the whole
// fiscal year that began in April 2019 by the new era), 2024 = 令和6年度 (R6).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "casecoord/v1/common.pb.h"
#include "services/common/clock.h"

namespace casecoord {

// The fiscal year containing the civil date year-month (month 1..12).
int FiscalYearOfDate(int year, int month);

// The fiscal year containing `instant`, judged on the JST calendar.
int FiscalYearOf(std::chrono::system_clock::time_point instant);

struct EraLabels {
  std::string short_label;  // "H30", "R1", "R6"; "S63" for 1988
  std::string japanese;     // "平成30年度", "令和元年度", "令和6年度"
};

// Midnight JST at the start of the civil date year-month-day; nullopt unless it is a real date of
// the years 1900 to 2261 (system_clock's nanoseconds end in 2262; later dates used to overflow).
std::optional<std::chrono::system_clock::time_point> JstMidnight(int year, int month, int day);

// A civil date written "YYYY-MM-DD" or "YYYY/MM/DD", month and day of one or two digits ("2024/4/1"
// as Excel writes it), as JstMidnight; nullopt for anything else, including impossible dates and
// mixed separators.
std::optional<std::chrono::system_clock::time_point> ParseJstDate(std::string_view text);

// A civil date as Japanese offices write it, for imports: what ParseJstDate takes, "2024年5月24日",
// and era dates "令和6年5月24日", "令和元年5月1日", "R6.5.24", "R6/5/24", "H30-4-1" (eras 令和 R,
// 平成 H, 昭和 S; the year of an era counts from 1, 元 being 1). Full-width digits and separators
// are read like ASCII ones; spaces around the text are ignored. nullopt for anything else,
// including impossible dates and an era year past the era's end (平成32年).
std::optional<v1::Date> ParseCivilDate(std::string_view text);

// The JST civil date of `instant` as "YYYY-MM-DD".
std::string FormatJstDate(std::chrono::system_clock::time_point instant);

// The JST civil date of `instant` ("today in Japan" when `instant` is now).
v1::Date JstDateOf(std::chrono::system_clock::time_point instant);
// Today in Japan by `clock`.
v1::Date JstToday(const Clock& clock);
// `date` as "YYYY-MM-DD" (no check that it is a real day).
std::string FormatDate(const v1::Date& date);
// Whether civil date `a` is before `b` (year, month, day compared in that order).
bool DateBefore(const v1::Date& a, const v1::Date& b);
// Fiscal year `year` as the API names it: the year and its era labels (R6, 令和6年度).
v1::FiscalYear FiscalYearMessage(int year);

// Labels for fiscal years from 1926 (昭和元年度) on.
EraLabels FiscalYearLabels(int fiscal_year);

}  // namespace casecoord
