#include "clients/cli/dispatch_commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/advisers.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

constexpr std::string_view kDispatchPrefix = "dispatches/";
constexpr std::string_view kAdviserPrefix = "advisers/";
// Dispatch and case ids are decimal numbers of at most this many digits.
// A --*-file holds one text for one field; anything bigger is almost surely the wrong file.
// The community group in `dispatch list` is cut to this many terminal columns.
constexpr size_t kSubjectColumns = 24;

constexpr char kLifecycleHelp[] =
    "派遣の流れ / lifecycle:\n"
    "  依頼 (REQUESTED)        → 決定 (APPROVED: approve --adviser) | 不承認 (DECLINED_DISPATCH: "
    "decline --reason)\n"
    "  決定 (APPROVED)         → 実施済み (SESSION_HELD: session) | 不承認 (decline)\n"
    "  実施済み (SESSION_HELD) → フォローアップ (followup, up to the server's limit, within its "
    "window after the session) | 終了 (CLOSED_DISPATCH: close)";

// --- Names, enums, dates -------------------------------------------------------------------------

// "12" or "<prefix>12" -> "<prefix>12", for dispatches and cases (numbered by the server).
bool ParseNumbered(const std::string& option, const std::string& what, std::string_view prefix,
                   const std::string& text, std::string* name, std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (StartsWith(rest, prefix)) rest.remove_prefix(prefix.size());
  if (!IsIdNumber(rest)) {
    *error = what + "の指定が不正です / " + option + ": \"" + text + "\" is not a name; give " +
             std::string(prefix) + "12 or 12";
    return false;
  }
  *name = std::string(prefix) + std::string(rest);
  return true;
}

// The user ids of the registry: a-z, 0-9, '-' and '_'.
bool IsUserId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

// "x" or "<prefix>x" -> "<prefix>x" for advisers, agencies and users (ids chosen by people).
bool ParseIdArgument(const std::string& option, const std::string& what, std::string_view prefix,
                     const std::string& text, std::string* name, std::string* error) {
  const std::string id = WithoutPrefix(std::string(TrimSpaces(text)), prefix);
  const bool valid = prefix == kUserPrefix ? IsUserId(id) : IsResourceId(id);
  if (!valid) {
    *error = what + "が不正です / " + option + ": \"" + text + "\" is not an id (e.g. kita-1 or " +
             std::string(prefix) + "kita-1)";
    return false;
  }
  *name = std::string(prefix) + id;
  return true;
}

// --date as a day; today (JST) when empty. The server judges whether it is in the future.
bool ParseDayOrToday(const std::string& option, const std::string& text, v1::Date* date,
                     std::string* error) {
  if (TrimSpaces(text).empty()) {
    *date = DateOf(std::chrono::system_clock::now());
    return true;
  }
  std::chrono::system_clock::time_point instant;
  if (!ParseDateFlag(option, text, &instant, error)) return false;
  *date = DateOf(instant);
  return true;
}

// --- Free text from files ---------------------------------------------------------------------

// A required free text given as `option` TEXT or `option`-file PATH (not both), trimmed. Only one
// flag of a command may read standard input.
bool RequiredText(const std::string& option, const std::string& what, const std::string& given,
                  const std::string& path, bool* stdin_taken, std::string* text,
                  std::string* error) {
  const std::string file_option = option + "-file";
  if (!TextOrEmpty(option, file_option, given, path, stdin_taken, text, error)) return false;
  if (text->empty()) {
    *error = what + "がありません / give " + file_option + " (recommended) or " + option;
    return false;
  }
  return true;
}

// --- Output ------------------------------------------------------------------------------------

std::string FieldsText(const google::protobuf::RepeatedField<int>& fields) {
  std::vector<std::string> labels;
  for (int field : fields) labels.push_back(EnumText(*v1::SupportField_descriptor(), field));
  return OrDash(Join(labels, ", "));
}

std::string ActiveText(const v1::Adviser& adviser) { return adviser.active() ? "有効" : "休止"; }

