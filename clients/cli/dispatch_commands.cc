// casectl adviser ... and casectl dispatch ...: the adviser registry (アドバイザー名簿) and adviser
// dispatch (アドバイザー派遣) from the command line.
//
//   adviser list [--kind K] [--field F] [--active | --inactive]
//   adviser create ID --name 氏名 --kind K --field F [--field F ...] [--kana カナ]
//             [--agency AGENCY] [--user USER] [--inactive]
//   dispatch request (--case CASE | --group 団体名) --field F (--note-file PATH | --note TEXT)
//             [--adviser ADVISER] [--request-id ID]
//   dispatch get DISPATCH
//   dispatch list [--state S] [--case CASE] [--adviser ADVISER] [--page-size N] [--all]
//   dispatch approve DISPATCH --adviser ADVISER [--etag E]
//   dispatch decline DISPATCH (--reason-file PATH | --reason TEXT) [--etag E]
//   dispatch session DISPATCH (--report-file PATH | --report TEXT) [--date YYYY-MM-DD]
//             [--minutes N] [--etag E]
//   dispatch followup DISPATCH (--note-file PATH | --note TEXT) [--date YYYY-MM-DD] [--etag E]
//   dispatch close DISPATCH [--etag E]
//
// DISPATCH is "dispatches/3" or "3"; CASE "cases/12" or "12"; ADVISER "kobayashi" or
// "advisers/kobayashi"; AGENCY "kita-houkatsu" or "agencies/kita-houkatsu"; USER "alice" or
// "users/alice". Enum flags (--kind, --field, --state) take the Japanese label or the value name
// ("障害" or DISABILITY). --date defaults to today (JST); the server refuses a day in the future.
// `dispatch request` without --request-id makes a random one (UUID v4) and prints it on stderr, so
// that a retry after a lost answer can reuse it and get the same dispatch.
//
// Free text about a household (依頼内容, 報告, 記録, 理由) is better given as a file (--X-file
// PATH;
// "-" reads standard input, one flag per command): a command-line argument is visible to other
// local users in the process list and stays in the shell history. Files must be UTF-8.
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent.

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
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
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
  return RequiredTextFromFlags(
      option, file_option, given, path, stdin_taken,
      what + "がありません / give " + file_option + " (recommended) or " + option, text, error);
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

// --- The commands ------------------------------------------------------------------------------

constexpr char kDispatchHelp[] = "派遣 / dispatch: dispatches/3 or 3";
constexpr char kAdviserHelp[] = "アドバイザー / adviser: ID or advisers/ID";
constexpr char kEtagHelp[] = "only if the dispatch still has this etag (else ABORTED)";

bool ParseAdviser(const std::string& text, std::string* name, std::string* error) {
  return ParseIdArgument("--adviser", "アドバイザー", kAdviserPrefix, text, name, error);
}

// `text` as "<what> = VALUE_NAME" for a filter, when given.
bool EnumClause(const std::string& option, const std::string& what, const std::string& key,
                const google::protobuf::EnumDescriptor& type, const std::string& text,
                std::vector<std::string>* clauses, std::string* error) {
  if (text.empty()) return true;
  int number = 0;
  if (!ParseEnumFlag(option, what, type, text, &number, error)) return false;
  clauses->push_back(key + " = " + type.FindValueByNumber(number)->name());
  return true;
}

class AdviserListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--kind", kind_,
                   "種別 / only this kind: " + ValidValues(*v1::AdviserKind_descriptor()));
    app.add_option(
        "--field", field_,
        "分野 / only advisers of this field: " + ValidValues(*v1::SupportField_descriptor()));
    auto* active = app.add_flag("--active", active_only_, "有効 / only active ones");
    app.add_flag("--inactive", inactive_, "休止 / only inactive ones")->excludes(active);
  }

  int Prepare() override {
    std::vector<std::string> clauses;
    std::string error;
    if (!EnumClause("--kind", "種別", "kind", *v1::AdviserKind_descriptor(), kind_, &clauses,
                    &error) ||
        !EnumClause("--field", "分野", "field", *v1::SupportField_descriptor(), field_, &clauses,
                    &error)) {
      return UsageError(error);
    }
    if (active_only_) clauses.push_back("active = true");
    if (inactive_) clauses.push_back("active = false");
    request_.set_filter(Join(clauses, " AND "));
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    return ListAndPrint(context, stub.get(), &v1::Advisers::Stub::ListAdvisers, request_,
                        /*all_pages=*/true, std::function(PrintAdvisers));
  }

 private:
  static void PrintAdvisers(const v1::ListAdvisersResponse& all) {
    if (all.advisers().empty()) {
      std::cout << "アドバイザーはいません / no advisers\n";
      return;
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
  }

  std::string kind_, field_;
  bool active_only_ = false, inactive_ = false;
  v1::ListAdvisersRequest request_;
};

class AdviserCreateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", adviser_id_, "ID: 1 to 63 of a-z, 0-9 and '-'")->required();
    app.add_option("--name", display_name_, "氏名 / display name")->required();
    app.add_option("--kana", kana_, "カナ / reading");
    app.add_option("--kind", kind_, "種別 / kind: " + ValidValues(*v1::AdviserKind_descriptor()))
        ->required();
    app.add_option("--field", fields_,
                   "分野 / field advised on, repeatable or comma-separated: " +
                       ValidValues(*v1::SupportField_descriptor()))
        ->required()
        ->expected(1)
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--agency", agency_, "所属 / agency: ID or agencies/ID");
    app.add_option("--user", user_,
                   "利用者 / the user who signs in as this adviser: ID or users/ID");
    app.add_flag("--inactive", inactive_, "休止 / register as inactive");
  }

  int Prepare() override {
    const std::string id(TrimSpaces(adviser_id_));
    if (!IsResourceId(id)) {
      return UsageError("IDが不正です / ID: \"" + adviser_id_ +
                        "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. kobayashi");
    }
    request_.set_adviser_id(id);
    v1::Adviser& adviser = *request_.mutable_adviser();
    adviser.set_display_name(std::string(TrimSpaces(display_name_)));
    adviser.set_kana(std::string(TrimSpaces(kana_)));
    adviser.set_active(!inactive_);
    std::string error;
    int number = 0;
    if (!ParseEnumFlag("--kind", "種別", *v1::AdviserKind_descriptor(), kind_, &number, &error)) {
      return UsageError(error);
    }
    adviser.set_kind(static_cast<v1::AdviserKind>(number));
    for (const auto& text : NonEmpty(fields_)) {
      if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), text, &number,
                         &error)) {
        return UsageError(error);
      }
      adviser.add_fields(static_cast<v1::SupportField>(number));
    }
    if (adviser.fields().empty()) {
      return UsageError("分野がありません / --field: give at least one field");
    }
    return PrepareLinks(adviser);
  }

  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    return CallAndPrint(
        context, stub.get(), &v1::Advisers::Stub::CreateAdviser, request_,
        std::function([](const v1::Adviser& created) {
          std::cout << "アドバイザーを登録しました / adviser created: " << created.name() << "\n";
          PrintAdviser(created);
        }));
  }

 private:
  // --agency and --user, when given.
  int PrepareLinks(v1::Adviser& adviser) const {
    std::string name, error;
    if (!TrimSpaces(agency_).empty()) {
      if (!ParseIdArgument("--agency", "所属", kAgencyPrefix, agency_, &name, &error)) {
        return UsageError(error);
      }
      adviser.set_agency(name);
    }
    if (!TrimSpaces(user_).empty()) {
      if (!ParseIdArgument("--user", "利用者", kUserPrefix, user_, &name, &error)) {
        return UsageError(error);
      }
      adviser.set_user(name);
    }
    return kExitOk;
  }

  std::string adviser_id_, display_name_, kana_, kind_, agency_, user_;
  std::vector<std::string> fields_;
  bool inactive_ = false;
  v1::CreateAdviserRequest request_;
};

class DispatchRequestCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    auto* case_option = app.add_option("--case", case_text_, "ケース / the case: cases/12 or 12");
    app.add_option("--group", group_, "団体 / the community group's name")->excludes(case_option);
    app.add_option("--field", field_,
                   "分野 / field of the difficulty: " + ValidValues(*v1::SupportField_descriptor()))
        ->required();
    app.add_option("--note", note_,
                   "依頼内容 / what advice is needed, as an argument (visible in the process "
                   "list and shell history: prefer --note-file)");
    app.add_option("--note-file", note_file_,
                   "依頼内容をファイルから / from a UTF-8 text file; - reads standard input");
    app.add_option("--adviser", adviser_text_,
                   "希望アドバイザー / adviser wished for, " + std::string(kAdviserHelp));
    app.add_option(
        "--request-id", request_id_,
        "リクエストID / makes a retry safe: the same id gives the dispatch the first call "
        "created. Default: a new random UUID, printed so a retry can reuse it");
  }

  int Prepare() override {
    std::string error;
    v1::Dispatch& dispatch = *request_.mutable_dispatch();
    if (!case_text_.empty()) {
      std::string case_name;
      if (!cases::ResolveCaseArgument("--case", case_text_, &case_name, &error)) {
        return UsageError(error);
      }
      dispatch.set_case_(case_name);
    } else if (!TrimSpaces(group_).empty()) {
      dispatch.set_community_group(std::string(TrimSpaces(group_)));
    } else {
      return UsageError(
          "派遣先がありません / give --case CASE (a case) or --group NAME (a community group)");
    }
    int number = 0;
    if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field_, &number,
                       &error)) {
      return UsageError(error);
    }
    dispatch.set_field(static_cast<v1::SupportField>(number));
    std::string request_note, adviser;
    bool stdin_taken = false;
    if (!RequiredText("--note", "依頼内容", note_, note_file_, &stdin_taken, &request_note,
                      &error)) {
      return UsageError(error);
    }
    dispatch.set_request_note(request_note);
    if (!adviser_text_.empty()) {
      if (!ParseAdviser(adviser_text_, &adviser, &error)) return UsageError(error);
      dispatch.set_requested_adviser(adviser);
    }
    return PrepareRequestId();
  }

  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    return CreateAndPrint(
        context, stub.get(), &v1::Advisers::Stub::CreateDispatch, request_, generated_request_id_,
        {"依頼", "a second request"}, std::function([](const v1::Dispatch& created) {
          std::cout << "派遣を依頼しました / dispatch requested: " << created.name() << "\n";
          PrintDispatch(created);
        }));
  }

 private:
  int PrepareRequestId() {
    return cli::PrepareRequestId(&request_id_, &generated_request_id_, &request_);
  }

  std::string case_text_, group_, field_, note_, note_file_, adviser_text_, request_id_;
  bool generated_request_id_ = false;
  v1::CreateDispatchRequest request_;
};

class DispatchListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--state", state_,
                   "状態 / only this state: " + ValidValues(*v1::DispatchState_descriptor()));
    app.add_option("--case", case_text_, "ケース / only this case's: cases/12 or 12");
    app.add_option("--adviser", adviser_text_,
                   "担当 / only those assigned to " + std::string(kAdviserHelp));
    app.add_option("--page-size", page_size_, "dispatches per call (default 100)");
    app.add_flag("--all", all_pages_, "すべて / every page, not only the first");
  }

  int Prepare() override {
    if (const int code = CheckPageSize(page_size_); code != kExitOk) return code;
    std::vector<std::string> clauses;
    std::string name, error;
    if (!EnumClause("--state", "状態", "state", *v1::DispatchState_descriptor(), state_, &clauses,
                    &error)) {
      return UsageError(error);
    }
    if (!case_text_.empty()) {
      if (!cases::ResolveCaseArgument("--case", case_text_, &name, &error)) {
        return UsageError(error);
      }
      clauses.push_back("case = \"" + name + "\"");
    }
    if (!adviser_text_.empty()) {
      if (!ParseAdviser(adviser_text_, &name, &error)) return UsageError(error);
      clauses.push_back("adviser = \"" + name + "\"");
    }
    request_.set_filter(Join(clauses, " AND "));
    request_.set_page_size(page_size_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    return ListAndPrint(context, stub.get(), &v1::Advisers::Stub::ListDispatches, request_,
                        all_pages_, std::function(PrintDispatches));
  }

 private:
  static void PrintDispatches(const v1::ListDispatchesResponse& all) {
    if (all.dispatches().empty()) {
      std::cout << "派遣はありません / no dispatches\n";
      return;
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
  }

  std::string state_, case_text_, adviser_text_;
  int page_size_ = 100;
  bool all_pages_ = false;
  v1::ListDispatchesRequest request_;
};

// A command on one dispatch (the DISPATCH argument).
class DispatchCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("dispatch", dispatch_text_, kDispatchHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParseNumbered("DISPATCH", "派遣", kDispatchPrefix, dispatch_text_, &name_, &error)) {
      return UsageError(error);
    }
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  std::string name_;  // "dispatches/{id}"

 private:
  std::string dispatch_text_;
};

