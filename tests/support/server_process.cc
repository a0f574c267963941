#include "tests/support/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

extern char** environ;

namespace casecoord::testing {

ServerProcess SpawnServer(const std::string& binary, const std::vector<std::string>& args,
                          const SpawnOptions& options) {
  // Everything the child needs is built before fork(): after it, only the forking thread exists in
  // the child, and another thread may have held the allocator's lock.
  std::string path = binary;
  std::vector<std::string> copies = args;
  std::vector<char*> argv{path.data()};
  for (auto& arg : copies) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment = options.environment;
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  for (char** entry = environ; *entry != nullptr; ++entry) envp.push_back(*entry);
  envp.push_back(nullptr);
  struct rlimit files {
    options.open_files_soft, options.open_files_hard
  };
  int fds[2];
  EXPECT_EQ(pipe2(fds, O_CLOEXEC), 0);
  int out = -1;
  if (!options.stdout_path.empty()) {
    out = open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(out, 0) << options.stdout_path;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);  // dup2 clears close-on-exec on the copy
    if (out >= 0) dup2(out, STDOUT_FILENO);
    if (files.rlim_cur != 0 && setrlimit(RLIMIT_NOFILE, &files) != 0) _exit(126);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  if (out >= 0) close(out);
  return ServerProcess{pid, fds[0]};
}

std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& match, int seconds) {
  std::string all, line;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    char c;
    ssize_t n = read(fd, &c, 1);
    if (n == 1) {
      all.push_back(c);
      if (c != '\n') {
        line.push_back(c);
        continue;
      }
      if (match(line)) return all;
      line.clear();
    } else if (n == 0) {
      return all;  // the process closed stderr
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return all;
}

int WaitExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int WaitUntilServing(int stderr_fd, std::string* log, int seconds) {
  int port = 0;
  *log += ReadUntil(
      stderr_fd,
      [&port](const std::string& line) {
        auto json = nlohmann::json::parse(line, nullptr, false);
        if (json.is_discarded() || json.value("msg", "") != "caseserver serving") return false;
        port = std::stoi(json.value("port", "0"));
        return true;
      },
      seconds);
  return port;
}

}  // namespace casecoord::testing
