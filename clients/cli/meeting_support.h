// What the casectl meeting and plan commands share: parsing their names, repeatable flags,
// participants, times and "AGENCY:DATE:TEXT" items; the help texts of their file flags; and
// printing a meeting.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/meetings.pb.h"

namespace casecoord::cli::meetings {

inline constexpr std::string_view kMeetingPrefix = "meetings/";
inline constexpr char kMeetingHelp[] =
    "会議 / meeting: meetings/3 or 3 (the 名前 column of meeting list)";
inline constexpr char kCaseHelp[] = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
// Ends the help of a text flag that has a file form: "... as an argument (... prefer --x-file)".
inline constexpr char kArgumentWarning[] =
    " as an argument (visible in the process list and the shell history: prefer ";

// "12", "cases/12" and a case number ("R6-0042") -> "cases/12" (cases::ResolveCaseArgument); else
// an error naming `option`.
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

// "2025-07-01 14:00" (or "2025/7/1 14:00", "2025-07-01T14:00") in JST.
bool ParseJstDateTime(const std::string& option, const std::string& text,
                      google::protobuf::Timestamp* timestamp, std::string* error);

// The `position`th (from 1) --participant "USER[@AGENCY]:ROLE".
bool ParseParticipant(size_t position, const std::string& spec, v1::Participant* participant,
                      std::string* error);

// "2025-07-01 14:00", in JST whatever the local time zone.
std::string JstDateTime(const google::protobuf::Timestamp& timestamp);

// The scheduled time of `meeting`, JST; "-" when unset.
std::string ScheduledText(const v1::Meeting& meeting);

// The confidentiality notice of the meeting's kind, and a blank line.
void PrintNotice(const v1::Meeting& meeting);

// The minutes' role assignments as a table.
void PrintAssignments(const v1::Meeting& meeting);

// The whole record: notice, fields, participants, assignments.
void PrintMeeting(const v1::Meeting& meeting);

void PrintMeetingList(const v1::ListMeetingsResponse& list);

// ReportError, and for a participant who has not acknowledged yet, how to. Returns kExitFailed.
int ReportMeetingError(const grpc::Status& status, const std::string& meeting);

// The help of a --x-file flag that holds one text / one item a line.
std::string FileHelp(const std::string& what);
std::string LinesFileHelp(const std::string& what);

}  // namespace casecoord::cli::meetings
