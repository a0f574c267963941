#include "clients/cli/case_commands.h"

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

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using google::protobuf::EnumDescriptor;

constexpr std::string_view kReferralsInfix = "/referrals/";
constexpr std::string_view kConsultationsInfix = "/consultations/";
// ListReferralsRequest.parent for the caller's agency's inbox.
constexpr char kInboxParent[] = "cases/-";
// The presenting problem in `case list` is cut to this many terminal columns.
constexpr size_t kProblemColumns = 20;
// A --*-file holds one text for one field; anything bigger is almost surely the wrong file.

constexpr char kMemberHelp[] =
    "世帯員 / household member, repeatable: \"ID:氏名:続柄[:本人][:tag,tag]\". ID is 1 to 63 of "
    "a-z, 0-9 and '-' (e.g. m1), unique in the case; 氏名 is required; 続柄 as on the sheet (本人, "
    "母, 長男...; may be empty). Then, in either order and both optional: the word 本人 (or "
    "principal) to mark the person the referral is about, and the member's issue tags separated by "
    "commas. A 続柄 of 本人 also marks the principal; at most one member is the principal. Fields "
    "are separated by ':' or '：', so 氏名 and 続柄 cannot contain them. E.g. --member "
    "\"m1:山田 太郎:長男:本人:hikikomori\" --member \"m2:山田 花子:母:dementia\"";

constexpr char kTransitionsHelp[] =
    "状態の遷移 / allowed transitions:\n"
    "  受付 (INTAKE)                → 相談のみで完了 (COMPLETED_BY_ADVICE) | 支援調整中 "
    "(COORDINATING) | 終結 (CLOSED: 取り下げ WITHDRAWN, 移管 TRANSFERRED)\n"
    "  支援調整中 (COORDINATING)    → 支援中 (IN_SUPPORT, 支援決定) | 終結 (CLOSED)\n"
    "  支援中 (IN_SUPPORT)          → 終結 (CLOSED) | 支援調整中 (COORDINATING, 再調整)\n"
    "  相談のみで完了, 終結         → 支援調整中 (COORDINATING, reopening: --reason required)\n"
    "終結 needs --outcome; 未解決（検証済み） (NOT_RESOLVED_REVIEWED) needs the review in "
    "--reason.";

// --- Names, enums, dates -------------------------------------------------------------------------

