#include "tests/support/connect_client.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <future>

#include "casecoord/v1/admin.grpc.pb.h"
#include "google/rpc/error_details.pb.h"

namespace casecoord::http_testing {
namespace {

const google::protobuf::MethodDescriptor& MethodOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const auto* service =
      slash == std::string::npos ? nullptr : pool->FindServiceByName(path.substr(1, slash - 1));
  const auto* method =
      service == nullptr ? nullptr : service->FindMethodByName(path.substr(slash + 1));
  if (method == nullptr) {
    std::fprintf(stderr, "no method %s\n", path.c_str());
    std::abort();
  }
  return *method;
}

std::unique_ptr<google::protobuf::Message> NewMessage(const google::protobuf::Descriptor& type) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(&type)->New());
}

std::string Base64Decode(std::string text) {
  size_t padding = 0;
  while (text.size() % 4 != 0) {
    text.push_back('=');
    ++padding;
  }
  if (!text.empty() && text[text.size() - 1 - padding] == '=') ADD_FAILURE() << "padded";
  std::string out(text.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  EXPECT_GE(written, 0) << "not base64: " << text;
  out.resize(written < 0 ? 0 : static_cast<size_t>(written) - padding);
  return out;
}

HttpAnswer AnswerOf(const httplib::Result& result) {
  HttpAnswer answer;
  if (!result) {
    answer.error = httplib::to_string(result.error());
    return answer;
  }
  answer.status = result->status;
  answer.body = result->body;
  answer.content_type = result->get_header_value("Content-Type");
  answer.headers = result->headers;
  return answer;
}

}  // namespace

std::unique_ptr<google::protobuf::Message> NewInput(const std::string& path) {
  return NewMessage(*MethodOf(path).input_type());
}

std::unique_ptr<google::protobuf::Message> NewOutput(const std::string& path) {
  return NewMessage(*MethodOf(path).output_type());
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string json;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(message, &json).ok());
  return json;
}

GrpcAnswer CallGrpc(const testing::TestServer& server, const std::string& user,
                    const std::string& path, const std::string& request) {
  grpc::GenericStub stub(server.ChannelFor(user));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(request);
  const grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  GrpcAnswer answer;
  answer.status = done.get_future().get();
  std::vector<grpc::Slice> slices;
  if (answer.status.ok() && response.Dump(&slices).ok()) {
    for (const grpc::Slice& part : slices) {
      answer.bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
    }
  }
  return answer;
}

HttpAnswer Post(httplib::SSLClient& client, const std::string& path,
                const std::string& content_type, const std::string& body,
                const httplib::Headers& headers) {
  return AnswerOf(client.Post(path.c_str(), headers, body, content_type.c_str()));
}

HttpAnswer Get(httplib::SSLClient& client, const std::string& path) {
  return AnswerOf(client.Get(path.c_str()));
}

