#include "services/http/http_server.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <charconv>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <vector>

#include "services/auth/peer_identity.h"
#include "services/common/log.h"
#include "services/common/text.h"

namespace casecoord::http {
namespace {

constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// httplib's own pool queues without bound; this one makes the accept loop wait instead.
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(int threads, int max_queued) : max_queued_(static_cast<size_t>(max_queued)) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> task) override {
    std::unique_lock<std::mutex> lock(mutex_);
    has_room_.wait(lock, [&] { return tasks_.size() < max_queued_ || stopping_; });
    // Even while stopping the task runs: it owns the accepted socket and closes it.
    tasks_.push_back(std::move(task));
    has_task_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    has_task_.notify_all();
    has_room_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        has_task_.wait(lock, [&] { return !tasks_.empty() || stopping_; });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
        has_room_.notify_one();
      }
      task();
    }
  }

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable has_task_;
  std::condition_variable has_room_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Whether an Accept-Encoding header offers gzip with a weight above zero (RFC 9110 12.5.3).
bool AcceptsGzip(std::string_view accept_encoding) {
  size_t start = 0;
  while (start < accept_encoding.size()) {
    const size_t end = std::min(accept_encoding.find(',', start), accept_encoding.size());
    const std::string_view item = accept_encoding.substr(start, end - start);
    const size_t semicolon = std::min(item.find(';'), item.size());
    if (Trimmed(item.substr(0, semicolon)) == "gzip") {
      const std::string_view weight = Trimmed(item.substr(std::min(semicolon + 1, item.size())));
      if (!weight.starts_with("q=")) return true;
      double q = 0;
      const auto parsed = std::from_chars(weight.data() + 2, weight.data() + weight.size(), q);
      return parsed.ec == std::errc() && q > 0;
    }
    start = end + 1;
  }
  return false;
}

