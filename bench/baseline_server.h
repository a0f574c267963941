// Baselines and connection helpers shared by the RPC benchmarks: an empty echo service, and a gRPC
// server with exactly caseserver's production TLS and transport settings, so that a ratio against
// it measures our handler path alone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "casecoord/v1/admin.grpc.pb.h"
#include "services/server/server.h"
#include "tests/support/test_pki.h"

namespace casecoord::bench {

// The floor: no worker hop, no storage, no identity, an empty response.
class EchoAdminService final : public v1::Admin::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest*,
                                          v1::ServerInfo*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// A gRPC server for `service` on 127.0.0.1 with caseserver's production TLS (client certificates
// required and verified against `ca`) and transport settings. Exits the process if it cannot
// listen.
class TlsServer {
 public:
  TlsServer(const testing::TestCa& ca, const server::ServerConfig& config, grpc::Service* service) {
    testing::KeyPair pair = ca.IssueServer();
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = ca.root_pem();
    tls.pem_key_cert_pairs.push_back({pair.private_key_pem, pair.certificate_pem});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port_);
    builder.RegisterService(service);
    server::ApplyTransportSettings(config, builder);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      std::fprintf(stderr, "bench: a baseline server could not listen\n");
      std::exit(1);
    }
  }
  ~TlsServer() { Shutdown(); }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;

  void Shutdown() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  std::string target() const { return "localhost:" + std::to_string(port_); }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

struct Target {
  std::string name;
  // Each channel is its own TLS connection (client::Connect uses a local subchannel pool).
  std::vector<std::shared_ptr<grpc::Channel>> channels;
};

// Exits the process if a channel of `target` does not connect within 10 s.
inline void WaitConnected(const Target& target) {
  for (const auto& channel : target.channels) {
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "bench: cannot connect to %s\n", target.name.c_str());
      std::exit(1);
    }
  }
}

}  // namespace casecoord::bench
