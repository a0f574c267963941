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
#include "tests/support/dev_server.h"
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
  testing::LayOutRepository(root.path(), CASESERVER_PATH, CASECTL_PATH);
  // `make run` with the ports left to the kernel (flags override the config file).
  testing::DevServer server = testing::StartDevServer(root.path(), {});
  ASSERT_GT(server.grpc_port, 0) << "caseserver did not start serving:\n" << server.log;
  // The README's commands rely on casectl's defaults (var/dev/pki), as a reader's shell does.
  for (const char* name : {"CASECTL_CA", "CASECTL_CERT", "CASECTL_KEY", "CASECTL_USER"}) {
    unsetenv(name);
  }
  // casectl's default is localhost:8443; the variable is the documented way to point it elsewhere.
  setenv("CASECTL_SERVER", ("127.0.0.1:" + std::to_string(server.grpc_port)).c_str(), 1);
  // Likewise the README's curl commands and https://127.0.0.1:8444.
  const int http_port = server.http_port;
  ASSERT_GT(http_port, 0) << "no \"HTTP listener serving\" line:\n" << server.log;
  setenv("CASECOORD_URL", ("https://127.0.0.1:" + std::to_string(http_port)).c_str(), 1);

  for (size_t i = 0; i < commands.size(); ++i) {
    const testing::ProcessRun run = RunInShell(root.path(), commands[i].text, scratch.path());
    testing::DrainLog(server.process.stderr_fd, &server.log);
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
  EXPECT_EQ(testing::StopServer(server), 0) << server.log;
}

}  // namespace
}  // namespace casecoord
