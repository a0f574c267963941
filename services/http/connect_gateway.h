// Serves the Connect protocol for every routed RPC by running it through the gRPC server itself,
// over an in-process channel: the same service adapter, the same gatekeeper (identity, rate
// limit, policy, need-to-know, audit in the change's batch), the same error details. The caller's
// origin (user, channel "http", session) was authenticated by the HTTP server and is vouched for
// with auth::GatewayVouchers; no handler knows which transport called it.
//
//   unary             application/json or application/proto; errors as Connect error JSON with
//                     the HTTP status of their code
//   server-streaming  application/connect+json or +proto: one request envelope; the answer's
//                     envelopes as they come, then the end-of-stream message. A client that goes
//                     away cancels the call.
//   client-streaming  (the imports) the same envelopes: every request message in one body
//                     (bounded by the HTTP body limit), one answer message and the end of stream
//
// Connect-Timeout-Ms becomes the call's deadline. Compressed bodies are refused (unimplemented).
//
// Thread safety: Serve may be called concurrently; the gateway must outlive the calls it serves.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>

#include "services/auth/call_origin.h"
#include "services/http/connect_codec.h"

namespace casecoord::http {

struct GatewayOptions {
  // Most messages one client-streaming request may carry.
  size_t max_request_messages = 4096;
  // How often a server stream waiting for its next message checks that the client is still there.
  std::chrono::milliseconds liveness_interval{1000};
};

class ConnectGateway {
 public:
  // `channel` reaches the gRPC server in process; `vouchers` must be the ones the server's
  // gatekeeper reads. Both must outlive the gateway.
  ConnectGateway(std::shared_ptr<grpc::Channel> channel, const auth::GatewayVouchers& vouchers,
                 GatewayOptions options = {});

  // Serves one call of `method` (found in the routes for the request's path) for `origin`.
  void Serve(const ConnectMethod& method, const httplib::Request& request,
             httplib::Response& response, const auth::CallOrigin& origin) const;

  // Writes the Connect error for `status` (an unary call's form) into `response`.
  void WriteError(const Status& status, httplib::Response& response) const;

 private:
  // Checks the headers and sets up the context; the error to answer otherwise.
  Result<ContentType> Prepare(const ConnectMethod& method, const httplib::Request& request,
                              const auth::CallOrigin& origin, grpc::ClientContext* context) const;
  void ServeUnary(const ConnectMethod& method, const ContentType& type,
                  const httplib::Request& request, httplib::Response& response,
                  std::unique_ptr<grpc::ClientContext> context) const;
  void ServeStream(const ConnectMethod& method, const ContentType& type,
                   const httplib::Request& request, httplib::Response& response,
                   std::unique_ptr<grpc::ClientContext> context) const;

  mutable grpc::GenericStub stub_;
  const auth::GatewayVouchers& vouchers_;
  const GatewayOptions options_;
  const MessageCodec codec_;
};

}  // namespace casecoord::http
