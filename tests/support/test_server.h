// A real caseserver for integration tests and benchmarks: real RocksDB in a temporary directory,
// real mutual TLS from a TestCa, bound to 127.0.0.1 on a free port.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "clients/cli/client.h"
#include "services/server/server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace httplib {
class SSLClient;
}  // namespace httplib

namespace casecoord::testing {

struct TestServerOptions {
  server::Mode mode = server::Mode::kProduction;
  int drain_ms = 0;
  int worker_threads = 16;
  int rate_limit_per_second = 100000;
  int rate_limit_burst = 100000;
  // A CSV file imported into the directory at start-up if it is empty (setting demo-directory).
  std::string demo_directory = {};
  // Vocabulary terms seeded with the tests' fixture (TestVocabularyCsv), as lines of its format
  // without the header (VocabularyCsvLines): for data that uses other districts or tags.
  std::string extra_vocabulary_csv = {};
  // Time for expiry checks; the system clock when null. Must outlive the server.
  const Clock* clock = nullptr;
  // Setting due-watch-interval-ms: how soon WatchDueItems streams see what fell due.
  int due_watch_interval_ms = 1000;
  // Settings handshake-timeout-ms and max-connection-idle-ms; 0 keeps their defaults.
  int handshake_timeout_ms = 0;
  int max_connection_idle_ms = 0;
  // Makes the write-ahead log fail on demand (storage::StorageOptions::wal_faults); none if null.
  std::shared_ptr<storage::WalFaultInjector> wal_faults = nullptr;
  // Serves the HTTP listener too (setting http-listen = 127.0.0.1:0); see HttpClientFor().
  bool http = false;
  // Setting http-max-body-bytes; 0 keeps its default.
  int http_max_body_bytes = 0;
  // Settings http-read-timeout-ms and http-keepalive-timeout-ms; 0 keeps their defaults.
  int http_read_timeout_ms = 0;
  int http_keepalive_timeout_ms = 0;
  // Setting http-require-client-certificate.
  bool http_require_client_certificate = false;
  // Setting console-dir; empty: no console is served.
  std::string console_dir = {};
};

// Users every TestServer has, one per role ("agency-staff" works for agencies/a1; "other-staff",
// also AGENCY_STAFF, for agencies/a2; "disabled" was an admin and is DISABLED).
inline const std::vector<std::string> kSampleUsers = {"admin",       "coordinator", "agency-staff",
                                                      "other-staff", "adviser",     "planner",
                                                      "auditor",     "disabled"};

class TestServer {
 public:
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  server::CaseServer& server() { return *server_; }
  const server::ServerConfig& config() const { return config_; }
  // The settings the next Restart() starts with (a bench loads data with generous rate limits,
  // then restarts with the production ones).
  server::ServerConfig& mutable_config() { return config_; }
  std::shared_ptr<const storage::Keyring> keyring() const { return keyring_; }
  const std::string& audit_key() const { return audit_key_; }
  const TestCa& ca() const { return ca_; }
  const TempDir& dir() const { return dir_; }
  std::string target() const;

  // A channel authenticated as `user_id` (a client certificate from this server's CA).
  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& user_id) const;
  // A channel presenting no client certificate.
  std::shared_ptr<grpc::Channel> ChannelWithoutCertificate() const;
  // A channel whose client certificate comes from an unrelated CA.
  std::shared_ptr<grpc::Channel> ChannelFromOtherCa(const std::string& user_id) const;

  // An HTTPS client of the HTTP listener (TestServerOptions::http) that presents a client
  // certificate for `user_id` from this server's CA and verifies the server against that CA.
  // Read and write timeouts of 30 s; the caller owns the client (a client is not thread-safe).
  std::unique_ptr<httplib::SSLClient> HttpClientFor(const std::string& user_id) const;
  // The same without a client certificate.
  std::unique_ptr<httplib::SSLClient> HttpClientWithoutCertificate() const;
  // The HTTP listener's port (0 without TestServerOptions::http).
  int http_port() const;

  // What the auditor's ListAuditEntries answers for `resource` (every page), as
  // "user method outcome" per entry, oldest first; the gRPC error's text instead if it fails.
  std::vector<std::string> AuditTrailOf(const std::string& resource) const;

  // Stops the server (health NOT_SERVING, drain, close storage).
  void Stop();
  // Starts a new server on the same data directory and keys (after Stop()).
  void Restart();

 private:
  TempDir dir_;
  TestCa ca_;
  server::ServerConfig config_;
  std::shared_ptr<const storage::Keyring> keyring_;
  std::string audit_key_;
  const Clock* clock_ = nullptr;
  std::shared_ptr<storage::WalFaultInjector> wal_faults_;
  std::unique_ptr<server::CaseServer> server_;
};

}  // namespace casecoord::testing
