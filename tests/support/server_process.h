// A server binary of the project (caseserver) run as its own process, as an operator runs it: its
// stderr (the structured log) read line by line, signals sent by the test.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace casecoord::testing {

struct ServerProcess {
  pid_t pid = -1;
  int stderr_fd = -1;  // the read end of the child's stderr; the caller closes it
};

struct SpawnOptions {
  // RLIMIT_NOFILE of the child (soft, hard); left as the test's when 0.
  rlim_t open_files_soft = 0;
  rlim_t open_files_hard = 0;
  // "NAME=value" entries added to the child's environment.
  std::vector<std::string> environment;
  // The child's stdout goes to this file (created or truncated) instead of the test's.
  std::string stdout_path;
};

// Starts `binary` with `args`. A fork or exec failure shows as the child's exit code (127).
ServerProcess SpawnServer(const std::string& binary, const std::vector<std::string>& args,
                          const SpawnOptions& options = {});

// Reads stderr lines until one satisfies `match`, the process closes stderr, or `seconds` pass;
// returns all text read.
std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& match,
                      int seconds = 20);

// Waits for `pid` to end: its exit code, or 128 + the signal that killed it.
int WaitExit(pid_t pid);

// Reads the log until caseserver says it is serving: its port, or 0 if it did not within
// `seconds` (everything read is appended to `log`).
int WaitUntilServing(int stderr_fd, std::string* log, int seconds = 20);

}  // namespace casecoord::testing
