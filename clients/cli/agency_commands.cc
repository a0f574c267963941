#include "clients/cli/agency_commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/directory.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/progress.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

constexpr char kAgencyPrefix[] = "agencies/";
// Import files go up in chunks of this size.
constexpr size_t kImportChunkBytes = 256 * 1024;
// The most ImportAgencies accepts in all.
constexpr int64_t kImportMaxBytes = 64LL * 1024 * 1024;
// SearchAgencies and FindPartners return at most this many.
constexpr int kMaxResults = 200;

// --- Names, enums, dates -------------------------------------------------------------------------

// "kita" and "agencies/kita" both name agencies/kita.
std::string AgencyName(const std::string& id) {
  return id.rfind(kAgencyPrefix, 0) == 0 ? id : kAgencyPrefix + id;
}

// "agencies/kita" and "agencies/kita/cooperationSurveys/2024" -> "kita".
std::string AgencyId(const std::string& name) {
  if (name.rfind(kAgencyPrefix, 0) != 0) return name;
  const size_t start = sizeof(kAgencyPrefix) - 1;
  const size_t slash = name.find('/', start);
  return name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
}

// "2025-04-01" or "2025/4/1" as midnight JST, as CSV import reads 最終確認日.
bool ParseDate(const std::string& option, const std::string& text,
               google::protobuf::Timestamp* timestamp, std::string* error) {
  std::chrono::system_clock::time_point instant;
  if (!ParseDateFlag(option, text, &instant, error)) return false;
  timestamp->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(instant.time_since_epoch()).count());
  timestamp->set_nanos(0);
  return true;
}

std::string YesNo(bool value, const char* yes, const char* no) { return value ? yes : no; }

// --- Services ("名称|対象|年齢")
// ---------------------------------------------------------------------

// "18-64", "65-", "-17" or "" (no bound).
bool ParseAges(std::string_view text, int* min_age, int* max_age) {
  *min_age = *max_age = 0;
  if (text.empty()) return true;
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view low = TrimSpaces(text.substr(0, dash));
  const std::string_view high = TrimSpaces(text.substr(dash + 1));
  if (low.empty() && high.empty()) return false;
  if (!low.empty() && !ParseInt(low, 0, 150, min_age)) return false;
  if (!high.empty() && !ParseInt(high, 0, 150, max_age)) return false;
  return *max_age == 0 || *min_age <= *max_age;
}

bool ParseService(const std::string& text, v1::AgencyService* service, std::string* error) {
  const std::vector<std::string> parts = SplitTrimmed(text, '|', "｜");
  int min_age = 0, max_age = 0;
  if (parts.size() > 3 || parts[0].empty() ||
      !ParseAges(parts.size() == 3 ? parts[2] : "", &min_age, &max_age)) {
    *error = "サービスの形式が不正です / --service: \"" + text +
             "\" is not \"名称|対象|年齢\" (e.g. \"家計改善支援|生活に困窮する方|18-64\"; 年齢 "
             "18-64, 65- or -17)";
    return false;
  }
  service->set_name(parts[0]);
  if (parts.size() > 1) service->set_eligibility(parts[1]);
  service->set_min_age(min_age);
  service->set_max_age(max_age);
  return true;
}

std::string ServiceText(const v1::AgencyService& service) {
  std::string text = service.name();
  if (!service.eligibility().empty() || service.min_age() > 0 || service.max_age() > 0) {
    text += "｜" + service.eligibility();
  }
  if (service.min_age() > 0 || service.max_age() > 0) {
    text += "｜" + (service.min_age() > 0 ? std::to_string(service.min_age()) : "") + "-" +
            (service.max_age() > 0 ? std::to_string(service.max_age()) : "");
  }
  return text;
}

// --- Flags that set Agency fields (create, update) ---------------------------------------------

struct AgencyFlags {
  std::string display_name, kana, kind, operator_type, address, phone, fax, email, hours,
      referral_contact, state, verified;
  std::vector<std::string> fields, tags, services, districts;
  bool accepts_referrals = false;
  bool no_referrals = false;
  // Every option with the Agency field path it sets.
  std::vector<std::pair<CLI::Option*, std::string>> options;
};