void PrintAdviser(const v1::Adviser& adviser) {
  PrintFields({
      {"名前 / name", adviser.name()},
      {"氏名 / display_name", Cell(adviser.display_name())},
      {"カナ / kana", Cell(adviser.kana())},
      {"種別 / kind", EnumTextWithName(*v1::AdviserKind_descriptor(), adviser.kind())},
      {"分野 / fields", FieldsText(adviser.fields())},
      {"所属 / agency", Cell(WithoutPrefix(adviser.agency(), kAgencyPrefix))},
      {"利用者 / user", Cell(WithoutPrefix(adviser.user(), kUserPrefix))},
      {"状態 / active", ActiveText(adviser)},
      {"etag", OrDash(adviser.etag())},
  });
}

// The case, or the community group, a dispatch is for.
std::string SubjectText(const v1::Dispatch& dispatch) {
  if (!dispatch.case_().empty()) return dispatch.case_();
  return Printable(dispatch.community_group(), false);
}

void PrintDispatch(const v1::Dispatch& dispatch) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"名前 / name", dispatch.name()},
      {"状態 / state", EnumTextWithName(*v1::DispatchState_descriptor(), dispatch.state())},
  };
  if (!dispatch.case_().empty()) {
    fields.emplace_back("ケース / case", dispatch.case_());
  } else {
    fields.emplace_back("団体 / community_group", Cell(dispatch.community_group()));
  }
  const std::vector<std::pair<std::string, std::string>> more = {
      {"分野 / field", EnumText(*v1::SupportField_descriptor(), dispatch.field())},
      {"依頼内容 / request_note", FieldText(dispatch.request_note())},
      {"希望アドバイザー / requested_adviser",
       Cell(WithoutPrefix(dispatch.requested_adviser(), kAdviserPrefix))},
      {"担当アドバイザー / assigned_adviser",
       Cell(WithoutPrefix(dispatch.assigned_adviser(), kAdviserPrefix))},
  };
  fields.insert(fields.end(), more.begin(), more.end());
  if (dispatch.has_session_date()) {
    fields.emplace_back("実施日 / session_date", DateText(dispatch.session_date()));
    fields.emplace_back("時間 / session_minutes",
                        std::to_string(dispatch.session_minutes()) + " 分");
    fields.emplace_back("報告 / session_report", FieldText(dispatch.session_report()));
    fields.emplace_back("フォローアップ期限 / follow_up_deadline",
                        DateText(dispatch.follow_up_deadline()));
  }
  if (dispatch.state() == v1::DECLINED_DISPATCH) {
    fields.emplace_back("不承認理由 / decline_reason", FieldText(dispatch.decline_reason()));
  }
  const std::vector<std::pair<std::string, std::string>> last = {
      {"依頼者 / requested_by", Cell(WithoutPrefix(dispatch.requested_by(), kUserPrefix))},
      {"依頼日時 / created", TimeText(dispatch.create_time(), dispatch.has_create_time())},
      {"更新 / updated", TimeText(dispatch.update_time(), dispatch.has_update_time())},
      {"etag", OrDash(dispatch.etag())},
  };
  fields.insert(fields.end(), last.begin(), last.end());
  PrintFields(fields);
  if (dispatch.follow_ups().empty()) return;
  std::cout << "\nフォローアップ / follow-ups (" << dispatch.follow_ups_size() << "):\n";
  std::vector<Row> rows;
  for (const auto& follow_up : dispatch.follow_ups()) {
    rows.push_back({std::to_string(follow_up.number()), DateText(follow_up.date()),
                    Cell(follow_up.note()),
                    TimeText(follow_up.create_time(), follow_up.has_create_time())});
  }
  PrintTable({"#", "実施日", "内容", "記録日時"}, rows);
}

}  // namespace

// --- The commands ------------------------------------------------------------------------------

struct DispatchCommands::State {
  CLI::App* adviser = nullptr;
  CLI::App* adviser_list = nullptr;
  CLI::App* adviser_create = nullptr;
  CLI::App* dispatch = nullptr;
  CLI::App* request = nullptr;
  CLI::App* get = nullptr;
  CLI::App* list = nullptr;
  CLI::App* approve = nullptr;
  CLI::App* decline = nullptr;
  CLI::App* session = nullptr;
  CLI::App* followup = nullptr;
  CLI::App* close = nullptr;