// "12" and "cases/12" -> "cases/12"; nullopt for anything else (the server's ids are decimal
// numbers without leading zeros).
std::optional<std::string> CaseName(std::string_view text) {
  text = TrimSpaces(text);
  if (StartsWith(text, kCasePrefix)) text.remove_prefix(kCasePrefix.size());
  if (text.empty() || text.size() > kMaxIdDigits || text.front() == '0' ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(kCasePrefix) + std::string(text);
}

bool ParseCaseArgument(const std::string& text, std::string* name, std::string* error) {
  std::optional<std::string> parsed = CaseName(text);
  if (!parsed) {
    *error = "ケースの指定が不正です / CASE: \"" + text +
             "\" is not a case; give its name, cases/12 or 12 (the 名前 column of case list; "
             "受付番号 such as R6-0042 are not accepted)";
    return false;
  }
  *name = *parsed;
  return true;
}

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

// "kita-houkatsu" or "agencies/kita-houkatsu" -> "agencies/kita-houkatsu".
bool ParseAgencyArgument(const std::string& option, const std::string& what,
                         const std::string& text, std::string* name, std::string* error) {
  const std::string id = WithoutPrefix(std::string(TrimSpaces(text)), kAgencyPrefix);
  if (!IsResourceId(id)) {
    *error = what + "が不正です / " + option + ": \"" + text +
             "\" is not an agency id (e.g. kita-houkatsu or agencies/kita-houkatsu)";
    return false;
  }
  *name = std::string(kAgencyPrefix) + id;
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

// "2025-04-01" or "2025/4/1", a JST day not after today.
bool ParseDecisionDate(const std::string& option, const std::string& text, v1::Date* date,
                       std::string* error) {
  std::chrono::system_clock::time_point instant;
  if (!ParseDateFlag(option, text, &instant, error)) return false;
  if (instant > std::chrono::system_clock::now()) {
    *error = "未来の日付は指定できません / " + option + ": " + text + " is in the future";
    return false;
  }
  const std::string normalized = FormatJstDate(instant);  // "YYYY-MM-DD"
  const std::string_view digits = normalized;
  int year = 0, month = 0, day = 0;
  if (normalized.size() != 10 || !ParseInt(digits.substr(0, 4), 1900, 9999, &year) ||
      !ParseInt(digits.substr(5, 2), 1, 12, &month) ||
      !ParseInt(digits.substr(8, 2), 1, 31, &day)) {
    *error = option + ": cannot read \"" + text + "\"";
    return false;
  }
  date->set_year(year);
  date->set_month(month);
  date->set_day(day);
  return true;
}

// --- Household members ("ID:氏名:続柄[:本人][:tag,tag]") ----------------------------------------

bool IsPrincipalMarker(const std::string& part) {
  return part == "本人" || part == "principal" || part == "PRINCIPAL";
}

// Parses the `position`th (from 1) --member. Errors name the member by position and never repeat
// the name given.
bool ParseMember(size_t position, const std::string& spec, v1::HouseholdMember* member,
                 std::string* error) {
  const std::string where = "--member #" + std::to_string(position);
  const std::vector<std::string> parts = SplitTrimmed(spec, ':', "：");
  if (parts.size() < 3 || parts.size() > 5) {
    *error = "世帯員の形式が不正です / " + where + ": " + std::to_string(parts.size()) +
             " fields; give \"ID:氏名:続柄[:本人][:tag,tag]\", e.g. \"m1:山田 太郎:長男:本人:"
             "hikikomori\" (see case open --help)";
    return false;
  }
  if (!IsResourceId(parts[0])) {
    *error = "世帯員IDが不正です / " + where +
             ": the first field, the member id, must be 1 to 63 of a-z, 0-9 and '-', e.g. m1";
    return false;
  }
  if (parts[1].empty()) {
    *error =
        "氏名がありません / " + where + " (" + parts[0] + "): the second field, 氏名, is empty";
    return false;
  }
  member->set_member_id(parts[0]);
  member->set_display_name(parts[1]);
  member->set_relationship(parts[2]);
  bool principal = parts[2] == "本人";
  bool principal_marked = false, tags_given = false;
  for (size_t i = 3; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    if (part.empty()) continue;
    if (IsPrincipalMarker(part)) {
      if (principal_marked) {
        *error = "本人の指定が重複しています / " + where + " (" + parts[0] + "): 本人 given twice";
        return false;
      }
      principal_marked = principal = true;
      continue;
    }
    if (tags_given) {
      *error = "世帯員の形式が不正です / " + where + " (" + parts[0] +
               "): two tag fields; separate tags with commas in one field, e.g. \"8050,debt\"";
      return false;
    }
    tags_given = true;
    size_t start = 0;
    while (start <= part.size()) {
      size_t comma = part.find(',', start);
      if (comma == std::string::npos) comma = part.size();
      const std::string tag(TrimSpaces(std::string_view(part).substr(start, comma - start)));
      if (!tag.empty()) {
        if (!IsResourceId(tag)) {
          *error = "課題タグが不正です / " + where + " (" + parts[0] + "): tag \"" + tag +
                   "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. dementia or 8050";
          return false;
        }
        member->add_issue_tags(tag);
      }
      start = comma + 1;
    }
  }
  member->set_principal(principal);
  return true;
}

// --- Output ------------------------------------------------------------------------------------

// "受付", or "終結（円滑に解決）" for a closed case.
std::string StateText(const v1::Case& record) {
  std::string text = EnumText(*v1::CaseState_descriptor(), record.state());
  if (record.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    text += "（" + EnumText(*v1::CaseOutcome_descriptor(), record.outcome()) + "）";
  }
  return text;
}

void PrintCase(const v1::Case& record) {
  std::string referrer = WithoutPrefix(record.referring_agency(), kAgencyPrefix);
  if (record.referring_agency_kind() != v1::AGENCY_KIND_UNSPECIFIED) {
    referrer += " (" + EnumText(*v1::AgencyKind_descriptor(), record.referring_agency_kind()) + ")";
  }
  std::vector<std::string> involved;
  for (const auto& agency : record.involved_agencies()) {
    std::string line = WithoutPrefix(agency.agency(), kAgencyPrefix);
    if (!agency.note().empty()) line += ": " + Printable(agency.note(), false);
    involved.push_back(line);
  }
  std::vector<std::string> team;
  for (const auto& member : record.team()) {
    team.push_back(WithoutPrefix(member.agency(), kAgencyPrefix) + " (" +
                   EnumText(*v1::TeamRole_descriptor(), member.role()) + ")");
  }
  const std::string fiscal_year =
      record.fiscal_year().year() != 0 ? FiscalYearText(record.fiscal_year()) : "-";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"受付番号 / case_number", OrDash(record.case_number())},
      {"名前 / name", record.name()},
      {"年度 / fiscal_year", fiscal_year},
      {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), record.state())},
  };
  if (record.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    fields.emplace_back("結果 / outcome",
                        EnumTextWithName(*v1::CaseOutcome_descriptor(), record.outcome()));
  }
  const std::vector<std::pair<std::string, std::string>> more = {
      {"地区 / district", Cell(record.district())},
      {"住所 / address", FieldText(record.address())},
      {"つなぎ元 / referring_agency", Cell(referrer)},
      {"つなぎ元の対応 / referral_note", FieldText(record.referral_note())},
      {"緊急度 / urgency", EnumText(*v1::Urgency_descriptor(), record.urgency())},
      {"同意 / consent", EnumText(*v1::ConsentStatus_descriptor(), record.consent())},
      {"相談内容 / presenting_problem", FieldText(record.presenting_problem())},
      {"世帯の課題 / household_issue_tags", Cell(Join(record.household_issue_tags(), ", "))},
      {"関係機関 / involved_agencies", OrDash(Join(involved, "\n"))},
      {"支援チーム / team", OrDash(Join(team, "\n"))},
      {"担当 / coordinator", Cell(WithoutPrefix(record.coordinator(), kUserPrefix))},
      {"次回確認日 / next_review_date", DateText(record.next_review_date())},
      {"受付日時 / created", TimeText(record.create_time(), record.has_create_time())},
      {"更新 / updated", TimeText(record.update_time(), record.has_update_time())},
      {"etag", OrDash(record.etag())},
  };
  fields.insert(fields.end(), more.begin(), more.end());
  if (record.has_purge_time()) {
    fields.emplace_back("個人情報消去 / purged", LocalTime(record.purge_time()));
  }
  PrintFields(fields);

  std::cout << "\n世帯員 / members (" << record.members_size() << "):\n";
  if (record.members().empty()) return;
  // フリガナ, 生年月日 and 地区 only when some member has them.
  bool kana = false, birth = false, district = false;
  for (const auto& member : record.members()) {
    kana = kana || !member.kana().empty();
    birth = birth || member.has_birth_date();
    district = district || !member.district().empty();
  }
  Row header = {"ID", "氏名"};
  if (kana) header.push_back("フリガナ");
  header.push_back("続柄");
  header.push_back("本人");
  if (birth) header.push_back("生年月日");
  if (district) header.push_back("地区");
  header.push_back("課題");
  std::vector<Row> rows;
  for (const auto& member : record.members()) {
    Row row = {Cell(member.member_id()), Cell(member.display_name())};
    if (kana) row.push_back(Cell(member.kana()));
    row.push_back(Cell(member.relationship()));
    row.push_back(member.principal() ? "はい" : "-");
    if (birth) row.push_back(DateText(member.birth_date()));
    if (district) row.push_back(Cell(member.district()));
    row.push_back(Cell(Join(member.issue_tags(), ", ")));
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
}

