// casectl case log / refer / referrals / accept / decline / revoke: a case's consultation log
// (相談記録) and its referrals to other agencies (紹介); see case_commands.cc for the usage.
#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): this file is their user

constexpr std::string_view kReferralsInfix = "/referrals/";
constexpr std::string_view kConsultationsInfix = "/consultations/";
// ListReferralsRequest.parent for the caller's agency's inbox.
constexpr char kInboxParent[] = "cases/-";
constexpr char kReferralHelp[] =
    "紹介 / referral: cases/12/referrals/1 (the 名前 column of case referrals)";

// --- Names ---------------------------------------------------------------------------------------

// "cases/12/referrals/3" (or "12/referrals/3") -> "cases/12/referrals/3".
bool ParseReferralArgument(const std::string& text, std::string* name, std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (StartsWith(rest, kCasePrefix)) rest.remove_prefix(kCasePrefix.size());
  const size_t infix = rest.find(kReferralsInfix);
  if (infix == std::string_view::npos || !IsIdNumber(rest.substr(0, infix)) ||
      !IsIdNumber(rest.substr(infix + kReferralsInfix.size()))) {
    *error = "紹介の指定が不正です / REFERRAL: \"" + text +
             "\" is not a referral; give its name, e.g. cases/12/referrals/1 (the 名前 column of "
             "case referrals)";
    return false;
  }
  *name = std::string(kCasePrefix) + std::string(rest);
  return true;
}

// --amends: "3" or "cases/12/consultations/3" (of the case `case_name`) -> the entry's name.
bool ParseAmends(const std::string& case_name, const std::string& text, std::string* name,
                 std::string* error) {
  const std::string_view trimmed = TrimSpaces(text);
  const std::string prefix = case_name + std::string(kConsultationsInfix);
  if (IsIdNumber(trimmed)) {
    *name = prefix + std::string(trimmed);
    return true;
  }
  if (StartsWith(trimmed, prefix) && IsIdNumber(trimmed.substr(prefix.size()))) {
    *name = std::string(trimmed);
    return true;
  }
  *error = "訂正する記録の指定が不正です / --amends: \"" + text + "\" is not an entry of " +
           case_name + "; give its number in the # column of case log, or its name, e.g. 3 or " +
           prefix + "3";
  return false;
}

// --- Output ------------------------------------------------------------------------------------

// "3" for "cases/12/consultations/3"; the name itself when it is not an entry's.
std::string EntryNumber(const std::string& name) {
  const size_t infix = name.rfind(kConsultationsInfix);
  return infix == std::string::npos ? Cell(name) : name.substr(infix + kConsultationsInfix.size());
}

// The consultation log as a table, oldest first. The 訂正 column links a correction and what it
// corrects both ways, since neither entry is ever changed and a reader of either must find the
// other.
void PrintConsultations(const v1::ListConsultationsResponse& log) {
  std::vector<Row> rows;
  for (const auto& entry : log.entries()) {
    std::vector<std::string> links;
    if (!entry.amends().empty()) links.push_back("訂正 → " + EntryNumber(entry.amends()));
    if (!entry.amended_by().empty()) {
      std::vector<std::string> numbers;
      for (const auto& later : entry.amended_by()) numbers.push_back(EntryNumber(later));
      links.push_back("訂正あり ← " + Join(numbers, ", "));
    }
    std::string summary = Printable(entry.summary(), false);
    if (!entry.amendment_reason().empty()) {
      summary += "（訂正理由: " + Printable(entry.amendment_reason(), false) + "）";
    }
    rows.push_back({EntryNumber(entry.name()), DateText(entry.date()),
                    EnumText(*v1::ConsultationKind_descriptor(), entry.kind()),
                    Cell(WithoutPrefix(entry.agency(), kAgencyPrefix)),
                    EnumText(*v1::ContactMethod_descriptor(), entry.method()),
                    Cell(WithoutPrefix(entry.author(), kUserPrefix)), OrDash(Join(links, " ")),
                    OrDash(summary)});
  }
  PrintTable({"#", "日付", "種別", "機関", "方法", "記録者", "訂正", "内容"}, rows);
}

// The 辞退理由 cell: the reason, and the agency proposed instead.
std::string DeclineText(const v1::Referral& referral) {
  std::string text = Printable(referral.decline_reason(), false);
  if (!referral.proposed_agency().empty()) {
    text += "（提案: " + WithoutPrefix(referral.proposed_agency(), kAgencyPrefix) + "）";
  }
  return OrDash(text);
}