  // Arguments as given.
  std::string adviser_id, display_name, kana, kind, agency, user, dispatch_text, case_text, group,
      field, note, note_file, adviser_text, request_id, state, reason, reason_file, report,
      report_file, date, etag;
  std::vector<std::string> fields;
  bool active_only = false, inactive = false, all_pages = false;
  int page_size = 100;
  int minutes = 0;

  // Built by Prepare().
  std::string name;  // "dispatches/{id}"
  bool generated_request_id = false;
  bool stdin_taken = false;
  v1::ListAdvisersRequest list_advisers;
  v1::CreateAdviserRequest create_adviser;
  v1::CreateDispatchRequest create;
  v1::ListDispatchesRequest list_request;
  v1::ApproveDispatchRequest approve_request;
  v1::DeclineDispatchRequest decline_request;
  v1::RecordSessionRequest session_request;
  v1::RecordFollowUpRequest followup_request;
  v1::CloseDispatchRequest close_request;

  int PrepareAdviserList();
  int PrepareAdviserCreate();
  int PrepareRequest();
  int PrepareList();

  int AdviserList(const GlobalOptions& options, v1::Advisers::Stub* stub);
  int AdviserCreate(const GlobalOptions& options, v1::Advisers::Stub* stub);
  int Request(const GlobalOptions& options, v1::Advisers::Stub* stub);
  int Get(const GlobalOptions& options, v1::Advisers::Stub* stub);
  int List(const GlobalOptions& options, v1::Advisers::Stub* stub);
  // Approve, decline, session, followup and close.
  int Change(const GlobalOptions& options, v1::Advisers::Stub* stub);
};