class DispatchGetCommand : public DispatchCommand {
 public:
  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    v1::GetDispatchRequest request;
    request.set_name(name_);
    return CallAndPrint(context, stub.get(), &v1::Advisers::Stub::GetDispatch, request,
                        std::function(PrintDispatch));
  }
};

// approve, decline, session, followup and close: one call that changes the dispatch, whose new
// state is printed under `done`.
template <typename Request>
class DispatchChangeCommand : public DispatchCommand {
 public:
  using Method = grpc::Status (v1::Advisers::Stub::*)(grpc::ClientContext*, const Request&,
                                                      v1::Dispatch*);

  DispatchChangeCommand(Method method, const char* done) : method_(method), done_(done) {}

  int Run(const Context& context) override {
    auto stub = v1::Advisers::NewStub(context.channel);
    return CallAndPrint(context, stub.get(), method_, request_,
                        std::function([this](const v1::Dispatch& changed) {
                          std::cout << done_ << ": " << changed.name() << "\n";
                          PrintDispatch(changed);
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    ConfigureChange(app);
    app.add_option("--etag", etag_, kEtagHelp);
  }

  int PrepareFlags() override {
    request_.set_name(name_);
    request_.set_etag(etag_);
    return PrepareChange();
  }

  virtual void ConfigureChange(CLI::App& /*app*/) {}
  virtual int PrepareChange() { return kExitOk; }

  Request request_;

 private:
  Method method_;
  const char* done_;
  std::string etag_;
};

class DispatchApproveCommand : public DispatchChangeCommand<v1::ApproveDispatchRequest> {
 public:
  DispatchApproveCommand()
      : DispatchChangeCommand(&v1::Advisers::Stub::ApproveDispatch,
                              "派遣を決定しました / dispatch approved") {}

 protected:
  void ConfigureChange(CLI::App& app) override {
    app.add_option("--adviser", adviser_text_,
                   "担当 / the adviser assigned, " + std::string(kAdviserHelp))
        ->required();
  }

  int PrepareChange() override {
    std::string adviser, error;
    if (!ParseAdviser(adviser_text_, &adviser, &error)) return UsageError(error);
    request_.set_adviser(adviser);
    return kExitOk;
  }

 private:
  std::string adviser_text_;
};

class DispatchDeclineCommand : public DispatchChangeCommand<v1::DeclineDispatchRequest> {
 public:
  DispatchDeclineCommand()
      : DispatchChangeCommand(&v1::Advisers::Stub::DeclineDispatch,
                              "派遣を不承認にしました / dispatch declined") {}

 protected:
  void ConfigureChange(CLI::App& app) override {
    app.add_option("--reason", reason_, "理由 / why (give --reason or --reason-file)");
    app.add_option("--reason-file", reason_file_,
                   "理由をファイルから / from a UTF-8 text file; - reads standard input");
  }

  int PrepareChange() override {
    std::string reason, error;
    bool stdin_taken = false;
    if (!RequiredText("--reason", "理由", reason_, reason_file_, &stdin_taken, &reason, &error)) {
      return UsageError(error);
    }
    request_.set_reason(reason);
    return kExitOk;
  }

 private:
  std::string reason_, reason_file_;
};

class DispatchSessionCommand : public DispatchChangeCommand<v1::RecordSessionRequest> {
 public:
  DispatchSessionCommand()
      : DispatchChangeCommand(&v1::Advisers::Stub::RecordSession,
                              "実施を記録しました / session recorded") {}

  int Run(const Context& context) override {
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    return DispatchChangeCommand::Run(context);
  }

 protected:
  void ConfigureChange(CLI::App& app) override {
    app.add_option("--date", date_, "実施日 / YYYY-MM-DD; default today, not in the future");
    app.add_option("--minutes", minutes_, "時間 / minutes, 1 to 1440 (default 120)");
    app.add_option("--report", report_,
                   "報告 / the session's report, as an argument (prefer --report-file)");
    app.add_option("--report-file", report_file_,
                   "報告をファイルから / from a UTF-8 text file; - reads standard input");
  }

  int PrepareChange() override {
    if (minutes_ != 0 && (minutes_ < 1 || minutes_ > 24 * 60)) {
      return UsageError("時間が不正です / --minutes: give 1 to 1440, not " +
                        std::to_string(minutes_));
    }
    std::string report, error;
    bool stdin_taken = false;
    if (!ParseDayOrToday("--date", date_, request_.mutable_session_date(), &error) ||
        !RequiredText("--report", "報告", report_, report_file_, &stdin_taken, &report, &error)) {
      return UsageError(error);
    }
    request_.set_session_minutes(minutes_);
    request_.set_report(report);
    return kExitOk;
  }

 private:
  std::string date_, report_, report_file_;
  int minutes_ = 0;
};

class DispatchFollowUpCommand : public DispatchChangeCommand<v1::RecordFollowUpRequest> {
 public:
  DispatchFollowUpCommand()
      : DispatchChangeCommand(&v1::Advisers::Stub::RecordFollowUp,
                              "フォローアップを記録しました / follow-up recorded") {}

  int Run(const Context& context) override {
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    return DispatchChangeCommand::Run(context);
  }

 protected:
  void ConfigureChange(CLI::App& app) override {
    app.add_option("--date", date_,
                   "実施日 / YYYY-MM-DD; default today; within the window after the session");
    app.add_option("--note", note_, "内容 / what was discussed (prefer --note-file)");
    app.add_option("--note-file", note_file_,
                   "内容をファイルから / from a UTF-8 text file; - reads standard input");
  }

  int PrepareChange() override {
    std::string note, error;
    bool stdin_taken = false;
    if (!ParseDayOrToday("--date", date_, request_.mutable_follow_up()->mutable_date(), &error) ||
        !RequiredText("--note", "内容", note_, note_file_, &stdin_taken, &note, &error)) {
      return UsageError(error);
    }
    request_.mutable_follow_up()->set_note(note);
    return kExitOk;
  }

 private:
  std::string date_, note_, note_file_;
};

class DispatchCloseCommand : public DispatchChangeCommand<v1::CloseDispatchRequest> {
 public:
  DispatchCloseCommand()
      : DispatchChangeCommand(&v1::Advisers::Stub::CloseDispatch,
                              "派遣を終了しました / dispatch closed") {}
};

constexpr CommandSpec kDispatchCommands[] = {
    {"adviser", "アドバイザー名簿 / the adviser registry"},
    {"adviser list", "一覧 / list advisers (everyone)", Make<AdviserListCommand>},
    {"adviser create", "登録 / register an adviser (admins and coordinators)",
     Make<AdviserCreateCommand>},
    {"dispatch", "アドバイザー派遣 / adviser dispatch", nullptr, kLifecycleHelp},
    {"dispatch request", "依頼 / request an adviser for a case or a community group (coordinators)",
     Make<DispatchRequestCommand>},
    {"dispatch get", "詳細 / show one dispatch", Make<DispatchGetCommand>},
    {"dispatch list", "一覧 / the dispatches you may see, newest first", Make<DispatchListCommand>},
    {"dispatch approve", "決定 / approve, assigning an adviser", Make<DispatchApproveCommand>},
    {"dispatch decline", "不承認 / decline, saying why", Make<DispatchDeclineCommand>},
    {"dispatch session", "実施 / record the session (coordinators and the assigned adviser)",
     Make<DispatchSessionCommand>},
    {"dispatch followup", "フォローアップ / record a follow-up after the session",
     Make<DispatchFollowUpCommand>},
    {"dispatch close", "終了 / close a dispatch after its session", Make<DispatchCloseCommand>},
};

}  // namespace

std::span<const CommandSpec> DispatchCommandTable() { return kDispatchCommands; }

}  // namespace casecoord::cli
