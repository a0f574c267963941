// The scraper's listener: plain HTTP on an address of its own (metrics-listen), serving GET
// /metrics in the Prometheus text format and nothing else. It is kept off the HTTPS listener so
// that a NetworkPolicy or firewall can admit the metrics scraper to this port alone; what it serves
// holds counts and timings, never personal data, and no request can change anything.
//
// Thread safety: Stop() may be called from any thread, more than once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "services/common/status.h"

namespace httplib {
class Server;
}

namespace casecoord::http {

class MetricsListener {
 public:
  // Binds `listen` ("host:port"; port 0 picks one) and serves `render()` at /metrics on a thread
  // of its own. INVALID_ARGUMENT for a malformed address, BIND_FAILED if it cannot be bound.
  static Result<std::unique_ptr<MetricsListener>> Start(const std::string& listen,
                                                        std::function<std::string()> render);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  MetricsListener() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace casecoord::http