// The 変更 column of the history: "受付 → 支援調整中（円滑に解決）", and what the event concerns.
std::string ChangeText(const v1::CaseEvent& event) {
  const EnumDescriptor& states = *v1::CaseState_descriptor();
  std::string text;
  if (event.to_state() != v1::CASE_STATE_UNSPECIFIED) {
    text = event.from_state() == v1::CASE_STATE_UNSPECIFIED
               ? EnumText(states, event.to_state())
               : EnumText(states, event.from_state()) + " → " + EnumText(states, event.to_state());
  }
  if (event.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    text += "（" + EnumText(*v1::CaseOutcome_descriptor(), event.outcome()) + "）";
  }
  if (!event.subject().empty()) {
    if (!text.empty()) text += " ";
    text += event.subject();
  }
  return Cell(text);
}

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

}  // namespace

// --- The commands ------------------------------------------------------------------------------

struct CaseCommands::State {
  CLI::App* cases = nullptr;
  CLI::App* open_case = nullptr;
  CLI::App* get = nullptr;
  CLI::App* list = nullptr;
  CLI::App* transition = nullptr;
  CLI::App* close_case = nullptr;
  CLI::App* history = nullptr;
  CLI::App* log = nullptr;
  CLI::App* refer = nullptr;
  CLI::App* referrals = nullptr;
  CLI::App* accept = nullptr;
  CLI::App* decline = nullptr;
  CLI::App* revoke = nullptr;
  // The flags of case log that make it append rather than list.
  std::vector<CLI::Option*> log_append_options;

  // Arguments as given.
  std::string case_text, district, referrer, problem, problem_file, urgency, consent, address,
      referral_note, request_id, state, page_token, to, outcome, reason, reason_file, date, decider,
      etag, kind, agency, method, summary, summary_file, amends, role, note, note_file, propose,
      referral_text;
  std::vector<std::string> members, household_tags, fields;
  int page_size = 100;
  bool all_pages = false;

  // Built by Prepare().
  std::string name;  // "cases/{case}", or the referral's name for accept, decline and revoke
  bool generated_request_id = false;
  bool stdin_taken = false;  // whether a --*-file flag reads standard input
  bool appending = false;    // case log with an entry to append
  v1::CreateCaseRequest create_request;
  v1::ListCasesRequest list_request;
  v1::TransitionCaseRequest transition_request;
  v1::AppendConsultationRequest append_request;
  v1::CreateReferralRequest refer_request;
  v1::AnswerReferralRequest answer_request;

  int PrepareOpen();
  int PrepareTransition(bool closing);
  int PrepareAppend();
  int PrepareRefer();
  int PrepareAnswer();

