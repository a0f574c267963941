// The caseserver binary as an operator runs it: settings from flags and the environment, keys from
// files, structured logs on stderr, SIGTERM for a graceful stop, and its exit codes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace casecoord {
namespace {

struct Process {
  pid_t pid = -1;
  int stderr_fd = -1;
};

// Starts caseserver with `args`; its stderr is readable from the returned descriptor.
Process Spawn(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    std::string binary = CASESERVER_PATH;
    argv.push_back(binary.data());
    std::vector<std::string> copies = args;
    for (auto& arg : copies) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  return Process{pid, fds[0]};
}

// Reads stderr lines until one satisfies `match` or `seconds` pass; returns all text read.
std::string ReadUntil(int fd, const std::function<bool(const std::string&)>& match,
                      int seconds = 20) {
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

class CaseserverProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_.WriteTo(dir_.Sub("pki"), {});
    for (const char* key : {"kek", "audit"}) {
      Process keygen = Spawn({"keygen", "--out", dir_.Sub(key)});
      ASSERT_EQ(WaitExit(keygen.pid), 0);
      close(keygen.stderr_fd);
    }
  }

  std::vector<std::string> ServeArgs() {
    return {"serve",
            "--listen=127.0.0.1:0",
            "--data-dir=" + dir_.Sub("data/db"),
            "--backup-dir=" + dir_.Sub("data/backups"),
            "--tls-cert=" + dir_.Sub("pki/server.crt"),
            "--tls-key=" + dir_.Sub("pki/server.key"),
            "--tls-client-ca=" + dir_.Sub("pki/ca.crt"),
            "--kek-file=" + dir_.Sub("kek"),
            "--audit-key-file=" + dir_.Sub("audit"),
            "--bootstrap-admin=ops",
            "--drain-ms=100"};
  }

  // ServeArgs() for another command, e.g. {"backup", "list"}.
  std::vector<std::string> CommandArgs(std::vector<std::string> command) {
    std::vector<std::string> args = ServeArgs();
    args.erase(args.begin());
    command.insert(command.end(), args.begin(), args.end());
    return command;
  }

  // Replaces --`name`=... in `args` by --`name`=`value`.
  static std::vector<std::string> With(std::vector<std::string> args, const std::string& name,
                                       const std::string& value) {
    for (auto& arg : args) {
      if (arg.rfind("--" + name + "=", 0) == 0) arg = "--" + name + "=" + value;
    }
    return args;
  }

  struct Run {
    int exit_code = 0;
    std::string err;
  };
  Run RunToEnd(const std::vector<std::string>& args) {
    Process process = Spawn(args);
    std::string err = ReadUntil(
        process.stderr_fd, [](const std::string&) { return false; }, 60);
    close(process.stderr_fd);
    return Run{WaitExit(process.pid), err};
  }

  // Serves once until "caseserver serving", then stops: a data directory with an audit trail.
  void ServeOnce() {
    Process server = Spawn(ServeArgs());
    std::string log = ReadUntil(server.stderr_fd, [](const std::string& line) {
      return line.find("\"caseserver serving\"") != std::string::npos;
    });
    ASSERT_NE(log.find("caseserver serving"), std::string::npos) << log;
    kill(server.pid, SIGTERM);
    log += ReadUntil(server.stderr_fd, [](const std::string&) { return false; });
    close(server.stderr_fd);
    ASSERT_EQ(WaitExit(server.pid), 0) << log;
  }

  testing::TempDir dir_;
  testing::TestCa ca_;
};

TEST_F(CaseserverProcessTest, ServesThenStopsGracefullyOnSigterm) {
  Process server = Spawn(ServeArgs());
  int port = 0;
  std::string log = ReadUntil(server.stderr_fd, [&port](const std::string& line) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || json.value("msg", "") != "caseserver serving") return false;
    port = std::stoi(json.value("port", "0"));
    return true;
  });
  ASSERT_GT(port, 0) << log;

  testing::KeyPair ops = ca_.IssueClient("ops");
  auto channel =
      client::Connect(client::ConnectionPems{"localhost:" + std::to_string(port), ca_.root_pem(),
                                             ops.certificate_pem, ops.private_key_pem});
  v1::ServerInfo info;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status =
      v1::Admin::NewStub(channel)->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.caller_identity(), "urn:casecoord:user:ops");

  kill(server.pid, SIGTERM);
  log += ReadUntil(server.stderr_fd, [](const std::string&) { return false; });
  EXPECT_EQ(WaitExit(server.pid), 0) << log;
  EXPECT_NE(log.find("\"signal\":\"SIGTERM\""), std::string::npos) << log;
  EXPECT_NE(log.find("shutdown complete"), std::string::npos) << log;
  // Every line is JSON, and no key material ever reaches the log.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;  // gRPC's own diagnostics are not ours
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  }
  close(server.stderr_fd);
}

