// casectl meeting ... and casectl plan ...: case meetings (複合課題ケース検討会, 支援会議) and
// support plans (支援計画) from the command line.
//
//   meeting schedule --type TYPE [--case CASE] --title TITLE --at "YYYY-MM-DD HH:MM" [--location L]
//             --participant USER[@AGENCY]:ROLE [--participant ...]
//             [--materials-file PATH | --materials TEXT] [--request-id ID]
//   meeting get MEETING
//   meeting list [--case CASE] [--type TYPE] [--state STATE] [--page-size N] [--page-token T]
//             [--all]
//   meeting update MEETING [--title T] [--at "YYYY-MM-DD HH:MM"] [--location L]
//             [--participant USER[@AGENCY]:ROLE ...] [--materials-file PATH | --materials TEXT]
//             [--etag E]                            (a SCHEDULED meeting; only the fields given)
//   meeting acknowledge MEETING                     (the caller's duty of confidentiality)
//   meeting minutes MEETING --held YYYY-MM-DD (--policy-file PATH | --policy TEXT)
//             [--decision TEXT ... | --decisions-file PATH]
//             [--assign AGENCY:YYYY-MM-DD:ACTION ... | --assignments-file PATH] [--etag E]
//   meeting cancel MEETING (--reason-file PATH | --reason TEXT) [--etag E]
//   meeting assignment MEETING ID [--status STATUS] [--due YYYY-MM-DD]
//   meeting export MEETING [--out FILE]
//   plan create CASE (--goal [MEMBER:]TEXT ... | --goals-file PATH)
//             (--eval TEXT ... | --evals-file PATH) --review-by YYYY-MM-DD [--meeting MEETING]
//             [--action AGENCY:[YYYY-MM-DD]:TEXT ... | --actions-file PATH]
//   plan get CASE [--version N]
//   plan list CASE                                  (every version, newest first)
//   plan review CASE (--evaluation-file PATH | --evaluation TEXT) --decision DECISION
//             [--next YYYY-MM-DD] [--date YYYY-MM-DD] [--version N]
//
// MEETING is "meetings/3" or "3"; CASE is "cases/12" or "12"; USER is "agency-staff" or
// "users/agency-staff"; AGENCY is "kita-houkatsu" or "agencies/kita-houkatsu"; ID is an assignment
// of the meeting, "r1" or "1". --at is Japan time (JST). Enum flags (--type, --state, ROLE,
// --status, --decision) take the Japanese label or the value name ("支援会議" or SUPPORT_MEETING,
// "本人支援" or PRINCIPAL_SUPPORT_ROLE, "完了" or DONE, "見直し" or ADJUST).
//
// A participant of a meeting reads its record (materials, minutes) only after `meeting
// acknowledge`; before, the server answers CONFIDENTIALITY_NOT_ACKNOWLEDGED. Anyone who is neither
// a participant nor a coordinator gets NOT_FOUND. `plan create --meeting M` without --action copies
// the meeting's role assignments into the plan's actions.
//
// Text about a household (資料, 支援方針, 決定事項, 役割分担, 目標, 評価項目, 評価, 中止理由) is
// better given as a file: a command-line argument can be read by every local user in the process
// list and stays in the shell history. Each --X TEXT flag has a file twin; "-" reads standard input
// (one flag per command at most). Files must be UTF-8 (a byte order mark is dropped, CRLF becomes
// LF). The twins of repeatable flags (--decisions-file, --assignments-file, --goals-file,
// --evals-file, --actions-file) hold one item per line, written as the flag's value; blank lines
// are skipped.
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent. Error messages name items by position and never repeat the personal data given.
// `meeting export --out` replaces FILE atomically and leaves it readable by its owner only (0600).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/meetings.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/meeting_support.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/grpc_errors.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace meetings;  // NOLINT(google-build-using-namespace): this file is their user

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

// --- The commands -------------------------------------------------------------------------------

constexpr char kEtagHelp[] = "only if the meeting still has this etag (else ABORTED)";

std::unique_ptr<v1::Meetings::Stub> MeetingsStub(const Context& context) {
  return v1::Meetings::NewStub(context.channel);
}