  int Open(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Get(const GlobalOptions& options, v1::Cases::Stub* stub);
  int List(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Transition(const GlobalOptions& options, v1::Cases::Stub* stub);
  int History(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Log(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Append(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Refer(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Referrals(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Answer(const GlobalOptions& options, v1::Cases::Stub* stub);
};

CaseCommands::CaseCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.cases =
      app->add_subcommand("case", "ケース / cases (coordinators; agency staff read their team's)");
  s.cases->require_subcommand(1);
  const std::string case_help = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
  const std::string outcome_help =
      "結果 / outcome of the closure: " + ValidValues(*v1::CaseOutcome_descriptor());
  const std::string state_help = ValidValues(*v1::CaseState_descriptor());

  s.open_case =
      s.cases->add_subcommand("open", "受付 / open a case from a linking sheet (つなぐシート)");
  s.open_case->add_option("--district", s.district, "地区 / the household's district, e.g. kita")
      ->required();
  s.open_case
      ->add_option("--referrer", s.referrer,
                   "つなぎ元 / the referring agency: ID or agencies/ID (must be in the directory)")
      ->required();
  s.open_case->add_option(
      "--problem", s.problem,
      "相談内容 / the presenting problem as an argument, which other local users can see in the "
      "process list and which stays in the shell history: prefer --problem-file");
  s.open_case->add_option("--problem-file", s.problem_file,
                          "相談内容をファイルから / the presenting problem from a UTF-8 text file "
                          "(推奨 / recommended); - reads standard input");
  s.open_case->add_option("--member", s.members, kMemberHelp)
      ->required()
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.open_case
      ->add_option("--household-tag", s.household_tags,
                   "世帯の課題 / issue of the household as a whole, repeatable or comma-separated, "
                   "e.g. 8050,double-care")
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.open_case
      ->add_option("--field", s.fields,
                   "分野 / field of the household's issues (statistics), repeatable or "
                   "comma-separated: " +
                       ValidValues(*v1::SupportField_descriptor()))
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.open_case->add_option("--urgency", s.urgency,
                          "緊急度 / urgency: " + ValidValues(*v1::Urgency_descriptor()));
  s.open_case->add_option("--consent", s.consent,
                          "同意 / consent: " + ValidValues(*v1::ConsentStatus_descriptor()));
  s.open_case->add_option("--address", s.address, "住所 / the household's address");
  s.open_case->add_option("--referral-note", s.referral_note,
                          "つなぎ元の対応 / what the referring agency already did");
  s.open_case->add_option(
      "--request-id", s.request_id,
      "リクエストID / makes a retry safe: the same id (1 to 64 printable ASCII characters) gives "
      "the case the first call opened. Default: a new random UUID, printed so a retry can reuse "
      "it");
  s.open_case->footer(
      "--problem か --problem-file のどちらかが必要です。--problem-file を勧めます / give "
      "--problem-file (recommended) or --problem.\n"
      "例 / example:\n  casectl case open --district kita --referrer kita-houkatsu \\\n"
      "    --problem-file problem.txt --household-tag 8050 \\\n"
      "    --member \"m1:山田 太郎:長男:本人:hikikomori\" --member \"m2:山田 花子:母:dementia\" "
      "\\\n    --urgency 早期対応 --consent 同意あり");

  s.get = s.cases->add_subcommand("get", "詳細 / show one case and its household");
  s.get->add_option("case", s.case_text, case_help)->required();

  s.list = s.cases->add_subcommand("list", "一覧 / list cases, newest first");
  s.list->add_option("--state", s.state, "状態 / only cases in this state: " + state_help);
  s.list->add_option("--district", s.district, "地区 / only cases of this district, e.g. kita");
  s.list->add_option("--page-size", s.page_size, "cases per call (default 100)");
  s.list->add_option("--page-token", s.page_token, "continue from this page token");
  s.list->add_flag("--all", s.all_pages, "すべて / every page, not only the first");

  auto add_transition_flags = [&s](CLI::App* command) {
    command->add_option("--reason", s.reason,
                        "理由 / why; required when reopening and for 未解決（検証済み）");
    command->add_option("--date", s.date,
                        "決定日 / date of the decision (支援決定日, 終結日), YYYY-MM-DD; default "
                        "today, not in the future");
    command->add_option("--decider", s.decider,
                        "決定者 / who decided, e.g. ケース検討会議 (default: you)");
    command->add_option("--etag", s.etag, "only if the case still has this etag (else ABORTED)");
  };
  s.transition = s.cases->add_subcommand("transition", "状態の変更 / move a case to another state");
  s.transition->add_option("case", s.case_text, case_help)->required();
  s.transition->add_option("--to", s.to, "新しい状態 / the new state: " + state_help)->required();
  s.transition->add_option("--outcome", s.outcome, outcome_help + " (with --to 終結 only)");
  add_transition_flags(s.transition);
  s.transition->footer(kTransitionsHelp);

  s.close_case = s.cases->add_subcommand("close", "終結 / close a case (transition --to CLOSED)");
  s.close_case->add_option("case", s.case_text, case_help)->required();
  s.close_case->add_option("--outcome", s.outcome, outcome_help)->required();
  add_transition_flags(s.close_case);
  s.close_case->footer(kTransitionsHelp);

  s.history = s.cases->add_subcommand("history", "経過 / the case's history, oldest first");
  s.history->add_option("case", s.case_text, case_help)->required();

  const std::string agency_id_help = "ID or agencies/ID, from the directory";
  s.log = s.cases->add_subcommand(
      "log",
      "相談記録 / the consultation log: list it, or append an entry with --kind or --amends");
  s.log->add_option("case", s.case_text, case_help)->required();
  s.log_append_options = {
      s.log->add_option(
          "--kind", s.kind,
          "種別 / kind of the entry to append: " + ValidValues(*v1::ConsultationKind_descriptor()) +
              " (訂正 / AMENDMENT is implied by --amends)"),
      s.log->add_option("--date", s.date,
                        "実施日 / the day it happened, YYYY-MM-DD; default today (JST), not in "
                        "the future"),
      s.log->add_option("--agency", s.agency,
                        "調整先 / the agency contacted, " + agency_id_help +
                            "; required for 個別調整 (COORDINATION_CONTACT) and only for it"),
      s.log->add_option("--method", s.method,
                        "方法 / contact method: " + ValidValues(*v1::ContactMethod_descriptor())),
      s.log->add_option("--summary", s.summary,
                        "内容 / what happened and what was agreed, as an argument (visible in the "
                        "process list and shell history: prefer --summary-file)"),
      s.log->add_option("--summary-file", s.summary_file,
                        "内容をファイルから / the summary from a UTF-8 text file; - reads "
                        "standard input"),
      s.log->add_option("--amends", s.amends,
                        "訂正対象 / append a correction (訂正) of this entry: its number in the # "
                        "column, or its name cases/12/consultations/3"),
      s.log->add_option("--reason", s.reason, "訂正理由 / why the entry is corrected (--amends)"),
      s.log->add_option("--reason-file", s.reason_file,
                        "訂正理由をファイルから / the reason from a UTF-8 text file; - reads "
                        "standard input"),
  };
  s.log->footer(
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
      "visit.txt");

  s.refer = s.cases->add_subcommand(
      "refer", "紹介 / ask an agency to join the case team (the agency accepts or declines)");
  s.refer->add_option("case", s.case_text, case_help)->required();
  s.refer->add_option("--agency", s.agency, "紹介先 / the agency asked, " + agency_id_help)
      ->required();
  s.refer
      ->add_option(
          "--role", s.role,
          "役割 / the role it is asked to take: " + ValidValues(*v1::TeamRole_descriptor()))
      ->required();
  s.refer->add_option("--note", s.note,
                      "紹介メモ / why this agency, as an argument (visible in the process list "
                      "and shell history: prefer --note-file)");
  s.refer->add_option("--note-file", s.note_file,
                      "紹介メモをファイルから / the note from a UTF-8 text file; - reads standard "
                      "input");

  s.referrals = s.cases->add_subcommand(
      "referrals",
      "紹介一覧 / a case's referrals; without CASE, the pending referrals to your agency (受信箱)");
  s.referrals->add_option("case", s.case_text, case_help + "; omit for your agency's inbox");

  const std::string referral_help =
      "紹介 / referral: cases/12/referrals/1 (the 名前 column of case referrals)";
  s.accept = s.cases->add_subcommand(
      "accept", "受諾 / accept a referral: the agency joins the case team with the role asked");
  s.accept->add_option("referral", s.referral_text, referral_help)->required();
  s.decline = s.cases->add_subcommand("decline", "辞退 / decline a referral, saying why");
  s.decline->add_option("referral", s.referral_text, referral_help)->required();
  s.decline->add_option("--reason", s.reason,
                        "辞退理由 / why (required: give --reason or --reason-file)");
  s.decline->add_option("--reason-file", s.reason_file,
                        "辞退理由をファイルから / the reason from a UTF-8 text file; - reads "
                        "standard input");
  s.decline->add_option("--propose", s.propose,
                        "提案先 / another agency to ask instead, " + agency_id_help);
  s.revoke = s.cases->add_subcommand("revoke", "取消 / withdraw a pending referral (coordinators)");
  s.revoke->add_option("referral", s.referral_text, referral_help)->required();
}

CaseCommands::~CaseCommands() = default;

bool CaseCommands::Selected() const { return state_->cases->parsed(); }

int CaseCommands::Prepare() {
  State& s = *state_;
  std::string error;
  if (s.open_case->parsed()) return s.PrepareOpen();
  if (s.list->parsed()) {
    if (s.page_size < 0) {
      return UsageError("--page-size: must be 0 (server default) or more, not " +
                        std::to_string(s.page_size));
    }
    std::vector<std::string> clauses;
    if (!s.state.empty()) {
      int number = 0;
      if (!ParseEnumFlag("--state", "状態", *v1::CaseState_descriptor(), s.state, &number,
                         &error)) {
        return UsageError(error);
      }
      clauses.push_back("state = " + v1::CaseState_Name(static_cast<v1::CaseState>(number)));
    }
    if (!s.district.empty()) {
      const std::string district(TrimSpaces(s.district));
      if (!IsResourceId(district)) {
        return UsageError("地区が不正です / --district: \"" + s.district +
                          "\" is not a district id (1 to 63 of a-z, 0-9 and '-', e.g. kita)");
      }
      clauses.push_back("district = \"" + district + "\"");
    }
    s.list_request.set_filter(Join(clauses, " AND "));
    s.list_request.set_page_size(s.page_size);
    s.list_request.set_page_token(s.page_token);
    return kExitOk;
  }
  if (s.accept->parsed() || s.decline->parsed() || s.revoke->parsed()) return s.PrepareAnswer();
  if (s.referrals->parsed() && s.case_text.empty()) {
    s.name = kInboxParent;
    return kExitOk;
  }
  if (!ParseCaseArgument(s.case_text, &s.name, &error)) return UsageError(error);
  if (s.transition->parsed()) return s.PrepareTransition(/*closing=*/false);
  if (s.close_case->parsed()) return s.PrepareTransition(/*closing=*/true);
  if (s.log->parsed()) {
    for (const CLI::Option* option : s.log_append_options) {
      if (option->count() > 0) s.appending = true;
    }
    return s.appending ? s.PrepareAppend() : kExitOk;
  }
  if (s.refer->parsed()) return s.PrepareRefer();
  return kExitOk;
}

int CaseCommands::State::PrepareOpen() {
  std::string error;
  v1::Case& record = *create_request.mutable_case_();
  const std::string district_id(TrimSpaces(district));
  if (!IsResourceId(district_id)) {
    return UsageError("地区が不正です / --district: \"" + district +
                      "\" is not a district id (1 to 63 of a-z, 0-9 and '-', e.g. kita)");
  }
  record.set_district(district_id);
  std::string referring_agency;
  if (!ParseAgencyArgument("--referrer", "つなぎ元", referrer, &referring_agency, &error)) {
    return UsageError(error);
  }
  record.set_referring_agency(referring_agency);
  std::string presenting_problem;
  if (!TextOrEmpty("--problem", "--problem-file", problem, problem_file, &stdin_taken,
                   &presenting_problem, &error)) {
    return UsageError(error);
  }
  if (presenting_problem.empty()) {
    return UsageError(
        "相談内容がありません / give the presenting problem with --problem-file (recommended) or "
        "--problem");
  }
  record.set_presenting_problem(presenting_problem);

  std::vector<std::string> seen_ids;
  size_t principal_position = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    v1::HouseholdMember* member = record.add_members();
    if (!ParseMember(i + 1, members[i], member, &error)) return UsageError(error);
    const std::string where = "--member #" + std::to_string(i + 1);
    for (size_t j = 0; j < seen_ids.size(); ++j) {
      if (seen_ids[j] == member->member_id()) {
        return UsageError("世帯員IDが重複しています / " + where + ": id " + member->member_id() +
                          " is also #" + std::to_string(j + 1) + "'s");
      }
    }
    seen_ids.push_back(member->member_id());
    if (member->principal()) {
      if (principal_position != 0) {
        return UsageError("本人は1人までです / " + where +
                          ": at most one member is the principal (本人); #" +
                          std::to_string(principal_position) + " is already");
      }
      principal_position = i + 1;
    }
  }
  if (record.members().empty()) {
    return UsageError("世帯員がありません / give at least one --member (see case open --help)");
  }
  for (const auto& tag : NonEmpty(household_tags)) {
    if (!IsResourceId(tag)) {
      return UsageError("課題タグが不正です / --household-tag: \"" + tag +
                        "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. 8050 or double-care");
    }
    record.add_household_issue_tags(tag);
  }
  int number = 0;
  for (const auto& field : NonEmpty(fields)) {
    if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number, &error)) {
      return UsageError(error);
    }
    record.add_fields(static_cast<v1::SupportField>(number));
  }
  if (!urgency.empty()) {
    if (!ParseEnumFlag("--urgency", "緊急度", *v1::Urgency_descriptor(), urgency, &number,
                       &error)) {
      return UsageError(error);
    }
    record.set_urgency(static_cast<v1::Urgency>(number));
  }
  if (!consent.empty()) {
    if (!ParseEnumFlag("--consent", "同意", *v1::ConsentStatus_descriptor(), consent, &number,
                       &error)) {
      return UsageError(error);
    }
    record.set_consent(static_cast<v1::ConsentStatus>(number));
  }
  record.set_address(address);
  record.set_referral_note(referral_note);

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

int CaseCommands::State::PrepareTransition(bool closing) {
  std::string error;
  transition_request.set_name(name);
  int number = 0;
  if (closing) {
    transition_request.set_to(v1::CLOSED);
  } else {
    if (!ParseEnumFlag("--to", "状態", *v1::CaseState_descriptor(), to, &number, &error)) {
      return UsageError(error);
    }
    transition_request.set_to(static_cast<v1::CaseState>(number));
  }
  if (!outcome.empty()) {
    if (!ParseEnumFlag("--outcome", "結果", *v1::CaseOutcome_descriptor(), outcome, &number,
                       &error)) {
      return UsageError(error);
    }
    transition_request.set_outcome(static_cast<v1::CaseOutcome>(number));
  }
  const bool to_closed = transition_request.to() == v1::CLOSED;
  if (to_closed && transition_request.outcome() == v1::CASE_OUTCOME_UNSPECIFIED) {
    return UsageError("終結には結果が必要です / --to 終結 (CLOSED) needs --outcome (valid: " +
                      ValidValues(*v1::CaseOutcome_descriptor()) + "), or use case close");
  }
  if (!to_closed && transition_request.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    return UsageError("結果は終結のときだけ指定します / --outcome: only with --to 終結 (CLOSED)");
  }
  const std::string_view trimmed_reason = TrimSpaces(reason);
  if (transition_request.outcome() == v1::NOT_RESOLVED_REVIEWED && trimmed_reason.empty()) {
    return UsageError(
        "検証内容がありません / 未解決（検証済み） (NOT_RESOLVED_REVIEWED) needs the review in "
        "--reason");
  }
  transition_request.set_reason(std::string(trimmed_reason));
  if (!date.empty() &&
      !ParseDecisionDate("--date", date, transition_request.mutable_decision_date(), &error)) {
    return UsageError(error);
  }
  transition_request.set_decider(std::string(TrimSpaces(decider)));
  transition_request.set_etag(etag);
  return kExitOk;
}

int CaseCommands::State::PrepareAppend() {
  std::string error;
  append_request.set_parent(name);
  v1::ConsultationEntry& entry = *append_request.mutable_entry();
  int number = 0;
  if (!kind.empty()) {
    if (!ParseEnumFlag("--kind", "種別", *v1::ConsultationKind_descriptor(), kind, &number,
                       &error)) {
      return UsageError(error);
    }
    entry.set_kind(static_cast<v1::ConsultationKind>(number));
  } else if (!amends.empty()) {
    entry.set_kind(v1::AMENDMENT);
  } else {
    return UsageError("種別がありません / --kind: give the kind of the entry to append (" +
                      ValidValues(*v1::ConsultationKind_descriptor()) +
                      "), or --amends N for a correction; without flags, case log lists the log");
  }
  const bool amendment = entry.kind() == v1::AMENDMENT;

  std::string text;
  if (!TextOrEmpty("--summary", "--summary-file", summary, summary_file, &stdin_taken, &text,
                   &error)) {
    return UsageError(error);
  }
  if (text.empty()) {
    return UsageError(
        "記録の内容がありません / give what happened with --summary-file "
        "(recommended) or --summary");
  }
  entry.set_summary(text);

  if (amendment) {
    if (amends.empty()) {
      return UsageError(
          "訂正対象がありません / --kind 訂正 (AMENDMENT) needs --amends N, the entry corrected");
    }
    std::string amended;
    if (!ParseAmends(name, amends, &amended, &error)) return UsageError(error);
    entry.set_amends(amended);
    if (!TextOrEmpty("--reason", "--reason-file", reason, reason_file, &stdin_taken, &text,
                     &error)) {
      return UsageError(error);
    }
    if (text.empty()) {
      return UsageError(
          "訂正理由がありません / a correction needs --reason (or --reason-file): why the entry "
          "is corrected");
    }
    entry.set_amendment_reason(text);
  } else if (!amends.empty() || !reason.empty() || !reason_file.empty()) {
    return UsageError(
        "--amends と --reason は訂正のときだけ指定します / --amends and --reason are for a "
        "correction only; drop --kind (or give --kind 訂正)");
  }

  if (entry.kind() == v1::COORDINATION_CONTACT) {
    if (agency.empty()) {
      return UsageError(
          "調整先がありません / --kind 個別調整 (COORDINATION_CONTACT) needs --agency, the agency "
          "contacted");
    }
    std::string contacted;
    if (!ParseAgencyArgument("--agency", "調整先", agency, &contacted, &error)) {
      return UsageError(error);
    }
    entry.set_agency(contacted);
  } else if (!agency.empty()) {
    // The server would drop it silently; the user meant something by it.
    return UsageError(
        "--agency は個別調整のときだけ指定します / --agency is for --kind 個別調整 "
        "(COORDINATION_CONTACT) only");
  }
  if (!method.empty()) {
    if (!ParseEnumFlag("--method", "方法", *v1::ContactMethod_descriptor(), method, &number,
                       &error)) {
      return UsageError(error);
    }
    entry.set_method(static_cast<v1::ContactMethod>(number));
  }
  const std::string day = date.empty() ? FormatJstDate(std::chrono::system_clock::now()) : date;
  if (!ParseDecisionDate("--date", day, entry.mutable_date(), &error)) return UsageError(error);
  return kExitOk;
}

int CaseCommands::State::PrepareRefer() {
  std::string error;
  refer_request.set_parent(name);
  v1::Referral& referral = *refer_request.mutable_referral();
  std::string asked;
  if (!ParseAgencyArgument("--agency", "紹介先", agency, &asked, &error)) {
    return UsageError(error);
  }
  referral.set_agency(asked);
  int number = 0;
  if (!ParseEnumFlag("--role", "役割", *v1::TeamRole_descriptor(), role, &number, &error)) {
    return UsageError(error);
  }
  referral.set_role(static_cast<v1::TeamRole>(number));
  std::string text;
  if (!TextOrEmpty("--note", "--note-file", note, note_file, &stdin_taken, &text, &error)) {
    return UsageError(error);
  }
  referral.set_note(text);
  return kExitOk;
}

int CaseCommands::State::PrepareAnswer() {
  std::string error;
  if (!ParseReferralArgument(referral_text, &name, &error)) return UsageError(error);
  answer_request.set_name(name);
  if (!decline->parsed()) return kExitOk;
  std::string text;
  if (!TextOrEmpty("--reason", "--reason-file", reason, reason_file, &stdin_taken, &text, &error)) {
    return UsageError(error);
  }
  if (text.empty()) {
    return UsageError(
        "辞退には理由が必要です / a declined referral needs a reason: give --reason TEXT or "
        "--reason-file PATH (the coordinator reads it to find another agency)");
  }
  answer_request.set_reason(text);
  if (!propose.empty()) {
    std::string proposed;
    if (!ParseAgencyArgument("--propose", "提案先", propose, &proposed, &error)) {
      return UsageError(error);
    }
    answer_request.set_proposed_agency(proposed);
  }
  return kExitOk;
}

int CaseCommands::Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Cases::NewStub(channel);
  if (s.open_case->parsed()) return s.Open(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.list->parsed()) return s.List(options, stub.get());
  if (s.transition->parsed() || s.close_case->parsed()) return s.Transition(options, stub.get());
  if (s.history->parsed()) return s.History(options, stub.get());
  if (s.log->parsed()) {
    return s.appending ? s.Append(options, stub.get()) : s.Log(options, stub.get());
  }
  if (s.refer->parsed()) return s.Refer(options, stub.get());
  if (s.referrals->parsed()) return s.Referrals(options, stub.get());
  if (s.accept->parsed() || s.decline->parsed() || s.revoke->parsed()) {
    return s.Answer(options, stub.get());
  }
  return UsageError("case: give a subcommand (see casectl case --help)");
}

int CaseCommands::State::Open(const GlobalOptions& options, v1::Cases::Stub* stub) {
  const std::string& id = create_request.request_id();
  if (generated_request_id) {
    // Before the call, so that it is on the screen whatever happens to the call.
    std::cerr << "リクエストID / request id: " << id << "\n";
  }
  v1::Case created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateCase(context.get(), create_request, &created);
  if (!status.ok()) {
    ReportError(status);
    std::cerr << "再試行するときは --request-id " << id
              << " を付けてください (二重受付を防ぎます) / to retry without opening a second "
                 "case, add --request-id "
              << id << "\n";
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(created);
    return kExitOk;
  }
  std::cout << "ケースを受け付けました / case opened: " << OrDash(created.case_number()) << " ("
            << created.name() << ")\n";
  PrintFields({
      {"受付番号 / case_number", OrDash(created.case_number())},
      {"名前 / name", created.name()},
      {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), created.state())},
      {"リクエストID / request_id", id},
  });
  return kExitOk;
}

int CaseCommands::State::Get(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::GetCaseRequest request;
  request.set_name(name);
  v1::Case record;
  auto context = NewContext(options);
  grpc::Status status = stub->GetCase(context.get(), request, &record);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(record);
  } else {
    PrintCase(record);
  }
  return kExitOk;
}