TEST_F(CaseserverProcessTest, RefusesToStartWithoutAKeyAndSaysWhy) {
  std::vector<std::string> args = ServeArgs();
  args.erase(std::remove_if(args.begin(), args.end(),
                            [](const std::string& a) { return a.rfind("--kek-file=", 0) == 0; }),
             args.end());
  unsetenv("CASECOORD_KEK");
  Process server = Spawn(args);
  std::string log = ReadUntil(server.stderr_fd, [](const std::string&) { return false; });
  EXPECT_EQ(WaitExit(server.pid), 1);
  EXPECT_NE(log.find("NO_KEY"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("data/db")));
  close(server.stderr_fd);
}

TEST_F(CaseserverProcessTest, InvalidSettingIsNamed) {
  std::vector<std::string> args = ServeArgs();
  args.push_back("--worker-threads=lots");
  Process server = Spawn(args);
  std::string log = ReadUntil(server.stderr_fd, [](const std::string&) { return false; });
  EXPECT_EQ(WaitExit(server.pid), 1);
  EXPECT_NE(log.find("worker-threads"), std::string::npos) << log;
  close(server.stderr_fd);
}

TEST_F(CaseserverProcessTest, BackupCommandsNameAWrongKeyInsteadOfFindingNoBackups) {
  ASSERT_NO_FATAL_FAILURE(ServeOnce());
  Run created = RunToEnd(CommandArgs({"backup", "create"}));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  ASSERT_EQ(RunToEnd({"keygen", "--out", dir_.Sub("other")}).exit_code, 0);

  Run listed = RunToEnd(With(CommandArgs({"backup", "list"}), "kek-file", dir_.Sub("other")));
  EXPECT_EQ(listed.exit_code, 1) << listed.err;
  EXPECT_NE(listed.err.find("WRONG_KEY"), std::string::npos) << listed.err;
  EXPECT_NE(listed.err.find("wrong key"), std::string::npos) << listed.err;

  Run restored =
      RunToEnd(With(CommandArgs({"restore", "--backup-id", "1", "--target", dir_.Sub("restored")}),
                    "kek-file", dir_.Sub("other")));
  EXPECT_EQ(restored.exit_code, 1) << restored.err;
  EXPECT_NE(restored.err.find("WRONG_KEY"), std::string::npos) << restored.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("restored")));

  // The right key still lists and restores it.
  Run right = RunToEnd(CommandArgs({"backup", "list"}));
  EXPECT_EQ(right.exit_code, 0) << right.err;
  Run restored_right =
      RunToEnd(CommandArgs({"restore", "--backup-id", "1", "--target", dir_.Sub("restored")}));
  EXPECT_EQ(restored_right.exit_code, 0) << restored_right.err;
}

TEST_F(CaseserverProcessTest, AWrongAuditKeyIsRefusedBeforeTheDatabaseIsOpened) {
  ASSERT_NO_FATAL_FAILURE(ServeOnce());
  ASSERT_EQ(RunToEnd({"keygen", "--out", dir_.Sub("other")}).exit_code, 0);
  auto before = testing::SnapshotDirectory(dir_.Sub("data/db"));

  Run served = RunToEnd(With(ServeArgs(), "audit-key-file", dir_.Sub("other")));
  EXPECT_EQ(served.exit_code, 1) << served.err;
  EXPECT_NE(served.err.find("AUDIT_KEY_MISMATCH"), std::string::npos) << served.err;
  EXPECT_NE(served.err.find("wrong audit key"), std::string::npos) << served.err;

  Run verified =
      RunToEnd(With(CommandArgs({"audit", "verify"}), "audit-key-file", dir_.Sub("other")));
  EXPECT_EQ(verified.exit_code, 1) << verified.err;
  EXPECT_NE(verified.err.find("AUDIT_KEY_MISMATCH"), std::string::npos) << verified.err;

  // Neither opened the database: an open replays the log and writes a new one, a new manifest
  // and new options.
  EXPECT_EQ(testing::SnapshotDirectory(dir_.Sub("data/db")), before);
}

}  // namespace
}  // namespace casecoord
