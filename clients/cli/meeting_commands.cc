#include "clients/cli/meeting_commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "casecoord/v1/meetings.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using google::protobuf::EnumDescriptor;

constexpr std::string_view kMeetingPrefix = "meetings/";
constexpr std::string_view kPlansInfix = "/plans/";
// Ids of cases and meetings are decimal numbers of at most this many digits.
// A --*-file holds the text of one field (or one list); anything bigger is almost surely the wrong
// file.
// The title in `meeting list` is cut to this many terminal columns.
constexpr size_t kTitleColumns = 30;
// Plan versions are numbered from 1; the server accepts up to this.
constexpr int kMaxPlanVersion = 1000000;
// The reason the server gives a participant who has not acknowledged the duty of confidentiality.
constexpr char kNotAcknowledged[] = "CONFIDENTIALITY_NOT_ACKNOWLEDGED";

constexpr char kSupportMeetingNotice[] =
    "【取扱注意】社会福祉法第106条の6に基づく支援会議の記録です。構成員には守秘義務があり、"
    "構成員以外への提供・公表はできません / confidential: the record of a support meeting under "
    "art. 106-6 of the Social Welfare Act; its members are bound to confidentiality";
constexpr char kPersonalNotice[] =
    "【取扱注意】個人情報を含む記録です。目的外の利用・提供はできません / confidential: personal "
    "data, for the support of the household only";

constexpr char kParticipantHelp[] =
    "参加者 / participant, repeatable: \"USER[@AGENCY]:ROLE\", e.g. "
    "agency-staff@kita-houkatsu:本人支援 "
    "or coordinator:進行. USER is the user id (users/ID also works), AGENCY the agency they come "
    "from (omit for city staff and advisers without one), ROLE one of ";

constexpr char kAssignHelp[] =
    "役割分担 / role assignment, repeatable: \"AGENCY:YYYY-MM-DD:ACTION\", who does what by when, "
    "e.g. \"kita-houkatsu:2025-08-01:長男宅を訪問し状況を確認\". Everything after the second ':' "
    "is "
    "the action (it may contain ':'). Visible in the process list: prefer --assignments-file";

constexpr char kGoalHelp[] =
    "目標 / goal, repeatable: \"[MEMBER:]TEXT\". A member id of the case (e.g. m1) before the "
    "first "
    "':' makes it that member's goal; otherwise it is the household's goal. Start with ':' for a "
    "household goal whose text begins with something like an id. Visible in the process list: "
    "prefer --goals-file";

constexpr char kActionHelp[] =
    "支援内容 / action, repeatable: \"AGENCY:[YYYY-MM-DD]:TEXT\" (the date may be empty: "
    "\"kita-houkatsu::見守り訪問\"). Without --action, --meeting copies the meeting's role "
    "assignments. Visible in the process list: prefer --actions-file";

// --- Names, enums, dates -----------------------------------------------------------------------

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
  const std::time_t seconds = static_cast<std::time_t>(timestamp.seconds()) + 9 * 60 * 60;
  std::tm jst{};
  gmtime_r(&seconds, &jst);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M", &jst);
  return buffer;
}

// "3" for "cases/12/plans/3".
std::string VersionOf(const std::string& plan_name) {
  const size_t slash = plan_name.rfind('/');
  return slash == std::string::npos ? plan_name : plan_name.substr(slash + 1);
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

// --- Specs of participants, assignments, goals, actions ----------------------------------------

// Position `position` (from 1) of the items of `option`, for messages: "--assign #2".
std::string Where(const std::string& option, size_t position) {
  return option + " #" + std::to_string(position);
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

// Finds the first ':' or '：' in `text` from `from`: its position and length, or npos.
std::pair<size_t, size_t> FindSeparator(const std::string& text, size_t from) {
  const size_t ascii = text.find(':', from);
  const size_t full = text.find("：", from);
  if (full != std::string::npos && (ascii == std::string::npos || full < ascii)) {
    return {full, std::string_view("：").size()};
  }
  return {ascii, 1};
}

struct AgencyDateText {
  std::string agency;
  std::optional<v1::Date> date;
  std::string text;
};

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

// "[MEMBER:]TEXT".
bool ParseGoal(const std::string& where, const std::string& spec, v1::PlanGoal* goal,
               std::string* error) {
  const auto [at, length] = FindSeparator(spec, 0);
  std::string text = spec;
  if (at != std::string::npos) {
    const std::string member(TrimSpaces(std::string_view(spec).substr(0, at)));
    if (member.empty() || IsResourceId(member)) {
      goal->set_member_id(member);
      text = spec.substr(at + length);
    }
  }
  goal->set_goal(std::string(TrimSpaces(text)));
  if (goal->goal().empty()) {
    *error = "目標がありません / " + where + ": the goal's text is empty";
    return false;
  }
  return true;
}

// --- Files --------------------------------------------------------------------------------------

// Writes `path` atomically: the bytes go to a temporary file beside it, which replaces `path` only
// once complete and synced; on failure or destruction before Commit() it is removed. The file is
// the owner's only (0600, as mkstemp makes it): a meeting's record is confidential.
class PrivateAtomicFile {
 public:
  PrivateAtomicFile() = default;
  PrivateAtomicFile(const PrivateAtomicFile&) = delete;
  PrivateAtomicFile& operator=(const PrivateAtomicFile&) = delete;
  ~PrivateAtomicFile() {
    if (fd_ >= 0) close(fd_);
    if (!temp_path_.empty()) unlink(temp_path_.c_str());
  }

  bool Open(const std::string& path, std::string* error) {
    path_ = path;
    std::string temp = path + ".tmp-XXXXXX";
    fd_ = mkstemp(temp.data());
    if (fd_ < 0) return Fail("cannot create a file beside " + path, error);
    temp_path_ = temp;
    return true;
  }

  bool Write(const std::string& bytes, std::string* error) {
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail("cannot write " + temp_path_, error);
      written += static_cast<size_t>(n);
    }
    return true;
  }

  bool Commit(std::string* error) {
    if (fsync(fd_) != 0) return Fail("cannot sync " + temp_path_, error);
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) return Fail("cannot close " + temp_path_, error);
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      return Fail("cannot rename " + temp_path_ + " to " + path_, error);
    }
    temp_path_.clear();
    return true;
  }

 private:
  static bool Fail(const std::string& what, std::string* error) {
    *error = what + ": " + std::strerror(errno);
    return false;
  }

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