int CaseCommands::State::List(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::ListCasesResponse all;
  grpc::Status status = FetchPages(options, std::bind_front(&v1::Cases::Stub::ListCases, stub),
                                   list_request, &all, all_pages);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.cases().empty()) {
    std::cout << "該当するケースはありません / no cases\n";
  } else {
    std::vector<Row> rows;
    for (const auto& record : all.cases()) {
      rows.push_back({Cell(record.case_number()), record.name(), StateText(record),
                      Cell(record.district()),
                      Truncate(Cell(record.presenting_problem()), kProblemColumns),
                      record.has_update_time() ? JstDate(record.update_time()) : "-"});
    }
    // The last header is as wide as a date, so that every line is.
    PrintTable({"受付番号", "名前", "状態", "地区", "主訴", "最終更新日"}, rows);
  }
  if (!all.next_page_token().empty()) {
    std::cerr << "続きがあります / more cases: --page-token " << all.next_page_token()
              << " (or --all)\n";
  }
  return kExitOk;
}

int CaseCommands::State::Transition(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::Case moved;
  auto context = NewContext(options);
  grpc::Status status = stub->TransitionCase(context.get(), transition_request, &moved);
  if (!status.ok()) {
    ReportError(status);
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      std::cerr << "遷移できる状態は casectl case transition --help を参照 / see casectl case "
                   "transition --help for the allowed transitions\n";
    }
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(moved);
    return kExitOk;
  }
  std::cout << "状態を変更しました / state changed: " << OrDash(moved.case_number()) << " ("
            << moved.name() << ") → " << StateText(moved) << "\n";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), moved.state())},
  };
  if (moved.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    fields.emplace_back("結果 / outcome",
                        EnumTextWithName(*v1::CaseOutcome_descriptor(), moved.outcome()));
  }
  fields.emplace_back("etag", OrDash(moved.etag()));
  PrintFields(fields);
  return kExitOk;
}

