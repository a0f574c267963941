#include "services/http/connect_codec.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "google/rpc/status.pb.h"
#include "services/common/text.h"

namespace casecoord::http {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";
// What an error quotes of a parser's message.
constexpr size_t kMaxQuotedBytes = 200;

std::string TypeUrl(const google::protobuf::Descriptor& type) {
  return std::string(kTypeUrlPrefix) + "/" + type.full_name();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string Quoted(std::string_view text) {
  if (text.size() <= kMaxQuotedBytes) return std::string(text);
  return std::string(text.substr(0, kMaxQuotedBytes)) + "...";
}

// Standard base64 without padding, as Connect sends binary detail values.
std::string UnpaddedBase64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(written > 0 ? static_cast<size_t>(written) : 0);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

nlohmann::json ErrorObject(const grpc::Status& status, const MessageCodec& codec) {
  nlohmann::json error = {{"code", ConnectCodeName(status.error_code())}};
  if (!status.error_message().empty()) error["message"] = status.error_message();
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& any : details.details()) {
      const std::string_view url = any.type_url();
      const size_t slash = url.rfind('/');
      nlohmann::json detail = {
          {"type", std::string(slash == std::string_view::npos ? url : url.substr(slash + 1))},
          {"value", UnpaddedBase64(any.value())}};
      if (auto json = codec.ToJson(any.type_url(), any.value())) {
        nlohmann::json debug = nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
        if (!debug.is_discarded()) detail["debug"] = std::move(debug);
      }
      list.push_back(std::move(detail));
    }
    if (!list.empty()) error["details"] = std::move(list);
  }
  return error;
}

std::string Dump(const nlohmann::json& json) {
  // Messages are cut to a byte bound upstream and may end inside a character: replace, not throw.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ConnectRoutes::ConnectRoutes(const std::vector<std::string>& service_names) {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_names) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) {
      missing_.push_back(name);
      continue;
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      std::string path = "/" + service->full_name() + "/" + method->name();
      methods_.emplace(path, ConnectMethod{path, method});
    }
  }
}

const ConnectMethod* ConnectRoutes::Find(std::string_view path) const {
  auto it = methods_.find(path);
  return it == methods_.end() ? nullptr : &it->second;
}

std::optional<ContentType> ParseContentType(std::string_view header) {
  std::string_view media = header;
  std::string_view parameters;
  if (const size_t semicolon = header.find(';'); semicolon != std::string_view::npos) {
    media = header.substr(0, semicolon);
    parameters = header.substr(semicolon + 1);
  }
  const std::string type = Lower(Trim(media));
  ContentType parsed;
  if (type == "application/json" || type == "application/connect+json") {
    parsed.codec = Codec::kJson;
  } else if (type == "application/proto" || type == "application/connect+proto") {
    parsed.codec = Codec::kProto;
  } else {
    return std::nullopt;
  }
  parsed.enveloped = type.starts_with("application/connect+");
  if (!parameters.empty()) {
    const std::string parameter = Lower(Trim(parameters));
    if (parsed.codec != Codec::kJson ||
        (parameter != "charset=utf-8" && parameter != "charset=\"utf-8\"")) {
      return std::nullopt;
    }
  }
  return parsed;
}

std::string ContentTypeName(const ContentType& type) {
  const char* codec = type.codec == Codec::kJson ? "json" : "proto";
  return std::string(type.enveloped ? "application/connect+" : "application/") + codec;
}

Result<std::chrono::milliseconds> ParseTimeout(std::string_view header) {
  std::optional<int64_t> value;
  if (!header.empty() && header.size() <= 10 &&
      header.find_first_not_of("0123456789") == std::string_view::npos) {
    value = ParseDecimalInt(header, 1, 9999999999LL);
  }
  if (!value) {
    return Status::InvalidArgument("Connect-Timeout-Ms",
                                   "must be 1 to 10 digits of milliseconds (at least 1), got \"" +
                                       Quoted(header.substr(0, 16)) + "\"");
  }
  return std::chrono::milliseconds(*value);
}