// --- Output -------------------------------------------------------------------------------------

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

std::string GoalTarget(const v1::PlanGoal& goal) {
  return goal.member_id().empty() ? "世帯全体" : Cell(goal.member_id());
}

void PrintPlan(const v1::SupportPlan& plan) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"名前 / name", plan.name()},
      {"版 / version", VersionOf(plan.name())},
      {"現行 / current", plan.current() ? "はい（実施中の計画） / yes" : "いいえ（過去の版） / no"},
      {"会議 / meeting", OrDash(plan.meeting())},
      {"次回評価日 / next_review_date", DateText(plan.next_review_date())},
      {"作成者 / author", Cell(WithoutPrefix(plan.author(), kUserPrefix))},
      {"作成 / created", TimeText(plan.create_time(), plan.has_create_time())},
  };
  PrintFields(fields);

  std::cout << "\n目標 / goals (" << plan.goals_size() << "):\n";
  if (!plan.goals().empty()) {
    std::vector<Row> rows;
    for (int i = 0; i < plan.goals_size(); ++i) {
      rows.push_back(
          {std::to_string(i + 1), GoalTarget(plan.goals(i)), Cell(plan.goals(i).goal())});
    }
    PrintTable({"#", "対象", "目標"}, rows);
  }
  std::cout << "\n評価項目 / evaluation items (" << plan.evaluation_items_size() << "):\n";
  if (!plan.evaluation_items().empty()) {
    std::vector<Row> rows;
    for (int i = 0; i < plan.evaluation_items_size(); ++i) {
      rows.push_back({std::to_string(i + 1), Cell(plan.evaluation_items(i))});
    }
    PrintTable({"#", "評価項目"}, rows);
  }
  std::cout << "\n支援内容 / actions (" << plan.actions_size() << "):\n";
  if (!plan.actions().empty()) {
    std::vector<Row> rows;
    for (int i = 0; i < plan.actions_size(); ++i) {
      const auto& action = plan.actions(i);
      rows.push_back({std::to_string(i + 1), Cell(WithoutPrefix(action.agency(), kAgencyPrefix)),
                      DateText(action.due_date()), Cell(action.assignment()),
                      Cell(action.action())});
    }
    PrintTable({"#", "機関", "期限", "役割分担", "内容"}, rows);
  }
  std::cout << "\n評価 / reviews (" << plan.reviews_size() << "):\n";
  if (!plan.reviews().empty()) {
    std::vector<Row> rows;
    for (const auto& review : plan.reviews()) {
      rows.push_back({std::to_string(review.number()), DateText(review.review_date()),
                      EnumText(*v1::ReviewDecision_descriptor(), review.decision()),
                      DateText(review.next_review_date()),
                      Cell(WithoutPrefix(review.reviewer(), kUserPrefix)),
                      Cell(review.evaluation())});
    }
    PrintTable({"#", "評価日", "判定", "次回評価日", "評価者", "評価"}, rows);
  }
}

void PrintPlanList(const v1::ListPlanVersionsResponse& list) {
  std::vector<Row> rows;
  for (const auto& plan : list.plans()) {
    const std::string decision =
        plan.reviews().empty()
            ? "-"
            : EnumText(*v1::ReviewDecision_descriptor(), plan.reviews().rbegin()->decision());
    rows.push_back({VersionOf(plan.name()), plan.name(), plan.current() ? "現行" : "-",
                    plan.has_create_time() ? JstDate(plan.create_time()) : "-",
                    Cell(WithoutPrefix(plan.author(), kUserPrefix)), OrDash(plan.meeting()),
                    DateText(plan.next_review_date()), std::to_string(plan.reviews_size()),
                    decision});
  }
  PrintTable(
      {"版", "名前", "現行", "作成日", "作成者", "会議", "次回評価日", "評価回数", "最終判定"},
      rows);
}

// ReportError, and for a participant who has not acknowledged yet, how to.
int ReportMeetingError(const grpc::Status& status, const std::string& meeting) {
  ReportError(status);
  if (FromGrpcStatus(status).reason() == kNotAcknowledged) {
    std::cerr << "会議の記録を読む前に casectl meeting acknowledge " << meeting
              << " で守秘義務の確認を記録してください / record your acknowledgement of the duty of "
                 "confidentiality first: casectl meeting acknowledge "
              << meeting << "\n";
  }
  return kExitFailed;
}

}  // namespace

// --- The commands -------------------------------------------------------------------------------

struct MeetingCommands::State {
  CLI::App* meeting = nullptr;
  CLI::App* schedule = nullptr;
  CLI::App* get = nullptr;
  CLI::App* list = nullptr;
  CLI::App* acknowledge = nullptr;
  CLI::App* minutes = nullptr;
  CLI::App* cancel = nullptr;
  CLI::App* assignment = nullptr;
  CLI::App* export_record = nullptr;
  CLI::App* plan = nullptr;
  CLI::App* plan_create = nullptr;
  CLI::App* plan_get = nullptr;
  CLI::App* plan_list = nullptr;
  CLI::App* plan_review = nullptr;

  // Arguments as given.
  std::string meeting_text, case_text, type, title, at, location, materials, materials_file,
      request_id, state, page_token, held, policy, policy_file, decisions_file, assignments_file,
      etag, reason, reason_file, assignment_text, status, due, out, goals_file, evals_file,
      review_by, actions_file, version_text, evaluation, evaluation_file, decision, next, date;
  std::vector<std::string> participants, decisions, assigns, goals, evals, actions;
  int page_size = 100;
  bool all_pages = false;

  // Built by Prepare().
  std::string name;  // the meeting ("meetings/3"), case ("cases/12") or plan named by the command
  bool generated_request_id = false;
  bool stdin_taken = false;  // whether a --*-file flag reads standard input
  v1::CreateMeetingRequest create_request;
  v1::ListMeetingsRequest list_request;
  v1::RecordMinutesRequest minutes_request;
  v1::CancelMeetingRequest cancel_request;
  v1::UpdateAssignmentRequest assignment_request;
  v1::CreatePlanVersionRequest plan_request;
  v1::ReviewPlanRequest review_request;