DispatchCommands::DispatchCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const std::string field_values = ValidValues(*v1::SupportField_descriptor());
  const std::string kind_values = ValidValues(*v1::AdviserKind_descriptor());

  s.adviser = app->add_subcommand("adviser", "アドバイザー名簿 / the adviser registry");
  s.adviser->require_subcommand(1);
  s.adviser_list = s.adviser->add_subcommand("list", "一覧 / list advisers (everyone)");
  s.adviser_list->add_option("--kind", s.kind, "種別 / only this kind: " + kind_values);
  s.adviser_list->add_option("--field", s.field,
                             "分野 / only advisers of this field: " + field_values);
  auto* active = s.adviser_list->add_flag("--active", s.active_only, "有効 / only active ones");
  s.adviser_list->add_flag("--inactive", s.inactive, "休止 / only inactive ones")->excludes(active);

  s.adviser_create =
      s.adviser->add_subcommand("create", "登録 / register an adviser (admins and coordinators)");
  s.adviser_create->add_option("id", s.adviser_id, "ID: 1 to 63 of a-z, 0-9 and '-'")->required();
  s.adviser_create->add_option("--name", s.display_name, "氏名 / display name")->required();
  s.adviser_create->add_option("--kana", s.kana, "カナ / reading");
  s.adviser_create->add_option("--kind", s.kind, "種別 / kind: " + kind_values)->required();
  s.adviser_create
      ->add_option("--field", s.fields,
                   "分野 / field advised on, repeatable or comma-separated: " + field_values)
      ->required()
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.adviser_create->add_option("--agency", s.agency, "所属 / agency: ID or agencies/ID");
  s.adviser_create->add_option("--user", s.user,
                               "利用者 / the user who signs in as this adviser: ID or users/ID");
  s.adviser_create->add_flag("--inactive", s.inactive, "休止 / register as inactive");

  const std::string dispatch_help = "派遣 / dispatch: dispatches/3 or 3";
  const std::string adviser_help = "アドバイザー / adviser: ID or advisers/ID";
  const std::string etag_help = "only if the dispatch still has this etag (else ABORTED)";
  s.dispatch = app->add_subcommand("dispatch", "アドバイザー派遣 / adviser dispatch");
  s.dispatch->require_subcommand(1);
  s.dispatch->footer(kLifecycleHelp);

  s.request = s.dispatch->add_subcommand(
      "request", "依頼 / request an adviser for a case or a community group (coordinators)");
  auto* case_option =
      s.request->add_option("--case", s.case_text, "ケース / the case: cases/12 or 12");
  s.request->add_option("--group", s.group, "団体 / the community group's name")
      ->excludes(case_option);
  s.request->add_option("--field", s.field, "分野 / field of the difficulty: " + field_values)
      ->required();
  s.request->add_option("--note", s.note,
                        "依頼内容 / what advice is needed, as an argument (visible in the process "
                        "list and shell history: prefer --note-file)");
  s.request->add_option("--note-file", s.note_file,
                        "依頼内容をファイルから / from a UTF-8 text file; - reads standard input");
  s.request->add_option("--adviser", s.adviser_text,
                        "希望アドバイザー / adviser wished for, " + adviser_help);
  s.request->add_option(
      "--request-id", s.request_id,
      "リクエストID / makes a retry safe: the same id gives the dispatch the first call created. "
      "Default: a new random UUID, printed so a retry can reuse it");

  s.get = s.dispatch->add_subcommand("get", "詳細 / show one dispatch");
  s.get->add_option("dispatch", s.dispatch_text, dispatch_help)->required();

  s.list = s.dispatch->add_subcommand("list", "一覧 / the dispatches you may see, newest first");
  s.list->add_option("--state", s.state,
                     "状態 / only this state: " + ValidValues(*v1::DispatchState_descriptor()));
  s.list->add_option("--case", s.case_text, "ケース / only this case's: cases/12 or 12");
  s.list->add_option("--adviser", s.adviser_text, "担当 / only those assigned to " + adviser_help);
  s.list->add_option("--page-size", s.page_size, "dispatches per call (default 100)");
  s.list->add_flag("--all", s.all_pages, "すべて / every page, not only the first");

  s.approve = s.dispatch->add_subcommand("approve", "決定 / approve, assigning an adviser");
  s.approve->add_option("dispatch", s.dispatch_text, dispatch_help)->required();
  s.approve->add_option("--adviser", s.adviser_text, "担当 / the adviser assigned, " + adviser_help)
      ->required();
  s.approve->add_option("--etag", s.etag, etag_help);

  s.decline = s.dispatch->add_subcommand("decline", "不承認 / decline, saying why");
  s.decline->add_option("dispatch", s.dispatch_text, dispatch_help)->required();
  s.decline->add_option("--reason", s.reason, "理由 / why (give --reason or --reason-file)");
  s.decline->add_option("--reason-file", s.reason_file,
                        "理由をファイルから / from a UTF-8 text file; - reads standard input");
  s.decline->add_option("--etag", s.etag, etag_help);

  s.session = s.dispatch->add_subcommand(
      "session", "実施 / record the session (coordinators and the assigned adviser)");
  s.session->add_option("dispatch", s.dispatch_text, dispatch_help)->required();
  s.session->add_option("--date", s.date, "実施日 / YYYY-MM-DD; default today, not in the future");
  s.session->add_option("--minutes", s.minutes, "時間 / minutes, 1 to 1440 (default 120)");
  s.session->add_option("--report", s.report,
                        "報告 / the session's report, as an argument (prefer --report-file)");
  s.session->add_option("--report-file", s.report_file,
                        "報告をファイルから / from a UTF-8 text file; - reads standard input");
  s.session->add_option("--etag", s.etag, etag_help);

  s.followup = s.dispatch->add_subcommand("followup",
                                          "フォローアップ / record a follow-up after the session");
  s.followup->add_option("dispatch", s.dispatch_text, dispatch_help)->required();
  s.followup->add_option("--date", s.date,
                         "実施日 / YYYY-MM-DD; default today; within the window after the session");
  s.followup->add_option("--note", s.note, "内容 / what was discussed (prefer --note-file)");
  s.followup->add_option("--note-file", s.note_file,
                         "内容をファイルから / from a UTF-8 text file; - reads standard input");
  s.followup->add_option("--etag", s.etag, etag_help);

  s.close = s.dispatch->add_subcommand("close", "終了 / close a dispatch after its session");
  s.close->add_option("dispatch", s.dispatch_text, dispatch_help)->required();
  s.close->add_option("--etag", s.etag, etag_help);
}

DispatchCommands::~DispatchCommands() = default;

bool DispatchCommands::Selected() const {
  return state_->adviser->parsed() || state_->dispatch->parsed();
}

