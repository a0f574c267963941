// Running a real binary of the project (casectl, caseserver) from a test and reading what it
// printed, and the text helpers such tests share.
#pragma once

#include <string>
#include <vector>

namespace casecoord::testing {

struct ProcessRun {
  int exit_code = -1;  // 128 + signal number if it was killed
  std::string out;
  std::string err;
};

// Runs argv[0] with `argv` (no shell), its stdout and stderr going to files in `scratch_dir`, and
// waits for it. A program that cannot be started is a test failure and exit_code -1.
ProcessRun RunProcess(const std::vector<std::string>& argv, const std::string& scratch_dir);

// The whole content of the file at `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

std::vector<std::string> Lines(const std::string& text);

// The terminal column (text::DisplayWidth) at which `needle` starts in `line`, or -1.
int ColumnOf(const std::string& line, const std::string& needle);

// The first line of `text` containing `needle`, or "".
std::string LineWith(const std::string& text, const std::string& needle);

}  // namespace casecoord::testing
