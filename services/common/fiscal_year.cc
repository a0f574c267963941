#include "services/common/fiscal_year.h"

#include <cstdio>
#include <tuple>

#include "services/common/text.h"

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

std::optional<std::chrono::system_clock::time_point> JstMidnight(int year, int month, int day) {
  using namespace std::chrono;
  // system_clock counts nanoseconds in 64 bits, which ends in April 2262: later days do not fit.
  if (year < 1900 || year > 2261 || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  return system_clock::time_point(sys_days(date)) - hours(9);
}

std::optional<std::chrono::system_clock::time_point> ParseJstDate(std::string_view text) {
  // Splits "2024-04-01" or "2024/4/1" into digit runs; each part must be all digits.
  const char separator = text.size() > 4 ? text[4] : '\0';
  if (separator != '-' && separator != '/') return std::nullopt;
  int parts[3] = {0, 0, 0};
  int digits[3] = {0, 0, 0};
  int part = 0;
  for (char c : text) {
    if (c == separator) {
      if (++part > 2) return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      parts[part] = parts[part] * 10 + (c - '0');
      if (++digits[part] > (part == 0 ? 4 : 2)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  if (part != 2 || digits[0] != 4 || digits[1] == 0 || digits[2] == 0) return std::nullopt;
  return JstMidnight(parts[0], parts[1], parts[2]);
}

std::string FormatJstDate(std::chrono::system_clock::time_point instant) {
  using namespace std::chrono;
  const year_month_day date{floor<days>(instant + hours(9))};
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

v1::Date JstDateOf(std::chrono::system_clock::time_point instant) {
  using namespace std::chrono;
  const year_month_day civil{floor<days>(instant + hours(9))};
  v1::Date date;
  date.set_year(static_cast<int>(civil.year()));
  date.set_month(static_cast<int>(static_cast<unsigned>(civil.month())));
  date.set_day(static_cast<int>(static_cast<unsigned>(civil.day())));
  return date;
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

namespace {

struct CalendarEra {
  std::string_view name;
  std::string_view letter;
  int first_year;  // the Gregorian year of its 元年
  std::tuple<int, int, int> first_day;
  std::tuple<int, int, int> end;  // the first day of the next era
};

constexpr CalendarEra kCalendarEras[] = {
    {"令和", "R", 2019, {2019, 5, 1}, {9999, 1, 1}},
    {"平成", "H", 1989, {1989, 1, 8}, {2019, 5, 1}},
    {"昭和", "S", 1926, {1926, 12, 25}, {1989, 1, 8}},
};

// Reads a date cell as tokens: numbers, an era, and the separators between them. Full-width
// digits and separators (U+FF10..FF19, ／ ． －) read as their ASCII forms.
class DateScanner {
 public:
  explicit DateScanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return position_ == text_.size(); }

  // An era name or letter at the start, or nullptr.
  const CalendarEra* Era() {
    for (const CalendarEra& era : kCalendarEras) {
      for (std::string_view name : {era.name, era.letter}) {
        if (text_.substr(position_, name.size()) == name) {
          position_ += name.size();
          return &era;
        }
      }
    }
    return nullptr;
  }

  // 1 to `max_digits` digits, or 元 (1) when `gannen` is allowed.
  std::optional<int> Number(int max_digits, bool gannen = false) {
    if (gannen && Consume("元")) return 1;
    int value = 0;
    int digits = 0;
    while (digits < max_digits) {
      const std::optional<int> digit = Digit();
      if (!digit) break;
      value = value * 10 + *digit;
      ++digits;
    }
    if (digits == 0 || Digit()) return std::nullopt;  // none, or too many
    return value;
  }

  // One of the separators, returning which ('-' for 年 and 月 as well as - / .).
  bool Separator(std::string_view unit) {
    if (Consume(unit)) return true;
    for (std::string_view separator : {"-", "/", ".", "／", "．", "－"}) {
      if (Consume(separator)) return true;
    }
    return false;
  }

  bool Consume(std::string_view token) {
    if (text_.substr(position_, token.size()) != token) return false;
    position_ += token.size();
    return true;
  }

 private:
  std::optional<int> Digit() {
    if (position_ < text_.size() && text_[position_] >= '0' && text_[position_] <= '9') {
      return text_[position_++] - '0';
    }
    // U+FF10..U+FF19: EF BC 90..99.
    if (position_ + 2 < text_.size() && text_.substr(position_, 2) == "\xEF\xBC") {
      const auto third = static_cast<unsigned char>(text_[position_ + 2]);
      if (third >= 0x90 && third <= 0x99) {
        position_ += 3;
        return third - 0x90;
      }
    }
    return std::nullopt;
  }

  std::string_view text_;
  size_t position_ = 0;
};

}  // namespace

std::optional<v1::Date> ParseCivilDate(std::string_view text) {
  text = TrimSpaces(text);
  if (const auto midnight = ParseJstDate(text)) return JstDateOf(*midnight);
  DateScanner scanner(text);
  const CalendarEra* era = scanner.Era();
  const std::optional<int> year_number = scanner.Number(era ? 2 : 4, era != nullptr);
  if (!year_number || !scanner.Separator("年")) return std::nullopt;
  const std::optional<int> month = scanner.Number(2);
  if (!month || !scanner.Separator("月")) return std::nullopt;
  const std::optional<int> day = scanner.Number(2);
  if (!day) return std::nullopt;
  scanner.Consume("日");
  if (!scanner.AtEnd()) return std::nullopt;
  const int year = era ? era->first_year + *year_number - 1 : *year_number;
  if (era && (std::make_tuple(year, *month, *day) < era->first_day ||
              std::make_tuple(year, *month, *day) >= era->end)) {
    return std::nullopt;
  }
  const auto midnight = JstMidnight(year, *month, *day);
  if (!midnight) return std::nullopt;
  return JstDateOf(*midnight);
}

v1::Date JstToday(const Clock& clock) { return JstDateOf(clock.Now()); }

std::string FormatDate(const v1::Date& date) {
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return text;
}

bool DateBefore(const v1::Date& a, const v1::Date& b) {
  return std::make_tuple(a.year(), a.month(), a.day()) <
         std::make_tuple(b.year(), b.month(), b.day());
}

v1::FiscalYear FiscalYearMessage(int year) {
  v1::FiscalYear out;
  out.set_year(year);
  const EraLabels labels = FiscalYearLabels(year);
  out.set_era_label(labels.short_label);
  out.set_era_label_ja(labels.japanese);
  return out;
}

}  // namespace casecoord
