// casectl case ...: cases (ケース) from the command line.
//
//   case open --district D --referrer AGENCY_ID (--problem-file PATH | --problem TEXT)
//             --member SPEC [--member SPEC ...] [--household-tag T ...] [--urgency U]
//             [--consent C] [--address TEXT] [--phone PHONE] [--referral-note TEXT]
//             [--request-id ID] [--allow-duplicate]
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
// CASE is "cases/12", "12" or the case number "R6-0042"; REFERRAL is "cases/12/referrals/1" (the
// 名前 column of case referrals); AGENCY is "kita-houkatsu" or "agencies/kita-houkatsu". SPEC is
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
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/vocabularies.grpc.pb.h"
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using google::protobuf::EnumDescriptor;
using namespace cases;  // NOLINT(google-build-using-namespace): this file is their user

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

// --- Household members ("ID:氏名:続柄[:本人][:tag,tag]") ----------------------------------------

bool IsPrincipalMarker(const std::string& part) {
  return part == "本人" || part == "principal" || part == "PRINCIPAL";
}

// The comma-separated issue tags of a member: ids or labels, which the server checks against the
// issue-tags list (with suggestions for an unknown one).
void ParseMemberTags(const std::string& field, v1::HouseholdMember* member) {
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string::npos) comma = field.size();
    const std::string tag(TrimSpaces(std::string_view(field).substr(start, comma - start)));
    if (!tag.empty()) member->add_issue_tags(tag);
    start = comma + 1;
  }
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
    ParseMemberTags(part, member);
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

// The Japanese labels of the districts and issue tags (vocabularies.proto), to show a code as
// 「北区 (kita)」. Empty when the lists cannot be read: the codes alone are shown then.
struct TermLabels {
  std::map<std::string, std::string> districts, tags;

  static std::string Show(const std::map<std::string, std::string>& labels, const std::string& id) {
    auto it = labels.find(id);
    return it == labels.end() ? id : it->second + " (" + id + ")";
  }
  std::string District(const std::string& id) const { return Show(districts, id); }
  std::string Tags(const google::protobuf::RepeatedPtrField<std::string>& ids) const {
    std::vector<std::string> shown;
    for (const auto& id : ids) shown.push_back(Show(tags, id));
    return Join(shown, ", ");
  }
};

TermLabels FetchTermLabels(const Context& context) {
  TermLabels labels;
  auto stub = v1::Vocabularies::NewStub(context.channel);
  for (auto [list, out] :
       {std::pair{"districts", &labels.districts}, std::pair{"issue-tags", &labels.tags}}) {
    v1::ListTermsRequest request;
    request.set_parent(std::string("vocabularies/") + list);
    v1::ListTermsResponse response;
    auto call = NewContext(context.options);
    if (!stub->ListTerms(call.get(), request, &response).ok()) continue;
    for (const auto& term : response.terms()) (*out)[term.term_id()] = term.label();
  }
  return labels;
}

void PrintMembers(const v1::Case& record, const TermLabels& labels);

void PrintCase(const v1::Case& record, const TermLabels& labels) {
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
      {"受付日 / intake_date", DateText(record.intake_date())},
      {"年度 / fiscal_year", fiscal_year},
      {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), record.state())},
  };
  if (record.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    fields.emplace_back("結果 / outcome",
                        EnumTextWithName(*v1::CaseOutcome_descriptor(), record.outcome()));
  }
  const std::vector<std::pair<std::string, std::string>> more = {
      {"地区 / district", Cell(labels.District(record.district()))},
      {"住所 / address", FieldText(record.address())},
      {"つなぎ元 / referring_agency", Cell(referrer)},
      {"つなぎ元の対応 / referral_note", FieldText(record.referral_note())},
      {"緊急度 / urgency", EnumText(*v1::Urgency_descriptor(), record.urgency())},
      {"同意 / consent", EnumText(*v1::ConsentStatus_descriptor(), record.consent())},
      {"相談内容 / presenting_problem", FieldText(record.presenting_problem())},
      {"世帯の課題 / household_issue_tags", Cell(labels.Tags(record.household_issue_tags()))},
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
  PrintMembers(record, labels);
}

