// caseserver's HTTPS listener (cpp-httplib over OpenSSL): the Connect API of every routed RPC,
// the health probes, and the console's static files. A transport like the gRPC listener: it
// only decides who is calling, then the gateway runs the call through the gatekeeper.
//
// Who is calling, per request:
//   - a client certificate the TLS handshake verified against the client CA (partner systems,
//     casectl-like tools): its user (same SAN rule as gRPC), channel "http";
//   - otherwise a sign-in session cookie (when a SessionAuthenticator is given), which must come
//     with the header Connect-Protocol-Version: 1 (a cross-site form cannot set it, so a cookie
//     alone never makes a call: no CSRF);
//   - otherwise nobody, which the gatekeeper refuses (UNAUTHENTICATED, audited) like a gRPC call
//     without a certificate.
//
// Every answer carries Strict-Transport-Security, X-Content-Type-Options: nosniff, a
// Content-Security-Policy with no inline script and no other origin (frame-ancestors 'none'),
// Referrer-Policy: no-referrer; API answers and probes also Cache-Control: no-store.
//
// Bounds: request bodies up to max_body_bytes (413 otherwise, before the body is read past it);
// a connection idle for keepalive_timeout_ms, or a read or write stalled for read/write
// timeouts, is closed; `threads` connections are served at once and up to `max_queued`
// accepted ones wait (the accept loop then waits, and the kernel's backlog holds the rest).
// Compressed request bodies are refused before they are read (no decompression bombs).
//
// GET /healthz: 200 while the process serves; GET /readyz: 200 while `ready()` says the server
// accepts calls (storage writable, not shutting down), else 503. Neither needs authentication
// or carries data.
//
// Thread safety: Stop() may be called from any thread, more than once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "services/auth/call_origin.h"
#include "services/common/status.h"
#include "services/http/connect_codec.h"
#include "services/http/connect_gateway.h"
#include "services/http/console_files.h"

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace casecoord::http {

struct HttpServerOptions {
  std::string listen;  // "host:port"; port 0 picks a free one
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // verifies client certificates when presented
  bool require_client_certificate = false;
  int threads = 128;
  int max_queued = 256;
  size_t max_body_bytes = 8 << 20;
  int read_timeout_ms = 10000;
  int write_timeout_ms = 10000;
  int keepalive_timeout_ms = 5000;
  // Requests one kept-alive connection may carry before the server closes it. An open connection
  // holds one of `threads` (httplib serves a connection on one thread until it closes), so closing
  // now and then lets a waiting client in; the call after the close pays for a TLS handshake
  // (~4 ms here), so 100 would put it at p99, 1000 beyond.
  size_t keepalive_max_requests = 1000;
  std::string console_dir;  // static files served at "/" (the web console); empty: none
};

// Turns a session cookie into a call origin (sign-in lives beside the HTTP server).
class SessionAuthenticator {
 public:
  virtual ~SessionAuthenticator() = default;
  // The origin of the session whose secret is `cookie_value`, or nullopt (unknown or expired).
  virtual std::optional<auth::CallOrigin> Authenticate(std::string_view cookie_value) = 0;
};

// Extra routes (sign-in) served by the same listener, before the Connect routes.
using ExtraRoutes = std::function<void(httplib::SSLServer&)>;

struct HttpServerDependencies {
  const ConnectRoutes* routes = nullptr;
  const ConnectGateway* gateway = nullptr;
  std::function<bool()> ready;
  SessionAuthenticator* sessions = nullptr;  // optional
  ExtraRoutes extra_routes;                  // optional
};

inline constexpr char kSessionCookie[] = "__Host-casecoord";

// "host:port" or "[v6]:port" -> host and port (0-65535); false when malformed.
bool SplitListen(const std::string& listen, std::string* host, int* port);

// The value of the session cookie a request carries, if any.
std::optional<std::string> SessionCookieOf(const httplib::Request& request);

class HttpServer {
 public:
  // Loads the certificates, binds and starts serving on a thread of its own. INVALID_ARGUMENT
  // for a bad listen address, FAILED_PRECONDITION if the certificates cannot be loaded or the
  // address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpServerDependencies dependencies);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops accepting, ends the connections (a server stream ends with the client's disconnect)
  // and joins the thread.
  void Stop();

 private:
  HttpServer(const HttpServerOptions& options, HttpServerDependencies dependencies);
  // The probes, the extra routes, the Connect routes, the console and the error bodies.
  void AddRoutes();
  void ServeConnect(const httplib::Request& request, httplib::Response& response);
  void ServeConsoleFile(const httplib::Request& request, httplib::Response& response) const;
  std::optional<auth::CallOrigin> OriginOf(const httplib::Request& request,
                                           httplib::Response& response);

  HttpServerOptions options_;
  HttpServerDependencies deps_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::optional<ConsoleFiles> console_;  // none without a console-dir
  std::thread thread_;
  int port_ = 0;
};

}  // namespace casecoord::http
