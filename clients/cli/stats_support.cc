#include "clients/cli/stats_support.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <system_error>

#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli::stats {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseFormat(const std::string& text, bool allow_svg, ExportFormat* format,
                 std::string* error) {
  const std::string lower = Lower(TrimSpaces(text));
  if (lower == "csv") {
    *format = ExportFormat::kCsv;
  } else if (lower == "xlsx") {
    *format = ExportFormat::kXlsx;
  } else if (lower == "svg" && allow_svg) {
    *format = ExportFormat::kSvg;
  } else {
    *error = "形式が不明です / --format: unknown format \"" + text + "\" (valid: csv, xlsx" +
             (allow_svg ? ", svg)" : ")");
    return false;
  }
  return true;
}

bool ParseEncoding(const std::string& text, report::CsvFlavor* flavor, std::string* error) {
  const std::string lower = Lower(TrimSpaces(text));
  if (lower == "utf8" || lower == "utf-8") {
    *flavor = report::CsvFlavor::kUtf8Bom;
  } else if (lower == "cp932") {
    *flavor = report::CsvFlavor::kCp932;
  } else {
    *error = "文字コードが不明です / --encoding: unknown encoding \"" + text +
             "\" (valid: utf8 (BOM付き / with a BOM, for Excel), cp932 (Shift_JIS))";
    return false;
  }
  return true;
}

}  // namespace

// ParseFiscalYear, naming the flag.
bool ParseYearFlag(const std::string& option, const std::string& text, int* year,
                   std::string* error) {
  if (ParseFiscalYear(text, year, error)) return true;
  *error += " (" + option + ")";
  return false;
}

std::string YearLabel(int year) { return FiscalYearLabels(year).japanese; }

std::string YearLabel(const v1::FiscalYear& year) {
  return year.era_label_ja().empty() ? YearLabel(year.year()) : Cell(year.era_label_ja());
}

std::string PeriodText(int first, int last) {
  if (first == 0 && last == 0) return "-";
  return YearLabel(first) + "〜" + YearLabel(last) + " (" + std::to_string(first) + "–" +
         std::to_string(last) + ")";
}

void ExportOutput::Configure(CLI::App& app) {
  app.add_option("--format", format_text_,
                 allow_svg_ ? "形式 / format: csv, xlsx or svg" : "形式 / format: csv or xlsx")
      ->required();
  encoding_option_ = app.add_option(
      "--encoding", encoding_,
      "CSVの文字コード / CSV encoding: utf8 (BOM付き, the default; Excel reads it) or cp932 "
      "(Shift_JIS, for older Excel)");
  app.add_option("--output", output_, "書き出し先 / the file to write (replaced atomically)")
      ->required();
}

int ExportOutput::Prepare() {
  std::string error;
  if (!ParseFormat(format_text_, allow_svg_, &format_, &error)) return UsageError(error);
  if (encoding_option_->count() > 0) {
    if (format_ != ExportFormat::kCsv) {
      return UsageError(
          "--encoding は --format csv と一緒に指定します / --encoding goes with --format csv");
    }
    if (!ParseEncoding(encoding_, &flavor_, &error)) return UsageError(error);
  }
  if (output_.empty()) return UsageError("書き出し先がありません / --output: give a file name");
  std::error_code ignored;
  if (std::filesystem::is_directory(output_, ignored)) {
    return UsageError("書き出し先がフォルダです / --output: \"" + output_ +
                      "\" is a directory; give a file name");
  }
  // Created now, before any call, so that a place that cannot be written is a usage error and the
  // report is not fetched in vain; it replaces `output` only when the export is complete.
  if (!file_.Open(output_, &error)) {
    return UsageError("書き出し先に書けません / --output: " + error);
  }
  return kExitOk;
}

int ExportOutput::Write(const Context& context, const Result<std::string>& bytes,
                        const google::protobuf::Message& message) {
  if (!bytes.ok()) {
    std::cerr << "エラー / error: 書き出せません / cannot export: " << bytes.status().ToString()
              << "\n";
    if (bytes.status().Is(Reason::kUnmappableCharacter)) {
      std::cerr << "  --encoding utf8 なら書き出せます / --encoding utf8 can write these "
                   "characters\n";
    }
    return kExitFailed;
  }
  std::string error;
  if (!file_.Write(bytes.value(), &error) || !file_.Commit(&error)) {
    std::cerr << "エラー / error: " << error << "\n";
    return kExitFailed;
  }
  return PrintResult(context, message, [&] {
    std::string kind = "XLSX";
    if (format_ == ExportFormat::kSvg) {
      kind = "SVG";
    } else if (format_ == ExportFormat::kCsv) {
      kind = flavor_ == report::CsvFlavor::kCp932 ? "CSV, Shift_JIS (CP932)"
                                                  : "CSV, UTF-8 (BOM付き / with BOM)";
    }
    std::cout << "書き出しました / wrote " << output_ << " (" << kind << ", "
              << HumanBytes(static_cast<int64_t>(bytes.value().size())) << ")\n";
  });
}

}  // namespace casecoord::cli::stats
