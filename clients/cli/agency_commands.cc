// casectl agency ...: the agency directory (相談機関一覧) from the command line.
//
//   agency list [--filter F] [--order-by kana] [--page-size N] [--page-token T] [--all]
//   agency get ID
//   agency create ID --name 機関名 --kana フリガナ --kind 種別 [field flags]
//   agency update ID [field flags] [--etag E]   changes exactly the fields whose flags are given
//   agency delete ID [--etag E]
//   agency search QUERY [--limit N]
//   agency partners --tag T [--tag T ...] [--district D] [--limit N]
//   agency import FILE [--dry-run] [--allow-partial] [--existing update|skip|reject]
//   agency export FILE [--format csv|csv-sjis|hsds-json] [--filter F] [--order-by kana]
//   agency survey record ID FISCAL_YEAR --close|--not-close
//   agency survey list FISCAL_YEAR / summary FISCAL_YEAR / delete ID FISCAL_YEAR
//
// ID is "kita-houkatsu" or "agencies/kita-houkatsu". Enum flags (--kind, --operator, --field,
// --state) take the Japanese label or the value name ("福祉事務所" or WELFARE_OFFICE), as CSV
// import does. FISCAL_YEAR is 2024, R6 or 令和6年度.

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
#include "clients/cli/agency_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/progress.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace agencies;  // NOLINT(google-build-using-namespace): this file is their user

// SearchAgencies and FindPartners return at most this many.
constexpr int kMaxResults = 200;

// --- Names, enums, dates -------------------------------------------------------------------------

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

// Sets the field of one flag in `agency`; false with `error` explaining a bad value.
using ApplyFlag = std::function<bool(v1::Agency* agency, std::string* error)>;

// A flag with the Agency field path it sets and how.
struct AgencyFlag {
  CLI::Option* option;
  std::string path;
  ApplyFlag apply;
};

// The value of an enum flag `option` into `set`.
template <typename Enum>
ApplyFlag EnumSetter(const char* option, const char* what,
                     const google::protobuf::EnumDescriptor& type, const std::string* text,
                     void (v1::Agency::*set)(Enum)) {
  return [=, &type](v1::Agency* agency, std::string* error) {
    int number = 0;
    if (!ParseEnumFlag(option, what, type, *text, &number, error)) return false;
    (agency->*set)(static_cast<Enum>(number));
    return true;
  };
}

// The flags of agency create (`create`: name, kana and kind required) and agency update, bound to
// this object.
class AgencyFlags {
 public:
  void Add(CLI::App& app, bool create) {
    const std::string replaces = create ? "" : " (replaces the whole list; \"\" empties it)";
    CLI::Option* name = Text(
        app, "--name", &display_name_,
        [](v1::Agency* a, const std::string& v) { a->set_display_name(v); }, "display_name",
        "機関名 / agency name");
    CLI::Option* kana = Text(
        app, "--kana", &kana_, [](v1::Agency* a, const std::string& v) { a->set_kana(v); }, "kana",
        "フリガナ / reading in kana");
    CLI::Option* kind = Flag(
        app.add_option("--kind", kind_,
                       "種別 / kind: label or name, e.g. 福祉事務所 or "
                       "WELFARE_OFFICE"),
        "kind",
        EnumSetter("--kind", "種別", *v1::AgencyKind_descriptor(), &kind_, &v1::Agency::set_kind));
    if (create) {
      name->required();
      kana->required();
      kind->required();
    }
    Flag(app.add_option("--operator", operator_type_,
                        "運営形態 / operator: 直営, 委託 or 民間 (DIRECT, COMMISSIONED, PRIVATE)"),
         "operator_type",
         EnumSetter("--operator", "運営形態", *v1::OperatorType_descriptor(), &operator_type_,
                    &v1::Agency::set_operator_type));
    AddLists(app, replaces);
    AddContacts(app);
    AddStatus(app, create);
  }

  // Sets in `agency` the fields whose flags were given and appends their paths to `paths` (each
  // once, in flag order). False, with `error` explaining, on a bad value.
  bool Apply(v1::Agency* agency, google::protobuf::RepeatedPtrField<std::string>* paths,
             std::string* error) const {
    for (const AgencyFlag& flag : flags_) {
      if (flag.option->count() == 0) continue;
      if (std::find(paths->begin(), paths->end(), flag.path) != paths->end()) continue;
      if (!flag.apply(agency, error)) return false;
      paths->Add(std::string(flag.path));
    }
    return true;
  }

