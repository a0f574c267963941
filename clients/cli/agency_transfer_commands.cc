// casectl agency import / export / survey: bulk transfer of the agency directory (CSV, HSDS JSON)
// and the yearly cooperation survey; see agency_commands.cc for the usage.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "casecoord/v1/directory.grpc.pb.h"
#include "clients/cli/agency_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/progress.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "clients/cli/upload.h"
#include "services/common/fiscal_year.h"

namespace casecoord::cli {
namespace {

using namespace agencies;  // NOLINT(google-build-using-namespace): this file is their user

constexpr char kYearHelp[] = "年度 / fiscal year: 2024, R6 or 令和6年度";

std::string EncodingText(v1::CsvEncoding encoding) {
  switch (encoding) {
    case v1::UTF8:
      return "UTF-8";
    case v1::UTF8_BOM:
      return "UTF-8 (BOM付き / with BOM)";
    case v1::CP932:
      return "Shift_JIS (CP932)";
    case v1::XLSX:
      return "Excel (xlsx)";
    default:
      return "-";
  }
}

// --- The commands ------------------------------------------------------------------------------

class AgencyImportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("file", file_, "CSV or XLSX file")->required();
    app.add_flag("--dry-run", dry_run_, "検証のみ / check every row, change nothing");
    app.add_flag("--allow-partial", allow_partial_,
                 "import the valid rows even when others have problems");
    app.add_option("--existing", existing_,
                   "rows whose 機関ID exists: update (default), skip or reject");
  }

  int Prepare() override {
    options_.set_validate_only(dry_run_);
    options_.set_allow_partial(allow_partial_);
    if (existing_ == "update") {
      options_.set_existing(v1::AgencyImportOptions::UPDATE);
    } else if (existing_ == "skip") {
      options_.set_existing(v1::AgencyImportOptions::SKIP);
    } else if (existing_ == "reject") {
      options_.set_existing(v1::AgencyImportOptions::REJECT);
    } else {
      return UsageError("--existing: \"" + existing_ + "\" (give update, skip or reject)");
    }
    return CheckUploadFile(file_, &bytes_);
  }

  int Run(const Context& context) override {
    auto stub = Directory(context);
    return RunImport<v1::ImportAgenciesResponse>(
        context, file_, bytes_, options_,
        [&stub](grpc::ClientContext* call, v1::ImportAgenciesResponse* response) {
          return stub->ImportAgencies(call, response);
        },
        [this](const v1::ImportAgenciesResponse& response) { PrintCounts(response); },
        " (--allow-partial imports the valid rows)");
  }

 private:
  void PrintCounts(const v1::ImportAgenciesResponse& response) const {
    PrintFields({
        {"検出した文字コード / encoding", EncodingText(response.detected_encoding())},
        {"読み込んだ行 / rows read", std::to_string(response.rows_read())},
        {"作成 / created", std::to_string(response.created())},
        {"更新 / updated", std::to_string(response.updated())},
        {"変更なし / unchanged", std::to_string(response.unchanged())},
        {"スキップ / skipped", std::to_string(response.skipped())},
        {"不正な行 / rejected", std::to_string(response.rejected())},
        {"反映 / applied", ImportAppliedText(response.applied(), options_.validate_only())},
    });
  }

  std::string file_, existing_ = "update";
  bool dry_run_ = false, allow_partial_ = false;
  v1::AgencyImportOptions options_;
  int64_t bytes_ = 0;
};

class AgencyExportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("file", file_, "file to write (replaced atomically)")->required();
    app.add_option("--format", format_,
                   "csv (UTF-8 with BOM, default), csv-sjis (Shift_JIS) or hsds-json");
    app.add_option("--filter", filter_, kFilterHelp);
    app.add_option("--order-by", order_by_, kOrderHelp);
  }

  int Prepare() override {
    if (const int code = CheckOrder(order_by_); code != kExitOk) return code;
    if (format_ == "csv") {
      request_.set_format(v1::CSV_UTF8_BOM);
    } else if (format_ == "csv-sjis") {
      request_.set_format(v1::CSV_CP932);
    } else if (format_ == "hsds-json") {
      request_.set_format(v1::HSDS_JSON);
    } else {
      return UsageError("形式が不明です / --format: \"" + format_ +
                        "\" (give csv, csv-sjis or hsds-json)");
    }
    request_.set_filter(filter_);
    request_.set_order_by(order_by_);
    const std::filesystem::path parent =
        std::filesystem::absolute(std::filesystem::path(file_)).parent_path();
    std::error_code code;
    if (!std::filesystem::is_directory(parent, code)) {
      return UsageError("フォルダがありません / no directory " + parent.string());
    }
    return kExitOk;
  }

  int Run(const Context& context) override {
    AtomicFile out;
    std::string error;
    if (!out.Open(file_, &error)) return Failed(error);
    v1::ExportAgenciesResponse totals;
    int64_t written = 0;
    auto stub = Directory(context);
    auto call = NewContext(context.options);
    std::unique_ptr<grpc::ClientReader<v1::ExportAgenciesResponse>> reader =
        stub->ExportAgencies(call.get(), request_);
    const bool write_failed = !Receive(reader.get(), call.get(), &out, &totals, &written, &error);
    grpc::Status status = reader->Finish();
    if (write_failed) return Failed(error);
    if (!status.ok()) return ReportError(status);
    if (totals.total_bytes() != written) {
      std::cerr << "エラー / error: the export stopped early: " << written << " of "
                << totals.total_bytes() << " bytes received; " << file_ << " was not written\n";
      return kExitFailed;
    }
    if (!out.Commit(&error)) return Failed(error);
    return PrintResult(context, totals, [&] {
      std::cout << totals.agency_count() << " 機関を書き出しました / exported "
                << totals.agency_count() << " agencies: " << file_ << " (" << written << " bytes, "
                << OrDash(totals.content_type()) << ")\n";
    });
  }

 private:
  static int Failed(const std::string& error) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }

  // Writes the chunks to `out`, showing progress; `totals` ends as the last message without its
  // chunk. False, with `error`, when writing failed (the call is then cancelled and drained).
  static bool Receive(grpc::ClientReader<v1::ExportAgenciesResponse>* reader,
                      grpc::ClientContext* call, AtomicFile* out,
                      v1::ExportAgenciesResponse* totals, int64_t* written, std::string* error) {
    Progress progress("受信 / receiving", 0);
    v1::ExportAgenciesResponse chunk;
    bool write_failed = false;
    while (reader->Read(&chunk)) {
      if (!out->Write(chunk.chunk(), error)) {
        write_failed = true;
        call->TryCancel();
        break;
      }
      *written += static_cast<int64_t>(chunk.chunk().size());
      chunk.clear_chunk();
      *totals = chunk;
      progress.set_total(totals->total_bytes());
      progress.Update(*written);
    }
    if (write_failed) {
      while (reader->Read(&chunk)) {
      }
    }
    progress.Finish();
    return !write_failed;
  }

  std::string file_, format_ = "csv", filter_, order_by_;
  v1::ExportAgenciesRequest request_;
};

// The survey commands: a FISCAL_YEAR argument, after an agency ID when `with_agency`.
class SurveyCommand : public Command {
 public:
  explicit SurveyCommand(bool with_agency) : with_agency_(with_agency) {}

  void Configure(CLI::App& app) override {
    if (with_agency_) app.add_option("id", id_, kIdHelp)->required();
    app.add_option("fiscal_year", fiscal_year_text_, kYearHelp)->required();
  }

  int Prepare() override {
    std::string error;
    if (!ParseFiscalYear(fiscal_year_text_, &fiscal_year_, &error)) return UsageError(error);
    return kExitOk;
  }

 protected:
  std::string id_;
  int fiscal_year_ = 0;

 private:
  bool with_agency_;
  std::string fiscal_year_text_;
};

class SurveyRecordCommand : public SurveyCommand {
 public:
  SurveyRecordCommand() : SurveyCommand(/*with_agency=*/true) {}

  void Configure(CLI::App& app) override {
    SurveyCommand::Configure(app);
    CLI::Option* close = app.add_flag(
        "--close", close_, "緊密な連携あり / has close cooperation with related agencies");
    CLI::Option* not_close = app.add_flag("--not-close", not_close_, "緊密な連携なし / has not");
    close->excludes(not_close);
  }

  int Prepare() override {
    if (const int code = SurveyCommand::Prepare(); code != kExitOk) return code;
    if (!close_ && !not_close_) {
      return UsageError("回答がありません / give --close (緊密な連携あり) or --not-close (なし)");
    }
    return kExitOk;
  }

  int Run(const Context& context) override {
    v1::RecordCooperationSurveyAnswerRequest request;
    request.set_parent(AgencyName(id_));
    request.set_fiscal_year(fiscal_year_);
    request.set_close_cooperation(close_);
    auto stub = Directory(context);
    return CallAndPrint(
        context, stub.get(), &v1::AgencyDirectory::Stub::RecordCooperationSurveyAnswer, request,
        std::function([](const v1::CooperationSurveyAnswer& answer) {
          std::cout << "回答を記録しました / answer recorded: " << answer.name() << "\n";
          PrintFields({
              {"機関 / agency", AgencyId(answer.name())},
              {"年度 / fiscal year", FiscalYearText(answer.fiscal_year())},
              {"緊密な連携 / close cooperation", YesNo(answer.close_cooperation(), "あり", "なし")},
              {"記録 / recorded", TimeText(answer.record_time(), answer.has_record_time())},
              {"記録者 / by", OrDash(answer.recorded_by())},
          });
        }));
  }

