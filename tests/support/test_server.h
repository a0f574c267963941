// A real caseserver for integration tests and benchmarks: real RocksDB in a temporary directory,
// real mutual TLS from a TestCa, bound to 127.0.0.1 on a free port.
#pragma once

#include <memory>
#include <string>

#include "clients/cli/client.h"
#include "services/server/server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace casecoord::testing {

struct TestServerOptions {
  server::Mode mode = server::Mode::kProduction;
  int drain_ms = 0;
  int worker_threads = 16;
};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  server::CaseServer& server() { return *server_; }
  const server::ServerConfig& config() const { return config_; }
  std::shared_ptr<const storage::Keyring> keyring() const { return keyring_; }
  const TestCa& ca() const { return ca_; }
  const TempDir& dir() const { return dir_; }
  std::string target() const;

  // A channel authenticated as `user_id` (a client certificate from this server's CA).
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& user_id) const;
  // A channel presenting no client certificate.
  std::shared_ptr<grpc::Channel> ChannelWithoutCertificate() const;
  // A channel whose client certificate comes from an unrelated CA.
  std::shared_ptr<grpc::Channel> ChannelFromOtherCa(const std::string& user_id) const;

  // Stops the server (health NOT_SERVING, drain, close storage).
  void Stop();

 private:
  TempDir dir_;
  TestCa ca_;
  server::ServerConfig config_;
  std::shared_ptr<const storage::Keyring> keyring_;
  std::unique_ptr<server::CaseServer> server_;
};

}  // namespace casecoord::testing