void AddAgencyFlags(CLI::App* command, AgencyFlags* flags, bool create) {
  auto text = [command, flags](const char* name, std::string* value, const char* path,
                               const std::string& help) {
    CLI::Option* option = command->add_option(name, *value, help);
    flags->options.emplace_back(option, path);
    return option;
  };
  const std::string replaces = create ? "" : " (replaces the whole list; \"\" empties it)";
  auto list = [command, flags](const char* name, std::vector<std::string>* values, const char* path,
                               const std::string& help, bool comma_separated) {
    CLI::Option* option = command->add_option(name, *values, help)
                              ->expected(1)
                              ->allow_extra_args(false)
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (comma_separated) option->delimiter(',');
    flags->options.emplace_back(option, path);
  };
  CLI::Option* name = text("--name", &flags->display_name, "display_name", "機関名 / agency name");
  CLI::Option* kana = text("--kana", &flags->kana, "kana", "フリガナ / reading in kana");
  CLI::Option* kind = text("--kind", &flags->kind, "kind",
                           "種別 / kind: label or name, e.g. 福祉事務所 or WELFARE_OFFICE");
  if (create) {
    name->required();
    kana->required();
    kind->required();
  }
  text("--operator", &flags->operator_type, "operator_type",
       "運営形態 / operator: 直営, 委託 or 民間 (DIRECT, COMMISSIONED, PRIVATE)");
  list("--field", &flags->fields, "fields",
       "分野 / field of support, repeatable or comma-separated, e.g. 生活困窮" + replaces, true);
  list("--tag", &flags->tags, "issue_tags",
       "課題タグ / issue tag, repeatable or comma-separated, e.g. 8050,dementia" + replaces, true);
  list("--service", &flags->services, "services",
       "サービス / service \"名称|対象|年齢\", e.g. \"家計改善支援|生活に困窮する方|18-64\"; "
       "repeatable" +
           replaces,
       false);
  list("--district", &flags->districts, "districts",
       "担当地区 / district served, repeatable or comma-separated, e.g. kita" + replaces, true);
  text("--address", &flags->address, "address", "住所 / address");
  text("--phone", &flags->phone, "phone", "電話番号 / phone");
  text("--fax", &flags->fax, "fax", "FAX");
  text("--email", &flags->email, "email", "メール / e-mail");
  text("--hours", &flags->hours, "hours", "受付時間 / opening hours, e.g. \"平日 9:00〜17:30\"");
  text("--referral-contact", &flags->referral_contact, "referral_contact",
       "紹介窓口 / whom to contact to refer a case");
  CLI::Option* accepts = command->add_flag("--accepts-referrals", flags->accepts_referrals,
                                           "紹介受付 可 / takes referrals from other agencies");
  CLI::Option* refuses = command->add_flag("--no-referrals", flags->no_referrals,
                                           "紹介受付 不可 / takes no referrals");
  accepts->excludes(refuses);
  flags->options.emplace_back(accepts, "accepts_referrals");
  flags->options.emplace_back(refuses, "accepts_referrals");
  text("--state", &flags->state, "state",
       "状態 / state: 稼働, 休止 or 廃止 (ACTIVE, INACTIVE, CLOSED)");
  text("--verified", &flags->verified, "last_verified_time",
       create ? "最終確認日 / last verified, YYYY-MM-DD"
              : "最終確認日 / last verified, YYYY-MM-DD (\"\" clears it)");
}

// Sets in `agency` the fields whose flags were given and appends their paths to `paths` (each
// once, in flag order). False, with `error` explaining, on a bad value.
bool ApplyAgencyFlags(const AgencyFlags& flags, v1::Agency* agency,
                      google::protobuf::RepeatedPtrField<std::string>* paths, std::string* error) {
  for (const auto& [option, path] : flags.options) {
    if (option->count() == 0) continue;
    if (std::find(paths->begin(), paths->end(), path) != paths->end()) continue;
    int number = 0;
    if (path == "display_name") {
      agency->set_display_name(flags.display_name);
    } else if (path == "kana") {
      agency->set_kana(flags.kana);
    } else if (path == "kind") {
      if (!ParseEnumFlag("--kind", "種別", *v1::AgencyKind_descriptor(), flags.kind, &number,
                         error)) {
        return false;
      }
      agency->set_kind(static_cast<v1::AgencyKind>(number));
    } else if (path == "operator_type") {
      if (!ParseEnumFlag("--operator", "運営形態", *v1::OperatorType_descriptor(),
                         flags.operator_type, &number, error)) {
        return false;
      }
      agency->set_operator_type(static_cast<v1::OperatorType>(number));
    } else if (path == "fields") {
      for (const auto& field : NonEmpty(flags.fields)) {
        if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number,
                           error)) {
          return false;
        }
        agency->add_fields(static_cast<v1::SupportField>(number));
      }
    } else if (path == "issue_tags") {
      for (const auto& tag : NonEmpty(flags.tags)) agency->add_issue_tags(tag);
    } else if (path == "services") {
      for (const auto& service : NonEmpty(flags.services)) {
        if (!ParseService(service, agency->add_services(), error)) return false;
      }
    } else if (path == "districts") {
      for (const auto& district : NonEmpty(flags.districts)) agency->add_districts(district);
    } else if (path == "address") {
      agency->set_address(flags.address);
    } else if (path == "phone") {
      agency->set_phone(flags.phone);
    } else if (path == "fax") {
      agency->set_fax(flags.fax);
    } else if (path == "email") {
      agency->set_email(flags.email);
    } else if (path == "hours") {
      agency->set_hours(flags.hours);
    } else if (path == "referral_contact") {
      agency->set_referral_contact(flags.referral_contact);
    } else if (path == "accepts_referrals") {
      agency->set_accepts_referrals(flags.accepts_referrals);
    } else if (path == "state") {
      if (!ParseEnumFlag("--state", "状態", *v1::Agency::State_descriptor(), flags.state, &number,
                         error)) {
        return false;
      }
      agency->set_state(static_cast<v1::Agency::State>(number));
    } else if (path == "last_verified_time") {
      if (!TrimSpaces(flags.verified).empty() &&
          !ParseDate("--verified", flags.verified, agency->mutable_last_verified_time(), error)) {
        return false;
      }
    }
    paths->Add(std::string(path));
  }
  return true;
}

