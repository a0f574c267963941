#include "clients/cli/case_commands.h"

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using google::protobuf::EnumDescriptor;

constexpr std::string_view kCasePrefix = "cases/";
constexpr std::string_view kAgencyPrefix = "agencies/";
constexpr std::string_view kUserPrefix = "users/";
// CreateCaseRequest.request_id: 1 to 64 printable ASCII characters.
constexpr size_t kMaxRequestIdLength = 64;
// The presenting problem in `case list` is cut to this many terminal columns.
constexpr size_t kProblemColumns = 20;
// Case ids are decimal numbers of at most this many digits.
constexpr size_t kMaxCaseIdDigits = 18;

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

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// `text` without `prefix` when it starts with it.
std::string WithoutPrefix(const std::string& text, std::string_view prefix) {
  return StartsWith(text, prefix) ? text.substr(prefix.size()) : text;
}

// "12" and "cases/12" -> "cases/12"; nullopt for anything else (the server's ids are decimal
// numbers without leading zeros).
std::optional<std::string> CaseName(std::string_view text) {
  text = TrimSpaces(text);
  if (StartsWith(text, kCasePrefix)) text.remove_prefix(kCasePrefix.size());
  if (text.empty() || text.size() > kMaxCaseIdDigits || text.front() == '0' ||
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

std::string DateText(const v1::Date& date) {
  if (date.year() == 0) return "-";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

// --- Text from the server ---------------------------------------------------------------------

// `text` safe for a terminal: control characters (which could move the cursor or recolour the
// screen) become spaces; line breaks are kept when `keep_lines`, else they become spaces too.
std::string Printable(const std::string& text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' && keep_lines) {
      out += '\n';
    } else if (c < 0x20 || c == 0x7F) {
      out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// One table cell: a single line, "-" when empty.
std::string Cell(const std::string& text) { return OrDash(Printable(text, false)); }

// A PrintFields value: line breaks kept, "-" when empty.
std::string FieldText(const std::string& text) { return OrDash(Printable(text, true)); }

// `text` cut to at most `columns` terminal columns, "..." marking the cut.
std::string Truncate(const std::string& text, size_t columns) {
  if (DisplayWidth(text) <= columns) return text;
  constexpr std::string_view kEllipsis = "...";
  const size_t room = columns > kEllipsis.size() ? columns - kEllipsis.size() : 0;
  std::string out;
  size_t width = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t next = pos + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const std::string_view code_point(text.data() + pos, next - pos);
    const size_t code_point_width = DisplayWidth(code_point);
    if (width + code_point_width > room) break;
    out += code_point;
    width += code_point_width;
    pos = next;
  }
  return out + std::string(kEllipsis);
}

// --- Request ids -------------------------------------------------------------------------------

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", from the system's random
// device; nullopt when there is none.
std::optional<std::string> NewRequestId() {
  std::array<uint8_t, 16> bytes{};
  try {
    std::random_device device;
    for (size_t i = 0; i < bytes.size(); i += 4) {
      const uint32_t word = device();
      for (size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += kHex[bytes[i] >> 4];
    id += kHex[bytes[i] & 0x0F];
  }
  return id;
}

bool IsRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
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

std::string TimeText(const google::protobuf::Timestamp& time, bool has_time) {
  return has_time ? LocalTime(time) : "-";
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

  // Arguments as given.
  std::string case_text, district, referrer, problem, urgency, consent, address, referral_note,
      request_id, state, page_token, to, outcome, reason, date, decider, etag;
  std::vector<std::string> members, household_tags;
  int page_size = 100;
  bool all_pages = false;

  // Built by Prepare().
  std::string name;  // "cases/{case}"
  bool generated_request_id = false;
  v1::CreateCaseRequest create_request;
  v1::ListCasesRequest list_request;
  v1::TransitionCaseRequest transition_request;

  int PrepareOpen();
  int PrepareTransition(bool closing);

  int Open(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Get(const GlobalOptions& options, v1::Cases::Stub* stub);
  int List(const GlobalOptions& options, v1::Cases::Stub* stub);
  int Transition(const GlobalOptions& options, v1::Cases::Stub* stub);
  int History(const GlobalOptions& options, v1::Cases::Stub* stub);
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
  s.open_case->add_option("--problem", s.problem, "相談内容 / the presenting problem")->required();
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
      "例 / example:\n  casectl case open --district kita --referrer kita-houkatsu \\\n"
      "    --problem \"母の認知症が進み、長男は外出していない\" --household-tag 8050 \\\n"
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
  if (!ParseCaseArgument(s.case_text, &s.name, &error)) return UsageError(error);
  if (s.transition->parsed()) return s.PrepareTransition(/*closing=*/false);
  if (s.close_case->parsed()) return s.PrepareTransition(/*closing=*/true);
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
  const std::string agency_id = WithoutPrefix(std::string(TrimSpaces(referrer)), kAgencyPrefix);
  if (!IsResourceId(agency_id)) {
    return UsageError("つなぎ元が不正です / --referrer: \"" + referrer +
                      "\" is not an agency id (e.g. kita-houkatsu or agencies/kita-houkatsu)");
  }
  record.set_referring_agency(std::string(kAgencyPrefix) + agency_id);
  const std::string_view presenting_problem = TrimSpaces(problem);
  if (presenting_problem.empty()) {
    return UsageError("相談内容がありません / --problem: give the presenting problem");
  }
  record.set_presenting_problem(std::string(presenting_problem));

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

int CaseCommands::Run(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Cases::NewStub(channel);
  if (s.open_case->parsed()) return s.Open(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.list->parsed()) return s.List(options, stub.get());
  if (s.transition->parsed() || s.close_case->parsed()) return s.Transition(options, stub.get());
  if (s.history->parsed()) return s.History(options, stub.get());
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
  v1::ListCasesRequest request = list_request;
  do {
    v1::ListCasesResponse page;
    auto context = NewContext(options);
    grpc::Status status = stub->ListCases(context.get(), request, &page);
    if (!status.ok()) return ReportError(status);
    all.mutable_cases()->MergeFrom(page.cases());
    all.set_next_page_token(page.next_page_token());
    request.set_page_token(page.next_page_token());
  } while (all_pages && !request.page_token().empty());
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
  do {
    v1::GetCaseHistoryResponse page;
    auto context = NewContext(options);
    grpc::Status status = stub->GetCaseHistory(context.get(), request, &page);
    if (!status.ok()) return ReportError(status);
    all.mutable_events()->MergeFrom(page.events());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
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

}  // namespace casecoord::cli
