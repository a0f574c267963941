// caseserver's HTTP side, started once the gRPC server runs: the route table of the registered
// services, the Connect gateway on an in-process channel to the gRPC server, and the HTTPS
// listener (http-listen) with the server's certificate, and the sign-in routes and sessions.
//
// Thread safety: Stop() may be called from any thread, more than once.
#pragma once

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/auth/call_origin.h"
#include "services/auth/rate_limiter.h"
#include "services/auth/sign_in.h"
#include "services/common/status.h"
#include "services/server/config.h"

// Kept out of this header: httplib.h brings <netdb.h>, whose macros (NO_DATA, ...) collide with
// generated enum values.
namespace casecoord::http {
class ConnectRoutes;
class ConnectGateway;
class HttpServer;
class SignInSessions;
}  // namespace casecoord::http

namespace casecoord::server {

class HttpFront {
 public:
  // Serves the methods of `services` (full names) of `grpc_server`, whose gatekeeper reads
  // `vouchers`; `ready` answers /readyz. All must outlive the front. The listener's errors are
  // those of http::HttpServer::Start.
  static Result<std::unique_ptr<HttpFront>> Start(
      const ServerConfig& config, grpc::Server& grpc_server, const auth::GatewayVouchers& vouchers,
      auth::SignIn& sign_in, const std::vector<std::string>& services, std::function<bool()> ready);
  ~HttpFront();
  int port() const;
  void Stop();

 private:
  HttpFront() = default;

  std::unique_ptr<const http::ConnectRoutes> routes_;
  std::unique_ptr<const http::ConnectGateway> gateway_;
  std::unique_ptr<http::SignInSessions> sessions_;
  // Sign-in attempts per client address: 1 a second sustained, 10 at once.
  auth::RateLimiter sign_in_attempts_{1.0, 10.0};
  std::unique_ptr<http::HttpServer> listener_;
  // Ends expired sessions (audited) every sweep interval until Stop().
  std::thread sweeper_;
  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool stopping_ = false;
};

}  // namespace casecoord::server