 private:
  CLI::Option* Flag(CLI::Option* option, const char* path, ApplyFlag apply) {
    flags_.push_back({option, path, std::move(apply)});
    return option;
  }

  using SetText = void (*)(v1::Agency* agency, const std::string& value);

  CLI::Option* Text(CLI::App& app, const char* name, std::string* value, SetText set,
                    const char* path, const std::string& help) {
    return Flag(app.add_option(name, *value, help), path,
                [value, set](v1::Agency* agency, std::string*) {
                  set(agency, *value);
                  return true;
                });
  }

  CLI::Option* List(CLI::App& app, const char* name, std::vector<std::string>* values,
                    const char* path, const std::string& help, bool comma_separated,
                    ApplyFlag apply) {
    CLI::Option* option = app.add_option(name, *values, help)
                              ->expected(1)
                              ->allow_extra_args(false)
                              ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (comma_separated) option->delimiter(',');
    return Flag(option, path, std::move(apply));
  }

  void AddLists(CLI::App& app, const std::string& replaces) {
    List(app, "--field", &fields_, "fields",
         "分野 / field of support, repeatable or comma-separated, e.g. 生活困窮" + replaces, true,
         [this](v1::Agency* agency, std::string* error) {
           for (const auto& field : NonEmpty(fields_)) {
             int number = 0;
             if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), field, &number,
                                error)) {
               return false;
             }
             agency->add_fields(static_cast<v1::SupportField>(number));
           }
           return true;
         });
    List(app, "--tag", &tags_, "issue_tags",
         "課題タグ / issue tag, repeatable or comma-separated, e.g. 8050,dementia" + replaces, true,
         [this](v1::Agency* agency, std::string*) {
           for (const auto& tag : NonEmpty(tags_)) agency->add_issue_tags(tag);
           return true;
         });
    List(app, "--service", &services_, "services",
         "サービス / service \"名称|対象|年齢\", e.g. \"家計改善支援|生活に困窮する方|18-64\"; "
         "repeatable" +
             replaces,
         false, [this](v1::Agency* agency, std::string* error) {
           for (const auto& service : NonEmpty(services_)) {
             if (!ParseService(service, agency->add_services(), error)) return false;
           }
           return true;
         });
    List(app, "--district", &districts_, "districts",
         "担当地区 / district served, repeatable or comma-separated, e.g. kita" + replaces, true,
         [this](v1::Agency* agency, std::string*) {
           for (const auto& district : NonEmpty(districts_)) agency->add_districts(district);
           return true;
         });
  }

  void AddContacts(CLI::App& app) {
    Text(
        app, "--address", &address_, [](v1::Agency* a, const std::string& v) { a->set_address(v); },
        "address", "住所 / address");
    Text(
        app, "--phone", &phone_, [](v1::Agency* a, const std::string& v) { a->set_phone(v); },
        "phone", "電話番号 / phone");
    Text(
        app, "--fax", &fax_, [](v1::Agency* a, const std::string& v) { a->set_fax(v); }, "fax",
        "FAX");
    Text(
        app, "--email", &email_, [](v1::Agency* a, const std::string& v) { a->set_email(v); },
        "email", "メール / e-mail");
    Text(
        app, "--hours", &hours_, [](v1::Agency* a, const std::string& v) { a->set_hours(v); },
        "hours", "受付時間 / opening hours, e.g. \"平日 9:00〜17:30\"");
    Text(
        app, "--referral-contact", &referral_contact_,
        [](v1::Agency* a, const std::string& v) { a->set_referral_contact(v); }, "referral_contact",
        "紹介窓口 / whom to contact to refer a case");
  }

  void AddStatus(CLI::App& app, bool create) {
    auto set_referrals = [this](v1::Agency* agency, std::string*) {
      agency->set_accepts_referrals(accepts_referrals_);
      return true;
    };
    CLI::Option* accepts = Flag(app.add_flag("--accepts-referrals", accepts_referrals_,
                                             "紹介受付 可 / takes referrals from other agencies"),
                                "accepts_referrals", set_referrals);
    CLI::Option* refuses =
        Flag(app.add_flag("--no-referrals", no_referrals_, "紹介受付 不可 / takes no referrals"),
             "accepts_referrals", set_referrals);
    accepts->excludes(refuses);
    Flag(app.add_option("--state", state_,
                        "状態 / state: 稼働, 休止 or 廃止 (ACTIVE, INACTIVE, CLOSED)"),
         "state",
         EnumSetter("--state", "状態", *v1::Agency::State_descriptor(), &state_,
                    &v1::Agency::set_state));
    Flag(app.add_option("--verified", verified_,
                        create ? "最終確認日 / last verified, YYYY-MM-DD"
                               : "最終確認日 / last verified, YYYY-MM-DD (\"\" clears it)"),
         "last_verified_time", [this](v1::Agency* agency, std::string* error) {
           return TrimSpaces(verified_).empty() ||
                  ParseDate("--verified", verified_, agency->mutable_last_verified_time(), error);
         });
  }

  std::string display_name_, kana_, kind_, operator_type_, address_, phone_, fax_, email_, hours_,
      referral_contact_, state_, verified_;
  std::vector<std::string> fields_, tags_, services_, districts_;
  bool accepts_referrals_ = false;
  bool no_referrals_ = false;
  std::vector<AgencyFlag> flags_;
};

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