int DispatchCommands::Prepare() {
  State& s = *state_;
  if (s.adviser_list->parsed()) return s.PrepareAdviserList();
  if (s.adviser_create->parsed()) return s.PrepareAdviserCreate();
  if (s.request->parsed()) return s.PrepareRequest();
  if (s.list->parsed()) return s.PrepareList();
  std::string error;
  if (!ParseNumbered("DISPATCH", "派遣", kDispatchPrefix, s.dispatch_text, &s.name, &error)) {
    return UsageError(error);
  }
  if (s.approve->parsed()) {
    std::string adviser;
    if (!ParseIdArgument("--adviser", "アドバイザー", kAdviserPrefix, s.adviser_text, &adviser,
                         &error)) {
      return UsageError(error);
    }
    s.approve_request.set_name(s.name);
    s.approve_request.set_adviser(adviser);
    s.approve_request.set_etag(s.etag);
  } else if (s.decline->parsed()) {
    std::string reason;
    if (!RequiredText("--reason", "理由", s.reason, s.reason_file, &s.stdin_taken, &reason,
                      &error)) {
      return UsageError(error);
    }
    s.decline_request.set_name(s.name);
    s.decline_request.set_reason(reason);
    s.decline_request.set_etag(s.etag);
  } else if (s.session->parsed()) {
    if (s.minutes != 0 && (s.minutes < 1 || s.minutes > 24 * 60)) {
      return UsageError("時間が不正です / --minutes: give 1 to 1440, not " +
                        std::to_string(s.minutes));
    }
    std::string report;
    if (!ParseDayOrToday("--date", s.date, s.session_request.mutable_session_date(), &error) ||
        !RequiredText("--report", "報告", s.report, s.report_file, &s.stdin_taken, &report,
                      &error)) {
      return UsageError(error);
    }
    s.session_request.set_name(s.name);
    s.session_request.set_session_minutes(s.minutes);
    s.session_request.set_report(report);
    s.session_request.set_etag(s.etag);
  } else if (s.followup->parsed()) {
    std::string note;
    if (!ParseDayOrToday("--date", s.date, s.followup_request.mutable_follow_up()->mutable_date(),
                         &error) ||
        !RequiredText("--note", "内容", s.note, s.note_file, &s.stdin_taken, &note, &error)) {
      return UsageError(error);
    }
    s.followup_request.set_name(s.name);
    s.followup_request.mutable_follow_up()->set_note(note);
    s.followup_request.set_etag(s.etag);
  } else if (s.close->parsed()) {
    s.close_request.set_name(s.name);
    s.close_request.set_etag(s.etag);
  }
  return kExitOk;
}

int DispatchCommands::State::PrepareAdviserList() {
  std::vector<std::string> clauses;
  std::string error;
  int number = 0;
  if (!kind.empty()) {
    if (!ParseEnumFlag("--kind", "種別", *v1::AdviserKind_descriptor(), kind, &number, &error)) {
      return UsageError(error);
    }
    clauses.push_back("kind = " + v1::AdviserKind_Name(static_cast<v1::AdviserKind>(number)));
  }
  if (!field.empty()) {
    if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number, &error)) {
      return UsageError(error);
    }
    clauses.push_back("field = " + v1::SupportField_Name(static_cast<v1::SupportField>(number)));
  }
  if (active_only) clauses.push_back("active = true");
  if (inactive) clauses.push_back("active = false");
  list_advisers.set_filter(Join(clauses, " AND "));
  return kExitOk;
}

int DispatchCommands::State::PrepareAdviserCreate() {
  std::string error;
  const std::string id(TrimSpaces(adviser_id));
  if (!IsResourceId(id)) {
    return UsageError("IDが不正です / ID: \"" + adviser_id +
                      "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. kobayashi");
  }
  create_adviser.set_adviser_id(id);
  v1::Adviser& adviser = *create_adviser.mutable_adviser();
  adviser.set_display_name(std::string(TrimSpaces(display_name)));
  adviser.set_kana(std::string(TrimSpaces(kana)));
  int number = 0;
  if (!ParseEnumFlag("--kind", "種別", *v1::AdviserKind_descriptor(), kind, &number, &error)) {
    return UsageError(error);
  }
  adviser.set_kind(static_cast<v1::AdviserKind>(number));
  for (const auto& text : NonEmpty(fields)) {
    if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), text, &number, &error)) {
      return UsageError(error);
    }
    adviser.add_fields(static_cast<v1::SupportField>(number));
  }
  if (adviser.fields().empty()) {
    return UsageError("分野がありません / --field: give at least one field");
  }
  std::string name;
  if (!TrimSpaces(agency).empty()) {
    if (!ParseIdArgument("--agency", "所属", kAgencyPrefix, agency, &name, &error)) {
      return UsageError(error);
    }
    adviser.set_agency(name);
  }
  if (!TrimSpaces(user).empty()) {
    if (!ParseIdArgument("--user", "利用者", kUserPrefix, user, &name, &error)) {
      return UsageError(error);
    }
    adviser.set_user(name);
  }
  adviser.set_active(!inactive);
  return kExitOk;
}