int CaseCommands::State::History(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::GetCaseHistoryResponse all;
  v1::GetCaseHistoryRequest request;
  request.set_name(name);
  grpc::Status status = FetchPages(options, std::bind_front(&v1::Cases::Stub::GetCaseHistory, stub),
                                   request, &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.events().empty()) {
    std::cout << "経過はありません / no history\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& event : all.events()) {
    rows.push_back({std::to_string(event.sequence()),
                    event.has_time() ? LocalTime(event.time()) : "-",
                    EnumText(*v1::CaseEventKind_descriptor(), event.kind()),
                    Cell(WithoutPrefix(event.actor(), kUserPrefix)), ChangeText(event),
                    DateText(event.decision_date()),
                    Cell(WithoutPrefix(event.decider(), kUserPrefix)), Cell(event.reason())});
  }
  PrintTable({"#", "日時", "種別", "実施者", "変更", "決定日", "決定者", "理由"}, rows);
  return kExitOk;
}

int CaseCommands::State::Log(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::ListConsultationsResponse all;
  v1::ListConsultationsRequest request;
  request.set_parent(name);
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Cases::Stub::ListConsultations, stub), request, &all,
                 /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.entries().empty()) {
    std::cout << "相談記録はありません / the consultation log is empty\n";
    return kExitOk;
  }
  PrintConsultations(all);
  return kExitOk;
}

