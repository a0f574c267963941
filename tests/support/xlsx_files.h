// XLSX files for tests, written with libxlsxwriter (as Excel would save them) and returned as
// bytes, and raw zip archives for hostile inputs.
#pragma once

#include <xlsxwriter.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace casecoord::testing {

// Runs `build` on a fresh workbook, closes it and returns the file's bytes; fails the test (and
// returns "") if libxlsxwriter cannot write it. With `inline_strings` the workbook is written in
// libxlsxwriter's constant-memory mode, which stores strings in the cells instead of the shared
// string table.
std::string WriteXlsx(const std::function<void(lxw_workbook*)>& build, bool inline_strings = false);

// A workbook of text cells: one sheet per (name, rows) pair, rows from row 1, column A.
std::string TextXlsx(
    const std::vector<std::pair<std::string, std::vector<std::vector<std::string>>>>& sheets);

// The decompressed entry `name` of the zip archive `zip`; fails the test (and returns "") if there
// is none.
std::string ZipEntry(const std::string& zip, const std::string& name);

// A zip archive of the given (name, contents) entries, deflated, made with libzip.
std::string ZipArchive(const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace casecoord::testing
