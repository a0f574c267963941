#include "clients/cli/render.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <tuple>

#include "clients/cli/flag_parsing.h"
#include "services/common/text.h"

namespace casecoord::cli {

std::string WithoutPrefix(const std::string& text, std::string_view prefix) {
  return StartsWith(text, prefix) ? text.substr(prefix.size()) : text;
}

bool IsIdNumber(std::string_view text) {
  return !text.empty() && text.size() <= kMaxIdDigits && text.front() != '0' &&
         text.find_first_not_of("0123456789") == std::string_view::npos;
}

v1::Date DateOf(std::chrono::system_clock::time_point instant) {
  const std::chrono::year_month_day day(
      std::chrono::floor<std::chrono::days>(instant + std::chrono::hours(9)));
  v1::Date date;
  date.set_year(static_cast<int>(day.year()));
  date.set_month(static_cast<int>(static_cast<unsigned>(day.month())));
  date.set_day(static_cast<int>(static_cast<unsigned>(day.day())));
  return date;
}

std::optional<v1::Date> CivilDate(std::string_view text) {
  text = TrimSpaces(text);
  if (text.size() < 8 || (text[4] != '-' && text[4] != '/')) return std::nullopt;
  const size_t second = text.find(text[4], 5);
  if (second == std::string_view::npos) return std::nullopt;
  const std::string_view month_digits = text.substr(5, second - 5);
  const std::string_view day_digits = text.substr(second + 1);
  int year = 0, month = 0, day = 0;
  if (month_digits.size() > 2 || day_digits.size() > 2 ||
      !ParseInt(text.substr(0, 4), 1900, 9999, &year) || !ParseInt(month_digits, 1, 12, &month) ||
      !ParseInt(day_digits, 1, 31, &day) ||
      !std::chrono::year_month_day(std::chrono::year(year),
                                   std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day)))
           .ok()) {
    return std::nullopt;
  }
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

bool ParseDay(const std::string& option, const std::string& text, bool not_future, v1::Date* date,
              std::string* error) {
  const std::optional<v1::Date> parsed = CivilDate(text);
  if (!parsed) {
    *error = "日付の形式が不正です / " + option + ": \"" + text +
             "\" is not a date YYYY-MM-DD (e.g. 2025-04-01)";
    return false;
  }
  const v1::Date today = DateOf(std::chrono::system_clock::now());
  if (not_future && std::tuple(parsed->year(), parsed->month(), parsed->day()) >
                        std::tuple(today.year(), today.month(), today.day())) {
    *error = "未来の日付は指定できません / " + option + ": " + text + " is in the future";
    return false;
  }
  *date = *parsed;
  return true;
}

std::string DateText(const v1::Date& date) {
  if (date.year() == 0) return "-";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

std::string TimeText(const google::protobuf::Timestamp& time, bool has_time) {
  return has_time ? LocalTime(time) : "-";
}

std::string Cell(const std::string& text) { return OrDash(Printable(text, false)); }

std::string FieldText(const std::string& text) { return OrDash(Printable(text, true)); }

bool ReadFlagFile(const std::string& file_option, const std::string& path, bool* stdin_taken,
                  std::string* text, std::string* error) {
  if (path == "-") {
    if (*stdin_taken) {
      *error = "標準入力は1つのフラグでしか使えません / " + file_option +
               " -: standard input is already read by another flag; give a file";
      return false;
    }
    *stdin_taken = true;
  }
  return ReadTextFile(file_option, path, text, error);
}

bool TextFromFlags(const std::string& option, const std::string& file_option,
                   const std::optional<std::string>& given, const std::string& path,
                   bool* stdin_taken, std::optional<std::string>* text, std::string* error) {
  if (given && !path.empty()) {
    *error = option + " と " + file_option + " は同時に指定できません / give " + option + " or " +
             file_option + ", not both";
    return false;
  }
  if (given) {
    *text = std::string(TrimSpaces(*given));
    return true;
  }
  if (path.empty()) {
    text->reset();
    return true;
  }
  std::string read;
  if (!ReadFlagFile(file_option, path, stdin_taken, &read, error)) return false;
  *text = std::string(TrimSpaces(read));
  return true;
}

bool TextOrEmpty(const std::string& option, const std::string& file_option,
                 const std::string& given, const std::string& path, bool* stdin_taken,
                 std::string* text, std::string* error) {
  std::optional<std::string> read;
  if (!TextFromFlags(option, file_option, NonEmptyText(given), path, stdin_taken, &read, error)) {
    return false;
  }
  *text = read.value_or("");
  return true;
}

bool RequiredTextFromFlags(const std::string& option, const std::string& file_option,
                           const std::string& given, const std::string& path, bool* stdin_taken,
                           const std::string& missing, std::string* text, std::string* error) {
  if (!TextOrEmpty(option, file_option, given, path, stdin_taken, text, error)) return false;
  if (text->empty()) {
    *error = missing;
    return false;
  }
  return true;
}

int PrepareRequestId(std::string* request_id, bool* generated) {
  if (request_id->empty()) {
    std::optional<std::string> fresh = NewRequestId();
    if (!fresh) {
      return UsageError(
          "リクエストIDを生成できません / no random source for a request id; give --request-id");
    }
    *request_id = *fresh;
    *generated = true;
  } else if (!IsRequestId(*request_id)) {
    return UsageError("リクエストIDが不正です / --request-id: give 1 to " +
                      std::to_string(kMaxRequestIdLength) +
                      " printable ASCII characters without spaces, e.g. a UUID");
  }
  return kExitOk;
}

int CheckPageSize(int size) {
  if (size >= 0) return kExitOk;
  return UsageError("--page-size: must be 0 (server default) or more, not " + std::to_string(size));
}

void PageFlags::Configure(CLI::App& app, const std::string& size_help) {
  app.add_option("--page-size", size, size_help);
  app.add_option("--page-token", token, "continue from this page token");
  app.add_flag("--all", all, "すべて / every page, not only the first");
}

std::optional<std::string> NonEmptyText(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

int PrintResult(const Context& context, const google::protobuf::Message& message,
                const std::function<void()>& for_people) {
  if (context.json()) {
    PrintJson(message);
  } else {
    for_people();
  }
  return kExitOk;
}

void PrintRetryHint(const RetryHint& hint, const std::string& request_id) {
  std::cerr << "再試行するときは --request-id " << request_id << " を付けてください (二重"
            << hint.why_ja << "を防ぎます) / to retry without " << hint.second_en
            << ", add --request-id " << request_id << "\n";
}

}  // namespace casecoord::cli
