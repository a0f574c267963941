#include "tests/support/test_server.h"

#include <stdexcept>

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
  keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  auto started = server::CaseServer::Start(config_, keyring_);
  if (!started.ok()) throw std::runtime_error(started.status().ToString());
  server_ = std::move(started).value();
}

TestServer::~TestServer() { Stop(); }

void TestServer::Stop() {
  if (server_) server_->Shutdown();
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

}  // namespace casecoord::testing
