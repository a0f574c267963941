#include "clients/cli/meeting_support.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "services/common/text.h"

namespace casecoord::cli::meetings {

using google::protobuf::EnumDescriptor;

// "12" and "cases/12" -> "cases/12".
bool ParseCaseArgument(const std::string& option, const std::string& text, std::string* name,
                       std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (StartsWith(rest, kCasePrefix)) rest.remove_prefix(kCasePrefix.size());
  if (!IsIdNumber(rest)) {
    *error = "ケースの指定が不正です / " + option + ": \"" + text +
             "\" is not a case; give cases/12 or 12 (the 名前 column of case list; 受付番号 such "
             "as R6-0042 are not accepted)";
    return false;
  }
  *name = std::string(kCasePrefix) + std::string(rest);
  return true;
}

// "3" and "meetings/3" -> "meetings/3".
bool ParseMeetingArgument(const std::string& option, const std::string& text, std::string* name,
                          std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (StartsWith(rest, kMeetingPrefix)) rest.remove_prefix(kMeetingPrefix.size());
  if (!IsIdNumber(rest)) {
    *error = "会議の指定が不正です / " + option + ": \"" + text +
             "\" is not a meeting; give meetings/3 or 3 (the 名前 column of meeting list)";
    return false;
  }
  *name = std::string(kMeetingPrefix) + std::string(rest);
  return true;
}

// "kita-houkatsu" or "agencies/kita-houkatsu" -> "agencies/kita-houkatsu".
bool ParseAgency(const std::string& where, const std::string& text, std::string* name,
                 std::string* error) {
  const std::string id = WithoutPrefix(std::string(TrimSpaces(text)), kAgencyPrefix);
  if (!IsResourceId(id)) {
    *error = "機関の指定が不正です / " + where + ": \"" + text +
             "\" is not an agency id (e.g. kita-houkatsu or agencies/kita-houkatsu)";
    return false;
  }
  *name = std::string(kAgencyPrefix) + id;
  return true;
}

// "agency-staff" or "users/agency-staff" -> "users/agency-staff".
bool ParseUser(const std::string& where, const std::string& text, std::string* name,
               std::string* error) {
  const std::string id = WithoutPrefix(std::string(TrimSpaces(text)), kUserPrefix);
  if (!IsResourceId(id)) {
    *error = "利用者の指定が不正です / " + where + ": \"" + text +
             "\" is not a user id (1 to 63 of a-z, 0-9 and '-', e.g. agency-staff)";
    return false;
  }
  *name = std::string(kUserPrefix) + id;
  return true;
}

bool ParseEnum(const std::string& option, const std::string& what, const EnumDescriptor& type,
               const std::string& text, int* number, std::string* error) {
  return ParseEnumFlag(option, what, type, std::string(TrimSpaces(text)), number, error);
}

// The items of a repeatable `option`, or the non-blank lines of `file_option` PATH (not both),
// each trimmed; blank items are dropped.
bool ItemsFromFlags(const std::string& option, const std::string& file_option,
                    const std::vector<std::string>& given, const std::string& path,
                    bool* stdin_taken, std::vector<std::string>* items, std::string* error) {
  if (!given.empty() && !path.empty()) {
    *error = option + " と " + file_option + " は同時に指定できません / give " + option +
             " (repeatable) or " + file_option + " (one per line), not both";
    return false;
  }
  if (path.empty()) {
    *items = NonEmpty(given);
    return true;
  }
  std::string read;
  if (!ReadFlagFile(file_option, path, stdin_taken, &read, error)) return false;
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= read.size()) {
    size_t end = read.find('\n', start);
    if (end == std::string::npos) end = read.size();
    lines.push_back(read.substr(start, end - start));
    start = end + 1;
  }
  *items = NonEmpty(lines);
  return true;
}

// Position `position` (from 1) of the items of `option`, for messages: "--assign #2".
std::string Where(const std::string& option, size_t position) {
  return option + " #" + std::to_string(position);
}

// Finds the first ':' or '：' in `text` from `from`: its position and length, or npos.
std::pair<size_t, size_t> FindSeparator(const std::string& text, size_t from) {
  const size_t ascii = text.find(':', from);
  const size_t full = text.find("：", from);
  if (full != std::string::npos && (ascii == std::string::npos || full < ascii)) {
    return {full, std::string_view("：").size()};
  }
  return {ascii, 1};
}

// "AGENCY:YYYY-MM-DD:TEXT"; the date may be empty unless `date_required`. Everything after the
// second separator is the text. Errors never quote the text.
bool ParseAgencyDateText(const std::string& where, const std::string& spec, bool date_required,
                         AgencyDateText* parsed, std::string* error) {
  const std::string form =
      date_required ? "\"AGENCY:YYYY-MM-DD:ACTION\"" : "\"AGENCY:[YYYY-MM-DD]:TEXT\"";
  const auto [first, first_length] = FindSeparator(spec, 0);
  const auto [second, second_length] = first == std::string::npos
                                           ? std::pair<size_t, size_t>{std::string::npos, 0}
                                           : FindSeparator(spec, first + first_length);
  if (second == std::string::npos) {
    *error =
        "形式が不正です / " + where + ": give " + form + ", e.g. \"kita-houkatsu:2025-08-01:...\"";
    return false;
  }
  if (!ParseAgency(where, spec.substr(0, first), &parsed->agency, error)) return false;
  const std::string day(TrimSpaces(
      std::string_view(spec).substr(first + first_length, second - first - first_length)));
  if (day.empty()) {
    if (date_required) {
      *error = "期限がありません / " + where + ": the second field, the due date, is required";
      return false;
    }
  } else {
    v1::Date date;
    if (!ParseDay(where, day, /*not_future=*/false, &date, error)) return false;
    parsed->date = date;
  }
  parsed->text = std::string(TrimSpaces(std::string_view(spec).substr(second + second_length)));
  if (parsed->text.empty()) {
    *error = "内容がありません / " + where + ": the third field, what is to be done, is empty";
    return false;
  }
  return true;
}

std::string FileHelp(const std::string& what) {
  return what +
         "をファイルから / from a UTF-8 text file (推奨 / recommended); - reads standard input";
}

std::string LinesFileHelp(const std::string& what) {
  return what +
         "をファイルから / from a UTF-8 text file, one per line as the flag takes it, blank "
         "lines skipped (推奨 / recommended); - reads standard input";
}

}  // namespace casecoord::cli::meetings
