// The Connect request decoder (services/http/connect_codec.h) as the HTTP gateway runs it on what
// a client sends.
//
// Input: four fields separated by the byte 0x00 — the path, the Content-Type header, the
// Connect-Timeout-Ms header, and the rest is the body (which may itself contain 0x00). Missing
// fields are empty. The status fed to the error writers is built from the input too: its code is
// the body's first byte (mod 17), its message the path, and its details the body (parsed as a
// google.rpc.Status when it is one).
//
// Properties: nothing throws or crashes; a route found is exactly the path asked for and its
// method's descriptor; an accepted content type names itself back (ContentTypeName parses to the
// same type); an accepted timeout is 1 ms or more and is exactly the decimal text; envelopes
// split cover the body exactly, with no flags, and re-encode to the same bytes; a refusal of the
// decoder is INVALID_ARGUMENT; a decoded JSON body is a message of the method's input type that
// parses; ErrorJson and EndStreamJson are valid JSON whose "code" is the status's Connect code.
#include <google/protobuf/dynamic_message.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "google/rpc/status.pb.h"
#include "services/http/connect_codec.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using casecoord::StatusCode;
namespace http = casecoord::http;

// Every service of the API (the gateway routes these).
const std::vector<std::string> kServices = {
    "casecoord.v1.Admin",      "casecoord.v1.AgencyDirectory", "casecoord.v1.Cases",
    "casecoord.v1.Monitoring", "casecoord.v1.Meetings",        "casecoord.v1.Advisers",
    "casecoord.v1.Statistics", "casecoord.v1.Vocabularies"};

// Bounds as the gateway's defaults have them.
constexpr size_t kMaxEnvelopes = 4096;

std::string_view NextField(std::string_view* input) {
  const size_t zero = input->find('\0');
  std::string_view field = input->substr(0, zero);
  *input = zero == std::string_view::npos ? std::string_view() : input->substr(zero + 1);
  return field;
}

void CheckErrorJson(const std::string& text, grpc::StatusCode code, bool end_stream) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!json.is_discarded(), "not JSON: %s", text.c_str());
  FUZZ_CHECK(json.is_object(), "not an object: %s", text.c_str());
  if (end_stream) {
    if (code == grpc::StatusCode::OK) {
      FUZZ_CHECK(json.empty(), "an OK end of stream carries nothing: %s", text.c_str());
      return;
    }
    FUZZ_CHECK(json.contains("error"), "no error: %s", text.c_str());
    json = json["error"];
  }
  FUZZ_CHECK(json.contains("code") && json["code"].is_string(), "no code: %s", text.c_str());
  FUZZ_CHECK(json["code"].get<std::string>() == http::ConnectCodeName(code), "code %s for %d",
             json["code"].get<std::string>().c_str(), static_cast<int>(code));
}

void CheckDecoded(const google::protobuf::Descriptor& type, http::Codec codec,
                  std::string_view body, const http::MessageCodec& codecs) {
  auto decoded = codecs.Decode(type, codec, body);
  if (!decoded.ok()) {
    FUZZ_CHECK(codec == http::Codec::kJson, "a binary body is passed through");
    FUZZ_CHECK(decoded.status().code() == StatusCode::kInvalidArgument, "%s",
               decoded.status().ToString().c_str());
    return;
  }
  if (codec == http::Codec::kProto) {
    FUZZ_CHECK(*decoded == body, "a binary body is passed through unchanged");
    return;
  }
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> message(factory.GetPrototype(&type)->New());
  FUZZ_CHECK(message->ParseFromString(*decoded), "decoded JSON is not a %s",
             type.full_name().c_str());
  // What the server answers goes back the other way; it must not fail for a parsed message.
  auto encoded = codecs.Encode(type, http::Codec::kJson, message->SerializeAsString());
  FUZZ_CHECK(encoded.ok(), "%s", encoded.status().ToString().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const http::ConnectRoutes routes(kServices);
  static const http::MessageCodec codecs;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view path = NextField(&input);
  const std::string_view content_type = NextField(&input);
  const std::string_view timeout = NextField(&input);
  const std::string_view body = input;

  const http::ConnectMethod* method = routes.Find(path);
  if (method != nullptr) {
    FUZZ_CHECK(method->path == path, "found %s for another path", method->path.c_str());
    FUZZ_CHECK(
        path == "/" + method->descriptor->service()->full_name() + "/" + method->descriptor->name(),
        "route %s names another method", method->path.c_str());
  }

  auto type = http::ParseContentType(content_type);
  if (type) {
    auto again = http::ParseContentType(http::ContentTypeName(*type));
    FUZZ_CHECK(again && again->codec == type->codec && again->enveloped == type->enveloped,
               "content type %s does not name itself", http::ContentTypeName(*type).c_str());
  }

  auto milliseconds = http::ParseTimeout(timeout);
  if (milliseconds.ok()) {
    FUZZ_CHECK(milliseconds->count() >= 1, "timeout %lld", (long long)milliseconds->count());
    FUZZ_CHECK(
        std::to_string(milliseconds->count()) ==
            std::string(timeout.substr(std::min(timeout.find_first_not_of('0'), timeout.size()))),
        "timeout %lld read from \"%.*s\"", (long long)milliseconds->count(),
        static_cast<int>(timeout.size()), timeout.data());
  } else {
    FUZZ_CHECK(milliseconds.status().code() == StatusCode::kInvalidArgument, "%s",
               milliseconds.status().ToString().c_str());
  }

  const google::protobuf::Descriptor& input_type =
      method != nullptr ? *method->descriptor->input_type()
                        : *google::rpc::Status::descriptor();  // a fixed type for other paths
  const http::Codec codec = type ? type->codec : http::Codec::kJson;
  if (type && type->enveloped) {
    auto envelopes = http::SplitEnvelopes(body, kMaxEnvelopes);
    if (envelopes.ok()) {
      std::string joined;
      for (const http::Envelope& envelope : *envelopes) {
        FUZZ_CHECK(envelope.flags == 0, "flags %d accepted", envelope.flags);
        joined += http::MakeEnvelope(envelope.flags, envelope.data);
        CheckDecoded(input_type, codec, envelope.data, codecs);
      }
      FUZZ_CHECK(joined == body, "envelopes do not cover the body");
    } else {
      FUZZ_CHECK(envelopes.status().code() == StatusCode::kInvalidArgument, "%s",
                 envelopes.status().ToString().c_str());
    }
  } else {
    CheckDecoded(input_type, codec, body, codecs);
  }

  const auto code =
      static_cast<grpc::StatusCode>(body.empty() ? 0 : static_cast<uint8_t>(body[0]) % 17);
  google::rpc::Status details;
  const bool has_details = details.ParseFromArray(body.data(), static_cast<int>(body.size()));
  const grpc::Status status =
      code == grpc::StatusCode::OK
          ? grpc::Status::OK
          : grpc::Status(code, std::string(path), has_details ? std::string(body) : "");
  if (code != grpc::StatusCode::OK) CheckErrorJson(http::ErrorJson(status, codecs), code, false);
  CheckErrorJson(http::EndStreamJson(status, codecs), code, true);
  return 0;
}