 private:
  bool close_ = false, not_close_ = false;
};

class SurveyListCommand : public SurveyCommand {
 public:
  SurveyListCommand() : SurveyCommand(/*with_agency=*/false) {}

  int Run(const Context& context) override {
    v1::ListCooperationSurveyAnswersRequest request;
    request.set_fiscal_year(fiscal_year_);
    request.set_page_size(kSurveyPageSize);
    auto stub = Directory(context);
    return ListAndPrint(context, stub.get(),
                        &v1::AgencyDirectory::Stub::ListCooperationSurveyAnswers, request,
                        /*all_pages=*/true,
                        std::function([this](const v1::ListCooperationSurveyAnswersResponse& all) {
                          PrintAnswers(all);
                        }));
  }

 private:
  static constexpr int kSurveyPageSize = 100;

  void PrintAnswers(const v1::ListCooperationSurveyAnswersResponse& all) const {
    if (all.answers().empty()) {
      std::cout << FiscalYearLabels(fiscal_year_).japanese << "の回答はありません / no answers for "
                << fiscal_year_ << "\n";
      return;
    }
    std::vector<Row> rows;
    for (const auto& answer : all.answers()) {
      rows.push_back({AgencyId(answer.name()), FiscalYearText(answer.fiscal_year()),
                      YesNo(answer.close_cooperation(), "あり", "なし"),
                      TimeText(answer.record_time(), answer.has_record_time()),
                      OrDash(answer.recorded_by())});
    }
    PrintTable({"機関ID", "年度", "緊密な連携", "記録日時", "記録者"}, rows);
  }
};

class SurveySummaryCommand : public SurveyCommand {
 public:
  SurveySummaryCommand() : SurveyCommand(/*with_agency=*/false) {}

  int Run(const Context& context) override {
    v1::GetCooperationSurveySummaryRequest request;
    request.set_fiscal_year(fiscal_year_);
    auto stub = Directory(context);
    return CallAndPrint(
        context, stub.get(), &v1::AgencyDirectory::Stub::GetCooperationSurveySummary, request,
        std::function([this](const v1::CooperationSurveySummary& summary) {
          char percent[32];
          std::snprintf(percent, sizeof(percent), "%.1f %%", summary.close_cooperation_percent());
          v1::FiscalYear year = summary.fiscal_year();
          if (year.year() == 0) year.set_year(fiscal_year_);
          PrintFields({
              {"年度 / fiscal year", FiscalYearText(year)},
              {"回答機関数 / answered", std::to_string(summary.answered_agencies())},
              {"緊密な連携あり / close cooperation",
               std::to_string(summary.close_cooperation_agencies())},
              {"割合 / share", percent},
          });
        }));
  }
};

class SurveyDeleteCommand : public SurveyCommand {
 public:
  SurveyDeleteCommand() : SurveyCommand(/*with_agency=*/true) {}

  int Run(const Context& context) override {
    v1::DeleteCooperationSurveyAnswerRequest request;
    request.set_name(AgencyName(AgencyId(id_)) + "/cooperationSurveys/" +
                     std::to_string(fiscal_year_));
    auto stub = Directory(context);
    return CallAndPrint(
        context, stub.get(), &v1::AgencyDirectory::Stub::DeleteCooperationSurveyAnswer, request,
        std::function([&request](const v1::DeleteCooperationSurveyAnswerResponse&) {
          std::cout << "回答を削除しました / answer deleted: " << request.name() << "\n";
        }));
  }
};

constexpr CommandSpec kAgencyTransferCommands[] = {
    {"agency import", "取込 / import a CSV (UTF-8 or Shift_JIS) or XLSX file",
     Make<AgencyImportCommand>},
    {"agency export", "書出 / export the directory to a file", Make<AgencyExportCommand>},
    {"agency survey", "連携に関する年次調査 / yearly cooperation survey"},
    {"agency survey record", "回答を記録 / record an agency's answer", Make<SurveyRecordCommand>},
    {"agency survey list", "回答一覧 / answers of a fiscal year", Make<SurveyListCommand>},
    {"agency survey summary", "集計 / the share of close cooperation", Make<SurveySummaryCommand>},
    {"agency survey delete", "回答を削除 / delete an answer", Make<SurveyDeleteCommand>},
};

}  // namespace

std::span<const CommandSpec> AgencyTransferCommandTable() { return kAgencyTransferCommands; }

}  // namespace casecoord::cli