void PrintReferrals(const v1::ListReferralsResponse& list) {
  std::vector<Row> rows;
  for (const auto& referral : list.referrals()) {
    rows.push_back({referral.name(), Cell(WithoutPrefix(referral.agency(), kAgencyPrefix)),
                    EnumText(*v1::TeamRole_descriptor(), referral.role()),
                    EnumText(*v1::Referral::State_descriptor(), referral.state()),
                    Cell(WithoutPrefix(referral.referred_by(), kUserPrefix)),
                    referral.has_create_time() ? JstDate(referral.create_time()) : "-",
                    Cell(WithoutPrefix(referral.answered_by(), kUserPrefix)), DeclineText(referral),
                    Cell(referral.note())});
  }
  PrintTable({"名前", "紹介先", "役割", "状態", "紹介者", "紹介日", "回答者", "辞退理由", "メモ"},
             rows);
}

void PrintReferral(const v1::Referral& referral) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"名前 / name", referral.name()},
      {"紹介先 / agency", Cell(WithoutPrefix(referral.agency(), kAgencyPrefix))},
      {"役割 / role", EnumTextWithName(*v1::TeamRole_descriptor(), referral.role())},
      {"状態 / state", EnumTextWithName(*v1::Referral::State_descriptor(), referral.state())},
      {"紹介メモ / note", FieldText(referral.note())},
  };
  if (referral.state() == v1::Referral::DECLINED) {
    fields.emplace_back("辞退理由 / decline_reason", FieldText(referral.decline_reason()));
    fields.emplace_back("提案先 / proposed_agency",
                        Cell(WithoutPrefix(referral.proposed_agency(), kAgencyPrefix)));
  }
  const std::vector<std::pair<std::string, std::string>> more = {
      {"紹介者 / referred_by", Cell(WithoutPrefix(referral.referred_by(), kUserPrefix))},
      {"紹介日時 / created", TimeText(referral.create_time(), referral.has_create_time())},
      {"回答者 / answered_by", Cell(WithoutPrefix(referral.answered_by(), kUserPrefix))},
      {"回答日時 / answered", TimeText(referral.answer_time(), referral.has_answer_time())},
  };
  fields.insert(fields.end(), more.begin(), more.end());
  PrintFields(fields);
}

// --- The commands ------------------------------------------------------------------------------