MessageCodec::MessageCodec()
    : resolver_(google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool())) {}

Result<std::string> MessageCodec::Decode(const google::protobuf::Descriptor& type, Codec codec,
                                         std::string_view body) const {
  if (codec == Codec::kProto) return std::string(body);
  std::string binary;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonToBinaryString(
      resolver_.get(), TypeUrl(type), google::protobuf::StringPiece(body.data(), body.size()),
      &binary, options);
  if (!status.ok()) {
    return Status::InvalidArgument(
        "body", "is not a JSON " + type.full_name() + ": " + Quoted(status.message().as_string()));
  }
  return binary;
}

Result<std::string> MessageCodec::Encode(const google::protobuf::Descriptor& type, Codec codec,
                                         const std::string& binary) const {
  if (codec == Codec::kProto) return binary;
  std::string json;
  const auto status =
      google::protobuf::util::BinaryToJsonString(resolver_.get(), TypeUrl(type), binary, &json);
  if (!status.ok()) {
    return Status(Reason::kEncodingFailed, "the answer could not be written as JSON: " +
                                               Quoted(status.message().as_string()));
  }
  return json;
}

std::optional<std::string> MessageCodec::ToJson(const std::string& type_url,
                                                const std::string& binary) const {
  std::string json;
  const auto status =
      google::protobuf::util::BinaryToJsonString(resolver_.get(), type_url, binary, &json);
  if (!status.ok()) return std::nullopt;
  return json;
}

Result<std::vector<Envelope>> SplitEnvelopes(std::string_view body, size_t max_envelopes) {
  std::vector<Envelope> envelopes;
  while (!body.empty()) {
    if (body.size() < 5) {
      return Status::InvalidArgument("body", "ends inside an envelope's 5-byte prefix");
    }
    const auto byte = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<uint8_t>(body[i]));
    };
    const uint8_t flags = static_cast<uint8_t>(body[0]);
    const uint32_t length = (byte(1) << 24) | (byte(2) << 16) | (byte(3) << 8) | byte(4);
    if (flags != 0) {
      return Status::InvalidArgument(
          "body", (flags & kEnvelopeCompressed) != 0
                      ? "compressed messages are not accepted; send them uncompressed"
                      : "a request envelope carries no flags");
    }
    if (length > body.size() - 5) {
      return Status::InvalidArgument(
          "body", "an envelope says " + std::to_string(length) + " bytes but fewer follow");
    }
    if (envelopes.size() == max_envelopes) {
      return Status::InvalidArgument(
          "body", "more than " + std::to_string(max_envelopes) + " messages in one request");
    }
    envelopes.push_back(Envelope{flags, body.substr(5, length)});
    body.remove_prefix(5 + static_cast<size_t>(length));
  }
  return envelopes;
}

std::string MakeEnvelope(uint8_t flags, std::string_view data) {
  std::string out;
  out.reserve(5 + data.size());
  out.push_back(static_cast<char>(flags));
  const auto length = static_cast<uint32_t>(data.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((length >> shift) & 0xff));
  out.append(data);
  return out;
}

std::string_view ConnectCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "canceled";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "invalid_argument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "deadline_exceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "not_found";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "already_exists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "permission_denied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "resource_exhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "failed_precondition";
    case grpc::StatusCode::ABORTED:
      return "aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "out_of_range";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "data_loss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    default:
      return 500;
  }
}

std::string ErrorJson(const grpc::Status& status, const MessageCodec& codec) {
  return Dump(ErrorObject(status, codec));
}

std::string EndStreamJson(const grpc::Status& status, const MessageCodec& codec) {
  if (status.ok()) return "{}";
  return Dump(nlohmann::json{{"error", ErrorObject(status, codec)}});
}

}  // namespace casecoord::http