void SetSecurityHeaders(httplib::Response& response) {
  response.set_header("Strict-Transport-Security", "max-age=31536000");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Content-Security-Policy", kContentSecurityPolicy);
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cross-Origin-Opener-Policy", "same-origin");
  response.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

// Answers `request` without reading its body, and ends the connection after the answer: httplib
// would keep it alive and parse the unread body as the next request (a smuggled request).
// Connection: close on the answer is not enough (httplib's server loop ignores it), so the TLS
// stream is marked as shut down by the peer: OpenSSL discards whatever follows.
void RefuseUnreadBody(const httplib::Request& request, httplib::Response& response, int status,
                      const char* error_json) {
  // httplib hands the connection's SSL out as const; this runs on the connection's thread.
  if (SSL* ssl = const_cast<SSL*>(request.ssl); ssl != nullptr) {
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
  }
  response.status = status;
  response.set_header("Connection", "close");
  response.set_content(error_json, "application/json");
}

// Whether `request` announces a body that httplib will not read: it reads one for POST, PUT,
// PATCH and PRI, and for DELETE with a Content-Length; a GET's body would stay in the stream.
bool HasBodyHttplibWillNotRead(const httplib::Request& request) {
  const std::string& method = request.method;
  if (method == "POST" || method == "PUT" || method == "PATCH" || method == "PRI") return false;
  if (method == "DELETE" && request.has_header("Content-Length")) return false;
  if (request.has_header("Transfer-Encoding")) return true;
  const std::string length = request.get_header_value("Content-Length");
  return !length.empty() && length != "0";
}

bool IsApiPath(const std::string& path) {
  return path.starts_with("/casecoord.") || path == "/healthz" || path == "/readyz" ||
         path.starts_with("/auth/");
}

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> CookieValue(const std::string& header, std::string_view name) {
  std::string_view rest = header;
  while (!rest.empty()) {
    const size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

bool SetUpTls(const HttpServerOptions& options, SSL_CTX& context, std::string* error) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(&context, options.cert_file.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(&context, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(&context) != 1) {
    *error = "cannot load the server certificate or key (" + options.cert_file + ", " +
             options.key_file + ")";
    return false;
  }
  static const unsigned char kSessionContext[] = "casecoord-http";
  SSL_CTX_set_session_id_context(&context, kSessionContext, sizeof(kSessionContext) - 1);
  if (options.client_ca_file.empty()) {
    if (options.require_client_certificate) {
      *error = "a client certificate is required but no client CA is set";
      return false;
    }
    return true;
  }
  if (SSL_CTX_load_verify_locations(&context, options.client_ca_file.c_str(), nullptr) != 1) {
    *error = "cannot load the client CA " + options.client_ca_file;
    return false;
  }
  SSL_CTX_set_client_CA_list(&context, SSL_load_client_CA_file(options.client_ca_file.c_str()));
  SSL_CTX_set_verify(
      &context,
      SSL_VERIFY_PEER | (options.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
      nullptr);
  return true;
}

// Threads, body size, timeouts and keep-alive of the listener.
void ApplyLimits(const HttpServerOptions& options, httplib::SSLServer& http) {
  http.new_task_queue = [threads = options.threads, queued = options.max_queued] {
    return new BoundedTaskQueue(threads, queued);
  };
  http.set_payload_max_length(options.max_body_bytes);
  http.set_read_timeout(std::chrono::milliseconds(options.read_timeout_ms));
  http.set_write_timeout(std::chrono::milliseconds(options.write_timeout_ms));
  http.set_keep_alive_timeout(std::max(1, options.keepalive_timeout_ms / 1000));
  // httplib writes an answer's headers and its body in separate writes; with Nagle's algorithm
  // the body then waits for the client's delayed acknowledgement (40 ms on Linux) on every call.
  http.set_tcp_nodelay(true);
  // httplib's default closes a connection after 5 requests, so a client paid a full TLS
  // handshake (with its certificate) every 5 calls.
  http.set_keep_alive_max_count(options.keepalive_max_requests);
}

// Before routing: the security headers on every answer, and the refusal of bodies the listener
// will not read (compressed ones, and bodies of methods httplib never reads).
httplib::Server::HandlerResponse ScreenRequest(const httplib::Request& request,
                                               httplib::Response& response) {
  SetSecurityHeaders(response);
  if (IsApiPath(request.path)) response.set_header("Cache-Control", "no-store");
  const std::string encoding = request.get_header_value("Content-Encoding");
  if (!encoding.empty() && encoding != "identity") {
    // Refused before the body is read, so nothing is ever decompressed.
    RefuseUnreadBody(
        request, response, 415,
        R"({"code":"unimplemented","message":"compressed request bodies are not accepted"})");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (HasBodyHttplibWillNotRead(request)) {
    RefuseUnreadBody(request, response, 400,
                     R"({"code":"invalid_argument","message":"this request takes no body"})");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

// An answer without a body (no route, 413) gets a Connect-style error body.
void FillEmptyError(const httplib::Request& /*request*/, httplib::Response& response) {
  if (!response.body.empty()) return;
  const char* code = response.status == 413 ? "resource_exhausted" : "not_found";
  const char* message =
      response.status == 413 ? "the request body is too large" : "no such page or method";
  response.set_content(std::string(R"({"code":")") + code + R"(","message":")" + message + "\"}",
                       "application/json");
}

}  // namespace

bool SplitListen(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  auto parsed = ParseDecimalInt(std::string_view(listen).substr(colon + 1), 0, 65535);
  if (!parsed) return false;
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  *port = static_cast<int>(*parsed);
  return true;
}

std::optional<std::string> SessionCookieOf(const httplib::Request& request) {
  return CookieValue(request.get_header_value("Cookie"), kSessionCookie);
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpServerDependencies dependencies)
    : options_(options), deps_(std::move(dependencies)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpServerDependencies dependencies) {
  std::string host;
  int port = 0;
  if (!SplitListen(options.listen, &host, &port)) {
    return Status::InvalidArgument(
        "http-listen", "must be host:port, got \"" + options.listen.substr(0, 64) + "\"");
  }
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(dependencies)));
  std::string tls_error;
  server->server_ = std::make_unique<httplib::SSLServer>(
      [&](SSL_CTX& context) { return SetUpTls(options, context, &tls_error); });
  if (!server->server_->is_valid()) {
    return Status(Reason::kHttpListenerFailed,
                  "HTTP listener: " + (tls_error.empty() ? "TLS set-up failed" : tls_error));
  }
  if (!options.console_dir.empty() && std::filesystem::is_directory(options.console_dir)) {
    auto console = ConsoleFiles::Load(options.console_dir);
    if (!console.ok()) return console.status();
    server->console_ = std::move(console).value();
  }
  httplib::SSLServer& http = *server->server_;
  ApplyLimits(options, http);
  server->AddRoutes();
  const int bound =
      port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return Status(Reason::kHttpListenerFailed,
                  "HTTP listener: cannot listen on " + options.listen.substr(0, 64));
  }
  server->port_ = bound;
  server->thread_ = std::thread([self = server.get()] { self->server_->listen_after_bind(); });
  return server;
}

void HttpServer::AddRoutes() {
  httplib::SSLServer& http = *server_;
  http.set_pre_routing_handler(&ScreenRequest);
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const bool ready = !deps_.ready || deps_.ready();
    response.status = ready ? 200 : 503;
    response.set_content(ready ? "ready\n" : "not ready\n", "text/plain");
  });
  if (deps_.extra_routes) deps_.extra_routes(http);
  http.Post(R"(/casecoord\.[A-Za-z0-9_.]+/[A-Za-z0-9_]+)",
            [this](const httplib::Request& request, httplib::Response& response) {
              ServeConnect(request, response);
            });
  // Connect's GET form is not offered: a GET of a method's path says so, not "no such method".
  http.Get(R"(/casecoord\.[A-Za-z0-9_.]+/[A-Za-z0-9_]+)", [](const httplib::Request&,
                                                             httplib::Response& response) {
    response.status = 405;
    response.set_header("Allow", "POST");
    response.set_content(R"({"code":"unimplemented","message":"call the Connect API with POST"})",
                         "application/json");
  });
  if (console_) {
    // Last, so that no API, probe or sign-in path can be shadowed by a file.
    http.Get("/.*", [this](const httplib::Request& request, httplib::Response& response) {
      ServeConsoleFile(request, response);
    });
  }
  http.set_error_handler(&FillEmptyError);
}

void HttpServer::ServeConsoleFile(const httplib::Request& request,
                                  httplib::Response& response) const {
  const ConsoleFile* file = console_->Find(request.path);
  if (file == nullptr) {
    response.status = 404;
    return;
  }
  response.set_header("Cache-Control", file->cache_control);
  response.set_header("Vary", "Accept-Encoding");
  const bool gzip =
      !file->gzipped.empty() && AcceptsGzip(request.get_header_value("Accept-Encoding"));
  if (gzip) response.set_header("Content-Encoding", "gzip");
  const std::string& body = gzip ? file->gzipped : file->raw;
  // A sized content provider: httplib compresses only bodies set with set_content (with brotli
  // at its slowest level when a browser offers "br"), never a provider's.
  response.set_content_provider(body.size(), file->content_type,
                                [&body](size_t offset, size_t length, httplib::DataSink& sink) {
                                  return sink.write(body.data() + offset, length);
                                });
}

void HttpServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::optional<auth::CallOrigin> HttpServer::OriginOf(const httplib::Request& request,
                                                     httplib::Response& response) {
  auth::CallOrigin origin;
  origin.channel = auth::kChannelHttp;
  if (request.ssl != nullptr) {
    X509* certificate = SSL_get0_peer_certificate(request.ssl);
    if (certificate != nullptr && SSL_get_verify_result(request.ssl) == X509_V_OK) {
      origin.user_id = auth::UserIdFromCertificate(certificate);
      return origin;
    }
  }
  const auto cookie = SessionCookieOf(request);
  if (!cookie || deps_.sessions == nullptr) return origin;
  if (request.get_header_value("Connect-Protocol-Version") != "1") {
    deps_.gateway->WriteError(
        Status(Reason::kConnectHeaderRequired,
               "a call made with a sign-in session must send Connect-Protocol-Version: 1"),
        response);
    return std::nullopt;
  }
  if (auto session = deps_.sessions->Authenticate(*cookie)) return *session;
  return origin;
}

void HttpServer::ServeConnect(const httplib::Request& request, httplib::Response& response) {
  const ConnectMethod* method = deps_.routes->Find(request.path);
  if (method == nullptr) {
    deps_.gateway->WriteError(
        Status(Reason::kNoSuchMethod, "no method " + request.path.substr(0, 128)), response);
    return;
  }
  std::optional<auth::CallOrigin> origin = OriginOf(request, response);
  if (!origin) return;
  deps_.gateway->Serve(*method, request, response, *origin);
}

}  // namespace casecoord::http
