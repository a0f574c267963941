// caseserver run the way `make run` runs it (deploy/dev-setup.sh, then `caseserver serve --config
// deploy/dev.conf`), from a scratch directory laid out like the repository, for tests that check
// what a developer or an operator sees.
#pragma once

#include <string>
#include <vector>

#include "tests/support/server_process.h"

namespace casecoord::testing {

// Makes `root` look like the repository after `make build`: `caseserver` and `casectl` linked
// under build/, deploy/ linked in, so that relative paths mean what they mean at the repository
// root.
void LayOutRepository(const std::string& root, const std::string& caseserver,
                      const std::string& casectl);

// Appends what the server has logged so far to `log` (non-blocking `fd`), so that its stderr pipe
// never fills up and blocks it.
void DrainLog(int fd, std::string* log);

// The "port" of the first log line whose msg is `message`, or 0.
int LoggedPort(const std::string& log, const std::string& message);

struct DevServer {
  ServerProcess process;
  std::string log;
  int grpc_port = 0;
  int http_port = 0;
  int metrics_port = 0;  // with --metrics-listen
};

// Runs deploy/dev-setup.sh in `root` (laid out already), then `caseserver serve --config
// deploy/dev.conf` with the listeners on kernel-chosen ports and `extra_args`, and waits up to
// 60 s until it serves. grpc_port is 0 if it did not (the log says why; the process is ended).
DevServer StartDevServer(const std::string& root, const std::vector<std::string>& extra_args,
                         const SpawnOptions& options = {});

// SIGTERM, then the exit code (128 + signal if killed); closes the log pipe.
int StopServer(DevServer& server);

}  // namespace casecoord::testing