// `text` as "<key> = VALUE_NAME" for a filter, when given.
bool EnumClause(const std::string& option, const std::string& what, const std::string& key,
                const google::protobuf::EnumDescriptor& type, const std::string& text,
                std::vector<std::string>* clauses, std::string* error) {
  if (text.empty()) return true;
  int number = 0;
  if (!ParseEnum(option, what, type, text, &number, error)) return false;
  clauses->push_back(key + " = " + type.FindValueByNumber(number)->name());
  return true;
}

class MeetingScheduleCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option(
           "--type", type_,
           "種別 / legal basis of the meeting: " + ValidValues(*v1::MeetingType_descriptor()))
        ->required();
    app.add_option(
        "--case", case_text_,
        std::string(kCaseHelp) + "; required except for アドバイザー会議 (ADVISER_MEETING)");
    app.add_option("--title", title_,
                   "件名 / a short title without personal data, e.g. 第1回ケース検討会議")
        ->required();
    app.add_option("--at", at_, "日時 / when, JST: \"YYYY-MM-DD HH:MM\"")->required();
    app.add_option("--location", location_,
                   "場所 / where, without personal data, e.g. 本庁舎3階会議室 or オンライン");
    AddRepeatable(app, "--participant", &participants_,
                  kParticipantHelp + ValidValues(*v1::ParticipantRole_descriptor()))
        ->required();
    app.add_option("--materials", materials_,
                   "資料 / materials shared before the meeting" + std::string(kArgumentWarning) +
                       "--materials-file)");
    app.add_option("--materials-file", materials_file_, FileHelp("資料"));
    app.add_option("--request-id", request_id_,
                   "リクエストID / makes a retry safe: the same id (1 to 64 printable ASCII "
                   "characters) gives the meeting the first call created. Default: a new random "
                   "UUID, printed so a retry can reuse it");
    app.footer(
        "例 / example:\n  casectl meeting schedule --case 12 --type 支援会議 \\\n"
        "    --title 第1回ケース検討会議 --at \"2025-07-01 14:00\" --location 本庁舎3階会議室 \\\n"
        "    --participant coordinator:進行 --participant agency-staff@kita-houkatsu:本人支援 \\\n"
        "    --materials-file materials.txt\n"
        "参加者は casectl meeting acknowledge で守秘義務を確認してから記録を読めます / "
        "participants read the record after casectl meeting acknowledge.");
  }

  int Prepare() override {
    std::string error;
    v1::Meeting& meeting = *request_.mutable_meeting();
    int number = 0;
    if (!ParseEnum("--type", "会議の種別", *v1::MeetingType_descriptor(), type_, &number, &error)) {
      return UsageError(error);
    }
    meeting.set_type(static_cast<v1::MeetingType>(number));
    if (!case_text_.empty()) {
      std::string case_name;
      if (!ParseCaseArgument("--case", case_text_, &case_name, &error)) return UsageError(error);
      meeting.set_case_(case_name);
    } else if (meeting.type() != v1::ADVISER_MEETING) {
      return UsageError("ケースがありません / --case: a " +
                        EnumTextWithName(*v1::MeetingType_descriptor(), meeting.type()) +
                        " is about a case; give --case (only アドバイザー会議 may have none)");
    }
    meeting.set_title(std::string(TrimSpaces(title_)));
    if (meeting.title().empty()) {
      return UsageError("件名がありません / --title: give a short title, e.g. 第1回ケース検討会議");
    }
    if (!ParseJstDateTime("--at", at_, meeting.mutable_scheduled_time(), &error)) {
      return UsageError(error);
    }
    meeting.set_location(std::string(TrimSpaces(location_)));
    if (const int code = PrepareParticipants(meeting); code != kExitOk) return code;
    std::string text;
    bool stdin_taken = false;
    if (!TextOrEmpty("--materials", "--materials-file", materials_, materials_file_, &stdin_taken,
                     &text, &error)) {
      return UsageError(error);
    }
    meeting.set_materials(text);
    return PrepareRequestId(&request_id_, &generated_request_id_, &request_);
  }

  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CreateAndPrint(context, stub.get(), &v1::Meetings::Stub::CreateMeeting, request_,
                          generated_request_id_, {"登録", "scheduling a second meeting"},
                          std::function([this](const v1::Meeting& created) {
                            PrintScheduled(created, request_.request_id());
                          }));
  }

 private:
  int PrepareParticipants(v1::Meeting& meeting) const {
    std::string error;
    for (size_t i = 0; i < participants_.size(); ++i) {
      v1::Participant* participant = meeting.add_participants();
      if (!ParseParticipant(i + 1, participants_[i], participant, &error)) {
        return UsageError(error);
      }
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
    return kExitOk;
  }

  static void PrintScheduled(const v1::Meeting& created, const std::string& id) {
    std::cout << "会議を登録しました / meeting scheduled: " << created.name() << "\n";
    PrintFields({
        {"名前 / name", created.name()},
        {"種別 / type", EnumTextWithName(*v1::MeetingType_descriptor(), created.type())},
        {"件名 / title", Cell(created.title())},
        {"ケース / case", OrDash(created.case_())},
        {"予定日時 / scheduled (JST)", ScheduledText(created)},
        {"場所 / location", Cell(created.location())},
        {"参加者 / participants", std::to_string(created.participants_size())},
        {"リクエストID / request_id", id},
    });
    std::cerr << "参加者は casectl meeting acknowledge " << created.name()
              << " で守秘義務を確認してから記録を読めます / participants read the record after "
                 "casectl meeting acknowledge "
              << created.name() << "\n";
  }

  std::string type_, case_text_, title_, at_, location_, materials_, materials_file_, request_id_;
  std::vector<std::string> participants_;
  bool generated_request_id_ = false;
  v1::CreateMeetingRequest request_;
};

class MeetingListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--case", case_text_,
                   "only the meetings of this case: " + std::string(kCaseHelp));
    app.add_option("--type", type_,
                   "種別 / only this type: " + ValidValues(*v1::MeetingType_descriptor()));
    app.add_option("--state", state_,
                   "状態 / only this state: " + ValidValues(*v1::MeetingState_descriptor()));
    pages_.Configure(app, "meetings per call (default 100)");
  }

  int Prepare() override {
    if (const int code = CheckPageSize(pages_.size); code != kExitOk) return code;
    std::string error;
    std::vector<std::string> clauses;
    if (!case_text_.empty()) {
      std::string case_name;
      if (!ParseCaseArgument("--case", case_text_, &case_name, &error)) return UsageError(error);
      clauses.push_back("case = \"" + case_name + "\"");
    }
    if (!EnumClause("--type", "会議の種別", "type", *v1::MeetingType_descriptor(), type_, &clauses,
                    &error) ||
        !EnumClause("--state", "状態", "state", *v1::MeetingState_descriptor(), state_, &clauses,
                    &error)) {
      return UsageError(error);
    }
    request_.set_filter(Join(clauses, " AND "));
    pages_.ApplyTo(&request_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return ListAndPrint(context, stub.get(), &v1::Meetings::Stub::ListMeetings, request_,
                        pages_.all, std::function([](const v1::ListMeetingsResponse& all) {
                          if (all.meetings().empty()) {
                            std::cout << "該当する会議はありません / no meetings\n";
                          } else {
                            PrintMeetingList(all);
                          }
                          if (!all.next_page_token().empty()) {
                            std::cerr << "続きがあります / more meetings: --page-token "
                                      << all.next_page_token() << " (or --all)\n";
                          }
                        }));
  }

 private:
  std::string case_text_, type_, state_;
  PageFlags pages_{100};
  v1::ListMeetingsRequest request_;
};

// A command on one meeting (the MEETING argument).
class MeetingCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("meeting", meeting_text_, kMeetingHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParseMeetingArgument("MEETING", meeting_text_, &name_, &error)) return UsageError(error);
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  std::string name_;  // "meetings/3"

 private:
  std::string meeting_text_;
};

class MeetingGetCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    v1::GetMeetingRequest request;
    request.set_name(name_);
    v1::Meeting meeting;
    auto stub = MeetingsStub(context);
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->GetMeeting(call, request, &meeting);
    });
    if (!status.ok()) return ReportMeetingError(status, name_);
    return PrintResult(context, meeting, [&meeting] { PrintMeeting(meeting); });
  }
};