// --- Output ------------------------------------------------------------------------------------

std::string KindText(const v1::Agency& agency) {
  return EnumText(*v1::AgencyKind_descriptor(), agency.kind());
}

std::string StateText(const v1::Agency& agency) {
  return EnumText(*v1::Agency::State_descriptor(), agency.state());
}

std::string VerifiedText(const v1::Agency& agency) {
  return agency.has_last_verified_time() ? JstDate(agency.last_verified_time()) : "-";
}

void PrintAgency(const v1::Agency& agency) {
  std::vector<std::string> fields;
  for (int field : agency.fields()) {
    fields.push_back(EnumText(*v1::SupportField_descriptor(), field));
  }
  std::vector<std::string> services;
  for (const auto& service : agency.services()) services.push_back(ServiceText(service));
  PrintFields({
      {"機関ID / agency_id", AgencyId(agency.name())},
      {"機関名 / display_name", agency.display_name()},
      {"フリガナ / kana", OrDash(agency.kana())},
      {"種別 / kind", KindText(agency)},
      {"運営形態 / operator_type",
       EnumText(*v1::OperatorType_descriptor(), agency.operator_type())},
      {"分野 / fields", OrDash(Join(fields, "、"))},
      {"課題タグ / issue_tags", OrDash(Join(agency.issue_tags(), ", "))},
      {"サービス / services", OrDash(Join(services, "\n"))},
      {"担当地区 / districts", OrDash(Join(agency.districts(), ", "))},
      {"住所 / address", OrDash(agency.address())},
      {"電話番号 / phone", OrDash(agency.phone())},
      {"FAX / fax", OrDash(agency.fax())},
      {"メール / email", OrDash(agency.email())},
      {"受付時間 / hours", OrDash(agency.hours())},
      {"紹介窓口 / referral_contact", OrDash(agency.referral_contact())},
      {"紹介受付 / accepts_referrals", YesNo(agency.accepts_referrals(), "可", "不可")},
      {"状態 / state", StateText(agency)},
      {"最終確認日 / last_verified", VerifiedText(agency)},
      {"作成 / created", agency.has_create_time() ? LocalTime(agency.create_time()) : "-"},
      {"更新 / updated", agency.has_update_time() ? LocalTime(agency.update_time()) : "-"},
      {"etag", OrDash(agency.etag())},
  });
}

// "display_name" -> "機関名" for SearchAgencies' matched fields.
std::string MatchedFieldText(const std::string& field) {
  if (field == "display_name") return "機関名";
  if (field == "kana") return "フリガナ";
  return field;
}

std::string EncodingText(v1::CsvEncoding encoding) {
  switch (encoding) {
    case v1::UTF8:
      return "UTF-8";
    case v1::UTF8_BOM:
      return "UTF-8 (BOM付き / with BOM)";
    case v1::CP932:
      return "Shift_JIS (CP932)";
    default:
      return "-";
  }
}

}  // namespace

// --- The commands ------------------------------------------------------------------------------

struct AgencyCommands::State {
  CLI::App* agency = nullptr;
  CLI::App* list = nullptr;
  CLI::App* get = nullptr;
  CLI::App* create = nullptr;
  CLI::App* update = nullptr;
  CLI::App* remove = nullptr;
  CLI::App* search = nullptr;
  CLI::App* partners = nullptr;
  CLI::App* import_agencies = nullptr;
  CLI::App* export_agencies = nullptr;
  CLI::App* survey_record = nullptr;
  CLI::App* survey_list = nullptr;
  CLI::App* survey_summary = nullptr;
  CLI::App* survey_delete = nullptr;

  // Arguments as given.
  std::string id, etag, filter, order_by, page_token, query, district, file,
      existing = "update", format = "csv", fiscal_year_text;
  int page_size = 100;
  int limit = 0;
  bool all_pages = false, dry_run = false, allow_partial = false, close_cooperation = false,
       not_close_cooperation = false;
  std::vector<std::string> tags;
  AgencyFlags create_flags, update_flags;

  // Built by Prepare().
  v1::ListAgenciesRequest list_request;
  v1::CreateAgencyRequest create_request;
  v1::UpdateAgencyRequest update_request;
  v1::DeleteAgencyRequest delete_request;
  v1::SearchAgenciesRequest search_request;
  v1::FindPartnersRequest partners_request;
  v1::AgencyImportOptions import_options;
  int64_t import_bytes = 0;
  v1::ExportAgenciesRequest export_request;
  int fiscal_year = 0;