// case log: lists the consultation log, or appends an entry when a flag of the entry is given.
class CaseLogCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return appending_ ? Append(context, stub.get()) : List(context, stub.get());
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    append_options_ = {
        app.add_option("--kind", kind_,
                       "種別 / kind of the entry to append: " +
                           ValidValues(*v1::ConsultationKind_descriptor()) +
                           " (訂正 / AMENDMENT is implied by --amends)"),
        app.add_option("--date", date_,
                       "実施日 / the day it happened, YYYY-MM-DD; default today (JST), not in "
                       "the future"),
        app.add_option("--agency", agency_,
                       "調整先 / the agency contacted, " + std::string(kAgencyIdHelp) +
                           "; required for 個別調整 (COORDINATION_CONTACT) and only for it"),
        app.add_option("--method", method_,
                       "方法 / contact method: " + ValidValues(*v1::ContactMethod_descriptor())),
        app.add_option("--summary", summary_,
                       "内容 / what happened and what was agreed, as an argument (visible in the "
                       "process list and shell history: prefer --summary-file)"),
        app.add_option("--summary-file", summary_file_,
                       "内容をファイルから / the summary from a UTF-8 text file; - reads "
                       "standard input"),
        app.add_option("--amends", amends_,
                       "訂正対象 / append a correction (訂正) of this entry: its number in the # "
                       "column, or its name cases/12/consultations/3"),
        app.add_option("--reason", reason_, "訂正理由 / why the entry is corrected (--amends)"),
        app.add_option("--reason-file", reason_file_,
                       "訂正理由をファイルから / the reason from a UTF-8 text file; - reads "
                       "standard input"),
    };
    app.footer(kLogHelp);
  }

  int PrepareFlags() override {
    for (const CLI::Option* option : append_options_) {
      if (option->count() > 0) appending_ = true;
    }
    if (!appending_) return kExitOk;
    request_.set_parent(name_);
    v1::ConsultationEntry& entry = *request_.mutable_entry();
    std::string error;
    if (!kind_.empty()) {
      int number = 0;
      if (!ParseEnumFlag("--kind", "種別", *v1::ConsultationKind_descriptor(), kind_, &number,
                         &error)) {
        return UsageError(error);
      }
      entry.set_kind(static_cast<v1::ConsultationKind>(number));
    } else if (!amends_.empty()) {
      entry.set_kind(v1::AMENDMENT);
    } else {
      return UsageError("種別がありません / --kind: give the kind of the entry to append (" +
                        ValidValues(*v1::ConsultationKind_descriptor()) +
                        "), or --amends N for a correction; without flags, case log lists the "
                        "log");
    }
    bool stdin_taken = false;
    std::string text;
    if (!TextOrEmpty("--summary", "--summary-file", summary_, summary_file_, &stdin_taken, &text,
                     &error)) {
      return UsageError(error);
    }
    if (text.empty()) {
      return UsageError(
          "記録の内容がありません / give what happened with --summary-file "
          "(recommended) or --summary");
    }
    entry.set_summary(text);
    if (const int code = PrepareAmendment(entry, &stdin_taken); code != kExitOk) return code;
    return PrepareContact(entry);
  }

 private:
  static constexpr char kLogHelp[] =
      "フラグなしで記録を一覧表示し、--kind か --amends で1件追記します。"
      "記録は変更できません。訂正は新しい記録として残り、元の記録と両方が表示されます。\n"
      "Without flags, lists the log, oldest first. "
      "With --kind (or --amends) appends one entry, which needs --summary-file or --summary. "
      "Entries are never changed: a correction is a new entry (--amends N --reason ...) and the "
      "log shows both, linked in the 訂正 column.\n"
      "例 / examples:\n"
      "  casectl case log 12\n"
      "  casectl case log 12 --kind 電話 --method 電話 --summary-file call.txt\n"
      "  casectl case log 12 --kind 個別調整 --agency kita-houkatsu --date 2025-06-02 "
      "--summary-file visit.txt\n"
      "  casectl case log 12 --amends 3 --reason \"日付の誤り\" --date 2025-06-03 --summary-file "
      "visit.txt";

  // --amends and --reason: for a correction, and only for it.
  int PrepareAmendment(v1::ConsultationEntry& entry, bool* stdin_taken) const {
    if (entry.kind() != v1::AMENDMENT) {
      if (!amends_.empty() || !reason_.empty() || !reason_file_.empty()) {
        return UsageError(
            "--amends と --reason は訂正のときだけ指定します / --amends and --reason are for a "
            "correction only; drop --kind (or give --kind 訂正)");
      }
      return kExitOk;
    }
    if (amends_.empty()) {
      return UsageError(
          "訂正対象がありません / --kind 訂正 (AMENDMENT) needs --amends N, the entry corrected");
    }
    std::string amended, text, error;
    if (!ParseAmends(name_, amends_, &amended, &error)) return UsageError(error);
    entry.set_amends(amended);
    if (!RequiredTextFromFlags("--reason", "--reason-file", reason_, reason_file_, stdin_taken,
                               "訂正理由がありません / a correction needs --reason (or "
                               "--reason-file): why the entry is corrected",
                               &text, &error)) {
      return UsageError(error);
    }
    entry.set_amendment_reason(text);
    return kExitOk;
  }

  // --agency (for 個別調整 only), --method and --date.
  int PrepareContact(v1::ConsultationEntry& entry) const {
    std::string error;
    if (entry.kind() == v1::COORDINATION_CONTACT) {
      if (agency_.empty()) {
        return UsageError(
            "調整先がありません / --kind 個別調整 (COORDINATION_CONTACT) needs --agency, the "
            "agency contacted");
      }
      std::string contacted;
      if (!ParseAgencyArgument("--agency", "調整先", agency_, &contacted, &error)) {
        return UsageError(error);
      }
      entry.set_agency(contacted);
    } else if (!agency_.empty()) {
      // The server would drop it silently; the user meant something by it.
      return UsageError(
          "--agency は個別調整のときだけ指定します / --agency is for --kind 個別調整 "
          "(COORDINATION_CONTACT) only");
    }
    if (!OptionalEnum("--method", "方法", *v1::ContactMethod_descriptor(), method_, &entry,
                      &v1::ConsultationEntry::set_method, &error)) {
      return UsageError(error);
    }
    const std::string day = date_.empty() ? FormatJstDate(std::chrono::system_clock::now()) : date_;
    if (!ParseDecisionDate("--date", day, entry.mutable_date(), &error)) return UsageError(error);
    return kExitOk;
  }

  int List(const Context& context, v1::Cases::Stub* stub) const {
    v1::ListConsultationsRequest request;
    request.set_parent(name_);
    return ListAndPrint(context, stub, &v1::Cases::Stub::ListConsultations, request,
                        /*all_pages=*/true,
                        std::function([](const v1::ListConsultationsResponse& all) {
                          if (all.entries().empty()) {
                            std::cout << "相談記録はありません / the consultation log is empty\n";
                          } else {
                            PrintConsultations(all);
                          }
                        }));
  }

  int Append(const Context& context, v1::Cases::Stub* stub) {
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    return CallAndPrint(context, stub, &v1::Cases::Stub::AppendConsultation, request_,
                        std::function(PrintAppended));
  }

  static void PrintAppended(const v1::ConsultationEntry& entry) {
    std::cout << "相談記録を追加しました / consultation logged: " << entry.name() << "\n";
    std::vector<std::pair<std::string, std::string>> fields = {
        {"種別 / kind", EnumTextWithName(*v1::ConsultationKind_descriptor(), entry.kind())},
        {"日付 / date", DateText(entry.date())},
    };
    if (!entry.agency().empty()) {
      fields.emplace_back("機関 / agency", Cell(WithoutPrefix(entry.agency(), kAgencyPrefix)));
    }
    if (!entry.amends().empty()) fields.emplace_back("訂正対象 / amends", entry.amends());
    PrintFields(fields);
  }

  // The flags that make it append rather than list.
  std::vector<CLI::Option*> append_options_;
  std::string kind_, date_, agency_, method_, summary_, summary_file_, amends_, reason_,
      reason_file_;
  bool appending_ = false;
  v1::AppendConsultationRequest request_;
};

class CaseReferCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::CreateReferral, request_,
                        std::function([](const v1::Referral& referral) {
                          std::cout << "紹介しました / referral created: " << referral.name()
                                    << "\n";
                          PrintReferral(referral);
                          std::cerr << "紹介先の職員が casectl case accept " << referral.name()
                                    << " で受諾します / the agency's staff answer with casectl "
                                       "case accept (or decline) "
                                    << referral.name() << "\n";
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--agency", agency_, "紹介先 / the agency asked, " + std::string(kAgencyIdHelp))
        ->required();
    app.add_option(
           "--role", role_,
           "役割 / the role it is asked to take: " + ValidValues(*v1::TeamRole_descriptor()))
        ->required();
    app.add_option("--note", note_,
                   "紹介メモ / why this agency, as an argument (visible in the process list "
                   "and shell history: prefer --note-file)");
    app.add_option("--note-file", note_file_,
                   "紹介メモをファイルから / the note from a UTF-8 text file; - reads standard "
                   "input");
  }

  int PrepareFlags() override {
    request_.set_parent(name_);
    v1::Referral& referral = *request_.mutable_referral();
    std::string asked, text, error;
    if (!ParseAgencyArgument("--agency", "紹介先", agency_, &asked, &error)) {
      return UsageError(error);
    }
    referral.set_agency(asked);
    int number = 0;
    if (!ParseEnumFlag("--role", "役割", *v1::TeamRole_descriptor(), role_, &number, &error)) {
      return UsageError(error);
    }
    referral.set_role(static_cast<v1::TeamRole>(number));
    bool stdin_taken = false;
    if (!TextOrEmpty("--note", "--note-file", note_, note_file_, &stdin_taken, &text, &error)) {
      return UsageError(error);
    }
    referral.set_note(text);
    return kExitOk;
  }

 private:
  std::string agency_, role_, note_, note_file_;
  v1::CreateReferralRequest request_;
};

// case referrals [CASE]: a case's referrals, or without CASE the inbox of your agency.
class CaseReferralsCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("case", case_text_, std::string(kCaseHelp) + "; omit for your agency's inbox");
  }

  int Prepare() override {
    if (case_text_.empty()) {
      name_ = kInboxParent;
      return kExitOk;
    }
    std::string error;
    if (!ParseCaseArgument(case_text_, &name_, &error)) return UsageError(error);
    return kExitOk;
  }

  int Run(const Context& context) override {
    const bool inbox = name_ == kInboxParent;
    v1::ListReferralsResponse all;
    v1::ListReferralsRequest request;
    request.set_parent(name_);
    auto stub = CasesStub(context);
    grpc::Status status =
        FetchPages(context.options, std::bind_front(&v1::Cases::Stub::ListReferrals, stub.get()),
                   request, &all, /*all_pages=*/true);
    if (!status.ok()) {
      ReportError(status);
      if (inbox && status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        std::cerr << "受信箱は機関に所属する利用者のものです。ケースの紹介は casectl case "
                     "referrals CASE で見られます / the inbox is for agency staff; see a case's "
                     "referrals with casectl case referrals CASE\n";
      }
      return kExitFailed;
    }
    return PrintResult(context, all, [&] {
      if (!all.referrals().empty()) {
        PrintReferrals(all);
      } else {
        std::cout << (inbox ? "回答待ちの紹介はありません / no pending referrals to your agency\n"
                            : "紹介はありません / no referrals\n");
      }
    });
  }

 private:
  std::string case_text_, name_;
};

