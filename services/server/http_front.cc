#include "services/server/http_front.h"

#include "services/common/log.h"
#include "services/http/connect_codec.h"
#include "services/http/connect_gateway.h"
#include "services/http/http_server.h"

namespace casecoord::server {

Result<std::unique_ptr<HttpFront>> HttpFront::Start(const ServerConfig& config,
                                                    grpc::Server& grpc_server,
                                                    const auth::GatewayVouchers& vouchers,
                                                    const std::vector<std::string>& services,
                                                    std::function<bool()> ready) {
  grpc::ChannelArguments arguments;
  // Answers are as large as the server lets a gRPC client receive; requests are bounded by the
  // HTTP body limit before they get here, and again by the server's own receive limit.
  arguments.SetMaxReceiveMessageSize(config.max_message_bytes);
  std::unique_ptr<HttpFront> front(new HttpFront());
  front->routes_ = std::make_unique<http::ConnectRoutes>(services);
  front->gateway_ =
      std::make_unique<http::ConnectGateway>(grpc_server.InProcessChannel(arguments), vouchers);
  for (const std::string& missing : front->routes_->missing()) {
    log::Error("HTTP listener: no descriptor for a registered service; it is not routed",
               {{"service", missing}});
  }
  http::HttpServerOptions options;
  options.listen = config.http_listen;
  options.cert_file = config.tls_cert;
  options.key_file = config.tls_key;
  options.client_ca_file = config.tls_client_ca;
  options.require_client_certificate = config.http_require_client_certificate;
  options.threads = config.http_threads;
  options.max_body_bytes = static_cast<size_t>(config.http_max_body_bytes);
  options.read_timeout_ms = config.http_read_timeout_ms;
  options.write_timeout_ms = config.http_read_timeout_ms;
  options.keepalive_timeout_ms = config.http_keepalive_timeout_ms;
  options.console_dir = config.console_dir;
  http::HttpServerDependencies dependencies;
  dependencies.routes = front->routes_.get();
  dependencies.gateway = front->gateway_.get();
  dependencies.ready = std::move(ready);
  auto listener = http::HttpServer::Start(options, std::move(dependencies));
  if (!listener.ok()) return listener.status();
  front->listener_ = std::move(listener).value();
  log::Info("HTTP listener serving", {{"port", std::to_string(front->port())},
                                      {"methods", std::to_string(front->routes_->size())}});
  return front;
}

HttpFront::~HttpFront() = default;

int HttpFront::port() const { return listener_->port(); }

void HttpFront::Stop() { listener_->Stop(); }

}  // namespace casecoord::server