// meeting update: the fields given (title, time, location, participants, materials) of a meeting
// still SCHEDULED, each with its update_mask path; --participant replaces the whole list.
class MeetingUpdateCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Meetings::Stub::UpdateMeeting, request_,
                        std::function([](const v1::Meeting& updated) {
                          std::cout << "会議を更新しました / meeting updated: " << updated.name()
                                    << "\n";
                          PrintFields({{"件名 / title", Cell(updated.title())},
                                       {"日時 / at", ScheduledText(updated)},
                                       {"場所 / location", OrDash(Cell(updated.location()))},
                                       {"etag", OrDash(updated.etag())}});
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--title", title_, "件名 / a short title without personal data");
    app.add_option("--at", at_, "日時 / when, JST: \"YYYY-MM-DD HH:MM\"");
    location_ = app.add_option("--location", location_text_, "場所 / where (\"\" clears it)");
    AddRepeatable(app, "--participant", &participants_,
                  std::string("replaces every participant; ") + kParticipantHelp +
                      ValidValues(*v1::ParticipantRole_descriptor()));
    app.add_option("--materials", materials_,
                   "資料 / materials" + std::string(kArgumentWarning) + "--materials-file)");
    app.add_option("--materials-file", materials_file_, FileHelp("資料"));
    app.add_option("--etag", etag_, kEtagHelp);
    app.footer("予定（SCHEDULED）の会議だけ変更できます / only a scheduled meeting changes.");
  }

  int PrepareFlags() override {
    v1::Meeting& meeting = *request_.mutable_meeting();
    meeting.set_name(name_);
    meeting.set_etag(etag_);
    auto* paths = request_.mutable_update_mask()->mutable_paths();
    std::string error;
    if (!title_.empty()) {
      meeting.set_title(std::string(TrimSpaces(title_)));
      paths->Add("title");
    }
    if (!at_.empty()) {
      if (!ParseJstDateTime("--at", at_, meeting.mutable_scheduled_time(), &error)) {
        return UsageError(error);
      }
      paths->Add("scheduled_time");
    }
    if (location_->count() > 0) {
      meeting.set_location(std::string(TrimSpaces(location_text_)));
      paths->Add("location");
    }
    for (size_t i = 0; i < participants_.size(); ++i) {
      if (!ParseParticipant(i + 1, participants_[i], meeting.add_participants(), &error)) {
        return UsageError(error);
      }
    }
    if (!participants_.empty()) paths->Add("participants");
    std::optional<std::string> materials;
    bool stdin_taken = false;
    if (!TextFromFlags("--materials", "--materials-file",
                       materials_.empty() ? std::nullopt : std::optional(materials_),
                       materials_file_, &stdin_taken, &materials, &error)) {
      return UsageError(error);
    }
    if (materials) {
      meeting.set_materials(*materials);
      paths->Add("materials");
    }
    if (paths->empty()) {
      return UsageError(
          "変更する項目がありません / nothing to change: give at least one of --title, --at, "
          "--location, --participant, --materials(-file)");
    }
    return kExitOk;
  }

 private:
  CLI::Option* location_ = nullptr;
  std::string title_, at_, location_text_, materials_, materials_file_, etag_;
  std::vector<std::string> participants_;
  v1::UpdateMeetingRequest request_;
};

class MeetingAcknowledgeCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    v1::AcknowledgeConfidentialityRequest request;
    request.set_name(name_);
    auto stub = MeetingsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Meetings::Stub::AcknowledgeConfidentiality,
                        request, std::function([&context](const v1::Meeting& meeting) {
                          PrintAcknowledged(meeting, context.options.user);
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.footer(
        "会議の参加者は、会議で知り得た個人情報を会議の目的以外に利用・提供しないことを確認します"
        "（支援会議では社会福祉法第106条の6による守秘義務）。確認を記録した後に会議の記録を読めま"
        "す。2回目以降は最初の確認日時が残ります。\n"
        "As a participant you acknowledge that you will not use or pass on what you learn in the "
        "meeting beyond its purpose (for a 支援会議, the statutory duty of art. 106-6 of the "
        "Social Welfare Act). Only then can you read the meeting's record. Acknowledging again "
        "keeps the first time.");
  }

 private:
  static void PrintAcknowledged(const v1::Meeting& meeting, const std::string& user) {
    std::cout << "守秘義務の確認を記録しました / confidentiality acknowledged: " << meeting.name()
              << "\n";
    PrintNotice(meeting);
    std::vector<std::pair<std::string, std::string>> fields = {
        {"種別 / type", EnumTextWithName(*v1::MeetingType_descriptor(), meeting.type())},
        {"件名 / title", Cell(meeting.title())},
        {"予定日時 / scheduled (JST)", ScheduledText(meeting)},
    };
    for (const auto& participant : meeting.participants()) {
      if (!user.empty() && participant.user() == std::string(kUserPrefix) + user &&
          participant.has_acknowledge_time()) {
        fields.emplace_back("確認日時 / acknowledged", LocalTime(participant.acknowledge_time()));
      }
    }
    PrintFields(fields);
    std::cerr << "記録は casectl meeting get " << meeting.name()
              << " で読めます / read the record with casectl meeting get " << meeting.name()
              << "\n";
  }
};

class MeetingMinutesCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CallAndPrint(context, stub.get(), &v1::Meetings::Stub::RecordMinutes, request_,
                        std::function(PrintMinutes));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--held", held_,
                   "開催日 / the day it was held, YYYY-MM-DD (JST), not in the future")
        ->required();
    app.add_option("--policy", policy_,
                   "支援方針 / the household-wide support policy" + std::string(kArgumentWarning) +
                       "--policy-file)");
    app.add_option("--policy-file", policy_file_, FileHelp("支援方針"));
    AddRepeatable(
        app, "--decision", &decisions_,
        "決定事項 / a decision, repeatable" + std::string(kArgumentWarning) + "--decisions-file)");
    app.add_option("--decisions-file", decisions_file_, LinesFileHelp("決定事項"));
    AddRepeatable(app, "--assign", &assigns_, kAssignHelp);
    app.add_option("--assignments-file", assignments_file_,
                   LinesFileHelp("役割分担 (AGENCY:YYYY-MM-DD:ACTION)"));
    app.add_option("--etag", etag_, kEtagHelp);
    app.footer(kMinutesHelp);
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_name(name_);
    request_.set_etag(etag_);
    if (!ParseDay("--held", held_, /*not_future=*/true, request_.mutable_held_date(), &error)) {
      return UsageError(error);
    }
    v1::Minutes& record = *request_.mutable_minutes();
    std::string text;
    bool stdin_taken = false;
    if (!RequiredTextFromFlags("--policy", "--policy-file", policy_, policy_file_, &stdin_taken,
                               "支援方針がありません / give the household-wide support policy "
                               "with --policy-file (recommended) or --policy",
                               &text, &error)) {
      return UsageError(error);
    }
    record.set_support_policy(text);
    std::vector<std::string> items;
    if (!ItemsFromFlags("--decision", "--decisions-file", decisions_, decisions_file_, &stdin_taken,
                        &items, &error)) {
      return UsageError(error);
    }
    for (auto& item : items) record.add_decisions(std::move(item));
    return PrepareAssignments(record, &stdin_taken);
  }

 private:
  static constexpr char kMinutesHelp[] =
      "支援方針 (--policy-file か --policy) が必要です。役割分担には r1, r2, ... の ID が振られ、"
      "期限を過ぎた未了の分担は機関と担当推進員の期限一覧 (casectl due) に出ます。\n"
      "The support policy is required. Assignments get the ids r1, r2, ... in the order given; "
      "an open one past its due date shows in the work list (casectl due) of its agency and of "
      "the case's coordinator.\n"
      "例 / example:\n  casectl meeting minutes 3 --held 2025-07-01 --policy-file policy.txt \\\n"
      "    --decisions-file decisions.txt --assignments-file assignments.txt\n"
      "  assignments.txt:\n    kita-houkatsu:2025-08-01:長男宅を訪問し状況を確認\n"
      "    kikan-soudan:2025-08-15:障害福祉サービスの利用を案内";

  int PrepareAssignments(v1::Minutes& record, bool* stdin_taken) const {
    std::vector<std::string> items;
    std::string error;
    if (!ItemsFromFlags("--assign", "--assignments-file", assigns_, assignments_file_, stdin_taken,
                        &items, &error)) {
      return UsageError(error);
    }
    const std::string option = assignments_file_.empty() ? "--assign" : "--assignments-file line";
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

  static void PrintMinutes(const v1::Meeting& held) {
    std::cout << "議事録を記録しました / minutes recorded: " << held.name() << " → "
              << EnumTextWithName(*v1::MeetingState_descriptor(), held.state()) << "\n";
    PrintFields({
        {"開催日 / held", DateText(held.held_date())},
        {"決定事項 / decisions", std::to_string(held.minutes().decisions_size())},
        {"etag", OrDash(held.etag())},
    });
    std::cout << "\n役割分担 / assignments (" << held.minutes().assignments_size() << "):\n";
    if (!held.minutes().assignments().empty()) PrintAssignments(held);
  }

  std::string held_, policy_, policy_file_, decisions_file_, assignments_file_, etag_;
  std::vector<std::string> decisions_, assigns_;
  v1::RecordMinutesRequest request_;
};

class MeetingCancelCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CallAndPrint(
        context, stub.get(), &v1::Meetings::Stub::CancelMeeting, request_,
        std::function([](const v1::Meeting& cancelled) {
          std::cout << "会議を中止しました / meeting cancelled: " << cancelled.name() << "\n";
          PrintFields({
              {"状態 / state", EnumTextWithName(*v1::MeetingState_descriptor(), cancelled.state())},
              {"中止理由 / cancel_reason", FieldText(cancelled.cancel_reason())},
              {"etag", OrDash(cancelled.etag())},
          });
        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--reason", reason_,
                   "中止理由 / why" + std::string(kArgumentWarning) + "--reason-file)");
    app.add_option("--reason-file", reason_file_, FileHelp("中止理由"));
    app.add_option("--etag", etag_, kEtagHelp);
  }

  int PrepareFlags() override {
    request_.set_name(name_);
    request_.set_etag(etag_);
    std::string text, error;
    bool stdin_taken = false;
    if (!RequiredTextFromFlags("--reason", "--reason-file", reason_, reason_file_, &stdin_taken,
                               "中止理由がありません / a cancellation needs a reason: give "
                               "--reason-file PATH or --reason TEXT",
                               &text, &error)) {
      return UsageError(error);
    }
    request_.set_reason(text);
    return kExitOk;
  }

 private:
  std::string reason_, reason_file_, etag_;
  v1::CancelMeetingRequest request_;
};

class MeetingAssignmentCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    auto stub = MeetingsStub(context);
    return CallAndPrint(
        context, stub.get(), &v1::Meetings::Stub::UpdateAssignment, request_,
        std::function([this](const v1::Meeting& updated) { PrintUpdated(updated); }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("id", assignment_text_,
                   "役割分担 / the assignment: r1 or 1 (the ID column of meeting get)")
        ->required();
    app.add_option("--status", status_,
                   "状態 / new status: " + ValidValues(*v1::AssignmentStatus_descriptor()));
    app.add_option("--due", due_, "新しい期限 / new due date (再調整), YYYY-MM-DD");
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_meeting(name_);
    std::string id(TrimSpaces(assignment_text_));
    if (IsIdNumber(id)) id = "r" + id;
    if (id.size() < 2 || id[0] != 'r' || !IsIdNumber(std::string_view(id).substr(1))) {
      return UsageError("役割分担の指定が不正です / ID: \"" + assignment_text_ +
                        "\" is not an assignment; give r1 or 1 (the ID column of meeting get)");
    }
    request_.set_assignment_id(id);
    if (status_.empty() && due_.empty()) {
      return UsageError("変更がありません / give --status (" +
                        ValidValues(*v1::AssignmentStatus_descriptor()) + ") or --due YYYY-MM-DD");
    }
    if (!status_.empty()) {
      int number = 0;
      if (!ParseEnum("--status", "状態", *v1::AssignmentStatus_descriptor(), status_, &number,
                     &error)) {
        return UsageError(error);
      }
      request_.set_status(static_cast<v1::AssignmentStatus>(number));
    }
    if (!due_.empty() &&
        !ParseDay("--due", due_, /*not_future=*/false, request_.mutable_due_date(), &error)) {
      return UsageError(error);
    }
    return kExitOk;
  }

 private:
  void PrintUpdated(const v1::Meeting& updated) const {
    std::cout << "役割分担を更新しました / assignment updated: " << name_ << "#"
              << request_.assignment_id() << "\n";
    // Staff outside the meeting get only a receipt (no minutes): the record stays the
    // participants'.
    for (const auto& assignment : updated.minutes().assignments()) {
      if (assignment.assignment_id() != request_.assignment_id()) continue;
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
  }

  std::string assignment_text_, status_, due_;
  v1::UpdateAssignmentRequest request_;
};

class MeetingExportCommand : public MeetingCommand {
 public:
  int Run(const Context& context) override {
    AtomicFile file(/*owner_only=*/true);
    std::string error;
    // Opened first, so that an unwritable place fails before the record is read (and audited).
    if (!out_.empty() && !file.Open(out_, &error)) {
      std::cerr << "エラー / error: --out: " << error << "\n";
      return kExitFailed;
    }
    v1::ExportMeetingRecordRequest request;
    request.set_name(name_);
    v1::ExportMeetingRecordResponse record;
    auto stub = MeetingsStub(context);
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->ExportMeetingRecord(call, request, &record);
    });
    if (!status.ok()) return ReportMeetingError(status, name_);
    if (out_.empty()) {
      return PrintResult(context, record, [&record] {
        std::cout << Printable(record.text(), true);
        if (!record.text().empty() && record.text().back() != '\n') std::cout << "\n";
      });
    }
    if (!file.Write(record.text(), &error) || !file.Commit(&error)) {
      std::cerr << "エラー / error: --out: " << error << "; " << out_ << " was not written\n";
      return kExitFailed;
    }
    std::cout << "会議記録を書き出しました / meeting record exported: " << name_ << " → " << out_
              << " (" << record.text().size() << " bytes, 0600)\n";
    std::cerr << "取扱注意: 会議の構成員以外に渡さないでください / confidential: do not pass it "
                 "outside the meeting's members\n";
    return kExitOk;
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--out", out_,
                   "file to write (replaced atomically, readable by you only); default: standard "
                   "output");
  }

 private:
  std::string out_;
};

constexpr CommandSpec kMeetingCommands[] = {
    {"meeting", "会議 / case meetings (coordinators run them; participants acknowledge and read)"},
    {"meeting schedule", "会議の予定登録 / schedule a meeting", Make<MeetingScheduleCommand>},
    {"meeting get",
     "詳細 / show a meeting: participants, materials, minutes (participants: after meeting "
     "acknowledge)",
     Make<MeetingGetCommand>},
    {"meeting list", "一覧 / meetings you may see, newest first", Make<MeetingListCommand>},
    {"meeting update",
     "予定の変更 / change a scheduled meeting's title, time, location, participants or materials",
     Make<MeetingUpdateCommand>},
    {"meeting acknowledge",
     "守秘義務の確認 / record that you acknowledge the duty of confidentiality (participants)",
     Make<MeetingAcknowledgeCommand>},
    {"meeting minutes",
     "議事録 / record the minutes: the meeting becomes 開催済み (HELD) and is counted",
     Make<MeetingMinutesCommand>},
    {"meeting cancel", "中止 / cancel a scheduled meeting, saying why", Make<MeetingCancelCommand>},
    {"meeting assignment",
     "役割分担の進捗 / mark a role assignment's progress or move its due date (coordinators and "
     "the assigned agency's staff)",
     Make<MeetingAssignmentCommand>},
    {"meeting export",
     "記録の書き出し / the meeting's record as a document, with its confidentiality notice "
     "(participants after acknowledging, coordinators)",
     Make<MeetingExportCommand>},
};

}  // namespace

std::span<const CommandSpec> MeetingCommandTable() { return kMeetingCommands; }

}  // namespace casecoord::cli
