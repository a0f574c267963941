// casectl case ...: cases (ケース) from the command line.
//
//   case open --district D --referrer AGENCY_ID (--problem-file PATH | --problem TEXT)
//             --member SPEC [--member SPEC ...] [--household-tag T ...] [--urgency U]
//             [--consent C] [--address TEXT] [--referral-note TEXT] [--request-id ID]
//   case get CASE
//   case list [--state S] [--district D] [--page-size N] [--page-token T] [--all]
//   case transition CASE --to STATE [--outcome O] [--reason TEXT] [--date YYYY-MM-DD]
//             [--decider TEXT] [--etag E]
//   case close CASE --outcome O [--reason TEXT] [--date YYYY-MM-DD] [--decider TEXT] [--etag E]
//   case history CASE
//   case log CASE                                   (the consultation log, oldest first)
//   case log CASE --kind KIND (--summary-file PATH | --summary TEXT) [--date YYYY-MM-DD]
//             [--agency AGENCY] [--method M]        (appends an entry)
//   case log CASE --amends N (--reason-file PATH | --reason TEXT)
//             (--summary-file PATH | --summary TEXT) [--date YYYY-MM-DD]   (appends a correction)
//   case refer CASE --agency AGENCY --role ROLE [--note-file PATH | --note TEXT]
//   case referrals [CASE]                           (without CASE: your agency's pending inbox)
//   case accept REFERRAL
//   case decline REFERRAL (--reason-file PATH | --reason TEXT) [--propose AGENCY]
//   case revoke REFERRAL
//
// CASE is "cases/12" or "12"; REFERRAL is "cases/12/referrals/1" (the 名前 column of case
// referrals); AGENCY is "kita-houkatsu" or "agencies/kita-houkatsu". SPEC is
// "ID:氏名:続柄[:本人][:tag,tag]":
//   --member "m1:山田 太郎:長男:本人:hikikomori" --member "m2:山田 花子:母:dementia"
// (a 続柄 of 本人 also marks the principal; see case open --help). Enum flags (--urgency,
// --consent, --state, --to, --outcome, --kind, --method, --role) take the Japanese label or the
// value name ("緊急" or URGENT). `case open` without --request-id makes a random one (UUID v4) and
// prints it, so that a retry after a lost answer can reuse it and get the same case rather than a
// second one.
//
// Free text about a household (相談内容, 記録, 紹介メモ, 理由) is better given as a file: a
// command-line argument can be read by every local user in the process list and stays in the
// shell history. Each such --X TEXT flag has a --X-file PATH twin; "-" reads standard input (one
// flag per command at most). Files must be UTF-8 (a byte order mark is dropped, CRLF becomes LF).
//
// Every flag is checked and every file read before any call: a bad value is exit status 2 and
// nothing is sent. Error messages name members by position and ID, and never repeat the personal
// data given.

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
#include "clients/cli/command.h"
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

// --- The commands ------------------------------------------------------------------------------

constexpr char kCaseHelp[] = "ケース / case: cases/12 or 12 (the 名前 column of case list)";
constexpr char kAgencyIdHelp[] = "ID or agencies/ID, from the directory";
constexpr char kReferralHelp[] =
    "紹介 / referral: cases/12/referrals/1 (the 名前 column of case referrals)";

CLI::Option* AddListOption(CLI::App& app, const std::string& name, std::vector<std::string>* values,
                           const std::string& help, bool comma_separated) {
  CLI::Option* option = app.add_option(name, *values, help)
                            ->expected(1)
                            ->allow_extra_args(false)
                            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  if (comma_separated) option->delimiter(',');
  return option;
}

// --district: a district id, trimmed.
bool ParseDistrict(const std::string& text, std::string* district, std::string* error) {
  *district = std::string(TrimSpaces(text));
  if (IsResourceId(*district)) return true;
  *error = "地区が不正です / --district: \"" + text +
           "\" is not a district id (1 to 63 of a-z, 0-9 and '-', e.g. kita)";
  return false;
}

// An optional enum flag into `set` (untouched when `text` is empty).
template <typename Enum, typename Message>
bool OptionalEnum(const std::string& option, const std::string& what,
                  const google::protobuf::EnumDescriptor& type, const std::string& text,
                  Message* message, void (Message::*set)(Enum), std::string* error) {
  if (text.empty()) return true;
  int number = 0;
  if (!ParseEnumFlag(option, what, type, text, &number, error)) return false;
  (message->*set)(static_cast<Enum>(number));
  return true;
}