int DispatchCommands::State::PrepareRequest() {
  std::string error;
  v1::Dispatch& dispatch = *create.mutable_dispatch();
  if (!case_text.empty()) {
    std::string case_name;
    if (!ParseNumbered("--case", "ケース", kCasePrefix, case_text, &case_name, &error)) {
      return UsageError(error);
    }
    dispatch.set_case_(case_name);
  } else if (!TrimSpaces(group).empty()) {
    dispatch.set_community_group(std::string(TrimSpaces(group)));
  } else {
    return UsageError(
        "派遣先がありません / give --case CASE (a case) or --group NAME (a community group)");
  }
  int number = 0;
  if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number, &error)) {
    return UsageError(error);
  }
  dispatch.set_field(static_cast<v1::SupportField>(number));
  std::string request_note;
  if (!RequiredText("--note", "依頼内容", note, note_file, &stdin_taken, &request_note, &error)) {
    return UsageError(error);
  }
  dispatch.set_request_note(request_note);
  if (!adviser_text.empty()) {
    std::string adviser;
    if (!ParseIdArgument("--adviser", "アドバイザー", kAdviserPrefix, adviser_text, &adviser,
                         &error)) {
      return UsageError(error);
    }
    dispatch.set_requested_adviser(adviser);
  }
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
  create.set_request_id(request_id);
  return kExitOk;
}

int DispatchCommands::State::PrepareList() {
  if (page_size < 0) {
    return UsageError("--page-size: must be 0 (server default) or more, not " +
                      std::to_string(page_size));
  }
  std::vector<std::string> clauses;
  std::string error;
  if (!state.empty()) {
    int number = 0;
    if (!ParseEnumFlag("--state", "状態", *v1::DispatchState_descriptor(), state, &number,
                       &error)) {
      return UsageError(error);
    }
    clauses.push_back("state = " + v1::DispatchState_Name(static_cast<v1::DispatchState>(number)));
  }
  std::string name;
  if (!case_text.empty()) {
    if (!ParseNumbered("--case", "ケース", kCasePrefix, case_text, &name, &error)) {
      return UsageError(error);
    }
    clauses.push_back("case = \"" + name + "\"");
  }
  if (!adviser_text.empty()) {
    if (!ParseIdArgument("--adviser", "アドバイザー", kAdviserPrefix, adviser_text, &name,
                         &error)) {
      return UsageError(error);
    }
    clauses.push_back("adviser = \"" + name + "\"");
  }
  list_request.set_filter(Join(clauses, " AND "));
  list_request.set_page_size(page_size);
  return kExitOk;
}

int DispatchCommands::Run(const GlobalOptions& options,
                          const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Advisers::NewStub(channel);
  if (s.adviser_list->parsed()) return s.AdviserList(options, stub.get());
  if (s.adviser_create->parsed()) return s.AdviserCreate(options, stub.get());
  if (s.request->parsed()) return s.Request(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.list->parsed()) return s.List(options, stub.get());
  return s.Change(options, stub.get());
}

int DispatchCommands::State::AdviserList(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  v1::ListAdvisersResponse all;
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Advisers::Stub::ListAdvisers, stub), list_advisers,
                 &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.advisers().empty()) {
    std::cout << "アドバイザーはいません / no advisers\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& adviser : all.advisers()) {
    rows.push_back({WithoutPrefix(adviser.name(), kAdviserPrefix), Cell(adviser.display_name()),
                    EnumText(*v1::AdviserKind_descriptor(), adviser.kind()),
                    FieldsText(adviser.fields()),
                    Cell(WithoutPrefix(adviser.agency(), kAgencyPrefix)),
                    Cell(WithoutPrefix(adviser.user(), kUserPrefix)), ActiveText(adviser)});
  }
  PrintTable({"ID", "氏名", "種別", "分野", "所属", "利用者", "状態"}, rows);
  return kExitOk;
}

