// casectl case import: a city's existing cases from CSV or XLSX (ImportCasesRequest in
// proto/casecoord/v1/cases.proto documents the file).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "clients/cli/upload.h"

namespace casecoord::cli {
namespace {

class CaseImportCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("file", file_, "CSV (UTF-8, BOM, Shift_JIS) or XLSX file")->required();
    app.add_flag("--dry-run", dry_run_, "検証のみ / check every row, change nothing");
    app.add_flag("--allow-partial", allow_partial_,
                 "import the cases without problems even when others have some");
    app.add_option("--sheet", sheet_, "XLSX: the sheet to read (default: the first)");
  }

  int Prepare() override {
    options_.set_validate_only(dry_run_);
    options_.set_allow_partial(allow_partial_);
    options_.set_sheet(sheet_);
    return CheckUploadFile(file_, &bytes_);
  }

  int Run(const Context& context) override {
    auto stub = cases::CasesStub(context);
    return RunImport<v1::ImportCasesResponse>(
        context, file_, bytes_, options_,
        [&stub](grpc::ClientContext* call, v1::ImportCasesResponse* response) {
          return stub->ImportCases(call, response);
        },
        [this](const v1::ImportCasesResponse& response) { PrintCounts(response); },
        " (--allow-partial imports the cases without problems)");
  }

 private:
  void PrintCounts(const v1::ImportCasesResponse& response) const {
    PrintFields({
        {"形式 / format", response.detected_format()},
        {"読み込んだ行 / rows read", std::to_string(response.rows_read())},
        {"事例 / cases in the file", std::to_string(response.cases_read())},
        {"作成 / created", std::to_string(response.created())},
        {"取込済み / imported before", std::to_string(response.unchanged())},
        {"問題のある事例 / rejected", std::to_string(response.rejected())},
        {"反映 / applied", ImportAppliedText(response.applied(), options_.validate_only())},
    });
  }

  std::string file_, sheet_;
  bool dry_run_ = false, allow_partial_ = false;
  v1::CaseImportOptions options_;
  int64_t bytes_ = 0;
};

constexpr CommandSpec kCaseImportCommands[] = {
    {"case import", "既存事例の取込 / bring existing cases over from CSV or XLSX",
     Make<CaseImportCommand>},
};

}  // namespace

std::span<const CommandSpec> CaseImportCommandTable() { return kCaseImportCommands; }

}  // namespace casecoord::cli
