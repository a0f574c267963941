#include "tests/support/test_server.h"

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "casecoord/v1/admin.grpc.pb.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::testing {

TestServer::TestServer(TestServerOptions options) {
  ca_.WriteTo(dir_.Sub("pki"), {});
  auto resolved = server::ResolveConfig({}, "", [](const std::string&) { return std::nullopt; });
  if (!resolved.ok()) throw std::runtime_error(resolved.status().ToString());
  config_ = *resolved;
  config_.listen = "127.0.0.1:0";
  config_.mode = options.mode;
  config_.drain_ms = options.drain_ms;
  config_.shutdown_grace_ms = 2000;
  config_.worker_threads = options.worker_threads;
  config_.data_dir = dir_.Sub("data/db");
  config_.backup_dir = dir_.Sub("data/backups");
  config_.restore_dir = dir_.Sub("data/restores");
  config_.tls_cert = dir_.Sub("pki/server.crt");
  config_.tls_key = dir_.Sub("pki/server.key");
  config_.tls_client_ca = dir_.Sub("pki/ca.crt");
  config_.municipality = "テスト市";
  // No backup schedule (a round 30 s after start would land in the middle of long tests and
  // benches) and no access log on the test's stdout; tests/operations runs both on the process.
  config_.backup_interval_seconds = 0;
  config_.access_log = false;
  config_.bootstrap_admin = "admin";
  config_.rate_limit_per_second = options.rate_limit_per_second;
  config_.rate_limit_burst = options.rate_limit_burst;
  config_.demo_directory = options.demo_directory;
  // The tests' one vocabulary fixture, seeded as make run seeds the development city's.
  {
    std::ofstream vocabularies(dir_.Sub("vocabularies.csv"), std::ios::binary);
    vocabularies << TestVocabularyCsv() << options.extra_vocabulary_csv;
  }
  config_.demo_vocabularies = dir_.Sub("vocabularies.csv");
  config_.due_watch_interval_ms = options.due_watch_interval_ms;
  if (options.handshake_timeout_ms != 0)
    config_.handshake_timeout_ms = options.handshake_timeout_ms;
  if (options.max_connection_idle_ms != 0) {
    config_.max_connection_idle_ms = options.max_connection_idle_ms;
  }
  if (options.http) config_.http_listen = "127.0.0.1:0";
  config_.http_require_client_certificate = options.http_require_client_certificate;
  config_.console_dir = options.console_dir;
  if (options.http_max_body_bytes != 0) config_.http_max_body_bytes = options.http_max_body_bytes;
  if (options.http_read_timeout_ms != 0)
    config_.http_read_timeout_ms = options.http_read_timeout_ms;
  if (options.http_keepalive_timeout_ms != 0) {
    config_.http_keepalive_timeout_ms = options.http_keepalive_timeout_ms;
  }
  clock_ = options.clock != nullptr ? options.clock : &SystemClock::Instance();
  wal_faults_ = options.wal_faults;
  keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  auto audit_key = storage::KeyEncryptionKey::Generate();
  audit_key_.assign(reinterpret_cast<const char*>(audit_key.bytes()), storage::kKeyBytes);
  Restart();

  auto admin = v1::Admin::NewStub(ChannelFor("admin"));
  struct Sample {
    const char* id;
    v1::Role role;
    const char* agency;
  };
  const Sample samples[] = {{"coordinator", v1::COORDINATOR, ""},
                            {"agency-staff", v1::AGENCY_STAFF, "agencies/a1"},
                            {"other-staff", v1::AGENCY_STAFF, "agencies/a2"},
                            {"adviser", v1::ADVISER, ""},
                            {"planner", v1::PLANNER, ""},
                            {"auditor", v1::AUDITOR, ""},
                            {"disabled", v1::ADMIN, ""}};
  for (const auto& sample : samples) {
    v1::CreateUserRequest request;
    request.set_user_id(sample.id);
    request.mutable_user()->set_display_name(std::string("テスト ") + sample.id);
    request.mutable_user()->add_roles(sample.role);
    request.mutable_user()->set_agency(sample.agency);
    if (std::string(sample.id) == "disabled") request.mutable_user()->set_state(v1::User::DISABLED);
    v1::User created;
    grpc::ClientContext context;
    auto status = admin->CreateUser(&context, request, &created);
    if (!status.ok())
      throw std::runtime_error("creating " + std::string(sample.id) + ": " +
                               status.error_message());
  }
}