// case accept, decline and revoke: one answer to a referral (the REFERRAL argument).
class ReferralAnswerCommand : public Command {
 public:
  using Method = grpc::Status (v1::Cases::Stub::*)(grpc::ClientContext*,
                                                   const v1::AnswerReferralRequest&, v1::Referral*);

  ReferralAnswerCommand(Method method, const char* done) : method_(method), done_(done) {}

  void Configure(CLI::App& app) override {
    app.add_option("referral", referral_text_, kReferralHelp)->required();
  }

  int Prepare() override {
    std::string name, error;
    if (!ParseReferralArgument(referral_text_, &name, &error)) return UsageError(error);
    request_.set_name(name);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return CallAndPrint(context, stub.get(), method_, request_,
                        std::function([this](const v1::Referral& answered) {
                          std::cout << done_ << answered.name() << "\n";
                          PrintReferral(answered);
                        }));
  }

 protected:
  v1::AnswerReferralRequest request_;

 private:
  Method method_;
  const char* done_;
  std::string referral_text_;
};

class ReferralAcceptCommand : public ReferralAnswerCommand {
 public:
  ReferralAcceptCommand()
      : ReferralAnswerCommand(&v1::Cases::Stub::AcceptReferral,
                              "紹介を受諾しました / referral accepted: ") {}
};

class ReferralRevokeCommand : public ReferralAnswerCommand {
 public:
  ReferralRevokeCommand()
      : ReferralAnswerCommand(&v1::Cases::Stub::RevokeReferral,
                              "紹介を取り消しました / referral revoked: ") {}
};

class ReferralDeclineCommand : public ReferralAnswerCommand {
 public:
  ReferralDeclineCommand()
      : ReferralAnswerCommand(&v1::Cases::Stub::DeclineReferral,
                              "紹介を辞退しました / referral declined: ") {}

  void Configure(CLI::App& app) override {
    ReferralAnswerCommand::Configure(app);
    app.add_option("--reason", reason_,
                   "辞退理由 / why (required: give --reason or --reason-file)");
    app.add_option("--reason-file", reason_file_,
                   "辞退理由をファイルから / the reason from a UTF-8 text file; - reads "
                   "standard input");
    app.add_option("--propose", propose_,
                   "提案先 / another agency to ask instead, " + std::string(kAgencyIdHelp));
  }

  int Prepare() override {
    if (const int code = ReferralAnswerCommand::Prepare(); code != kExitOk) return code;
    std::string text, error;
    bool stdin_taken = false;
    if (!RequiredTextFromFlags("--reason", "--reason-file", reason_, reason_file_, &stdin_taken,
                               "辞退には理由が必要です / a declined referral needs a reason: give "
                               "--reason TEXT or --reason-file PATH (the coordinator reads it to "
                               "find another agency)",
                               &text, &error)) {
      return UsageError(error);
    }
    request_.set_reason(text);
    if (!propose_.empty()) {
      std::string proposed;
      if (!ParseAgencyArgument("--propose", "提案先", propose_, &proposed, &error)) {
        return UsageError(error);
      }
      request_.set_proposed_agency(proposed);
    }
    return kExitOk;
  }

 private:
  std::string reason_, reason_file_, propose_;
};

constexpr CommandSpec kCaseTeamCommands[] = {
    {"case log",
     "相談記録 / the consultation log: list it, or append an entry with --kind or --amends",
     Make<CaseLogCommand>},
    {"case refer", "紹介 / ask an agency to join the case team (the agency accepts or declines)",
     Make<CaseReferCommand>},
    {"case referrals",
     "紹介一覧 / a case's referrals; without CASE, the pending referrals to your agency (受信箱)",
     Make<CaseReferralsCommand>},
    {"case accept", "受諾 / accept a referral: the agency joins the case team with the role asked",
     Make<ReferralAcceptCommand>},
    {"case decline", "辞退 / decline a referral, saying why", Make<ReferralDeclineCommand>},
    {"case revoke", "取消 / withdraw a pending referral (coordinators)",
     Make<ReferralRevokeCommand>},
};

}  // namespace

std::span<const CommandSpec> CaseTeamCommandTable() { return kCaseTeamCommands; }

}  // namespace casecoord::cli
