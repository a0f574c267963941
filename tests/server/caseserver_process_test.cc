// The caseserver binary as an operator runs it: settings from flags and the environment, keys from
// files, structured logs on stderr, SIGTERM for a graceful stop, and its exit codes.
#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
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
  {
    // Issue 14, finding 11: reflection answered below the gatekeeper, to any certificate of the
    // CA (a disabled user's too). The server does not serve it.
    grpc::GenericStub generic(channel);
    grpc::ClientContext reflection_context;
    reflection_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;  // an empty message (a default one is invalid)
    std::promise<grpc::Status> done;
    generic.UnaryCall(&reflection_context,
                      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                      grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status status) { done.set_value(status); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  }

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

}  // namespace
}  // namespace casecoord