// The household members as a table; フリガナ, 生年月日 and 地区 only when some member has them.
void PrintMembers(const v1::Case& record, const TermLabels& labels) {
  std::cout << "\n世帯員 / members (" << record.members_size() << "):\n";
  if (record.members().empty()) return;
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
    if (district) row.push_back(Cell(labels.District(member.district())));
    row.push_back(Cell(labels.Tags(member.issue_tags())));
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

// --- The commands ------------------------------------------------------------------------------

CLI::Option* AddListOption(CLI::App& app, const std::string& name, std::vector<std::string>* values,
                           const std::string& help, bool comma_separated) {
  CLI::Option* option = app.add_option(name, *values, help)
                            ->expected(1)
                            ->allow_extra_args(false)
                            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  if (comma_separated) option->delimiter(',');
  return option;
}

// --district: a district id or its Japanese label (北区), trimmed; the server checks it against
// the districts list and stores the id.
bool ParseDistrict(const std::string& text, std::string* district, std::string* error) {
  *district = std::string(TrimSpaces(text));
  if (!district->empty()) return true;
  *error =
      "地区を指定してください / --district: give a district id or its label (e.g. kita, 北区; "
      "see `casectl vocab list districts`)";
  return false;
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
    app.add_option("--phone", phone_, "電話 / the household's phone, e.g. 03-1234-5678");
    app.add_flag("--allow-duplicate", allow_duplicate_,
                 "重複を承知で受付 / open the case even though the server warned that the "
                 "household may already have one (same name and birth date, or same phone)");
    app.add_option("--referral-note", referral_note_,
                   "つなぎ元の対応 / what the referring agency already did");
    app.add_option("--intake-date", intake_date_,
                   "受付日 / the day the consultation was received, YYYY-MM-DD (JST; default "
                   "today; not in the future): the case's fiscal year and number follow it");
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
    record.set_phone(std::string(TrimSpaces(phone_)));
    record.set_referral_note(referral_note_);
    if (!intake_date_.empty() &&
        !ParseDecisionDate("--intake-date", intake_date_, record.mutable_intake_date(), &error)) {
      return UsageError(error);
    }
    request_.set_allow_duplicate(allow_duplicate_);
    return PrepareRequestId(&request_id_, &generated_request_id_, &request_);
  }

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    if (generated_request_id_) {
      std::cerr << "リクエストID / request id: " << request_.request_id() << "\n";
    }
    v1::Case created;
    auto call = NewContext(context.options);
    const grpc::Status status = stub->CreateCase(call.get(), request_, &created);
    if (!status.ok()) {
      const Status decoded = FromGrpcStatus(status);
      if (decoded.Is(Reason::kPossibleDuplicate)) return ReportPossibleDuplicate(decoded);
      ReportError(status);
      PrintRetryHint({"受付", "opening a second case"}, request_.request_id());
      return kExitFailed;
    }
    return PrintResult(context, created, [&] { PrintOpened(created, request_.request_id()); });
  }

 private:
  // The duplicate warning, for people: the cases to look at, and how to open it anyway.
  int ReportPossibleDuplicate(const Status& warning) const {
    std::string numbers;
    for (const auto& [key, value] : warning.metadata()) {
      if (key == "case_numbers") numbers = value;
    }
    std::cerr
        << "同じ世帯のケースが既にあるかもしれません（氏名と生年月日、または電話番号が一致）/ "
           "the household may already have a case (same name and birth date, or same "
           "phone): "
        << (numbers.empty() ? warning.message() : numbers) << "\n";
    const std::string first = numbers.substr(0, numbers.find(','));
    if (!first.empty()) {
      std::cerr << "確認 / check: casectl case get " << first << "\n";
    }
    std::cerr << "別の世帯なら --allow-duplicate を付けて同じ --request-id "
              << request_.request_id()
              << " で再実行してください / if it is another household, run again with "
                 "--allow-duplicate and --request-id "
              << request_.request_id() << "\n";
    return kExitFailed;
  }

  static void PrintOpened(const v1::Case& created, const std::string& request_id) {
    std::cout << "ケースを受け付けました / case opened: " << OrDash(created.case_number()) << " ("
              << created.name() << ")\n";
    PrintFields({
        {"受付番号 / case_number", OrDash(created.case_number())},
        {"名前 / name", created.name()},
        {"受付日 / intake_date", DateText(created.intake_date())},
        {"状態 / state", EnumTextWithName(*v1::CaseState_descriptor(), created.state())},
        {"リクエストID / request_id", request_id},
    });
  }

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
    // Ids or labels: the server checks them against the issue-tags list.
    for (const auto& tag : NonEmpty(household_tags_)) record.add_household_issue_tags(tag);
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

  std::string district_, referrer_, problem_, problem_file_, urgency_, consent_, address_, phone_,
      referral_note_, intake_date_, request_id_;
  bool allow_duplicate_ = false;
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
    pages_.Configure(app, "cases per call (default 100)");
  }

  int Prepare() override {
    if (const int code = CheckPageSize(pages_.size); code != kExitOk) return code;
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
    pages_.ApplyTo(&request_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return ListAndPrint(context, stub.get(), &v1::Cases::Stub::ListCases, request_, pages_.all,
                        std::function(PrintCases));
  }

 private:
  static void PrintCases(const v1::ListCasesResponse& all) {
    if (all.cases().empty()) {
      std::cout << "該当するケースはありません / no cases\n";
    } else {
      std::vector<Row> rows;
      for (const auto& record : all.cases()) {
        rows.push_back({Cell(record.case_number()), record.name(), DateText(record.intake_date()),
                        StateText(record), Cell(record.district()),
                        Truncate(Cell(record.presenting_problem()), kProblemColumns),
                        record.has_update_time() ? JstDate(record.update_time()) : "-"});
      }
      // The last header is as wide as a date, so that every line is.
      PrintTable({"受付番号", "名前", "受付日", "状態", "地区", "主訴", "最終更新日"}, rows);
    }
    if (!all.next_page_token().empty()) {
      std::cerr << "続きがあります / more cases: --page-token " << all.next_page_token()
                << " (or --all)\n";
    }
  }

  std::string state_, district_;
  PageFlags pages_{100};
  v1::ListCasesRequest request_;
};

class CaseGetCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    v1::GetCaseRequest request;
    request.set_name(name_);
    auto stub = CasesStub(context);
    const TermLabels labels = context.json() ? TermLabels() : FetchTermLabels(context);
    return CallAndPrint<v1::Cases::Stub, v1::GetCaseRequest, v1::Case>(
        context, stub.get(), &v1::Cases::Stub::GetCase, request,
        [&labels](const v1::Case& record) { PrintCase(record, labels); });
  }
};

// case transition and case close (`closing`: --to is CLOSED, --outcome required).
class CaseTransitionCommand : public CaseCommand {
 public:
  explicit CaseTransitionCommand(bool closing) : closing_(closing) {}

  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    v1::Case moved;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->TransitionCase(call, request_, &moved);
    });
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
    v1::GetCaseHistoryRequest request;
    request.set_name(name_);
    auto stub = CasesStub(context);
    return ListAndPrint(context, stub.get(), &v1::Cases::Stub::GetCaseHistory, request,
                        /*all_pages=*/true, std::function(PrintHistory));
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
};

}  // namespace

std::span<const CommandSpec> CaseCommandTable() { return kCaseCommands; }

}  // namespace casecoord::cli
