#include "services/text/xlsx_cells.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "services/text/japanese_text.h"

namespace casecoord::text {
namespace {

constexpr long long kSecondsPerDay = 86400;
// The serial of 9999-12-31 in the 1900 system, Excel's last date, plus one.
constexpr double kSerialLimit = 2958466.0;

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return AsciiLower(c) - 'a' + 10;
}

// Whether a bracketed section of a format code is an elapsed-time unit ([h], [mm], [ss]).
bool IsElapsedTime(std::string_view inner) {
  if (inner.empty()) return false;
  const char unit = AsciiLower(inner[0]);
  if (unit != 'h' && unit != 'm' && unit != 's') return false;
  for (char c : inner) {
    if (AsciiLower(c) != unit) return false;
  }
  return true;
}

// The format code lower-cased, without what does not say date or time (see KindOfFormatCode).
std::string DateTimeLetters(std::string_view code) {
  std::string letters;
  for (size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') {
      const size_t close = code.find('"', i + 1);
      if (close == std::string_view::npos) break;
      i = close;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;  // the next character is literal text or padding
    } else if (c == '[') {
      const size_t close = code.find(']', i + 1);
      if (close == std::string_view::npos) break;
      const std::string_view inner = code.substr(i + 1, close - i - 1);
      if (IsElapsedTime(inner)) {
        for (char unit : inner) letters.push_back(AsciiLower(unit));
      }
      i = close;
    } else {
      letters.push_back(AsciiLower(c));
    }
  }
  for (std::string_view marker : {"am/pm", "a/p"}) {
    for (size_t at = letters.find(marker); at != std::string::npos; at = letters.find(marker)) {
      letters.erase(at, marker.size());
    }
  }
  return letters;
}

}  // namespace

NumberKind KindOfBuiltinFormat(int id) {
  if ((id >= 14 && id <= 17) || (id >= 27 && id <= 31) || (id >= 34 && id <= 36) ||
      (id >= 50 && id <= 58)) {
    return NumberKind::kDate;
  }
  if (id == 22) return NumberKind::kDateTime;
  if ((id >= 18 && id <= 21) || id == 32 || id == 33 || (id >= 45 && id <= 47)) {
    return NumberKind::kTime;
  }
  return NumberKind::kNumber;
}

NumberKind KindOfFormatCode(std::string_view code) {
  const std::string letters = DateTimeLetters(code);
  const auto has = [&letters](char c) { return letters.find(c) != std::string::npos; };
  const bool time = has('h') || has('s');
  const bool date = has('y') || has('d') || (has('m') && !time);
  if (date && time) return NumberKind::kDateTime;
  if (date) return NumberKind::kDate;
  if (time) return NumberKind::kTime;
  return NumberKind::kNumber;
}

std::string FormatGeneralNumber(double value) {
  if (value == 0) return "0";  // also -0
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);
  std::string text(buffer);
  for (char& c : text) {
    if (c == 'e') c = 'E';
  }
  return text;
}

std::optional<std::string> FormatSerialDate(double serial, NumberKind kind, bool date1904) {
  using namespace std::chrono;
  if (kind == NumberKind::kNumber || !std::isfinite(serial)) return std::nullopt;
  if (serial < 0 || serial >= kSerialLimit) return std::nullopt;
  const long long total = std::llround(serial * static_cast<double>(kSecondsPerDay));
  const long long day_number = total / kSecondsPerDay;
  const long long second_of_day = total % kSecondsPerDay;

  char time_text[16];
  const int hour = static_cast<int>(second_of_day / 3600);
  const int minute = static_cast<int>(second_of_day / 60 % 60);
  const int second = static_cast<int>(second_of_day % 60);
  if (second != 0) {
    std::snprintf(time_text, sizeof(time_text), "%02d:%02d:%02d", hour, minute, second);
  } else {
    std::snprintf(time_text, sizeof(time_text), "%02d:%02d", hour, minute);
  }
  if (kind == NumberKind::kTime) return std::string(time_text);

  char date_text[16];
  if (!date1904 && day_number == 60) {
    // Excel's 1900-02-29, which never was (kept from Lotus 1-2-3).
    std::snprintf(date_text, sizeof(date_text), "1900-02-29");
  } else {
    if (!date1904 && day_number == 0) return std::nullopt;  // Excel's "1900-01-00"
    sys_days base = date1904 ? sys_days(year(1904) / January / 1)
                             : (day_number < 60 ? sys_days(year(1899) / December / 31)
                                                : sys_days(year(1899) / December / 30));
    const year_month_day date(base + days(day_number));
    if (static_cast<int>(date.year()) > 9999) return std::nullopt;
    std::snprintf(date_text, sizeof(date_text), "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  }
  std::string text(date_text);
  if (kind == NumberKind::kDateTime && second_of_day != 0) {
    text += ' ';
    text += time_text;
  }
  return text;
}

std::string DecodeXmlEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && i + 6 < text.size() && text[i + 1] == 'x' && IsHex(text[i + 2]) &&
        IsHex(text[i + 3]) && IsHex(text[i + 4]) && IsHex(text[i + 5]) && text[i + 6] == '_') {
      char32_t c = 0;
      for (size_t h = 2; h < 6; ++h) c = c * 16 + static_cast<char32_t>(HexValue(text[i + h]));
      if (c != 0 && (c < 0xD800 || c > 0xDFFF)) {
        AppendUtf8(c, &out);
        i += 6;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

}  // namespace casecoord::text