// --- The commands ------------------------------------------------------------------------------

constexpr char kEtagHelp[] = "only if the agency still has this etag (else ABORTED)";
// --limit of search and partners.
int CheckLimit(int limit) {
  if (limit < 0 || limit > kMaxResults) {
    return UsageError("--limit: give 1 to " + std::to_string(kMaxResults) + ", not " +
                      std::to_string(limit));
  }
  return kExitOk;
}

class AgencyListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--filter", filter_, kFilterHelp);
    app.add_option("--order-by", order_by_, kOrderHelp);
    pages_.Configure(app, "agencies per call (default 100)");
  }

  int Prepare() override {
    if (const int code = CheckOrder(order_by_); code != kExitOk) return code;
    if (const int code = CheckPageSize(pages_.size); code != kExitOk) return code;
    request_.set_filter(filter_);
    request_.set_order_by(order_by_);
    pages_.ApplyTo(&request_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return ListAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::ListAgencies, request_,
                        pages_.all, std::function(PrintAgencies));
  }

 private:
  static void PrintAgencies(const v1::ListAgenciesResponse& all) {
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
  }

  std::string filter_, order_by_;
  PageFlags pages_{100};
  v1::ListAgenciesRequest request_;
};

class AgencyGetCommand : public Command {
 public:
  void Configure(CLI::App& app) override { app.add_option("id", id_, kIdHelp)->required(); }

  int Run(const Context& context) override {
    v1::GetAgencyRequest request;
    request.set_name(AgencyName(id_));
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::GetAgency, request,
                        std::function(PrintAgency));
  }

 private:
  std::string id_;
};

class AgencyCreateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "機関ID / agency id: 1 to 63 of a-z, 0-9 and '-'")->required();
    flags_.Add(app, /*create=*/true);
  }

  int Prepare() override {
    request_.set_agency_id(AgencyId(id_));
    google::protobuf::RepeatedPtrField<std::string> paths;
    std::string error;
    if (!flags_.Apply(request_.mutable_agency(), &paths, &error)) return UsageError(error);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::CreateAgency, request_,
                        std::function([](const v1::Agency& created) {
                          std::cout << "相談機関を登録しました / agency created: " << created.name()
                                    << "\n";
                          PrintAgency(created);
                        }));
  }

 private:
  std::string id_;
  AgencyFlags flags_;
  v1::CreateAgencyRequest request_;
};

class AgencyUpdateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, kIdHelp)->required();
    flags_.Add(app, /*create=*/false);
    app.add_option("--etag", etag_, kEtagHelp);
  }

  int Prepare() override {
    v1::Agency* agency = request_.mutable_agency();
    agency->set_name(AgencyName(id_));
    agency->set_etag(etag_);
    std::string error;
    if (!flags_.Apply(agency, request_.mutable_update_mask()->mutable_paths(), &error)) {
      return UsageError(error);
    }
    if (request_.update_mask().paths().empty()) {
      return UsageError(
          "変更する項目がありません / nothing to update: give at least one field flag, e.g. "
          "--phone or --state (see agency update --help)");
    }
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::UpdateAgency, request_,
                        std::function([this](const v1::Agency& updated) {
                          std::cout << "相談機関を更新しました / agency updated: " << updated.name()
                                    << " (" << Join(request_.update_mask().paths(), ", ") << ")\n";
                          PrintAgency(updated);
                        }));
  }

 private:
  std::string id_, etag_;
  AgencyFlags flags_;
  v1::UpdateAgencyRequest request_;
};

class AgencyDeleteCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, kIdHelp)->required();
    app.add_option("--etag", etag_, kEtagHelp);
  }

  int Run(const Context& context) override {
    v1::DeleteAgencyRequest request;
    request.set_name(AgencyName(id_));
    request.set_etag(etag_);
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::DeleteAgency, request,
                        std::function([&request](const v1::DeleteAgencyResponse&) {
                          std::cout << "相談機関を削除しました / agency deleted: " << request.name()
                                    << "\n";
                        }));
  }

 private:
  std::string id_, etag_;
};

class AgencySearchCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("query", query_, "検索語 / free Japanese text, e.g. ちいきほうかつ")->required();
    app.add_option("--limit", limit_, "at most this many (1-200; default 20)");
    app.add_option("--filter", filter_, kFilterHelp);
  }

  int Prepare() override {
    if (const int code = CheckLimit(limit_); code != kExitOk) return code;
    if (TrimSpaces(query_).empty()) {
      return UsageError("検索語がありません / give a search text, e.g. ちいきほうかつ");
    }
    request_.set_query(query_);
    request_.set_page_size(limit_);
    request_.set_filter(filter_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::SearchAgencies, request_,
                        std::function([this](const v1::SearchAgenciesResponse& response) {
                          PrintMatches(response);
                        }));
  }

 private:
  void PrintMatches(const v1::SearchAgenciesResponse& response) const {
    if (response.matches().empty()) {
      std::cout << "該当する機関はありません / no agencies match \"" << query_ << "\"\n";
      return;
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
  }

  std::string query_, filter_;
  int limit_ = 0;
  v1::SearchAgenciesRequest request_;
};

class AgencyPartnersCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--tag", tags_, "課題タグ / the household's issue tag, repeatable")
        ->required()
        ->expected(1)
        ->delimiter(',')
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--district", district_, "担当地区 / the household's district");
    app.add_option("--limit", limit_, "at most this many (1-200; default 20)");
  }

  int Prepare() override {
    if (const int code = CheckLimit(limit_); code != kExitOk) return code;
    for (const auto& tag : NonEmpty(tags_)) request_.add_issue_tags(tag);
    if (request_.issue_tags().empty()) {
      return UsageError("課題タグがありません / give at least one --tag, e.g. --tag 8050");
    }
    request_.set_district(district_);
    request_.set_page_size(limit_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return CallAndPrint(context, stub.get(), &v1::AgencyDirectory::Stub::FindPartners, request_,
                        std::function(PrintPartners));
  }

 private:
  static void PrintPartners(const v1::FindPartnersResponse& response) {
    if (response.partners().empty()) {
      std::cout
          << "連携先候補はありません / no active agency taking referrals covers these issues\n";
      return;
    }
    std::vector<Row> rows;
    for (const auto& partner : response.partners()) {
      const v1::Agency& agency = partner.agency();
      rows.push_back({std::to_string(rows.size() + 1), AgencyId(agency.name()),
                      agency.display_name(), KindText(agency), Join(partner.covered_tags(), ", "),
                      partner.explanation()});
    }
    PrintTable({"順位", "ID", "機関名", "種別", "対応課題", "説明"}, rows);
  }

  std::vector<std::string> tags_;
  std::string district_;
  int limit_ = 0;
  v1::FindPartnersRequest request_;
};

constexpr CommandSpec kAgencyCommands[] = {
    {"agency", "相談機関一覧 / the agency directory"},
    {"agency list", "一覧 / list agencies", Make<AgencyListCommand>},
    {"agency get", "詳細 / show one agency", Make<AgencyGetCommand>},
    {"agency create", "登録 / register an agency", Make<AgencyCreateCommand>},
    {"agency update", "更新 / change the fields whose flags are given", Make<AgencyUpdateCommand>},
    {"agency delete", "削除 / delete an agency", Make<AgencyDeleteCommand>},
    {"agency search", "検索 / search names and kana readings", Make<AgencySearchCommand>},
    {"agency partners", "連携先候補 / agencies for a household's issues, best first",
     Make<AgencyPartnersCommand>},
};

}  // namespace

std::span<const CommandSpec> AgencyCommandTable() { return kAgencyCommands; }

}  // namespace casecoord::cli
