// A client of the Connect API for tests: calls over HTTP (cpp-httplib over TLS, see
// TestServer::HttpClientFor) and the same calls over gRPC, to compare them.
//
// Thread safety: the free functions may be called concurrently with distinct clients; an
// httplib client serves one request at a time.
#pragma once

#include <google/protobuf/any.pb.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/test_server.h"

namespace casecoord::http_testing {

// Messages of a method's request and answer types; `path` is "/casecoord.v1.Cases/GetCase".
// Aborts the test binary for an unknown path (a typo in a test).
std::unique_ptr<google::protobuf::Message> NewInput(const std::string& path);
std::unique_ptr<google::protobuf::Message> NewOutput(const std::string& path);
// The protobuf JSON mapping of `message`.
std::string ToJson(const google::protobuf::Message& message);

struct GrpcAnswer {
  grpc::Status status;
  std::string bytes;  // the answer, serialized
};
// An unary call of `path` as `user` over gRPC (mTLS), with a 30 s deadline.
GrpcAnswer CallGrpc(const testing::TestServer& server, const std::string& user,
                    const std::string& path, const std::string& request);

struct HttpAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  std::string content_type;
  httplib::Headers headers;
  std::string error;  // httplib's error when no answer came
};
HttpAnswer Post(httplib::SSLClient& client, const std::string& path,
                const std::string& content_type, const std::string& body,
                const httplib::Headers& headers = {});
HttpAnswer Get(httplib::SSLClient& client, const std::string& path);

// Envelopes of Connect streams.
inline constexpr uint8_t kEndStream = 0x02;
std::string Envelope(uint8_t flags, const std::string& data);
struct ReadEnvelope {
  uint8_t flags = 0;
  std::string data;
};
// The envelopes of an answer; a test failure if bytes are left over.
std::vector<ReadEnvelope> SplitAnswer(const std::string& body);

// A Connect error's details decoded back into the google.rpc.Status a gRPC client would see
// (only its details), and one of them unpacked.
google::rpc::Status DetailsOf(const nlohmann::json& error);
template <typename Detail>
bool Unpack(const google::rpc::Status& status, Detail* detail) {
  for (const auto& any : status.details()) {
    if (any.Is<Detail>()) return any.UnpackTo(detail);
  }
  return false;
}
// The ErrorInfo reason of a Connect error object ("" if none).
std::string ReasonOf(const nlohmann::json& error);

// Strict-Transport-Security, nosniff, the CSP with frame-ancestors 'none'; and Cache-Control:
// no-store when `api` (an API answer or a probe).
void ExpectSecurityHeaders(const HttpAnswer& answer, bool api);

// The sequence of the newest audit entry, and the entries after `sequence` but for the
// auditor's own ListAuditEntries calls (which these helpers make).
int64_t LastAuditSequence(const testing::TestServer& server);
std::vector<v1::AuditEntry> AuditEntriesAfter(const testing::TestServer& server, int64_t sequence);

// A streaming call over HTTP on a thread of its own, which holds the connection open after its
// first envelope until Disconnect(), then drops it without a word. By default WatchDueItems
// with application/connect+json.
struct StreamCall {
  std::string path = "/casecoord.v1.Monitoring/WatchDueItems";
  std::string content_type = "application/connect+json";
  std::string body = Envelope(0, "{}");
  httplib::Headers headers = {};
  // false: read the whole stream instead (see Finished()).
  bool hold_after_first = true;
};
class HttpWatch {
 public:
  explicit HttpWatch(std::unique_ptr<httplib::SSLClient> client, StreamCall call = {});
  ~HttpWatch();
  // The first envelope, or nullopt if none came within 20 s.
  std::optional<ReadEnvelope> First();
  // Every envelope of a call that is not held, once the server has ended it; nullopt if it did
  // not end within `wait`.
  std::optional<std::vector<ReadEnvelope>> Finished(std::chrono::seconds wait);
  // Closes the connection (if the call still runs) and joins the thread.
  void Disconnect();

 private:
  bool Receive(const char* data, size_t size);

  std::unique_ptr<httplib::SSLClient> client_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string received_;
  std::optional<ReadEnvelope> first_;
  bool finished_ = false;
  bool disconnect_ = false;
  bool hold_after_first_ = true;
  std::thread thread_;
};

}  // namespace casecoord::http_testing