  int PrepareSchedule();
  int PrepareList();
  int PrepareMinutes();
  int PrepareCancel();
  int PrepareAssignment();
  int PreparePlanCreate();
  int PreparePlanName();
  int PrepareReview();

  int Schedule(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Get(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int List(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Acknowledge(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Minutes(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Cancel(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Assignment(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int Export(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int PlanCreate(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int PlanGet(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int PlanList(const GlobalOptions& options, v1::Meetings::Stub* stub);
  int PlanReview(const GlobalOptions& options, v1::Meetings::Stub* stub);
};

namespace {

// A repeatable option: each occurrence takes one value, which is never split.
CLI::Option* AddRepeatable(CLI::App* command, const std::string& flag,
                           std::vector<std::string>& values, const std::string& help) {
  return command->add_option(flag, values, help)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
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

}  // namespace

MeetingCommands::MeetingCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const std::string meeting_help =
      "会議 / meeting: meetings/3 or 3 (the 名前 column of meeting list)";
  const std::string case_help = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
  const std::string argument_warning =
      " as an argument (visible in the process list and the shell history: prefer ";

  s.meeting = app->add_subcommand(
      "meeting", "会議 / case meetings (coordinators run them; participants acknowledge and read)");
  s.meeting->require_subcommand(1);

  s.schedule = s.meeting->add_subcommand("schedule", "会議の予定登録 / schedule a meeting");
  s.schedule
      ->add_option(
          "--type", s.type,
          "種別 / legal basis of the meeting: " + ValidValues(*v1::MeetingType_descriptor()))
      ->required();
  s.schedule->add_option("--case", s.case_text,
                         case_help + "; required except for アドバイザー会議 (ADVISER_MEETING)");
  s.schedule
      ->add_option("--title", s.title,
                   "件名 / a short title without personal data, e.g. 第1回ケース検討会議")
      ->required();
  s.schedule->add_option("--at", s.at, "日時 / when, JST: \"YYYY-MM-DD HH:MM\"")->required();
  s.schedule->add_option("--location", s.location,
                         "場所 / where, without personal data, e.g. 本庁舎3階会議室 or オンライン");
  AddRepeatable(s.schedule, "--participant", s.participants,
                kParticipantHelp + ValidValues(*v1::ParticipantRole_descriptor()))
      ->required();
  s.schedule->add_option(
      "--materials", s.materials,
      "資料 / materials shared before the meeting" + argument_warning + "--materials-file)");
  s.schedule->add_option("--materials-file", s.materials_file, FileHelp("資料"));
  s.schedule->add_option(
      "--request-id", s.request_id,
      "リクエストID / makes a retry safe: the same id (1 to 64 printable ASCII characters) gives "
      "the meeting the first call created. Default: a new random UUID, printed so a retry can "
      "reuse it");
  s.schedule->footer(
      "例 / example:\n  casectl meeting schedule --case 12 --type 支援会議 \\\n"
      "    --title 第1回ケース検討会議 --at \"2025-07-01 14:00\" --location 本庁舎3階会議室 \\\n"
      "    --participant coordinator:進行 --participant agency-staff@kita-houkatsu:本人支援 \\\n"
      "    --materials-file materials.txt\n"
      "参加者は casectl meeting acknowledge で守秘義務を確認してから記録を読めます / participants "
      "read the record after casectl meeting acknowledge.");

  s.get = s.meeting->add_subcommand(
      "get",
      "詳細 / show a meeting: participants, materials, minutes (participants: after "
      "meeting acknowledge)");
  s.get->add_option("meeting", s.meeting_text, meeting_help)->required();

  s.list = s.meeting->add_subcommand("list", "一覧 / meetings you may see, newest first");
  s.list->add_option("--case", s.case_text, "only the meetings of this case: " + case_help);
  s.list->add_option("--type", s.type,
                     "種別 / only this type: " + ValidValues(*v1::MeetingType_descriptor()));
  s.list->add_option("--state", s.state,
                     "状態 / only this state: " + ValidValues(*v1::MeetingState_descriptor()));
  s.list->add_option("--page-size", s.page_size, "meetings per call (default 100)");
  s.list->add_option("--page-token", s.page_token, "continue from this page token");
  s.list->add_flag("--all", s.all_pages, "すべて / every page, not only the first");

  s.acknowledge = s.meeting->add_subcommand(
      "acknowledge",
      "守秘義務の確認 / record that you acknowledge the duty of confidentiality (participants)");
  s.acknowledge->add_option("meeting", s.meeting_text, meeting_help)->required();
  s.acknowledge->footer(
      "会議の参加者は、会議で知り得た個人情報を会議の目的以外に利用・提供しないことを確認します"
      "（支援会議では社会福祉法第106条の6による守秘義務）。確認を記録した後に会議の記録を読めます。"
      "2回目以降は最初の確認日時が残ります。\n"
      "As a participant you acknowledge that you will not use or pass on what you learn in the "
      "meeting beyond its purpose (for a 支援会議, the statutory duty of art. 106-6 of the Social "
      "Welfare Act). Only then can you read the meeting's record. Acknowledging again keeps the "
      "first time.");

  s.minutes = s.meeting->add_subcommand(
      "minutes", "議事録 / record the minutes: the meeting becomes 開催済み (HELD) and is counted");
  s.minutes->add_option("meeting", s.meeting_text, meeting_help)->required();
  s.minutes
      ->add_option("--held", s.held,
                   "開催日 / the day it was held, YYYY-MM-DD (JST), not in the future")
      ->required();
  s.minutes->add_option(
      "--policy", s.policy,
      "支援方針 / the household-wide support policy" + argument_warning + "--policy-file)");
  s.minutes->add_option("--policy-file", s.policy_file, FileHelp("支援方針"));
  AddRepeatable(s.minutes, "--decision", s.decisions,
                "決定事項 / a decision, repeatable" + argument_warning + "--decisions-file)");
  s.minutes->add_option("--decisions-file", s.decisions_file, LinesFileHelp("決定事項"));
  AddRepeatable(s.minutes, "--assign", s.assigns, kAssignHelp);
  s.minutes->add_option("--assignments-file", s.assignments_file,
                        LinesFileHelp("役割分担 (AGENCY:YYYY-MM-DD:ACTION)"));
  s.minutes->add_option("--etag", s.etag, "only if the meeting still has this etag (else ABORTED)");
  s.minutes->footer(
      "支援方針 (--policy-file か --policy) が必要です。役割分担には r1, r2, ... の ID が振られ、"
      "期限を過ぎた未了の分担は機関と担当推進員の期限一覧 (casectl due) に出ます。\n"
      "The support policy is required. Assignments get the ids r1, r2, ... in the order given; an "
      "open one past its due date shows in the work list (casectl due) of its agency and of the "
      "case's coordinator.\n"
      "例 / example:\n  casectl meeting minutes 3 --held 2025-07-01 --policy-file policy.txt \\\n"
      "    --decisions-file decisions.txt --assignments-file assignments.txt\n"
      "  assignments.txt:\n    kita-houkatsu:2025-08-01:長男宅を訪問し状況を確認\n"
      "    kikan-soudan:2025-08-15:障害福祉サービスの利用を案内");

  s.cancel = s.meeting->add_subcommand("cancel", "中止 / cancel a scheduled meeting, saying why");
  s.cancel->add_option("meeting", s.meeting_text, meeting_help)->required();
  s.cancel->add_option("--reason", s.reason,
                       "中止理由 / why" + argument_warning + "--reason-file)");
  s.cancel->add_option("--reason-file", s.reason_file, FileHelp("中止理由"));
  s.cancel->add_option("--etag", s.etag, "only if the meeting still has this etag (else ABORTED)");

  s.assignment = s.meeting->add_subcommand(
      "assignment",
      "役割分担の進捗 / mark a role assignment's progress or move its due date "
      "(coordinators and the assigned agency's staff)");
  s.assignment->add_option("meeting", s.meeting_text, meeting_help)->required();
  s.assignment
      ->add_option("id", s.assignment_text,
                   "役割分担 / the assignment: r1 or 1 (the ID column of meeting get)")
      ->required();
  s.assignment->add_option("--status", s.status,
                           "状態 / new status: " + ValidValues(*v1::AssignmentStatus_descriptor()));
  s.assignment->add_option("--due", s.due, "新しい期限 / new due date (再調整), YYYY-MM-DD");

  s.export_record = s.meeting->add_subcommand(
      "export",
      "記録の書き出し / the meeting's record as a document, with its confidentiality "
      "notice (participants after acknowledging, coordinators)");
  s.export_record->add_option("meeting", s.meeting_text, meeting_help)->required();
  s.export_record->add_option("--out", s.out,
                              "file to write (replaced atomically, readable by you only); "
                              "default: standard output");

  s.plan = app->add_subcommand(
      "plan", "支援計画 / support plans (coordinators write; the case team reads)");
  s.plan->require_subcommand(1);

  s.plan_create = s.plan->add_subcommand(
      "create",
      "新しい版 / write a new version of the case's plan (it replaces the plan in force)");
  s.plan_create->add_option("case", s.case_text, case_help)->required();
  AddRepeatable(s.plan_create, "--goal", s.goals, kGoalHelp);
  s.plan_create->add_option("--goals-file", s.goals_file, LinesFileHelp("目標 ([MEMBER:]TEXT)"));
  AddRepeatable(
      s.plan_create, "--eval", s.evals,
      "評価項目 / what the review looks at, repeatable" + argument_warning + "--evals-file)");
  s.plan_create->add_option("--evals-file", s.evals_file, LinesFileHelp("評価項目"));
  s.plan_create
      ->add_option("--review-by", s.review_by, "次回評価日 / when the plan is reviewed, YYYY-MM-DD")
      ->required();
  s.plan_create->add_option(
      "--meeting", s.meeting_text,
      "会議 / the meeting of this case that agreed the plan: " + meeting_help);
  AddRepeatable(s.plan_create, "--action", s.actions, kActionHelp);
  s.plan_create->add_option("--actions-file", s.actions_file,
                            LinesFileHelp("支援内容 (AGENCY:[YYYY-MM-DD]:TEXT)"));
  s.plan_create->footer(
      "目標 (--goal か --goals-file) と評価項目 (--eval か --evals-file) が必要です。--meeting "
      "を付け "
      "--action を付けないと、会議の役割分担が支援内容に写されます。\n"
      "Goals and evaluation items are required. With --meeting and no --action, the meeting's role "
      "assignments become the plan's actions.\n"
      "例 / example:\n  casectl plan create 12 --meeting 3 --goals-file goals.txt \\\n"
      "    --evals-file evals.txt --review-by 2025-10-01\n"
      "  goals.txt:\n    m1:週に1回、地域の居場所に通う\n    世帯の家計が安定する");

  const std::string version_help =
      "版 / version number (the 版 column of plan list); default: the "
      "plan in force";
  s.plan_get =
      s.plan->add_subcommand("get", "詳細 / show a version of the plan (default: current)");
  s.plan_get->add_option("case", s.case_text, case_help)->required();
  s.plan_get->add_option("--version", s.version_text, version_help);

  s.plan_list = s.plan->add_subcommand("list", "版の一覧 / every version, newest first");
  s.plan_list->add_option("case", s.case_text, case_help)->required();

  s.plan_review = s.plan->add_subcommand(
      "review", "評価 / review the plan in force: evaluation, decision, next review date");
  s.plan_review->add_option("case", s.case_text, case_help)->required();
  s.plan_review->add_option("--evaluation", s.evaluation,
                            "評価 / the evaluation" + argument_warning + "--evaluation-file)");
  s.plan_review->add_option("--evaluation-file", s.evaluation_file, FileHelp("評価"));
  s.plan_review
      ->add_option("--decision", s.decision,
                   "判定 / decision: " + ValidValues(*v1::ReviewDecision_descriptor()))
      ->required();
  s.plan_review->add_option(
      "--next", s.next,
      "次回評価日 / the next review, YYYY-MM-DD; required unless --decision 終結 (CLOSE)");
  s.plan_review->add_option("--date", s.date,
                            "評価日 / the day of the review, YYYY-MM-DD; default today (JST), not "
                            "in the future");
  s.plan_review->add_option("--version", s.version_text,
                            "版 / the version reviewed, which must be the plan in force; default: "
                            "the plan in force");
}

MeetingCommands::~MeetingCommands() = default;

bool MeetingCommands::Selected() const {
  return state_->meeting->parsed() || state_->plan->parsed();
}

int MeetingCommands::Prepare() {
  State& s = *state_;
  std::string error;
  if (s.schedule->parsed()) return s.PrepareSchedule();
  if (s.list->parsed()) return s.PrepareList();
  if (s.meeting->parsed()) {
    if (!ParseMeetingArgument("MEETING", s.meeting_text, &s.name, &error)) {
      return UsageError(error);
    }
    if (s.minutes->parsed()) return s.PrepareMinutes();
    if (s.cancel->parsed()) return s.PrepareCancel();
    if (s.assignment->parsed()) return s.PrepareAssignment();
    return kExitOk;
  }
  if (!ParseCaseArgument("CASE", s.case_text, &s.name, &error)) return UsageError(error);
  if (s.plan_create->parsed()) return s.PreparePlanCreate();
  if (s.plan_get->parsed()) return s.PreparePlanName();
  if (s.plan_review->parsed()) return s.PrepareReview();
  return kExitOk;
}

int MeetingCommands::State::PrepareSchedule() {
  std::string error;
  v1::Meeting& meeting = *create_request.mutable_meeting();
  int number = 0;
  if (!ParseEnum("--type", "会議の種別", *v1::MeetingType_descriptor(), type, &number, &error)) {
    return UsageError(error);
  }
  meeting.set_type(static_cast<v1::MeetingType>(number));
  if (!case_text.empty()) {
    std::string case_name;
    if (!ParseCaseArgument("--case", case_text, &case_name, &error)) return UsageError(error);
    meeting.set_case_(case_name);
  } else if (meeting.type() != v1::ADVISER_MEETING) {
    return UsageError("ケースがありません / --case: a " +
                      EnumTextWithName(*v1::MeetingType_descriptor(), meeting.type()) +
                      " is about a case; give --case (only アドバイザー会議 may have none)");
  }
  meeting.set_title(std::string(TrimSpaces(title)));
  if (meeting.title().empty()) {
    return UsageError("件名がありません / --title: give a short title, e.g. 第1回ケース検討会議");
  }
  if (!ParseJstDateTime("--at", at, meeting.mutable_scheduled_time(), &error)) {
    return UsageError(error);
  }
  meeting.set_location(std::string(TrimSpaces(location)));
  for (size_t i = 0; i < participants.size(); ++i) {
    v1::Participant* participant = meeting.add_participants();
    if (!ParseParticipant(i + 1, participants[i], participant, &error)) return UsageError(error);
    for (int j = 0; j + 1 < meeting.participants_size(); ++j) {
      if (meeting.participants(j).user() == participant->user()) {
        return UsageError("参加者が重複しています / " + Where("--participant", i + 1) + ": " +
                          participant->user() + " is also #" + std::to_string(j + 1));
      }
    }
  }
  if (meeting.participants().empty()) {
    return UsageError("参加者がありません / give at least one --participant USER[@AGENCY]:ROLE");
  }
  std::string text;
  if (!TextOrEmpty("--materials", "--materials-file", materials, materials_file, &stdin_taken,
                   &text, &error)) {
    return UsageError(error);
  }
  meeting.set_materials(text);
  if (request_id.empty()) {
    std::optional<std::string> generated = NewRequestId();
    if (!generated) {
      return UsageError(
          "リクエストIDを生成できません / no random source for a request id; give --request-id");
    }
    request_id = *generated;
    generated_request_id = true;
  } else if (!IsRequestId(request_id)) {
    return UsageError("リクエストIDが不正です / --request-id: give 1 to " +
                      std::to_string(kMaxRequestIdLength) +
                      " printable ASCII characters without spaces, e.g. a UUID");
  }
  create_request.set_request_id(request_id);
  return kExitOk;
}

int MeetingCommands::State::PrepareList() {
  std::string error;
  if (page_size < 0) {
    return UsageError("--page-size: must be 0 (server default) or more, not " +
                      std::to_string(page_size));
  }
  std::vector<std::string> clauses;
  if (!case_text.empty()) {
    std::string case_name;
    if (!ParseCaseArgument("--case", case_text, &case_name, &error)) return UsageError(error);
    clauses.push_back("case = \"" + case_name + "\"");
  }
  int number = 0;
  if (!type.empty()) {
    if (!ParseEnum("--type", "会議の種別", *v1::MeetingType_descriptor(), type, &number, &error)) {
      return UsageError(error);
    }
    clauses.push_back("type = " + v1::MeetingType_Name(static_cast<v1::MeetingType>(number)));
  }
  if (!state.empty()) {
    if (!ParseEnum("--state", "状態", *v1::MeetingState_descriptor(), state, &number, &error)) {
      return UsageError(error);
    }
    clauses.push_back("state = " + v1::MeetingState_Name(static_cast<v1::MeetingState>(number)));
  }
  list_request.set_filter(Join(clauses, " AND "));
  list_request.set_page_size(page_size);
  list_request.set_page_token(page_token);
  return kExitOk;
}

int MeetingCommands::State::PrepareMinutes() {
  std::string error;
  minutes_request.set_name(name);
  minutes_request.set_etag(etag);
  if (!ParseDay("--held", held, /*not_future=*/true, minutes_request.mutable_held_date(), &error)) {
    return UsageError(error);
  }
  v1::Minutes& record = *minutes_request.mutable_minutes();
  std::string text;
  if (!TextOrEmpty("--policy", "--policy-file", policy, policy_file, &stdin_taken, &text, &error)) {
    return UsageError(error);
  }
  if (text.empty()) {
    return UsageError(
        "支援方針がありません / give the household-wide support policy with --policy-file "
        "(recommended) or --policy");
  }
  record.set_support_policy(text);
  std::vector<std::string> items;
  if (!ItemsFromFlags("--decision", "--decisions-file", decisions, decisions_file, &stdin_taken,
                      &items, &error)) {
    return UsageError(error);
  }
  for (auto& item : items) record.add_decisions(std::move(item));
  if (!ItemsFromFlags("--assign", "--assignments-file", assigns, assignments_file, &stdin_taken,
                      &items, &error)) {
    return UsageError(error);
  }
  const std::string option = assignments_file.empty() ? "--assign" : "--assignments-file line";
  for (size_t i = 0; i < items.size(); ++i) {
    AgencyDateText parsed;
    if (!ParseAgencyDateText(Where(option, i + 1), items[i], /*date_required=*/true, &parsed,
                             &error)) {
      return UsageError(error);
    }
    v1::RoleAssignment* assignment = record.add_assignments();
    assignment->set_agency(parsed.agency);
    *assignment->mutable_due_date() = *parsed.date;
    assignment->set_action(parsed.text);
  }
  return kExitOk;
}

int MeetingCommands::State::PrepareCancel() {
  std::string error;
  cancel_request.set_name(name);
  cancel_request.set_etag(etag);
  std::string text;
  if (!TextOrEmpty("--reason", "--reason-file", reason, reason_file, &stdin_taken, &text, &error)) {
    return UsageError(error);
  }
  if (text.empty()) {
    return UsageError(
        "中止理由がありません / a cancellation needs a reason: give --reason-file PATH or "
        "--reason TEXT");
  }
  cancel_request.set_reason(text);
  return kExitOk;
}

int MeetingCommands::State::PrepareAssignment() {
  std::string error;
  assignment_request.set_meeting(name);
  std::string id(TrimSpaces(assignment_text));
  if (IsIdNumber(id)) id = "r" + id;
  if (id.size() < 2 || id[0] != 'r' || !IsIdNumber(std::string_view(id).substr(1))) {
    return UsageError("役割分担の指定が不正です / ID: \"" + assignment_text +
                      "\" is not an assignment; give r1 or 1 (the ID column of meeting get)");
  }
  assignment_request.set_assignment_id(id);
  if (status.empty() && due.empty()) {
    return UsageError("変更がありません / give --status (" +
                      ValidValues(*v1::AssignmentStatus_descriptor()) + ") or --due YYYY-MM-DD");
  }
  if (!status.empty()) {
    int number = 0;
    if (!ParseEnum("--status", "状態", *v1::AssignmentStatus_descriptor(), status, &number,
                   &error)) {
      return UsageError(error);
    }
    assignment_request.set_status(static_cast<v1::AssignmentStatus>(number));
  }
  if (!due.empty() && !ParseDay("--due", due, /*not_future=*/false,
                                assignment_request.mutable_due_date(), &error)) {
    return UsageError(error);
  }
  return kExitOk;
}

int MeetingCommands::State::PreparePlanCreate() {
  std::string error;
  plan_request.set_parent(name);
  v1::SupportPlan& plan = *plan_request.mutable_plan();
  std::vector<std::string> items;
  if (!ItemsFromFlags("--goal", "--goals-file", goals, goals_file, &stdin_taken, &items, &error)) {
    return UsageError(error);
  }
  const std::string goal_option = goals_file.empty() ? "--goal" : "--goals-file line";
  for (size_t i = 0; i < items.size(); ++i) {
    if (!ParseGoal(Where(goal_option, i + 1), items[i], plan.add_goals(), &error)) {
      return UsageError(error);
    }
  }
  if (plan.goals().empty()) {
    return UsageError(
        "目標がありません / give at least one goal: --goals-file (recommended) or "
        "--goal [MEMBER:]TEXT");
  }
  if (!ItemsFromFlags("--eval", "--evals-file", evals, evals_file, &stdin_taken, &items, &error)) {
    return UsageError(error);
  }
  for (auto& item : items) plan.add_evaluation_items(std::move(item));
  if (plan.evaluation_items().empty()) {
    return UsageError(
        "評価項目がありません / give at least one evaluation item: --evals-file "
        "(recommended) or --eval TEXT");
  }
  if (!ParseDay("--review-by", review_by, /*not_future=*/false, plan.mutable_next_review_date(),
                &error)) {
    return UsageError(error);
  }
  if (!meeting_text.empty()) {
    std::string meeting;
    if (!ParseMeetingArgument("--meeting", meeting_text, &meeting, &error)) {
      return UsageError(error);
    }
    plan.set_meeting(meeting);
  }
  if (!ItemsFromFlags("--action", "--actions-file", actions, actions_file, &stdin_taken, &items,
                      &error)) {
    return UsageError(error);
  }
  const std::string option = actions_file.empty() ? "--action" : "--actions-file line";
  for (size_t i = 0; i < items.size(); ++i) {
    AgencyDateText parsed;
    if (!ParseAgencyDateText(Where(option, i + 1), items[i], /*date_required=*/false, &parsed,
                             &error)) {
      return UsageError(error);
    }
    v1::PlanAction* action = plan.add_actions();
    action->set_agency(parsed.agency);
    if (parsed.date) *action->mutable_due_date() = *parsed.date;
    action->set_action(parsed.text);
  }
  return kExitOk;
}

// `name` (the case) becomes the plan's name: --version N, or the plan in force.
int MeetingCommands::State::PreparePlanName() {
  if (version_text.empty()) {
    name += "/plans/current";
    return kExitOk;
  }
  int version = 0;
  if (!ParseInt(TrimSpaces(version_text), 1, kMaxPlanVersion, &version)) {
    return UsageError("版の指定が不正です / --version: \"" + version_text +
                      "\" is not a version number (1, 2, ... the 版 column of plan list)");
  }
  name += std::string(kPlansInfix) + std::to_string(version);
  return kExitOk;
}

int MeetingCommands::State::PrepareReview() {
  std::string error;
  if (const int code = PreparePlanName(); code != kExitOk) return code;
  review_request.set_name(name);
  v1::PlanReview& review = *review_request.mutable_review();
  std::string text;
  if (!TextOrEmpty("--evaluation", "--evaluation-file", evaluation, evaluation_file, &stdin_taken,
                   &text, &error)) {
    return UsageError(error);
  }
  if (text.empty()) {
    return UsageError(
        "評価がありません / give the evaluation with --evaluation-file (recommended) or "
        "--evaluation");
  }
  review.set_evaluation(text);
  int number = 0;
  if (!ParseEnum("--decision", "判定", *v1::ReviewDecision_descriptor(), decision, &number,
                 &error)) {
    return UsageError(error);
  }
  review.set_decision(static_cast<v1::ReviewDecision>(number));
  if (review.decision() == v1::CLOSE) {
    if (!next.empty()) {
      // The server would drop it silently; the user meant something by it.
      return UsageError(
          "終結では次回評価日を指定しません / --next: a plan that closes (終結, CLOSE) has no next "
          "review");
    }
  } else if (next.empty()) {
    return UsageError(
        "次回評価日がありません / --next YYYY-MM-DD is required unless --decision "
        "終結 (CLOSE)");
  } else if (!ParseDay("--next", next, /*not_future=*/false, review.mutable_next_review_date(),
                       &error)) {
    return UsageError(error);
  }
  if (!date.empty() &&
      !ParseDay("--date", date, /*not_future=*/true, review.mutable_review_date(), &error)) {
    return UsageError(error);
  }
  return kExitOk;
}

int MeetingCommands::Run(const GlobalOptions& options,
                         const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Meetings::NewStub(channel);
  if (s.schedule->parsed()) return s.Schedule(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.list->parsed()) return s.List(options, stub.get());
  if (s.acknowledge->parsed()) return s.Acknowledge(options, stub.get());
  if (s.minutes->parsed()) return s.Minutes(options, stub.get());
  if (s.cancel->parsed()) return s.Cancel(options, stub.get());
  if (s.assignment->parsed()) return s.Assignment(options, stub.get());
  if (s.export_record->parsed()) return s.Export(options, stub.get());
  if (s.plan_create->parsed()) return s.PlanCreate(options, stub.get());
  if (s.plan_get->parsed()) return s.PlanGet(options, stub.get());
  if (s.plan_list->parsed()) return s.PlanList(options, stub.get());
  if (s.plan_review->parsed()) return s.PlanReview(options, stub.get());
  return UsageError("give a subcommand (see casectl meeting --help or casectl plan --help)");
}

int MeetingCommands::State::Schedule(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  const std::string& id = create_request.request_id();
  if (generated_request_id) {
    // Before the call, so that it is on the screen whatever happens to the call.
    std::cerr << "リクエストID / request id: " << id << "\n";
  }
  v1::Meeting created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateMeeting(context.get(), create_request, &created);
  if (!status.ok()) {
    ReportError(status);
    std::cerr << "再試行するときは --request-id " << id
              << " を付けてください (二重登録を防ぎます) / to retry without scheduling a second "
                 "meeting, add --request-id "
              << id << "\n";
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(created);
    return kExitOk;
  }
  std::cout << "会議を登録しました / meeting scheduled: " << created.name() << "\n";
  PrintFields({
      {"名前 / name", created.name()},
      {"種別 / type", EnumTextWithName(*v1::MeetingType_descriptor(), created.type())},
      {"件名 / title", Cell(created.title())},
      {"ケース / case", OrDash(created.case_())},
      {"予定日時 / scheduled (JST)",
       created.has_scheduled_time() ? JstDateTime(created.scheduled_time()) : "-"},
      {"場所 / location", Cell(created.location())},
      {"参加者 / participants", std::to_string(created.participants_size())},
      {"リクエストID / request_id", id},
  });
  std::cerr << "参加者は casectl meeting acknowledge " << created.name()
            << " で守秘義務を確認してから記録を読めます / participants read the record after "
               "casectl meeting acknowledge "
            << created.name() << "\n";
  return kExitOk;
}

int MeetingCommands::State::Get(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::GetMeetingRequest request;
  request.set_name(name);
  v1::Meeting meeting;
  auto context = NewContext(options);
  grpc::Status status = stub->GetMeeting(context.get(), request, &meeting);
  if (!status.ok()) return ReportMeetingError(status, name);
  if (options.json) {
    PrintJson(meeting);
  } else {
    PrintMeeting(meeting);
  }
  return kExitOk;
}

int MeetingCommands::State::List(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::ListMeetingsResponse all;
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Meetings::Stub::ListMeetings, stub), list_request,
                 &all, all_pages);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.meetings().empty()) {
    std::cout << "該当する会議はありません / no meetings\n";
  } else {
    PrintMeetingList(all);
  }
  if (!all.next_page_token().empty()) {
    std::cerr << "続きがあります / more meetings: --page-token " << all.next_page_token()
              << " (or --all)\n";
  }
  return kExitOk;
}

int MeetingCommands::State::Acknowledge(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::AcknowledgeConfidentialityRequest request;
  request.set_name(name);
  v1::Meeting meeting;
  auto context = NewContext(options);
  grpc::Status status = stub->AcknowledgeConfidentiality(context.get(), request, &meeting);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(meeting);
    return kExitOk;
  }
  std::cout << "守秘義務の確認を記録しました / confidentiality acknowledged: " << meeting.name()
            << "\n";
  PrintNotice(meeting);
  std::vector<std::pair<std::string, std::string>> fields = {
      {"種別 / type", EnumTextWithName(*v1::MeetingType_descriptor(), meeting.type())},
      {"件名 / title", Cell(meeting.title())},
      {"予定日時 / scheduled (JST)",
       meeting.has_scheduled_time() ? JstDateTime(meeting.scheduled_time()) : "-"},
  };
  if (!options.user.empty()) {
    for (const auto& participant : meeting.participants()) {
      if (participant.user() == std::string(kUserPrefix) + options.user &&
          participant.has_acknowledge_time()) {
        fields.emplace_back("確認日時 / acknowledged", LocalTime(participant.acknowledge_time()));
      }
    }
  }
  PrintFields(fields);
  std::cerr << "記録は casectl meeting get " << meeting.name()
            << " で読めます / read the record with casectl meeting get " << meeting.name() << "\n";
  return kExitOk;
}

int MeetingCommands::State::Minutes(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::Meeting held_meeting;
  auto context = NewContext(options);
  grpc::Status status = stub->RecordMinutes(context.get(), minutes_request, &held_meeting);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(held_meeting);
    return kExitOk;
  }
  std::cout << "議事録を記録しました / minutes recorded: " << held_meeting.name() << " → "
            << EnumTextWithName(*v1::MeetingState_descriptor(), held_meeting.state()) << "\n";
  PrintFields({
      {"開催日 / held", DateText(held_meeting.held_date())},
      {"決定事項 / decisions", std::to_string(held_meeting.minutes().decisions_size())},
      {"etag", OrDash(held_meeting.etag())},
  });
  std::cout << "\n役割分担 / assignments (" << held_meeting.minutes().assignments_size() << "):\n";
  if (!held_meeting.minutes().assignments().empty()) PrintAssignments(held_meeting);
  return kExitOk;
}

int MeetingCommands::State::Cancel(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::Meeting cancelled;
  auto context = NewContext(options);
  grpc::Status status = stub->CancelMeeting(context.get(), cancel_request, &cancelled);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(cancelled);
    return kExitOk;
  }
  std::cout << "会議を中止しました / meeting cancelled: " << cancelled.name() << "\n";
  PrintFields({
      {"状態 / state", EnumTextWithName(*v1::MeetingState_descriptor(), cancelled.state())},
      {"中止理由 / cancel_reason", FieldText(cancelled.cancel_reason())},
      {"etag", OrDash(cancelled.etag())},
  });
  return kExitOk;
}

int MeetingCommands::State::Assignment(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::Meeting updated;
  auto context = NewContext(options);
  grpc::Status status = stub->UpdateAssignment(context.get(), assignment_request, &updated);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(updated);
    return kExitOk;
  }
  const std::string subject = name + "#" + assignment_request.assignment_id();
  std::cout << "役割分担を更新しました / assignment updated: " << subject << "\n";
  // Staff outside the meeting get only a receipt (no minutes): the record stays the participants'.
  for (const auto& assignment : updated.minutes().assignments()) {
    if (assignment.assignment_id() != assignment_request.assignment_id()) continue;
    PrintFields({
        {"機関 / agency", Cell(WithoutPrefix(assignment.agency(), kAgencyPrefix))},
        {"内容 / action", FieldText(assignment.action())},
        {"期限 / due", DateText(assignment.due_date())},
        {"状態 / status",
         EnumTextWithName(*v1::AssignmentStatus_descriptor(), assignment.status())},
        {"状態更新 / status_time",
         TimeText(assignment.status_time(), assignment.has_status_time())},
    });
  }
  return kExitOk;
}

int MeetingCommands::State::Export(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  PrivateAtomicFile file;
  std::string error;
  // Opened first, so that an unwritable place fails before the record is read (and audited).
  if (!out.empty() && !file.Open(out, &error)) {
    std::cerr << "エラー / error: --out: " << error << "\n";
    return kExitFailed;
  }
  v1::ExportMeetingRecordRequest request;
  request.set_name(name);
  v1::ExportMeetingRecordResponse record;
  auto context = NewContext(options);
  grpc::Status status = stub->ExportMeetingRecord(context.get(), request, &record);
  if (!status.ok()) return ReportMeetingError(status, name);
  if (out.empty()) {
    if (options.json) {
      PrintJson(record);
    } else {
      std::cout << Printable(record.text(), true);
      if (!record.text().empty() && record.text().back() != '\n') std::cout << "\n";
    }
    return kExitOk;
  }
  if (!file.Write(record.text(), &error) || !file.Commit(&error)) {
    std::cerr << "エラー / error: --out: " << error << "; " << out << " was not written\n";
    return kExitFailed;
  }
  std::cout << "会議記録を書き出しました / meeting record exported: " << name << " → " << out
            << " (" << record.text().size() << " bytes, 0600)\n";
  std::cerr << "取扱注意: 会議の構成員以外に渡さないでください / confidential: do not pass it "
               "outside the meeting's members\n";
  return kExitOk;
}

int MeetingCommands::State::PlanCreate(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::SupportPlan plan;
  auto context = NewContext(options);
  // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
  plan_request.set_request_id(NewRequestId().value_or(""));
  grpc::Status status = stub->CreatePlanVersion(context.get(), plan_request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
    return kExitOk;
  }
  std::cout << "支援計画を作成しました / plan version created: " << plan.name() << "\n";
  PrintPlan(plan);
  return kExitOk;
}

int MeetingCommands::State::PlanGet(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::GetPlanRequest request;
  request.set_name(name);
  v1::SupportPlan plan;
  auto context = NewContext(options);
  grpc::Status status = stub->GetPlan(context.get(), request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
  } else {
    PrintPlan(plan);
  }
  return kExitOk;
}

int MeetingCommands::State::PlanList(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::ListPlanVersionsResponse all;
  v1::ListPlanVersionsRequest request;
  request.set_parent(name);
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Meetings::Stub::ListPlanVersions, stub), request,
                 &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.plans().empty()) {
    std::cout << "支援計画はありません / the case has no plan\n";
    return kExitOk;
  }
  PrintPlanList(all);
  return kExitOk;
}

int MeetingCommands::State::PlanReview(const GlobalOptions& options, v1::Meetings::Stub* stub) {
  v1::SupportPlan plan;
  auto context = NewContext(options);
  grpc::Status status = stub->ReviewPlan(context.get(), review_request, &plan);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(plan);
    return kExitOk;
  }
  const v1::PlanReview* review = plan.reviews().empty() ? nullptr : &*plan.reviews().rbegin();
  std::cout << "評価を記録しました / review recorded: " << plan.name();
  if (review != nullptr) {
    std::cout << " #" << review->number() << " "
              << EnumTextWithName(*v1::ReviewDecision_descriptor(), review->decision());
  }
  std::cout << "\n";
  PrintPlan(plan);
  return kExitOk;
}

}  // namespace casecoord::cli
