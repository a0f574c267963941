#include "services/server/http_front.h"

#include "services/common/log.h"
#include "services/http/connect_codec.h"
#include "services/http/connect_gateway.h"
#include "services/http/http_server.h"
#include "services/http/sign_in_routes.h"

namespace casecoord::server {
namespace {

// How often expired sessions are ended (and audited) without waiting for their next request.
constexpr std::chrono::seconds kSweepInterval{30};

}  // namespace

Result<std::unique_ptr<HttpFront>> HttpFront::Start(
    const ServerConfig& config, grpc::Server& grpc_server, const auth::GatewayVouchers& vouchers,
    auth::SignIn& sign_in, const std::vector<std::string>& services, std::function<bool()> ready) {
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
  front->sessions_ = std::make_unique<http::SignInSessions>(sign_in);
  dependencies.sessions = front->sessions_.get();
  dependencies.extra_routes = [&sign_in, raw = front.get()](httplib::SSLServer& server) {
    http::AddSignInRoutes(server, sign_in, *raw->gateway_, raw->sign_in_attempts_);
  };
  auto listener = http::HttpServer::Start(options, std::move(dependencies));
  if (!listener.ok()) return listener.status();
  front->listener_ = std::move(listener).value();
  front->sweeper_ = std::thread([raw = front.get(), &sign_in] {
    std::unique_lock<std::mutex> lock(raw->sweeper_mutex_);
    while (!raw->sweeper_wake_.wait_for(lock, kSweepInterval, [raw] { return raw->stopping_; })) {
      lock.unlock();
      sign_in.Sweep();
      lock.lock();
    }
  });
  log::Info("HTTP listener serving", {{"port", std::to_string(front->port())},
                                      {"methods", std::to_string(front->routes_->size())}});
  return front;
}

HttpFront::~HttpFront() { Stop(); }

int HttpFront::port() const { return listener_->port(); }

void HttpFront::Stop() {
  {
    std::lock_guard<std::mutex> lock(sweeper_mutex_);
    stopping_ = true;
  }
  sweeper_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  if (listener_) listener_->Stop();
}

}  // namespace casecoord::server
