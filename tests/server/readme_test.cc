// The README's tutorial, run as a reader runs it: every command of its marked blocks, in order,
// against a fresh server started the way `make run` starts one (deploy/dev-setup.sh, then
// `caseserver serve --config deploy/dev.conf`), from a directory laid out like the repository.
// The first command that exits non-zero fails the test with its text and its output, so the README
// cannot drift from what the binaries do.
//
// A block is marked by the line `<!-- readme-test -->` right before its ```sh fence. Blank lines
// and comment lines are skipped, a line ending in a backslash continues on the next, and each
// command runs through /bin/sh (redirections and quoting work as in a terminal).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/text.h"
#include "tests/support/process_run.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace casecoord {
namespace {

constexpr char kMarker[] = "<!-- readme-test -->";

struct ReadmeCommand {
  int line = 0;  // of its first line in README.md, for the failure message
  std::string text;
};

// The commands of the marked ```sh blocks of `markdown`, in order.
std::vector<ReadmeCommand> MarkedCommands(const std::string& markdown) {
  std::vector<ReadmeCommand> commands;
  std::istringstream lines(markdown);
  bool marked = false, in_block = false;
  ReadmeCommand pending;
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (!in_block) {
      if (line == kMarker) {
        marked = true;
      } else if (marked && line.rfind("```sh", 0) == 0) {
        in_block = true;
        marked = false;
      } else if (!line.empty()) {
        marked = false;  // the marker belongs to the fence right below it only
      }
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      in_block = false;
      continue;
    }
    if (pending.text.empty()) {
      const size_t first = line.find_first_not_of(' ');
      if (first == std::string::npos || line[first] == '#') continue;
      pending.line = number;
      pending.text = line;
    } else {
      pending.text += "\n" + line;
    }
    if (!line.empty() && line.back() == '\\') continue;
    commands.push_back(pending);
    pending = ReadmeCommand{};
  }
  return commands;
}

TEST(MarkedCommandsTest, JoinsContinuationsAndSkipsCommentsAndUnmarkedBlocks) {
  const std::string markdown =
      "```sh\nunmarked\n```\n"
      "<!-- readme-test -->\n```sh\n# a comment\n\nfirst --a \\\n    --b   # why\nsecond\n```\n"
      "<!-- readme-test -->\ntext between\n```sh\nnot marked either\n```\n";
  const std::vector<ReadmeCommand> commands = MarkedCommands(markdown);
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].text, "first --a \\\n    --b   # why");
  EXPECT_EQ(commands[0].line, 8);
  EXPECT_EQ(commands[1].text, "second");
}

// A directory shaped like the repository after `make build`: the binaries under build/, deploy/
// linked in, so that the README's relative paths mean what they mean at the repository root.
void LayOutRepository(const std::string& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root + "/build/clients/cli");
  fs::create_directories(root + "/build/services/server");
  fs::create_symlink(CASECTL_PATH, root + "/build/clients/cli/casectl");
  fs::create_symlink(CASESERVER_PATH, root + "/build/services/server/caseserver");
  fs::create_directory_symlink(std::string(CASECOORD_SOURCE_DIR) + "/deploy", root + "/deploy");
}

// Appends what the server has logged so far to `log`, so that its stderr pipe never fills up and
// blocks it.
void DrainLog(int fd, std::string* log) {
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) log->append(buffer, n);
}

// The port of the "HTTP listener serving" line of the server's log, or 0.
int HttpPortIn(const std::string& log) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || json.value("msg", "") != "HTTP listener serving") continue;
    return static_cast<int>(ParseDecimalInt(json.value("port", "0"), 1, 65535).value_or(0));
  }
  return 0;
}

// Runs `command` through /bin/sh in `directory`.
testing::ProcessRun RunInShell(const std::string& directory, const std::string& command,
                               const std::string& scratch) {
  return testing::RunProcess({"/bin/sh", "-c", "cd \"$0\" && " + command, directory}, scratch);
}

TEST(ReadmeTest, EveryMarkedCommandRunsInOrderAgainstAFreshDevelopmentServer) {
  const std::vector<ReadmeCommand> commands =
      MarkedCommands(testing::ReadFile(std::string(CASECOORD_SOURCE_DIR) + "/README.md"));
  // The tutorial is long; finding only a handful of commands means the marker was lost.
  ASSERT_GE(commands.size(), 40u) << "README.md has lost its " << kMarker << " markers";

  testing::TempDir root, scratch;
  LayOutRepository(root.path());
  const testing::ProcessRun setup = RunInShell(
      root.path(), "deploy/dev-setup.sh var/dev build/services/server/caseserver", scratch.path());
  ASSERT_EQ(setup.exit_code, 0) << setup.out << setup.err;

  // `make run` with the port left to the kernel (flags override the config file).
  testing::ServerProcess server =
      testing::SpawnServer("/bin/sh", {"-c",
                                       "cd \"$0\" && exec build/services/server/caseserver serve "
                                       "--config deploy/dev.conf --listen 127.0.0.1:0 "
                                       "--http-listen 127.0.0.1:0",
                                       root.path()});
  std::string log;
  const int port = testing::WaitUntilServing(server.stderr_fd, &log, 60);
  if (port <= 0) {
    kill(server.pid, SIGKILL);
    testing::WaitExit(server.pid);
    close(server.stderr_fd);
    FAIL() << "caseserver did not start serving:\n" << log;
  }
  fcntl(server.stderr_fd, F_SETFL, O_NONBLOCK);
  // The README's commands rely on casectl's defaults (var/dev/pki), as a reader's shell does.
  for (const char* name : {"CASECTL_CA", "CASECTL_CERT", "CASECTL_KEY", "CASECTL_USER"}) {
    unsetenv(name);
  }
  // casectl's default is localhost:8443; the variable is the documented way to point it elsewhere.
  setenv("CASECTL_SERVER", ("127.0.0.1:" + std::to_string(port)).c_str(), 1);
  // Likewise the README's curl commands and https://127.0.0.1:8444 (the HTTP listener's line comes
  // before "caseserver serving").
  const int http_port = HttpPortIn(log);
  ASSERT_GT(http_port, 0) << "no \"HTTP listener serving\" line:\n" << log;
  setenv("CASECOORD_URL", ("https://127.0.0.1:" + std::to_string(http_port)).c_str(), 1);

  for (size_t i = 0; i < commands.size(); ++i) {
    const testing::ProcessRun run = RunInShell(root.path(), commands[i].text, scratch.path());
    DrainLog(server.stderr_fd, &log);
    if (run.exit_code != 0) {
      ADD_FAILURE() << "README.md:" << commands[i].line << ", command " << i + 1 << " of "
                    << commands.size() << " exited " << run.exit_code << ":\n"
                    << commands[i].text << "\n--- stdout:\n"
                    << run.out << "--- stderr:\n"
                    << run.err;
      break;
    }
  }

  unsetenv("CASECTL_SERVER");
  kill(server.pid, SIGTERM);
  log += testing::ReadUntil(server.stderr_fd, [](const std::string&) { return false; });
  EXPECT_EQ(testing::WaitExit(server.pid), 0) << log;
  close(server.stderr_fd);
}

}  // namespace
}  // namespace casecoord
