#include "services/http/metrics_listener.h"

#include <httplib.h>

#include "services/http/http_server.h"

namespace casecoord::http {

Result<std::unique_ptr<MetricsListener>> MetricsListener::Start(
    const std::string& listen, std::function<std::string()> render) {
  std::string host;
  int port = 0;
  if (!SplitListen(listen, &host, &port)) {
    return Status::InvalidArgument("metrics-listen",
                                   "must be host:port, got \"" + listen.substr(0, 64) + "\"");
  }
  std::unique_ptr<MetricsListener> listener(new MetricsListener());
  listener->server_ = std::make_unique<httplib::Server>();
  httplib::Server& http = *listener->server_;
  // A scraper or two: a couple of threads, short timeouts, no request body.
  http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  http.set_read_timeout(5, 0);
  http.set_write_timeout(5, 0);
  http.set_keep_alive_timeout(5);
  http.set_payload_max_length(0);
  http.Get("/metrics",
           [render = std::move(render)](const httplib::Request&, httplib::Response& response) {
             response.set_header("Cache-Control", "no-store");
             response.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
           });
  const int bound =
      port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return Status(Reason::kBindFailed,
                  "metrics listener: cannot listen on " + listen.substr(0, 64));
  }
  listener->port_ = bound;
  listener->thread_ = std::thread([raw = listener->server_.get()] { raw->listen_after_bind(); });
  return listener;
}

MetricsListener::~MetricsListener() { Stop(); }

void MetricsListener::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace casecoord::http