  int List(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Get(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Create(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Update(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Delete(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Search(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Partners(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Import(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int Export(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int SurveyRecord(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int SurveyList(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int SurveySummary(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
  int SurveyDelete(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub);
};

AgencyCommands::AgencyCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.agency = app->add_subcommand("agency", "相談機関一覧 / the agency directory");
  s.agency->require_subcommand(1);
  const std::string id_help = "機関ID / agency id: ID or agencies/ID";
  const std::string filter_help =
      "条件 / filter, e.g. 'kind = WELFARE_OFFICE AND district = \"kita\" AND tag = \"8050\"'";
  const std::string order_help = "並び順 / order: \"kana\" (五十音順); default agency id";

  s.list = s.agency->add_subcommand("list", "一覧 / list agencies");
  s.list->add_option("--filter", s.filter, filter_help);
  s.list->add_option("--order-by", s.order_by, order_help);
  s.list->add_option("--page-size", s.page_size, "agencies per call (default 100)");
  s.list->add_option("--page-token", s.page_token, "continue from this page token");
  s.list->add_flag("--all", s.all_pages, "すべて / every page, not only the first");

  s.get = s.agency->add_subcommand("get", "詳細 / show one agency");
  s.get->add_option("id", s.id, id_help)->required();

  s.create = s.agency->add_subcommand("create", "登録 / register an agency");
  s.create->add_option("id", s.id, "機関ID / agency id: 1 to 63 of a-z, 0-9 and '-'")->required();
  AddAgencyFlags(s.create, &s.create_flags, /*create=*/true);

  s.update = s.agency->add_subcommand("update", "更新 / change the fields whose flags are given");
  s.update->add_option("id", s.id, id_help)->required();
  AddAgencyFlags(s.update, &s.update_flags, /*create=*/false);
  s.update->add_option("--etag", s.etag, "only if the agency still has this etag (else ABORTED)");

  s.remove = s.agency->add_subcommand("delete", "削除 / delete an agency");
  s.remove->add_option("id", s.id, id_help)->required();
  s.remove->add_option("--etag", s.etag, "only if the agency still has this etag (else ABORTED)");

  s.search = s.agency->add_subcommand("search", "検索 / search names and kana readings");
  s.search->add_option("query", s.query, "検索語 / free Japanese text, e.g. ちいきほうかつ")
      ->required();
  s.search->add_option("--limit", s.limit, "at most this many (1-200; default 20)");
  s.search->add_option("--filter", s.filter, filter_help);

  s.partners = s.agency->add_subcommand(
      "partners", "連携先候補 / agencies for a household's issues, best first");
  s.partners->add_option("--tag", s.tags, "課題タグ / the household's issue tag, repeatable")
      ->required()
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.partners->add_option("--district", s.district, "担当地区 / the household's district");
  s.partners->add_option("--limit", s.limit, "at most this many (1-200; default 20)");

  s.import_agencies =
      s.agency->add_subcommand("import", "取込 / import a CSV file (UTF-8 or Shift_JIS)");
  s.import_agencies->add_option("file", s.file, "CSV file")->required();
  s.import_agencies->add_flag("--dry-run", s.dry_run, "検証のみ / check every row, change nothing");
  s.import_agencies->add_flag("--allow-partial", s.allow_partial,
                              "import the valid rows even when others have problems");
  s.import_agencies->add_option("--existing", s.existing,
                                "rows whose 機関ID exists: update (default), skip or reject");

  s.export_agencies = s.agency->add_subcommand("export", "書出 / export the directory to a file");
  s.export_agencies->add_option("file", s.file, "file to write (replaced atomically)")->required();
  s.export_agencies->add_option("--format", s.format,
                                "csv (UTF-8 with BOM, default), csv-sjis (Shift_JIS) or hsds-json");
  s.export_agencies->add_option("--filter", s.filter, filter_help);
  s.export_agencies->add_option("--order-by", s.order_by, order_help);

  CLI::App* survey =
      s.agency->add_subcommand("survey", "連携に関する年次調査 / yearly cooperation survey");
  survey->require_subcommand(1);
  const std::string year_help = "年度 / fiscal year: 2024, R6 or 令和6年度";
  s.survey_record = survey->add_subcommand("record", "回答を記録 / record an agency's answer");
  s.survey_record->add_option("id", s.id, id_help)->required();
  s.survey_record->add_option("fiscal_year", s.fiscal_year_text, year_help)->required();
  CLI::Option* close =
      s.survey_record->add_flag("--close", s.close_cooperation,
                                "緊密な連携あり / has close cooperation with related agencies");
  CLI::Option* not_close =
      s.survey_record->add_flag("--not-close", s.not_close_cooperation, "緊密な連携なし / has not");
  close->excludes(not_close);
  s.survey_list = survey->add_subcommand("list", "回答一覧 / answers of a fiscal year");
  s.survey_list->add_option("fiscal_year", s.fiscal_year_text, year_help)->required();
  s.survey_summary = survey->add_subcommand("summary", "集計 / the share of close cooperation");
  s.survey_summary->add_option("fiscal_year", s.fiscal_year_text, year_help)->required();
  s.survey_delete = survey->add_subcommand("delete", "回答を削除 / delete an answer");
  s.survey_delete->add_option("id", s.id, id_help)->required();
  s.survey_delete->add_option("fiscal_year", s.fiscal_year_text, year_help)->required();
}

AgencyCommands::~AgencyCommands() = default;

bool AgencyCommands::Selected() const { return state_->agency->parsed(); }

int AgencyCommands::Prepare() {
  State& s = *state_;
  std::string error;
  auto check_order = [&s]() { return s.order_by.empty() || s.order_by == "kana"; };
  auto bad_order = [&s]() {
    return UsageError("並び順が不明です / --order-by: \"" + s.order_by +
                      "\" (give kana, or leave it out for agency id order)");
  };
  auto check_limit = [&s]() -> int {
    if (s.limit < 0 || s.limit > kMaxResults) {
      return UsageError("--limit: give 1 to " + std::to_string(kMaxResults) + ", not " +
                        std::to_string(s.limit));
    }
    return kExitOk;
  };

  if (s.list->parsed()) {
    if (!check_order()) return bad_order();
    if (s.page_size < 0) {
      return UsageError("--page-size: must be 0 (server default) or more, not " +
                        std::to_string(s.page_size));
    }
    s.list_request.set_filter(s.filter);
    s.list_request.set_order_by(s.order_by);
    s.list_request.set_page_size(s.page_size);
    s.list_request.set_page_token(s.page_token);
  } else if (s.create->parsed()) {
    s.create_request.set_agency_id(AgencyId(s.id));
    google::protobuf::RepeatedPtrField<std::string> paths;
    if (!ApplyAgencyFlags(s.create_flags, s.create_request.mutable_agency(), &paths, &error)) {
      return UsageError(error);
    }
  } else if (s.update->parsed()) {
    v1::Agency* agency = s.update_request.mutable_agency();
    agency->set_name(AgencyName(s.id));
    agency->set_etag(s.etag);
    if (!ApplyAgencyFlags(s.update_flags, agency,
                          s.update_request.mutable_update_mask()->mutable_paths(), &error)) {
      return UsageError(error);
    }
    if (s.update_request.update_mask().paths().empty()) {
      return UsageError(
          "変更する項目がありません / nothing to update: give at least one field flag, e.g. "
          "--phone or --state (see agency update --help)");
    }
  } else if (s.remove->parsed()) {
    s.delete_request.set_name(AgencyName(s.id));
    s.delete_request.set_etag(s.etag);
  } else if (s.search->parsed()) {
    if (int code = check_limit(); code != kExitOk) return code;
    if (TrimSpaces(s.query).empty()) {
      return UsageError("検索語がありません / give a search text, e.g. ちいきほうかつ");
    }
    s.search_request.set_query(s.query);
    s.search_request.set_page_size(s.limit);
    s.search_request.set_filter(s.filter);
  } else if (s.partners->parsed()) {
    if (int code = check_limit(); code != kExitOk) return code;
    for (const auto& tag : NonEmpty(s.tags)) s.partners_request.add_issue_tags(tag);
    if (s.partners_request.issue_tags().empty()) {
      return UsageError("課題タグがありません / give at least one --tag, e.g. --tag 8050");
    }
    s.partners_request.set_district(s.district);
    s.partners_request.set_page_size(s.limit);
  } else if (s.import_agencies->parsed()) {
    v1::AgencyImportOptions& options = s.import_options;
    options.set_validate_only(s.dry_run);
    options.set_allow_partial(s.allow_partial);
    if (s.existing == "update") {
      options.set_existing(v1::AgencyImportOptions::UPDATE);
    } else if (s.existing == "skip") {
      options.set_existing(v1::AgencyImportOptions::SKIP);
    } else if (s.existing == "reject") {
      options.set_existing(v1::AgencyImportOptions::REJECT);
    } else {
      return UsageError("--existing: \"" + s.existing + "\" (give update, skip or reject)");
    }
    std::error_code code;
    if (!std::filesystem::is_regular_file(s.file, code)) {
      return UsageError("ファイルがありません / " + s.file + ": not a readable file");
    }
    s.import_bytes = static_cast<int64_t>(std::filesystem::file_size(s.file, code));
    if (code || !std::ifstream(s.file, std::ios::binary)) {
      return UsageError("ファイルを読めません / cannot read " + s.file);
    }
    if (s.import_bytes > kImportMaxBytes) {
      return UsageError("ファイルが大きすぎます / " + s.file + " has " +
                        HumanBytes(s.import_bytes) + "; an import takes at most " +
                        HumanBytes(kImportMaxBytes));
    }
  } else if (s.export_agencies->parsed()) {
    if (!check_order()) return bad_order();
    if (s.format == "csv") {
      s.export_request.set_format(v1::CSV_UTF8_BOM);
    } else if (s.format == "csv-sjis") {
      s.export_request.set_format(v1::CSV_CP932);
    } else if (s.format == "hsds-json") {
      s.export_request.set_format(v1::HSDS_JSON);
    } else {
      return UsageError("形式が不明です / --format: \"" + s.format +
                        "\" (give csv, csv-sjis or hsds-json)");
    }
    s.export_request.set_filter(s.filter);
    s.export_request.set_order_by(s.order_by);
    const std::filesystem::path parent =
        std::filesystem::absolute(std::filesystem::path(s.file)).parent_path();
    std::error_code code;
    if (!std::filesystem::is_directory(parent, code)) {
      return UsageError("フォルダがありません / no directory " + parent.string());
    }
  } else if (s.survey_record->parsed() || s.survey_list->parsed() || s.survey_summary->parsed() ||
             s.survey_delete->parsed()) {
    if (!ParseFiscalYear(s.fiscal_year_text, &s.fiscal_year, &error)) return UsageError(error);
    if (s.survey_record->parsed() && !s.close_cooperation && !s.not_close_cooperation) {
      return UsageError("回答がありません / give --close (緊密な連携あり) or --not-close (なし)");
    }
  }
  return kExitOk;
}

int AgencyCommands::Run(const GlobalOptions& options,
                        const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::AgencyDirectory::NewStub(channel);
  if (s.list->parsed()) return s.List(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.create->parsed()) return s.Create(options, stub.get());
  if (s.update->parsed()) return s.Update(options, stub.get());
  if (s.remove->parsed()) return s.Delete(options, stub.get());
  if (s.search->parsed()) return s.Search(options, stub.get());
  if (s.partners->parsed()) return s.Partners(options, stub.get());
  if (s.import_agencies->parsed()) return s.Import(options, stub.get());
  if (s.export_agencies->parsed()) return s.Export(options, stub.get());
  if (s.survey_record->parsed()) return s.SurveyRecord(options, stub.get());
  if (s.survey_list->parsed()) return s.SurveyList(options, stub.get());
  if (s.survey_summary->parsed()) return s.SurveySummary(options, stub.get());
  if (s.survey_delete->parsed()) return s.SurveyDelete(options, stub.get());
  return UsageError("agency: give a subcommand (see casectl agency --help)");
}

int AgencyCommands::State::List(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::ListAgenciesResponse all;
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::AgencyDirectory::Stub::ListAgencies, stub),
                 list_request, &all, all_pages);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.agencies().empty()) {
    std::cout << "該当する機関はありません / no agencies\n";
  } else {
    std::vector<Row> rows;
    for (const auto& agency : all.agencies()) {
      rows.push_back({AgencyId(agency.name()), agency.display_name(), KindText(agency),
                      OrDash(Join(agency.districts(), ",")),
                      YesNo(agency.accepts_referrals(), "可", "不可"), StateText(agency),
                      VerifiedText(agency)});
    }
    PrintTable({"ID", "機関名", "種別", "担当地区", "紹介受付", "状態", "最終確認日"}, rows);
  }
  if (!all.next_page_token().empty()) {
    std::cerr << "続きがあります / more agencies: --page-token " << all.next_page_token()
              << " (or --all)\n";
  }
  return kExitOk;
}

int AgencyCommands::State::Get(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::GetAgencyRequest request;
  request.set_name(AgencyName(id));
  v1::Agency agency;
  auto context = NewContext(options);
  grpc::Status status = stub->GetAgency(context.get(), request, &agency);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(agency);
  } else {
    PrintAgency(agency);
  }
  return kExitOk;
}

int AgencyCommands::State::Create(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::Agency created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateAgency(context.get(), create_request, &created);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(created);
  } else {
    std::cout << "相談機関を登録しました / agency created: " << created.name() << "\n";
    PrintAgency(created);
  }
  return kExitOk;
}

int AgencyCommands::State::Update(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::Agency updated;
  auto context = NewContext(options);
  grpc::Status status = stub->UpdateAgency(context.get(), update_request, &updated);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(updated);
  } else {
    std::cout << "相談機関を更新しました / agency updated: " << updated.name() << " ("
              << Join(update_request.update_mask().paths(), ", ") << ")\n";
    PrintAgency(updated);
  }
  return kExitOk;
}

int AgencyCommands::State::Delete(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::DeleteAgencyResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->DeleteAgency(context.get(), delete_request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
  } else {
    std::cout << "相談機関を削除しました / agency deleted: " << delete_request.name() << "\n";
  }
  return kExitOk;
}

int AgencyCommands::State::Search(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::SearchAgenciesResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->SearchAgencies(context.get(), search_request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
    return kExitOk;
  }
  if (response.matches().empty()) {
    std::cout << "該当する機関はありません / no agencies match \"" << query << "\"\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& match : response.matches()) {
    std::vector<std::string> matched;
    for (const auto& field : match.matched_fields()) matched.push_back(MatchedFieldText(field));
    const v1::Agency& agency = match.agency();
    rows.push_back({AgencyId(agency.name()), agency.display_name(), OrDash(agency.kana()),
                    KindText(agency), OrDash(Join(matched, "、"))});
  }
  PrintTable({"ID", "機関名", "フリガナ", "種別", "一致した項目"}, rows);
  return kExitOk;
}

int AgencyCommands::State::Partners(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  v1::FindPartnersResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->FindPartners(context.get(), partners_request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
    return kExitOk;
  }
  if (response.partners().empty()) {
    std::cout << "連携先候補はありません / no active agency taking referrals covers these issues\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& partner : response.partners()) {
    const v1::Agency& agency = partner.agency();
    rows.push_back({std::to_string(rows.size() + 1), AgencyId(agency.name()), agency.display_name(),
                    KindText(agency), Join(partner.covered_tags(), ", "), partner.explanation()});
  }
  PrintTable({"順位", "ID", "機関名", "種別", "対応課題", "説明"}, rows);
  return kExitOk;
}

int AgencyCommands::State::Import(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return UsageError("ファイルを読めません / cannot read " + file);
  v1::ImportAgenciesResponse response;
  auto context = NewContext(options);
  std::unique_ptr<grpc::ClientWriter<v1::ImportAgenciesRequest>> writer =
      stub->ImportAgencies(context.get(), &response);
  Progress progress("送信 / sending", import_bytes);
  v1::ImportAgenciesRequest request;
  *request.mutable_options() = import_options;
  std::string buffer(kImportChunkBytes, '\0');
  int64_t sent = 0;
  bool read_failed = false;
  for (bool first = true;; first = false) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto length = static_cast<size_t>(in.gcount());
    if (in.bad()) {
      read_failed = true;
      break;
    }
    if (length == 0 && !first) break;
    request.set_chunk(buffer.data(), length);
    if (!writer->Write(request)) break;  // the server ended the call; Finish() tells why
    sent += static_cast<int64_t>(length);
    // The file may have grown since it was measured.
    if (sent > import_bytes) progress.set_total(sent);
    progress.Update(sent);
    request.clear_options();
    if (length < buffer.size()) break;
  }
  if (read_failed) context->TryCancel();
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  progress.Finish();
  if (read_failed) {
    std::cerr << "エラー / error: cannot read " << file << ": " << std::strerror(errno) << "\n";
    return kExitFailed;
  }
  if (!status.ok()) return ReportError(status);

  const bool failed = !response.applied() && !response.problems().empty();
  if (options.json) {
    PrintJson(response);
    return failed ? kExitFailed : kExitOk;
  }
  std::string applied;
  if (response.applied()) {
    applied = "はい / yes";
  } else if (import_options.validate_only()) {
    applied = "いいえ (検証のみ) / no (dry run)";
  } else {
    applied = "いいえ / no";
  }
  PrintFields({
      {"検出した文字コード / encoding", EncodingText(response.detected_encoding())},
      {"読み込んだ行 / rows read", std::to_string(response.rows_read())},
      {"作成 / created", std::to_string(response.created())},
      {"更新 / updated", std::to_string(response.updated())},
      {"変更なし / unchanged", std::to_string(response.unchanged())},
      {"スキップ / skipped", std::to_string(response.skipped())},
      {"不正な行 / rejected", std::to_string(response.rejected())},
      {"反映 / applied", applied},
  });
  if (!response.problems().empty()) {
    std::cout << "\n問題 / problems (" << response.problems_size() << "):\n";
    std::vector<Row> rows;
    for (const auto& problem : response.problems()) {
      rows.push_back({std::to_string(problem.line()),
                      problem.column() > 0 ? std::to_string(problem.column()) : "-",
                      OrDash(problem.column_name()), problem.problem()});
    }
    PrintTable({"行", "列", "列名", "問題"}, rows);
  }
  if (failed) {
    std::cerr << "取り込みませんでした / nothing was imported"
              << (import_options.allow_partial() || import_options.validate_only()
                      ? ""
                      : " (--allow-partial imports the valid rows)")
              << "\n";
  }
  return failed ? kExitFailed : kExitOk;
}

int AgencyCommands::State::Export(const GlobalOptions& options, v1::AgencyDirectory::Stub* stub) {
  AtomicFile out;
  std::string error;
  if (!out.Open(file, &error)) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }
  auto context = NewContext(options);
  std::unique_ptr<grpc::ClientReader<v1::ExportAgenciesResponse>> reader =
      stub->ExportAgencies(context.get(), export_request);
  Progress progress("受信 / receiving", 0);
  v1::ExportAgenciesResponse chunk, totals;
  int64_t written = 0;
  bool write_failed = false;
  while (reader->Read(&chunk)) {
    if (!out.Write(chunk.chunk(), &error)) {
      write_failed = true;
      context->TryCancel();
      break;
    }
    written += static_cast<int64_t>(chunk.chunk().size());
    chunk.clear_chunk();
    totals = chunk;
    progress.set_total(totals.total_bytes());
    progress.Update(written);
  }
  if (write_failed) {
    while (reader->Read(&chunk)) {
    }
  }
  grpc::Status status = reader->Finish();
  progress.Finish();
  if (write_failed) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }
  if (!status.ok()) return ReportError(status);
  if (totals.total_bytes() != written) {
    std::cerr << "エラー / error: the export stopped early: " << written << " of "
              << totals.total_bytes() << " bytes received; " << file << " was not written\n";
    return kExitFailed;
  }
  if (!out.Commit(&error)) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }
  if (options.json) {
    PrintJson(totals);
  } else {
    std::cout << totals.agency_count() << " 機関を書き出しました / exported "
              << totals.agency_count() << " agencies: " << file << " (" << written << " bytes, "
              << OrDash(totals.content_type()) << ")\n";
  }
  return kExitOk;
}

int AgencyCommands::State::SurveyRecord(const GlobalOptions& options,
                                        v1::AgencyDirectory::Stub* stub) {
  v1::RecordCooperationSurveyAnswerRequest request;
  request.set_parent(AgencyName(id));
  request.set_fiscal_year(fiscal_year);
  request.set_close_cooperation(close_cooperation);
  v1::CooperationSurveyAnswer answer;
  auto context = NewContext(options);
  grpc::Status status = stub->RecordCooperationSurveyAnswer(context.get(), request, &answer);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(answer);
    return kExitOk;
  }
  std::cout << "回答を記録しました / answer recorded: " << answer.name() << "\n";
  PrintFields({
      {"機関 / agency", AgencyId(answer.name())},
      {"年度 / fiscal year", FiscalYearText(answer.fiscal_year())},
      {"緊密な連携 / close cooperation", YesNo(answer.close_cooperation(), "あり", "なし")},
      {"記録 / recorded", answer.has_record_time() ? LocalTime(answer.record_time()) : "-"},
      {"記録者 / by", OrDash(answer.recorded_by())},
  });
  return kExitOk;
}

