#include "clients/cli/meeting_support.h"

#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/cli/case_support.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/grpc_errors.h"
#include "services/common/text.h"

namespace casecoord::cli::meetings {

using google::protobuf::EnumDescriptor;

// "12" and "cases/12" -> "cases/12".
bool ParseCaseArgument(const std::string& option, const std::string& text, std::string* name,
                       std::string* error) {
  return cases::ResolveCaseArgument(option, text, name, error);
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

// The title in `meeting list` is cut to this many terminal columns.
constexpr size_t kTitleColumns = 30;

constexpr char kSupportMeetingNotice[] =
    "【取扱注意】社会福祉法第106条の6に基づく支援会議の記録です。構成員には守秘義務があり、"
    "構成員以外への提供・公表はできません / confidential: the record of a support meeting under "
    "art. 106-6 of the Social Welfare Act; its members are bound to confidentiality";
constexpr char kPersonalNotice[] =
    "【取扱注意】個人情報を含む記録です。目的外の利用・提供はできません / confidential: personal "
    "data, for the support of the household only";

// "2025-07-01 14:00" (or "2025/7/1 14:00", "2025-07-01T14:00") in JST.
bool ParseJstDateTime(const std::string& option, const std::string& text,
                      google::protobuf::Timestamp* timestamp, std::string* error) {
  *error = "日時の形式が不正です / " + option + ": \"" + text +
           "\" is not a JST date and time \"YYYY-MM-DD HH:MM\" (e.g. \"2025-07-01 14:00\")";
  const std::string_view trimmed = TrimSpaces(text);
  const size_t split = trimmed.find_first_of(" T");
  if (split == std::string_view::npos) return false;
  const std::optional<v1::Date> date = CivilDate(trimmed.substr(0, split));
  const std::string_view clock = TrimSpaces(trimmed.substr(split + 1));
  const size_t colon = clock.find(':');
  int hours = 0, minutes = 0;
  if (!date || colon == std::string_view::npos || colon == 0 || colon > 2 ||
      clock.size() - colon - 1 != 2 || !ParseInt(clock.substr(0, colon), 0, 23, &hours) ||
      !ParseInt(clock.substr(colon + 1), 0, 59, &minutes)) {
    return false;
  }
  const std::chrono::sys_days day(std::chrono::year_month_day(
      std::chrono::year(date->year()), std::chrono::month(static_cast<unsigned>(date->month())),
      std::chrono::day(static_cast<unsigned>(date->day()))));
  const std::chrono::seconds since_epoch = day.time_since_epoch() - std::chrono::hours(9) +
                                           std::chrono::hours(hours) +
                                           std::chrono::minutes(minutes);
  timestamp->set_seconds(since_epoch.count());
  timestamp->set_nanos(0);
  error->clear();
  return true;
}

// "2025-07-01 14:00", in JST whatever the local time zone.
std::string JstDateTime(const google::protobuf::Timestamp& timestamp) {
  const std::time_t seconds =
      static_cast<std::time_t>(timestamp.seconds()) + std::time_t{9} * 60 * 60;
  std::tm jst{};
  gmtime_r(&seconds, &jst);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M", &jst);
  return buffer;
}

// "USER[@AGENCY]:ROLE".
bool ParseParticipant(size_t position, const std::string& spec, v1::Participant* participant,
                      std::string* error) {
  const std::string where = Where("--participant", position);
  const std::vector<std::string> parts = SplitTrimmed(spec, ':', "：");
  if (parts.size() != 2 || parts[0].empty()) {
    *error = "参加者の形式が不正です / " + where + ": \"" + spec +
             "\"; give \"USER[@AGENCY]:ROLE\", e.g. agency-staff@kita-houkatsu:本人支援";
    return false;
  }
  const std::string& who = parts[0];
  const size_t at = who.find('@');
  std::string user;
  if (!ParseUser(where, who.substr(0, at), &user, error)) return false;
  participant->set_user(user);
  if (at != std::string::npos) {
    std::string agency;
    if (!ParseAgency(where, who.substr(at + 1), &agency, error)) return false;
    participant->set_agency(agency);
  }
  if (parts[1].empty()) {
    *error = "役割がありません / " + where + ": give the role after ':' (" +
             ValidValues(*v1::ParticipantRole_descriptor()) + ")";
    return false;
  }
  int number = 0;
  if (!ParseEnum(where, "役割", *v1::ParticipantRole_descriptor(), parts[1], &number, error)) {
    return false;
  }
  participant->set_role(static_cast<v1::ParticipantRole>(number));
  return true;
}

// --- Output -----------------------------------------------------------------------------------

// The scheduled time of `meeting`, JST; "-" when unset.
std::string ScheduledText(const v1::Meeting& meeting) {
  return meeting.has_scheduled_time() ? JstDateTime(meeting.scheduled_time()) : "-";
}

// "1/2": participants who acknowledged the duty of confidentiality, of all.
std::string AcknowledgedText(const v1::Meeting& meeting) {
  int acknowledged = 0;
  for (const auto& participant : meeting.participants()) {
    if (participant.has_acknowledge_time()) ++acknowledged;
  }
  return std::to_string(acknowledged) + "/" + std::to_string(meeting.participants_size());
}

void PrintNotice(const v1::Meeting& meeting) {
  std::cout << (meeting.type() == v1::SUPPORT_MEETING ? kSupportMeetingNotice : kPersonalNotice)
            << "\n\n";
}

void PrintAssignments(const v1::Meeting& meeting) {
  std::vector<Row> rows;
  for (const auto& assignment : meeting.minutes().assignments()) {
    rows.push_back({Cell(assignment.assignment_id()),
                    Cell(WithoutPrefix(assignment.agency(), kAgencyPrefix)),
                    DateText(assignment.due_date()),
                    EnumText(*v1::AssignmentStatus_descriptor(), assignment.status()),
                    TimeText(assignment.status_time(), assignment.has_status_time()),
                    Cell(assignment.action())});
  }
  PrintTable({"ID", "機関", "期限", "状態", "状態更新", "内容"}, rows);
}

void PrintMeeting(const v1::Meeting& meeting) {
  PrintNotice(meeting);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"名前 / name", meeting.name()},
      {"種別 / type", EnumTextWithName(*v1::MeetingType_descriptor(), meeting.type())},
      {"件名 / title", Cell(meeting.title())},
      {"ケース / case", OrDash(meeting.case_())},
      {"状態 / state", EnumTextWithName(*v1::MeetingState_descriptor(), meeting.state())},
      {"予定日時 / scheduled (JST)",
       meeting.has_scheduled_time() ? JstDateTime(meeting.scheduled_time()) : "-"},
      {"場所 / location", Cell(meeting.location())},
  };
  if (meeting.has_held_date()) fields.emplace_back("開催日 / held", DateText(meeting.held_date()));
  if (meeting.state() == v1::CANCELLED) {
    fields.emplace_back("中止理由 / cancel_reason", FieldText(meeting.cancel_reason()));
  }
  fields.emplace_back("資料 / materials", FieldText(meeting.materials()));
  if (meeting.has_minutes()) {
    fields.emplace_back("支援方針 / support_policy", FieldText(meeting.minutes().support_policy()));
    std::vector<std::string> decisions;
    decisions.reserve(meeting.minutes().decisions_size());
    for (int i = 0; i < meeting.minutes().decisions_size(); ++i) {
      decisions.push_back(std::to_string(i + 1) + ". " +
                          Printable(meeting.minutes().decisions(i), false));
    }
    fields.emplace_back("決定事項 / decisions", OrDash(Join(decisions, "\n")));
  }
  const std::vector<std::pair<std::string, std::string>> more = {
      {"作成 / created", TimeText(meeting.create_time(), meeting.has_create_time())},
      {"更新 / updated", TimeText(meeting.update_time(), meeting.has_update_time())},
      {"etag", OrDash(meeting.etag())},
  };
  fields.insert(fields.end(), more.begin(), more.end());
  PrintFields(fields);