std::string Envelope(uint8_t flags, const std::string& data) {
  std::string out(1, static_cast<char>(flags));
  const auto size = static_cast<uint32_t>(data.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  return out + data;
}

std::vector<ReadEnvelope> SplitAnswer(const std::string& body) {
  std::vector<ReadEnvelope> envelopes;
  size_t at = 0;
  while (body.size() - at >= 5) {
    uint32_t size = 0;
    for (size_t i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[at + i]);
    if (body.size() - at - 5 < size) break;
    envelopes.push_back({static_cast<uint8_t>(body[at]), body.substr(at + 5, size)});
    at += 5 + size;
  }
  EXPECT_EQ(at, body.size()) << "bytes after the last whole envelope";
  return envelopes;
}

google::rpc::Status DetailsOf(const nlohmann::json& error) {
  google::rpc::Status status;
  if (!error.contains("details")) return status;
  for (const auto& detail : error["details"]) {
    auto* any = status.add_details();
    any->set_type_url("type.googleapis.com/" + detail.value("type", ""));
    any->set_value(Base64Decode(detail.value("value", "")));
  }
  return status;
}

std::string ReasonOf(const nlohmann::json& error) {
  google::rpc::ErrorInfo info;
  return Unpack(DetailsOf(error), &info) ? info.reason() : "";
}

void ExpectSecurityHeaders(const HttpAnswer& answer, bool api) {
  const auto header = [&](const char* name) {
    auto found = answer.headers.find(name);
    return found == answer.headers.end() ? std::string() : found->second;
  };
  EXPECT_NE(answer.status, 0) << answer.error;
  EXPECT_TRUE(header("Strict-Transport-Security").starts_with("max-age="))
      << header("Strict-Transport-Security");
  EXPECT_EQ(header("X-Content-Type-Options"), "nosniff");
  const std::string policy = header("Content-Security-Policy");
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("default-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  if (api) {
    EXPECT_EQ(header("Cache-Control"), "no-store");
  }
}

namespace {

std::vector<v1::AuditEntry> AllAuditEntries(const testing::TestServer& server) {
  auto stub = v1::Admin::NewStub(server.ChannelFor("auditor"));
  std::vector<v1::AuditEntry> entries;
  v1::ListAuditEntriesRequest request;
  request.set_page_size(1000);
  do {
    v1::ListAuditEntriesResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status status = stub->ListAuditEntries(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    entries.insert(entries.end(), response.entries().begin(), response.entries().end());
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return entries;
}

}  // namespace

int64_t LastAuditSequence(const testing::TestServer& server) {
  auto entries = AllAuditEntries(server);
  return entries.empty() ? 0 : entries.back().sequence();
}

std::vector<v1::AuditEntry> AuditEntriesAfter(const testing::TestServer& server, int64_t sequence) {
  std::vector<v1::AuditEntry> after;
  for (auto& entry : AllAuditEntries(server)) {
    if (entry.sequence() <= sequence) continue;
    if (entry.user_id() == "auditor" && entry.method() == "/casecoord.v1.Admin/ListAuditEntries")
      continue;
    after.push_back(std::move(entry));
  }
  return after;
}

HttpWatch::HttpWatch(std::unique_ptr<httplib::SSLClient> client, StreamCall call)
    : client_(std::move(client)), hold_after_first_(call.hold_after_first) {
  thread_ = std::thread([this, call = std::move(call)] {
    httplib::Request request;
    request.method = "POST";
    request.path = call.path;
    request.headers = call.headers;
    request.set_header("Content-Type", call.content_type);
    request.body = call.body;
    request.content_receiver = [this](const char* data, size_t size, uint64_t, uint64_t) {
      return Receive(data, size);
    };
    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    client_->send(request, response, error);
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  });
}

HttpWatch::~HttpWatch() { Disconnect(); }

bool HttpWatch::Receive(const char* data, size_t size) {
  std::unique_lock<std::mutex> lock(mutex_);
  received_.append(data, size);
  if (!first_ && received_.size() >= 5) {
    uint32_t length = 0;
    for (size_t i = 1; i <= 4; ++i) length = (length << 8) | static_cast<uint8_t>(received_[i]);
    if (received_.size() - 5 >= length) {
      first_ = ReadEnvelope{static_cast<uint8_t>(received_[0]), received_.substr(5, length)};
      changed_.notify_all();
    }
  }
  if (!first_ || (first_->flags & kEndStream) != 0 || !hold_after_first_) return true;
  changed_.wait(lock, [&] { return disconnect_; });
  return false;  // httplib then closes the connection
}

std::optional<ReadEnvelope> HttpWatch::First() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::seconds(20), [&] { return first_ || finished_; });
  return first_;
}

std::optional<std::vector<ReadEnvelope>> HttpWatch::Finished(std::chrono::seconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, wait, [&] { return finished_; })) return std::nullopt;
  return SplitAnswer(received_);
}

void HttpWatch::Disconnect() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disconnect_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace casecoord::http_testing
