// The Connect protocol's wire format (connectrpc.com/docs/protocol), without any I/O: routes,
// content types, timeouts, messages in JSON or binary, envelopes of streams, and errors. The HTTP
// gateway (connect_gateway.h) is built on it; the fuzz target feeds it whatever a client could.
//
// Nothing here throws; every function bounds what it reads and what it quotes back.
//
// Thread safety: ConnectRoutes is immutable after construction; the free functions are reentrant.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/type_resolver.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord::http {

// One RPC reachable over HTTP at "/{service}/{method}", which is also its gRPC method path.
struct ConnectMethod {
  std::string path;  // "/casecoord.v1.Cases/GetCase"
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  bool client_streaming() const { return descriptor->client_streaming(); }
  bool server_streaming() const { return descriptor->server_streaming(); }
  bool unary() const { return !client_streaming() && !server_streaming(); }
};

// Every method of the given services (full names, e.g. "casecoord.v1.Cases"), read from the
// generated descriptor pool: a method added to a proto is routed with no change here. Services the
// pool does not know are skipped (and listed by missing()).
class ConnectRoutes {
 public:
  explicit ConnectRoutes(const std::vector<std::string>& service_names);

  // The method at `path`, or nullptr.
  const ConnectMethod* Find(std::string_view path) const;
  const std::vector<std::string>& missing() const { return missing_; }
  size_t size() const { return methods_.size(); }

 private:
  std::map<std::string, ConnectMethod, std::less<>> methods_;
  std::vector<std::string> missing_;
};

enum class Codec { kJson, kProto };

struct ContentType {
  Codec codec = Codec::kJson;
  bool enveloped = false;  // application/connect+json or +proto: a streaming call's body
};

// "application/json" (a charset parameter of utf-8 allowed), "application/proto",
// "application/connect+json", "application/connect+proto"; nullopt for anything else.
std::optional<ContentType> ParseContentType(std::string_view header);
// The Content-Type of an answer in `type`.
std::string ContentTypeName(const ContentType& type);

// The Connect-Timeout-Ms header: 1 to 10 ASCII digits. INVALID_ARGUMENT otherwise.
Result<std::chrono::milliseconds> ParseTimeout(std::string_view header);

// Converts between a message's JSON (the protobuf JSON mapping) and its binary encoding.
class MessageCodec {
 public:
  MessageCodec();
  // The binary encoding of `body`, a `type` in `codec`. A JSON body must be one JSON object of
  // the type (unknown fields refused); a binary body is passed through (the server parses it).
  // INVALID_ARGUMENT naming what is wrong (a short prefix of the parser's message).
  Result<std::string> Decode(const google::protobuf::Descriptor& type, Codec codec,
                             std::string_view body) const;
  // `binary`, a `type` produced by the server, as `codec` wants it.
  Result<std::string> Encode(const google::protobuf::Descriptor& type, Codec codec,
                             const std::string& binary) const;
  // A message of `type_url` (e.g. "type.googleapis.com/google.rpc.ErrorInfo") as JSON, or
  // nullopt if the type is unknown or the bytes do not parse.
  std::optional<std::string> ToJson(const std::string& type_url, const std::string& binary) const;

 private:
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver_;
};

// Envelopes: a flags byte, a 4-byte big-endian length, the data.
inline constexpr uint8_t kEnvelopeCompressed = 0x01;
inline constexpr uint8_t kEnvelopeEndStream = 0x02;
struct Envelope {
  uint8_t flags = 0;
  std::string_view data;  // points into the body split
};
// The envelopes of a request body: at most `max_envelopes`, none flagged compressed or
// end-stream (a client sends neither), and no bytes left over. INVALID_ARGUMENT otherwise.
Result<std::vector<Envelope>> SplitEnvelopes(std::string_view body, size_t max_envelopes);
std::string MakeEnvelope(uint8_t flags, std::string_view data);

// Errors. The Connect code name ("invalid_argument", "canceled", ...) and the HTTP status of an
// unary error (400, 404, 409, 429, 499, 503, 504, ...).
std::string_view ConnectCodeName(grpc::StatusCode code);
int HttpStatusOf(grpc::StatusCode code);
// The Connect error object of `status`: {"code", "message", "details": [{"type", "value",
// "debug"}]}, the details being those of the grpc::Status's google.rpc.Status (ErrorInfo,
// BadRequest, RetryInfo, LocalizedMessage), "value" their binary encoding in unpadded base64 and
// "debug" their JSON.
std::string ErrorJson(const grpc::Status& status, const MessageCodec& codec);
// The end-of-stream message: {} or {"error": ...}.
std::string EndStreamJson(const grpc::Status& status, const MessageCodec& codec);

}  // namespace casecoord::http