int AgencyCommands::State::SurveyList(const GlobalOptions& options,
                                      v1::AgencyDirectory::Stub* stub) {
  v1::ListCooperationSurveyAnswersResponse all;
  v1::ListCooperationSurveyAnswersRequest request;
  request.set_fiscal_year(fiscal_year);
  request.set_page_size(page_size);
  grpc::Status status = FetchPages(
      options, std::bind_front(&v1::AgencyDirectory::Stub::ListCooperationSurveyAnswers, stub),
      request, &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.answers().empty()) {
    std::cout << FiscalYearLabels(fiscal_year).japanese << "の回答はありません / no answers for "
              << fiscal_year << "\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  for (const auto& answer : all.answers()) {
    rows.push_back({AgencyId(answer.name()), FiscalYearText(answer.fiscal_year()),
                    YesNo(answer.close_cooperation(), "あり", "なし"),
                    answer.has_record_time() ? LocalTime(answer.record_time()) : "-",
                    OrDash(answer.recorded_by())});
  }
  PrintTable({"機関ID", "年度", "緊密な連携", "記録日時", "記録者"}, rows);
  return kExitOk;
}

int AgencyCommands::State::SurveySummary(const GlobalOptions& options,
                                         v1::AgencyDirectory::Stub* stub) {
  v1::GetCooperationSurveySummaryRequest request;
  request.set_fiscal_year(fiscal_year);
  v1::CooperationSurveySummary summary;
  auto context = NewContext(options);
  grpc::Status status = stub->GetCooperationSurveySummary(context.get(), request, &summary);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(summary);
    return kExitOk;
  }
  char percent[32];
  std::snprintf(percent, sizeof(percent), "%.1f %%", summary.close_cooperation_percent());
  v1::FiscalYear year = summary.fiscal_year();
  if (year.year() == 0) year.set_year(fiscal_year);
  PrintFields({
      {"年度 / fiscal year", FiscalYearText(year)},
      {"回答機関数 / answered", std::to_string(summary.answered_agencies())},
      {"緊密な連携あり / close cooperation", std::to_string(summary.close_cooperation_agencies())},
      {"割合 / share", percent},
  });
  return kExitOk;
}

int AgencyCommands::State::SurveyDelete(const GlobalOptions& options,
                                        v1::AgencyDirectory::Stub* stub) {
  v1::DeleteCooperationSurveyAnswerRequest request;
  request.set_name(AgencyName(AgencyId(id)) + "/cooperationSurveys/" + std::to_string(fiscal_year));
  v1::DeleteCooperationSurveyAnswerResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->DeleteCooperationSurveyAnswer(context.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
  } else {
    std::cout << "回答を削除しました / answer deleted: " << request.name() << "\n";
  }
  return kExitOk;
}

}  // namespace casecoord::cli