int CaseCommands::State::Append(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::ConsultationEntry entry;
  auto context = NewContext(options);
  // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
  append_request.set_request_id(NewRequestId().value_or(""));
  grpc::Status status = stub->AppendConsultation(context.get(), append_request, &entry);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(entry);
    return kExitOk;
  }
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
  return kExitOk;
}

int CaseCommands::State::Refer(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::Referral referral;
  auto context = NewContext(options);
  // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
  refer_request.set_request_id(NewRequestId().value_or(""));
  grpc::Status status = stub->CreateReferral(context.get(), refer_request, &referral);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(referral);
    return kExitOk;
  }
  std::cout << "紹介しました / referral created: " << referral.name() << "\n";
  PrintReferral(referral);
  std::cerr << "紹介先の職員が casectl case accept " << referral.name()
            << " で受諾します / the agency's staff answer with casectl case accept (or decline) "
            << referral.name() << "\n";
  return kExitOk;
}

int CaseCommands::State::Referrals(const GlobalOptions& options, v1::Cases::Stub* stub) {
  const bool inbox = name == kInboxParent;
  v1::ListReferralsResponse all;
  v1::ListReferralsRequest request;
  request.set_parent(name);
  grpc::Status status = FetchPages(options, std::bind_front(&v1::Cases::Stub::ListReferrals, stub),
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
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.referrals().empty()) {
    std::cout << (inbox ? "回答待ちの紹介はありません / no pending referrals to your agency\n"
                        : "紹介はありません / no referrals\n");
    return kExitOk;
  }
  PrintReferrals(all);
  return kExitOk;
}

int CaseCommands::State::Answer(const GlobalOptions& options, v1::Cases::Stub* stub) {
  v1::Referral answered;
  auto context = NewContext(options);
  grpc::Status status;
  std::string done;
  if (accept->parsed()) {
    status = stub->AcceptReferral(context.get(), answer_request, &answered);
    done = "紹介を受諾しました / referral accepted: ";
  } else if (decline->parsed()) {
    status = stub->DeclineReferral(context.get(), answer_request, &answered);
    done = "紹介を辞退しました / referral declined: ";
  } else {
    status = stub->RevokeReferral(context.get(), answer_request, &answered);
    done = "紹介を取り消しました / referral revoked: ";
  }
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(answered);
    return kExitOk;
  }
  std::cout << done << answered.name() << "\n";
  PrintReferral(answered);
  return kExitOk;
}

}  // namespace casecoord::cli