int DispatchCommands::State::AdviserCreate(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  v1::Adviser created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateAdviser(context.get(), create_adviser, &created);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(created);
    return kExitOk;
  }
  std::cout << "アドバイザーを登録しました / adviser created: " << created.name() << "\n";
  PrintAdviser(created);
  return kExitOk;
}

int DispatchCommands::State::Request(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  const std::string& id = create.request_id();
  if (generated_request_id) {
    // Before the call, so that it is on the screen whatever happens to the call.
    std::cerr << "リクエストID / request id: " << id << "\n";
  }
  v1::Dispatch created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateDispatch(context.get(), create, &created);
  if (!status.ok()) {
    ReportError(status);
    std::cerr << "再試行するときは --request-id " << id
              << " を付けてください (二重依頼を防ぎます) / to retry without a second request, add "
                 "--request-id "
              << id << "\n";
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(created);
    return kExitOk;
  }
  std::cout << "派遣を依頼しました / dispatch requested: " << created.name() << "\n";
  PrintDispatch(created);
  return kExitOk;
}

int DispatchCommands::State::Get(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  v1::GetDispatchRequest request;
  request.set_name(name);
  v1::Dispatch dispatch;
  auto context = NewContext(options);
  grpc::Status status = stub->GetDispatch(context.get(), request, &dispatch);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(dispatch);
  } else {
    PrintDispatch(dispatch);
  }
  return kExitOk;
}

int DispatchCommands::State::List(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  v1::ListDispatchesResponse all;
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Advisers::Stub::ListDispatches, stub), list_request,
                 &all, all_pages);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.dispatches().empty()) {
    std::cout << "派遣はありません / no dispatches\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& dispatch : all.dispatches()) {
    rows.push_back({dispatch.name(), EnumText(*v1::DispatchState_descriptor(), dispatch.state()),
                    Cell(Truncate(SubjectText(dispatch), kSubjectColumns)),
                    EnumText(*v1::SupportField_descriptor(), dispatch.field()),
                    Cell(WithoutPrefix(dispatch.assigned_adviser(), kAdviserPrefix)),
                    DateText(dispatch.session_date()), std::to_string(dispatch.follow_ups_size()),
                    JstDate(dispatch.create_time())});
  }
  PrintTable({"名前", "状態", "対象", "分野", "担当", "実施日", "フォロー", "依頼日"}, rows);
  if (!all.next_page_token().empty()) {
    std::cerr << "続きがあります / more: --all, or --page-size\n";
  }
  return kExitOk;
}

int DispatchCommands::State::Change(const GlobalOptions& options, v1::Advisers::Stub* stub) {
  v1::Dispatch changed;
  auto context = NewContext(options);
  grpc::Status status;
  std::string done;
  if (approve->parsed()) {
    status = stub->ApproveDispatch(context.get(), approve_request, &changed);
    done = "派遣を決定しました / dispatch approved";
  } else if (decline->parsed()) {
    status = stub->DeclineDispatch(context.get(), decline_request, &changed);
    done = "派遣を不承認にしました / dispatch declined";
  } else if (session->parsed()) {
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    session_request.set_request_id(NewRequestId().value_or(""));
    status = stub->RecordSession(context.get(), session_request, &changed);
    done = "実施を記録しました / session recorded";
  } else if (followup->parsed()) {
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    followup_request.set_request_id(NewRequestId().value_or(""));
    status = stub->RecordFollowUp(context.get(), followup_request, &changed);
    done = "フォローアップを記録しました / follow-up recorded";
  } else if (close->parsed()) {
    status = stub->CloseDispatch(context.get(), close_request, &changed);
    done = "派遣を終了しました / dispatch closed";
  } else {
    return UsageError("dispatch: give a subcommand (see casectl dispatch --help)");
  }
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(changed);
    return kExitOk;
  }
  std::cout << done << ": " << changed.name() << "\n";
  PrintDispatch(changed);
  return kExitOk;
}

}  // namespace casecoord::cli