  std::cout << "\n参加者 / participants (" << meeting.participants_size() << "):\n";
  if (!meeting.participants().empty()) {
    std::vector<Row> rows;
    for (const auto& participant : meeting.participants()) {
      rows.push_back({Cell(WithoutPrefix(participant.user(), kUserPrefix)),
                      Cell(WithoutPrefix(participant.agency(), kAgencyPrefix)),
                      EnumText(*v1::ParticipantRole_descriptor(), participant.role()),
                      participant.has_acknowledge_time() ? LocalTime(participant.acknowledge_time())
                                                         : "未確認"});
    }
    PrintTable({"利用者", "所属", "役割", "守秘義務の確認"}, rows);
  }
  if (meeting.has_minutes()) {
    std::cout << "\n役割分担 / assignments (" << meeting.minutes().assignments_size() << "):\n";
    if (!meeting.minutes().assignments().empty()) PrintAssignments(meeting);
  }
}

void PrintMeetingList(const v1::ListMeetingsResponse& list) {
  std::vector<Row> rows;
  for (const auto& meeting : list.meetings()) {
    rows.push_back({meeting.name(), EnumText(*v1::MeetingType_descriptor(), meeting.type()),
                    EnumText(*v1::MeetingState_descriptor(), meeting.state()),
                    meeting.has_scheduled_time() ? JstDateTime(meeting.scheduled_time()) : "-",
                    DateText(meeting.held_date()), OrDash(meeting.case_()),
                    AcknowledgedText(meeting), Truncate(Cell(meeting.title()), kTitleColumns)});
  }
  PrintTable({"名前", "種別", "状態", "予定日時(JST)", "開催日", "ケース", "守秘確認", "件名"},
             rows);
}

// ReportError, and for a participant who has not acknowledged yet, how to.
int ReportMeetingError(const grpc::Status& status, const std::string& meeting) {
  ReportError(status);
  if (FromGrpcStatus(status).Is(Reason::kConfidentialityNotAcknowledged)) {
    std::cerr << "会議の記録を読む前に casectl meeting acknowledge " << meeting
              << " で守秘義務の確認を記録してください / record your acknowledgement of the duty of "
                 "confidentiality first: casectl meeting acknowledge "
              << meeting << "\n";
  }
  return kExitFailed;
}

}  // namespace casecoord::cli::meetings
