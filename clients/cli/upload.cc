#include "clients/cli/upload.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>
#include <vector>

#include "clients/cli/command.h"
#include "clients/cli/command_support.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"

namespace casecoord::cli {

int CheckUploadFile(const std::string& file, int64_t* bytes) {
  std::error_code code;
  if (!std::filesystem::is_regular_file(file, code)) {
    return UsageError("ファイルがありません / " + file + ": not a readable file");
  }
  *bytes = static_cast<int64_t>(std::filesystem::file_size(file, code));
  if (code || !std::ifstream(file, std::ios::binary)) {
    return UsageError("ファイルを読めません / cannot read " + file);
  }
  if (*bytes > kUploadMaxBytes) {
    return UsageError("ファイルが大きすぎます / " + file + " has " + HumanBytes(*bytes) +
                      "; an import takes at most " + HumanBytes(kUploadMaxBytes));
  }
  return kExitOk;
}

void PrintImportProblems(const google::protobuf::RepeatedPtrField<v1::ImportProblem>& problems) {
  if (problems.empty()) return;
  std::cout << "\n問題 / problems (" << problems.size() << "):\n";
  std::vector<Row> rows;
  rows.reserve(problems.size());
  for (const auto& problem : problems) {
    rows.push_back({std::to_string(problem.line()),
                    problem.column() > 0 ? std::to_string(problem.column()) : "-",
                    OrDash(problem.column_name()), problem.problem()});
  }
  PrintTable({"行", "列", "列名", "問題"}, rows);
}

std::string ImportAppliedText(bool applied, bool validate_only) {
  if (applied) return "はい / yes";
  return validate_only ? "いいえ (検証のみ) / no (dry run)" : "いいえ / no";
}

}  // namespace casecoord::cli
