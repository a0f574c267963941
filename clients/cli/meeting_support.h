// What casectl meeting and casectl plan share: parsing their names, repeatable flags and
// "AGENCY:DATE:TEXT" items, and the help texts of their file flags.
#pragma once

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/common.pb.h"

namespace casecoord::cli::meetings {

inline constexpr std::string_view kMeetingPrefix = "meetings/";
inline constexpr char kMeetingHelp[] =
    "会議 / meeting: meetings/3 or 3 (the 名前 column of meeting list)";
inline constexpr char kCaseHelp[] = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
// Ends the help of a text flag that has a file form: "... as an argument (... prefer --x-file)".
inline constexpr char kArgumentWarning[] =
    " as an argument (visible in the process list and the shell history: prefer ";

// "12" and "cases/12" -> "cases/12"; else an error naming `option`.
bool ParseCaseArgument(const std::string& option, const std::string& text, std::string* name,
                       std::string* error);

// "3" and "meetings/3" -> "meetings/3"; else an error naming `option`.
bool ParseMeetingArgument(const std::string& option, const std::string& text, std::string* name,
                          std::string* error);

// "kita-houkatsu" or "agencies/kita-houkatsu" -> "agencies/kita-houkatsu".
bool ParseAgency(const std::string& where, const std::string& text, std::string* name,
                 std::string* error);

// "agency-staff" or "users/agency-staff" -> "users/agency-staff".
bool ParseUser(const std::string& where, const std::string& text, std::string* name,
               std::string* error);

// ParseEnumFlag of the trimmed `text`.
bool ParseEnum(const std::string& option, const std::string& what,
               const google::protobuf::EnumDescriptor& type, const std::string& text, int* number,
               std::string* error);

// The items of a repeatable `option`, or the non-blank lines of `file_option` PATH (not both),
// each trimmed; blank items are dropped.
bool ItemsFromFlags(const std::string& option, const std::string& file_option,
                    const std::vector<std::string>& given, const std::string& path,
                    bool* stdin_taken, std::vector<std::string>* items, std::string* error);

// Position `position` (from 1) of the items of `option`, for messages: "--assign #2".
std::string Where(const std::string& option, size_t position);

// Finds the first ':' or '：' in `text` from `from`: its position and length, or npos.
std::pair<size_t, size_t> FindSeparator(const std::string& text, size_t from);

struct AgencyDateText {
  std::string agency;
  std::optional<v1::Date> date;
  std::string text;
};

// "AGENCY:YYYY-MM-DD:TEXT"; the date may be empty unless `date_required`. Everything after the
// second separator is the text. Errors never quote the text.
bool ParseAgencyDateText(const std::string& where, const std::string& spec, bool date_required,
                         AgencyDateText* parsed, std::string* error);

// The help of a --x-file flag that holds one text / one item a line.
std::string FileHelp(const std::string& what);
std::string LinesFileHelp(const std::string& what);

}  // namespace casecoord::cli::meetings
