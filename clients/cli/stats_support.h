// What casectl stats (the yearly report) and casectl stats plan (welfare plans) share: fiscal
// year flags and labels, and the --format/--encoding/--output of their export commands.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "casecoord/v1/statistics.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/command_support.h"
#include "clients/report/report_export.h"
#include "services/common/status.h"

namespace casecoord::cli::stats {

// ParseFiscalYear, naming the flag.
bool ParseYearFlag(const std::string& option, const std::string& text, int* year,
                   std::string* error);

// "令和6年度" for 2024; the label the server gave, when it gave one.
std::string YearLabel(int year);
std::string YearLabel(const v1::FiscalYear& year);

// "平成30年度〜令和2年度 (2018–2020)"; "-" for none.
std::string PeriodText(int first, int last);

enum class ExportFormat { kCsv, kXlsx, kSvg };

// The --format, --encoding and --output flags of an export command, and writing its file.
class ExportOutput {
 public:
  // `allow_svg`: whether --format svg (a chart) is offered.
  explicit ExportOutput(bool allow_svg) : allow_svg_(allow_svg) {}

  void Configure(CLI::App& app);

  // Checks the flags and creates the output file (a temporary beside it), before any call, so
  // that a place that cannot be written is a usage error. kExitOk, or kExitUsage after explaining.
  int Prepare();

  ExportFormat format() const { return format_; }
  report::CsvFlavor flavor() const { return flavor_; }

  // Writes `bytes` (the export of `message`) and replaces --output with it; prints `message` under
  // --json, else what was written. kExitOk, or kExitFailed after explaining.
  int Write(const Context& context, const Result<std::string>& bytes,
            const google::protobuf::Message& message);

 private:
  bool allow_svg_;
  CLI::Option* encoding_option_ = nullptr;
  std::string format_text_, encoding_, output_;
  ExportFormat format_ = ExportFormat::kCsv;
  report::CsvFlavor flavor_ = report::CsvFlavor::kUtf8Bom;
  AtomicFile file_;
};

}  // namespace casecoord::cli::stats