void TestServer::Restart() {
  auto started = server::CaseServer::Start(config_, keyring_, audit_key_, *clock_, wal_faults_);
  if (!started.ok()) throw std::runtime_error(started.status().ToString());
  server_ = std::move(started).value();
  config_.listen = "127.0.0.1:" + std::to_string(server_->port());  // restarts keep the port
  if (!config_.http_listen.empty()) {
    config_.http_listen = "127.0.0.1:" + std::to_string(server_->http_port());
  }
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  if (server_) server_->Shutdown();
  server_.reset();
}

std::string TestServer::target() const { return "localhost:" + std::to_string(server_->port()); }

std::shared_ptr<grpc::Channel> TestServer::ChannelFor(const std::string& user_id) const {
  KeyPair pair = ca_.IssueClient(user_id);
  return client::Connect(
      client::ConnectionPems{target(), ca_.root_pem(), pair.certificate_pem, pair.private_key_pem});
}

std::shared_ptr<grpc::Channel> TestServer::ChannelWithoutCertificate() const {
  return client::Connect(client::ConnectionPems{target(), ca_.root_pem(), "", ""});
}

std::shared_ptr<grpc::Channel> TestServer::ChannelFromOtherCa(const std::string& user_id) const {
  TestCa other("unrelated CA");
  KeyPair pair = other.IssueClient(user_id);
  return client::Connect(
      client::ConnectionPems{target(), ca_.root_pem(), pair.certificate_pem, pair.private_key_pem});
}

namespace {

std::unique_ptr<httplib::SSLClient> MakeHttpClient(std::unique_ptr<httplib::SSLClient> client,
                                                   const std::string& ca_file) {
  client->set_ca_cert_path(ca_file.c_str());
  client->enable_server_certificate_verification(true);
  client->set_connection_timeout(std::chrono::seconds(10));
  client->set_read_timeout(std::chrono::seconds(30));
  client->set_write_timeout(std::chrono::seconds(30));
  return client;
}

}  // namespace

int TestServer::http_port() const { return server_ ? server_->http_port() : 0; }

std::unique_ptr<httplib::SSLClient> TestServer::HttpClientFor(const std::string& user_id) const {
  // httplib reads the client certificate from files: one pair per user, written once.
  const std::string certificate = dir_.Sub("pki/http-users/" + user_id + ".crt");
  const std::string key = dir_.Sub("pki/http-users/" + user_id + ".key");
  if (!std::filesystem::exists(key)) {
    std::filesystem::create_directories(dir_.Sub("pki/http-users"));
    KeyPair pair = ca_.IssueClient(user_id);
    std::ofstream(certificate, std::ios::binary) << pair.certificate_pem;
    std::ofstream(key, std::ios::binary) << pair.private_key_pem;
  }
  return MakeHttpClient(
      std::make_unique<httplib::SSLClient>("127.0.0.1", http_port(), certificate, key),
      dir_.Sub("pki/ca.crt"));
}

std::unique_ptr<httplib::SSLClient> TestServer::HttpClientWithoutCertificate() const {
  return MakeHttpClient(std::make_unique<httplib::SSLClient>("127.0.0.1", http_port()),
                        dir_.Sub("pki/ca.crt"));
}

std::vector<std::string> TestServer::AuditTrailOf(const std::string& resource) const {
  auto admin = v1::Admin::NewStub(ChannelFor("auditor"));
  std::vector<std::string> trail;
  v1::ListAuditEntriesRequest request;
  request.set_resource(resource);
  request.set_page_size(1000);
  do {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::ListAuditEntriesResponse response;
    grpc::Status status = admin->ListAuditEntries(&context, request, &response);
    if (!status.ok()) return {status.error_message()};
    for (const auto& entry : response.entries()) {
      trail.push_back(entry.user_id() + " " + entry.method() + " " + entry.outcome());
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return trail;
}

}  // namespace casecoord::testing
