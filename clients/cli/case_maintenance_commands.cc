// casectl case update, case team remove, case purge: changing a case after intake.
//
//   case update CASE [--district D] [--household-tag T ...] [--field F ...] [--urgency U]
//             [--consent C] [--coordinator USER] [--next-review YYYY-MM-DD]
//             [--intake-date YYYY-MM-DD] [--etag E]
//   case team remove CASE --agency AGENCY (--reason-file PATH | --reason TEXT)
//   case purge CASE --confirm "PURGE R1-0042"
//
// `case update` sends only the fields given, each with its update_mask path, so that a field not
// named keeps its value; a list flag given only as "" empties the list (--household-tag "").
// Without --etag the update applies to whatever the case is now; with it, only if nobody changed
// the case since (ABORTED otherwise: read it again with case get).

#include <google/protobuf/descriptor.h>
#include <google/protobuf/field_mask.pb.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using namespace cases;  // NOLINT(google-build-using-namespace): this file is their user

// A list flag: repeatable, one value per occurrence, commas also separate.
CLI::Option* AddCommaList(CLI::App& app, const std::string& name, std::vector<std::string>* values,
                          const std::string& help) {
  return app.add_option(name, *values, help)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
}

// "2026-04-01" (any day, past or future) as a Date.
bool ParseDayFlag(const std::string& option, const std::string& text, v1::Date* date,
                  std::string* error) {
  std::chrono::system_clock::time_point instant;
  if (!ParseDateFlag(option, text, &instant, error)) return false;
  *date = JstDateOf(instant);
  return true;
}

void PrintUpdated(const v1::Case& updated) {
  std::cout << "ケースを更新しました / case updated: " << OrDash(updated.case_number()) << " ("
            << updated.name() << ")\n";
  PrintFields({{"地区 / district", OrDash(updated.district())},
               {"世帯の課題 / household tags", OrDash(Join(updated.household_issue_tags(), ", "))},
               {"担当 / coordinator", OrDash(updated.coordinator())},
               {"etag", OrDash(updated.etag())}});
}

class CaseUpdateCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::UpdateCase, request_,
                        std::function(PrintUpdated));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    district_ = app.add_option("--district", district_text_, "地区 / the district, e.g. kita");
    tags_ = AddCommaList(app, "--household-tag,--tags", &household_tags_,
                         "世帯の課題 / the household's issue tags (replaces them), repeatable or "
                         "comma-separated; \"\" empties the list");
    fields_ = AddCommaList(app, "--field,--fields", &field_texts_,
                           "分野 / the fields (replaces them), repeatable or comma-separated: " +
                               ValidValues(*v1::SupportField_descriptor()));
    app.add_option("--urgency", urgency_,
                   "緊急度 / urgency: " + ValidValues(*v1::Urgency_descriptor()));
    app.add_option("--consent", consent_,
                   "同意 / consent: " + ValidValues(*v1::ConsentStatus_descriptor()));
    coordinator_ = app.add_option("--coordinator", coordinator_text_,
                                  "担当コーディネーター / the coordinator: USER or users/USER");
    app.add_option("--next-review", next_review_, "次回見直し日 / next review date, YYYY-MM-DD");
    app.add_option("--intake-date", intake_date_,
                   "受付日 / the date the consultation was received, YYYY-MM-DD (a correction)");
    app.add_option("--etag", etag_, "only if the case still has this etag (else ABORTED)");
    app.footer(
        "指定した項目だけを変更します / only the fields given change.\n"
        "例 / example:\n  casectl case update cases/12 --district minami --tags 8050,hikikomori "
        "--etag 7");
  }

  int PrepareFlags() override {
    v1::Case& record = *request_.mutable_case_();
    record.set_name(name_);
    record.set_etag(etag_);
    std::string error;
    if (const int code = PrepareLists(record); code != kExitOk) return code;
    if (district_->count() > 0) {
      const std::string district(TrimSpaces(district_text_));
      if (!IsResourceId(district)) {
        return UsageError("地区が不正です / --district: \"" + district_text_ +
                          "\" is not a district id (1 to 63 of a-z, 0-9 and '-', e.g. kita)");
      }
      record.set_district(district);
      AddPath("district");
    }
    if (!urgency_.empty()) {
      if (!OptionalEnum("--urgency", "緊急度", *v1::Urgency_descriptor(), urgency_, &record,
                        &v1::Case::set_urgency, &error)) {
        return UsageError(error);
      }
      AddPath("urgency");
    }
    if (!consent_.empty()) {
      if (!OptionalEnum("--consent", "同意", *v1::ConsentStatus_descriptor(), consent_, &record,
                        &v1::Case::set_consent, &error)) {
        return UsageError(error);
      }
      AddPath("consent");
    }
    if (coordinator_->count() > 0) {
      const std::string id = WithoutPrefix(std::string(TrimSpaces(coordinator_text_)), kUserPrefix);
      if (!IsResourceId(id)) {
        return UsageError("担当者が不正です / --coordinator: \"" + coordinator_text_ +
                          "\" is not a user id (e.g. sato or users/sato)");
      }
      record.set_coordinator(std::string(kUserPrefix) + id);
      AddPath("coordinator");
    }
    if (!next_review_.empty()) {
      if (!ParseDayFlag("--next-review", next_review_, record.mutable_next_review_date(), &error)) {
        return UsageError(error);
      }
      AddPath("next_review_date");
    }
    if (const int code = PrepareIntakeDate(record); code != kExitOk) return code;
    if (request_.update_mask().paths().empty()) {
      return UsageError(
          "変更する項目がありません / nothing to change: give at least one of --district, "
          "--household-tag, --field, --urgency, --consent, --coordinator, --next-review, "
          "--intake-date");
    }
    return kExitOk;
  }

 private:
  void AddPath(const char* path) { request_.mutable_update_mask()->add_paths(path); }

  // --household-tag and --field: given (even as "") replaces the list.
  int PrepareLists(v1::Case& record) {
    if (tags_->count() > 0) {
      for (const auto& tag : NonEmpty(household_tags_)) {
        if (!IsResourceId(tag)) {
          return UsageError("課題タグが不正です / --household-tag: \"" + tag +
                            "\" must be 1 to 63 of a-z, 0-9 and '-', e.g. 8050 or double-care");
        }
        record.add_household_issue_tags(tag);
      }
      AddPath("household_issue_tags");
    }
    if (fields_->count() > 0) {
      std::string error;
      for (const auto& text : NonEmpty(field_texts_)) {
        int number = 0;
        if (!ParseEnumFlag("--field", "分野", *v1::SupportField_descriptor(), text, &number,
                           &error)) {
          return UsageError(error);
        }
        record.add_fields(static_cast<v1::SupportField>(number));
      }
      AddPath("fields");
    }
    return kExitOk;
  }

  // --intake-date: Case.intake_date, set through the descriptor so that this client names the
  // field as soon as the API has it (issue 16); a build without it refuses the flag.
  int PrepareIntakeDate(v1::Case& record) {
    if (intake_date_.empty()) return kExitOk;
    const google::protobuf::FieldDescriptor* field =
        v1::Case::descriptor()->FindFieldByName("intake_date");
    if (field == nullptr || field->message_type() != v1::Date::descriptor()) {
      return UsageError(
          "この casectl は受付日の変更に対応していません / --intake-date: this build of casectl "
          "does not know Case.intake_date");
    }
    v1::Date date;
    std::string error;
    if (!ParseDecisionDate("--intake-date", intake_date_, &date, &error)) return UsageError(error);
    record.GetReflection()->MutableMessage(&record, field)->CopyFrom(date);
    AddPath("intake_date");
    return kExitOk;
  }

  CLI::Option* district_ = nullptr;
  CLI::Option* tags_ = nullptr;
  CLI::Option* fields_ = nullptr;
  CLI::Option* coordinator_ = nullptr;
  std::string district_text_, urgency_, consent_, coordinator_text_, next_review_, intake_date_,
      etag_;
  std::vector<std::string> household_tags_, field_texts_;
  v1::UpdateCaseRequest request_;
};

class CaseTeamRemoveCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::RemoveTeamMember, request_,
                        std::function([this](const v1::Case& updated) {
                          std::cout << "チームから外しました / removed from the team: "
                                    << request_.agency() << " (" << updated.name() << ")\n";
                          std::vector<std::string> team;
                          for (const auto& member : updated.team()) team.push_back(member.agency());
                          PrintFields({{"チーム / team", OrDash(Join(team, ", "))},
                                       {"etag", OrDash(updated.etag())}});
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--agency", agency_,
                   "外す機関 / the agency leaving, " + std::string(kAgencyIdHelp))
        ->required();
    app.add_option("--reason", reason_,
                   "理由 / why it leaves (required: give --reason or --reason-file)");
    app.add_option(
        "--reason-file", reason_file_,
        "理由をファイルから / the reason from a UTF-8 text file; - reads standard input");
  }

  int PrepareFlags() override {
    request_.set_name(name_);
    std::string agency, text, error;
    if (!ParseAgencyArgument("--agency", "機関", agency_, &agency, &error)) {
      return UsageError(error);
    }
    request_.set_agency(agency);
    bool stdin_taken = false;
    if (!RequiredTextFromFlags(
            "--reason", "--reason-file", reason_, reason_file_, &stdin_taken,
            "理由が必要です / give why the agency leaves: --reason or --reason-file", &text,
            &error)) {
      return UsageError(error);
    }
    request_.set_reason(text);
    return kExitOk;
  }

 private:
  std::string agency_, reason_, reason_file_;
  v1::RemoveTeamMemberRequest request_;
};

class CasePurgeCommand : public CaseCommand {
 public:
  int Run(const Context& context) override {
    auto stub = CasesStub(context);
    return CallAndPrint(context, stub.get(), &v1::Cases::Stub::PurgeCase, request_,
                        std::function([](const v1::Case& purged) {
                          std::cout << "個人情報を消去しました / personal data purged: "
                                    << OrDash(purged.case_number()) << " (" << purged.name()
                                    << ")\n";
                        }));
  }

 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--confirm", confirmation_,
                   "確認 / \"PURGE\" and the case number, e.g. \"PURGE R1-0042\" (guards against "
                   "a slip: the personal data cannot be recovered)")
        ->required();
    app.footer(
        "終結から保存期間（既定5年）を過ぎたケースだけ消去できます / only a case that ended at "
        "least the retention period (default 5 years) ago can be purged.\n"
        "例 / example:\n  casectl case purge cases/12 --confirm \"PURGE R1-0042\"");
  }

  int PrepareFlags() override {
    request_.set_name(name_);
    request_.set_confirmation(std::string(TrimSpaces(confirmation_)));
    if (!StartsWith(request_.confirmation(), "PURGE ")) {
      return UsageError(
          "確認が不正です / --confirm: must be \"PURGE\" and the case's number, e.g. \"PURGE "
          "R1-0042\"");
    }
    return kExitOk;
  }

 private:
  std::string confirmation_;
  v1::PurgeCaseRequest request_;
};

constexpr CommandSpec kCaseMaintenanceCommands[] = {
    {"case update", "変更 / change a case's district, tags, fields, coordinator, review date...",
     Make<CaseUpdateCommand>},
    {"case team", "チーム / the case team (agencies join by accepting a referral)"},
    {"case team remove", "チームから外す / take an agency off the case team, saying why",
     Make<CaseTeamRemoveCommand>},
    {"case purge", "個人情報の消去 / destroy an ended case's personal data (irreversible)",
     Make<CasePurgeCommand>},
};

}  // namespace

std::span<const CommandSpec> CaseMaintenanceCommandTable() { return kCaseMaintenanceCommands; }

}  // namespace casecoord::cli