std::unique_ptr<v1::Cases::Stub> CasesStub(const Context& context) {
  return v1::Cases::NewStub(context.channel);
}

class CaseOpenCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--district", district_, "地区 / the household's district, e.g. kita")
        ->required();
    app.add_option("--referrer", referrer_,
                   "つなぎ元 / the referring agency: ID or agencies/ID (must be in the directory)")
        ->required();
    app.add_option("--problem", problem_,
                   "相談内容 / the presenting problem as an argument, which other local users can "
                   "see in the process list and which stays in the shell history: prefer "
                   "--problem-file");
    app.add_option("--problem-file", problem_file_,
                   "相談内容をファイルから / the presenting problem from a UTF-8 text file "
                   "(推奨 / recommended); - reads standard input");
    AddListOption(app, "--member", &members_, kMemberHelp, false)->required();
    AddListOption(app, "--household-tag", &household_tags_,
                  "世帯の課題 / issue of the household as a whole, repeatable or "
                  "comma-separated, e.g. 8050,double-care",
                  true);
    AddListOption(app, "--field", &fields_,
                  "分野 / field of the household's issues (statistics), repeatable or "
                  "comma-separated: " +
                      ValidValues(*v1::SupportField_descriptor()),
                  true);
    app.add_option("--urgency", urgency_,
                   "緊急度 / urgency: " + ValidValues(*v1::Urgency_descriptor()));
    app.add_option("--consent", consent_,
                   "同意 / consent: " + ValidValues(*v1::ConsentStatus_descriptor()));
    app.add_option("--address", address_, "住所 / the household's address");
    app.add_option("--referral-note", referral_note_,
                   "つなぎ元の対応 / what the referring agency already did");
    app.add_option("--request-id", request_id_,
                   "リクエストID / makes a retry safe: the same id (1 to 64 printable ASCII "
                   "characters) gives the case the first call opened. Default: a new random "
                   "UUID, printed so a retry can reuse it");
    app.footer(
        "--problem か --problem-file のどちらかが必要です。--problem-file を勧めます / give "
        "--problem-file (recommended) or --problem.\n"
        "例 / example:\n  casectl case open --district kita --referrer kita-houkatsu \\\n"
        "    --problem-file problem.txt --household-tag 8050 \\\n"
        "    --member \"m1:山田 太郎:長男:本人:hikikomori\" --member \"m2:山田 花子:母:dementia\" "
        "\\\n    --urgency 早期対応 --consent 同意あり");
  }

  int Prepare() override {
    v1::Case& record = *request_.mutable_case_();
    std::string error, district, referring_agency, presenting_problem;
    if (!ParseDistrict(district_, &district, &error)) return UsageError(error);
    record.set_district(district);
    if (!ParseAgencyArgument("--referrer", "つなぎ元", referrer_, &referring_agency, &error)) {
      return UsageError(error);
    }
    record.set_referring_agency(referring_agency);
    bool stdin_taken = false;
    if (!TextOrEmpty("--problem", "--problem-file", problem_, problem_file_, &stdin_taken,
                     &presenting_problem, &error)) {
      return UsageError(error);
    }
    if (presenting_problem.empty()) {
      return UsageError(
          "相談内容がありません / give the presenting problem with --problem-file (recommended) "
          "or --problem");
    }
    record.set_presenting_problem(presenting_problem);
    if (const int code = PrepareMembers(record); code != kExitOk) return code;
    if (const int code = PrepareIssues(record); code != kExitOk) return code;
    record.set_address(address_);
    record.set_referral_note(referral_note_);
    if (const int code = PrepareRequestId(&request_id_, &generated_request_id_); code != kExitOk) {
      return code;
    }
    request_.set_request_id(request_id_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    const std::string& id = request_.request_id();
    if (generated_request_id_) {
      // Before the call, so that it is on the screen whatever happens to the call.
      std::cerr << "リクエストID / request id: " << id << "\n";
    }
    auto stub = CasesStub(context);
    v1::Case created;
    auto call = NewContext(context.options);
    grpc::Status status = stub->CreateCase(call.get(), request_, &created);
    if (!status.ok()) {
      ReportError(status);
      std::cerr << "再試行するときは --request-id " << id
                << " を付けてください (二重受付を防ぎます) / to retry without opening a second "
                   "case, add --request-id "
                << id << "\n";
      return kExitFailed;
    }
    return PrintResult(context, created, [&] {
      std::cout << "ケースを受け付けました / case opened: " << OrDash(created.case_number()) << " ("
                << created.name() << ")\n";
      PrintFields({
          {"受付番号 / case_number", OrDash(created.case_number())},
          {"名前 / name", created.name()},
          {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), created.state())},
          {"リクエストID / request_id", id},
      });
    });
  }

 private:
  // --member: each parsed, ids unique, at most one principal.
  int PrepareMembers(v1::Case& record) const {
    std::string error;
    std::vector<std::string> seen_ids;
    size_t principal_position = 0;
    for (size_t i = 0; i < members_.size(); ++i) {
      v1::HouseholdMember* member = record.add_members();
      if (!ParseMember(i + 1, members_[i], member, &error)) return UsageError(error);
      const std::string where = "--member #" + std::to_string(i + 1);
      const auto seen = std::find(seen_ids.begin(), seen_ids.end(), member->member_id());
      if (seen != seen_ids.end()) {
        return UsageError("世帯員IDが重複しています / " + where + ": id " + member->member_id() +
                          " is also #" + std::to_string(seen - seen_ids.begin() + 1) + "'s");
      }
      seen_ids.push_back(member->member_id());
      if (member->principal() && principal_position != 0) {
        return UsageError("本人は1人までです / " + where +
                          ": at most one member is the principal (本人); #" +
                          std::to_string(principal_position) + " is already");
      }
      if (member->principal()) principal_position = i + 1;
    }
    if (record.members().empty()) {
      return UsageError("世帯員がありません / give at least one --member (see case open --help)");
    }
    return kExitOk;
  }

  // --household-tag, --field, --urgency and --consent.
  int PrepareIssues(v1::Case& record) const {
    for (const auto& tag : NonEmpty(household_tags_)) {
      if (!IsResourceId(tag)) {
        return UsageError("課題タグが不正です / --household-tag: \"" + tag +
                          "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. 8050 or double-care");
      }
      record.add_household_issue_tags(tag);
    }
    std::string error;
    int number = 0;
    for (const auto& field : NonEmpty(fields_)) {
      if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number,
                         &error)) {
        return UsageError(error);
      }
      record.add_fields(static_cast<v1::SupportField>(number));
    }
    if (!OptionalEnum("--urgency", "緊急度", *v1::Urgency_descriptor(), urgency_, &record,
                      &v1::Case::set_urgency, &error) ||
        !OptionalEnum("--consent", "同意", *v1::ConsentStatus_descriptor(), consent_, &record,
                      &v1::Case::set_consent, &error)) {
      return UsageError(error);
    }
    return kExitOk;
  }

  std::string district_, referrer_, problem_, problem_file_, urgency_, consent_, address_,
      referral_note_, request_id_;
  std::vector<std::string> members_, household_tags_, fields_;
  bool generated_request_id_ = false;
  v1::CreateCaseRequest request_;
};

class CaseListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--state", state_,
                   "状態 / only cases in this state: " + ValidValues(*v1::CaseState_descriptor()));
    app.add_option("--district", district_, "地区 / only cases of this district, e.g. kita");
    app.add_option("--page-size", page_size_, "cases per call (default 100)");
    app.add_option("--page-token", page_token_, "continue from this page token");
    app.add_flag("--all", all_pages_, "すべて / every page, not only the first");
  }

  int Prepare() override {
    if (page_size_ < 0) {
      return UsageError("--page-size: must be 0 (server default) or more, not " +
                        std::to_string(page_size_));
    }
    std::vector<std::string> clauses;
    std::string error;
    if (!state_.empty()) {
      int number = 0;
      if (!ParseEnumFlag("--state", "状態", *v1::CaseState_descriptor(), state_, &number, &error)) {
        return UsageError(error);
      }
      clauses.push_back("state = " + v1::CaseState_Name(static_cast<v1::CaseState>(number)));
    }
    if (!district_.empty()) {
      std::string district;
      if (!ParseDistrict(district_, &district, &error)) return UsageError(error);
      clauses.push_back("district = \"" + district + "\"");
    }
    request_.set_filter(Join(clauses, " AND "));
    request_.set_page_size(page_size_);
    request_.set_page_token(page_token_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    v1::ListCasesResponse all;
    grpc::Status status =
        FetchPages(context.options, std::bind_front(&v1::Cases::Stub::ListCases, stub.get()),
                   request_, &all, all_pages_);
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, all, [&all] { PrintCases(all); });
  }

 private:
  static void PrintCases(const v1::ListCasesResponse& all) {
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
  }

  std::string state_, district_, page_token_;
  int page_size_ = 100;
  bool all_pages_ = false;
  v1::ListCasesRequest request_;
};

