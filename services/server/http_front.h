// caseserver's HTTP side, started once the gRPC server runs: the route table of the registered
// services, the Connect gateway on an in-process channel to the gRPC server, and the HTTPS
// listener (http-listen) with the server's certificate.
//
// Thread safety: Stop() may be called from any thread, more than once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/auth/call_origin.h"
#include "services/common/status.h"
#include "services/server/config.h"

// Kept out of this header: httplib.h brings <netdb.h>, whose macros (NO_DATA, ...) collide with
// generated enum values.
namespace casecoord::http {
class ConnectRoutes;
class ConnectGateway;
class HttpServer;
}  // namespace casecoord::http

namespace casecoord::server {

class HttpFront {
 public:
  // Serves the methods of `services` (full names) of `grpc_server`, whose gatekeeper reads
  // `vouchers`; `ready` answers /readyz. All must outlive the front. The listener's errors are
  // those of http::HttpServer::Start.
  static Result<std::unique_ptr<HttpFront>> Start(const ServerConfig& config,
                                                  grpc::Server& grpc_server,
                                                  const auth::GatewayVouchers& vouchers,
                                                  const std::vector<std::string>& services,
                                                  std::function<bool()> ready);
  ~HttpFront();
  int port() const;
  void Stop();

 private:
  HttpFront() = default;

  std::unique_ptr<const http::ConnectRoutes> routes_;
  std::unique_ptr<const http::ConnectGateway> gateway_;
  std::unique_ptr<http::HttpServer> listener_;
};

}  // namespace casecoord::server
