#include "tests/support/dev_server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"

namespace casecoord::testing {

void LayOutRepository(const std::string& root, const std::string& caseserver,
                      const std::string& casectl) {
  namespace fs = std::filesystem;
  fs::create_directories(root + "/build/clients/cli");
  fs::create_directories(root + "/build/services/server");
  fs::create_symlink(casectl, root + "/build/clients/cli/casectl");
  fs::create_symlink(caseserver, root + "/build/services/server/caseserver");
  fs::create_directory_symlink(std::string(CASECOORD_SOURCE_DIR) + "/deploy", root + "/deploy");
}

void DrainLog(int fd, std::string* log) {
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) log->append(buffer, n);
}

int LoggedPort(const std::string& log, const std::string& message) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_discarded() || json.value("msg", "") != message) continue;
    const std::string port = json.value("port", "0");
    char* end = nullptr;
    const long parsed = std::strtol(port.c_str(), &end, 10);
    return *end == '\0' && parsed > 0 && parsed < 65536 ? static_cast<int>(parsed) : 0;
  }
  return 0;
}

DevServer StartDevServer(const std::string& root, const std::vector<std::string>& extra_args,
                         const SpawnOptions& options) {
  DevServer server;
  TempDir scratch;
  const ProcessRun setup = RunProcess(
      {"/bin/sh", "-c", "cd \"$0\" && deploy/dev-setup.sh var/dev build/services/server/caseserver",
       root},
      scratch.path());
  if (setup.exit_code != 0) {
    server.log = "dev-setup.sh failed:\n" + setup.out + setup.err;
    return server;
  }
  std::string command =
      "cd \"$0\" && exec build/services/server/caseserver serve --config deploy/dev.conf "
      "--listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0";
  for (const std::string& arg : extra_args) command += " '" + arg + "'";
  server.process = SpawnServer("/bin/sh", {"-c", command, root}, options);
  server.grpc_port = WaitUntilServing(server.process.stderr_fd, &server.log, 60);
  if (server.grpc_port <= 0) {
    kill(server.process.pid, SIGKILL);
    WaitExit(server.process.pid);
    close(server.process.stderr_fd);
    server.process.stderr_fd = -1;
    return server;
  }
  fcntl(server.process.stderr_fd, F_SETFL, O_NONBLOCK);
  // Both listeners log their port before "caseserver serving".
  server.http_port = LoggedPort(server.log, "HTTP listener serving");
  server.metrics_port = LoggedPort(server.log, "metrics listener serving");
  return server;
}

int StopServer(DevServer& server) {
  if (server.process.pid <= 0) return -1;
  kill(server.process.pid, SIGTERM);
  const int code = WaitExit(server.process.pid);
  if (server.process.stderr_fd >= 0) {
    DrainLog(server.process.stderr_fd, &server.log);
    close(server.process.stderr_fd);
    server.process.stderr_fd = -1;
  }
  server.process.pid = -1;
  return code;
}

}  // namespace casecoord::testing