// A command on one case (the CASE argument).
class CaseCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("case", case_text_, kCaseHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParseCaseArgument(case_text_, &name_, &error)) return UsageError(error);
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  std::string name_;  // "cases/{case}"

 private:
  std::string case_text_;
};

class CaseGetCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    v1::GetCaseRequest request;
    request.set_name(name_);
    auto stub = CasesStub(context);
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::GetCase, request,
                        std::function(PrintCase));
  }
};

// case transition and case close (`closing`: --to is CLOSED, --outcome required).
class CaseTransitionCommand : public CaseCommand {
 public:
  explicit CaseTransitionCommand(bool closing) : closing_(closing) {}

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    v1::Case moved;
    auto call = NewContext(context.options);
    grpc::Status status = stub->TransitionCase(call.get(), request_, &moved);
    if (!status.ok()) {
      ReportError(status);
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        std::cerr << "遷移できる状態は casectl case transition --help を参照 / see casectl case "
                     "transition --help for the allowed transitions\n";
      }
      return kExitFailed;
    }
    return PrintResult(context, moved, [&moved] { PrintMoved(moved); });
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    const std::string outcome_help =
        "結果 / outcome of the closure: " + ValidValues(*v1::CaseOutcome_descriptor());
    if (closing_) {
      app.add_option("--outcome", outcome_, outcome_help)->required();
    } else {
      app.add_option("--to", to_,
                     "新しい状態 / the new state: " + ValidValues(*v1::CaseState_descriptor()))
          ->required();
      app.add_option("--outcome", outcome_, outcome_help + " (with --to 終結 only)");
    }
    app.add_option("--reason", reason_,
                   "理由 / why; required when reopening and for 未解決（検証済み）");
    app.add_option("--date", date_,
                   "決定日 / date of the decision (支援決定日, 終結日), YYYY-MM-DD; default "
                   "today, not in the future");
    app.add_option("--decider", decider_,
                   "決定者 / who decided, e.g. ケース検討会議 (default: you)");
    app.add_option("--etag", etag_, "only if the case still has this etag (else ABORTED)");
    app.footer(kTransitionsHelp);
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_name(name_);
    if (closing_) {
      request_.set_to(v1::CLOSED);
    } else {
      int number = 0;
      if (!ParseEnumFlag("--to", "状態", *v1::CaseState_descriptor(), to_, &number, &error)) {
        return UsageError(error);
      }
      request_.set_to(static_cast<v1::CaseState>(number));
    }
    if (!OptionalEnum("--outcome", "結果", *v1::CaseOutcome_descriptor(), outcome_, &request_,
                      &v1::TransitionCaseRequest::set_outcome, &error)) {
      return UsageError(error);
    }
    if (const int code = CheckOutcome(); code != kExitOk) return code;
    request_.set_reason(std::string(TrimSpaces(reason_)));
    if (!date_.empty() &&
        !ParseDecisionDate("--date", date_, request_.mutable_decision_date(), &error)) {
      return UsageError(error);
    }
    request_.set_decider(std::string(TrimSpaces(decider_)));
    request_.set_etag(etag_);
    return kExitOk;
  }

 private:
  // An outcome goes with 終結 and only with it; 未解決（検証済み） needs the review as --reason.
  int CheckOutcome() const {
    const bool to_closed = request_.to() == v1::CLOSED;
    const bool has_outcome = request_.outcome() != v1::CASE_OUTCOME_UNSPECIFIED;
    if (to_closed && !has_outcome) {
      return UsageError("終結には結果が必要です / --to 終結 (CLOSED) needs --outcome (valid: " +
                        ValidValues(*v1::CaseOutcome_descriptor()) + "), or use case close");
    }
    if (!to_closed && has_outcome) {
      return UsageError("結果は終結のときだけ指定します / --outcome: only with --to 終結 (CLOSED)");
    }
    if (request_.outcome() == v1::NOT_RESOLVED_REVIEWED && TrimSpaces(reason_).empty()) {
      return UsageError(
          "検証内容がありません / 未解決（検証済み） (NOT_RESOLVED_REVIEWED) needs the review in "
          "--reason");
    }
    return kExitOk;
  }

  static void PrintMoved(const v1::Case& moved) {
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
  }

  bool closing_;
  std::string to_, outcome_, reason_, date_, decider_, etag_;
  v1::TransitionCaseRequest request_;
};

class CaseHistoryCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    v1::GetCaseHistoryResponse all;
    v1::GetCaseHistoryRequest request;
    request.set_name(name_);
    auto stub = CasesStub(context);
    grpc::Status status =
        FetchPages(context.options, std::bind_front(&v1::Cases::Stub::GetCaseHistory, stub.get()),
                   request, &all, /*all_pages=*/true);
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, all, [&all] { PrintHistory(all); });
  }

 private:
  static void PrintHistory(const v1::GetCaseHistoryResponse& all) {
    if (all.events().empty()) {
      std::cout << "経過はありません / no history\n";
      return;
    }
    std::vector<Row> rows;
    for (const auto& event : all.events()) {
      rows.push_back({std::to_string(event.sequence()), TimeText(event.time(), event.has_time()),
                      EnumText(*v1::CaseEventKind_descriptor(), event.kind()),
                      Cell(WithoutPrefix(event.actor(), kUserPrefix)), ChangeText(event),
                      DateText(event.decision_date()),
                      Cell(WithoutPrefix(event.decider(), kUserPrefix)), Cell(event.reason())});
    }
    PrintTable({"#", "日時", "種別", "実施者", "変更", "決定日", "決定者", "理由"}, rows);
  }
};

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
    if (!TextOrEmpty("--reason", "--reason-file", reason_, reason_file_, stdin_taken, &text,
                     &error)) {
      return UsageError(error);
    }
    if (text.empty()) {
      return UsageError(
          "訂正理由がありません / a correction needs --reason (or --reason-file): why the entry "
          "is corrected");
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
    v1::ListConsultationsResponse all;
    v1::ListConsultationsRequest request;
    request.set_parent(name_);
    grpc::Status status =
        FetchPages(context.options, std::bind_front(&v1::Cases::Stub::ListConsultations, stub),
                   request, &all, /*all_pages=*/true);
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, all, [&all] {
      if (all.entries().empty()) {
        std::cout << "相談記録はありません / the consultation log is empty\n";
      } else {
        PrintConsultations(all);
      }
    });
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
    if (!TextOrEmpty("--reason", "--reason-file", reason_, reason_file_, &stdin_taken, &text,
                     &error)) {
      return UsageError(error);
    }
    if (text.empty()) {
      return UsageError(
          "辞退には理由が必要です / a declined referral needs a reason: give --reason TEXT or "
          "--reason-file PATH (the coordinator reads it to find another agency)");
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

template <bool kClosing>
class CaseMoveCommand : public CaseTransitionCommand {
 public:
  CaseMoveCommand() : CaseTransitionCommand(kClosing) {}
};

constexpr CommandSpec kCaseCommands[] = {
    {"case", "ケース / cases (coordinators; agency staff read their team's)"},
    {"case open", "受付 / open a case from a linking sheet (つなぐシート)", Make<CaseOpenCommand>},
    {"case get", "詳細 / show one case and its household", Make<CaseGetCommand>},
    {"case list", "一覧 / list cases, newest first", Make<CaseListCommand>},
    {"case transition", "状態の変更 / move a case to another state", Make<CaseMoveCommand<false>>},
    {"case close", "終結 / close a case (transition --to CLOSED)", Make<CaseMoveCommand<true>>},
    {"case history", "経過 / the case's history, oldest first", Make<CaseHistoryCommand>},
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

std::span<const CommandSpec> CaseCommandTable() { return kCaseCommands; }

}  // namespace casecoord::cli
