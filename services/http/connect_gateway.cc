#include "services/http/connect_gateway.h"

#include <openssl/ssl.h>
#include <poll.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "services/common/grpc_errors.h"

namespace casecoord::http {
namespace {

grpc::ByteBuffer BufferOf(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (!buffer.Dump(&slices).ok()) return bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

// Whether the client closed its end of the connection (TLS close or FIN) or it broke.
bool ClientGone(const httplib::Request& request) {
  if (request.ssl == nullptr) return false;
  const int fd = SSL_get_fd(request.ssl);
  if (fd < 0) return true;
  pollfd poll_fd{fd, static_cast<short>(POLLRDHUP), 0};
  return ::poll(&poll_fd, 1, 0) > 0 &&
         (poll_fd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

// A streaming call through the in-process channel, read one message at a time by the HTTP
// thread. A hold keeps OnDone back until the reader has stopped reading, so StartRead is never
// called on a finished call; the reactor owns itself until OnDone.
class StreamBridge : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
                     public std::enable_shared_from_this<StreamBridge> {
 public:
  enum class Event { kMessage, kDone, kWaiting };

  StreamBridge(std::unique_ptr<grpc::ClientContext> context,
               const std::vector<std::string>& requests)
      : context_(std::move(context)) {
    for (const std::string& request : requests) writes_.push_back(BufferOf(request));
  }

  void Start(grpc::GenericStub& stub, const std::string& path) {
    self_ = shared_from_this();
    stub.PrepareBidiStreamingCall(context_.get(), path, grpc::StubOptions(), this);
    AddHold();
    StartRead(&read_);
    if (writes_.empty()) {
      StartWritesDone();
    } else {
      StartWrite(&writes_[0]);
    }
    StartCall();
  }

  // Waits up to `wait` for the next message (into *message) or the end (into *status).
  Event Next(std::chrono::milliseconds wait, std::string* message, grpc::Status* status) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, wait, [&] { return has_message_ || reads_over_; })) {
      return Event::kWaiting;
    }
    if (has_message_) {
      *message = std::move(message_);
      has_message_ = false;
      StartRead(&read_);  // under the hold: the call cannot have finished
      return Event::kMessage;
    }
    ReleaseHoldLocked();
    changed_.wait(lock, [&] { return done_; });
    *status = status_;
    return Event::kDone;
  }

  // Cancels the call (if still running) and waits for its end.
  void Stop() {
    context_->TryCancel();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done_) {
      if (reads_over_) ReleaseHoldLocked();
      if (has_message_) {
        has_message_ = false;
        StartRead(&read_);  // drains until the cancellation ends the reads
      }
      changed_.wait(lock);
    }
  }

 private:
  void ReleaseHoldLocked() {
    if (hold_released_) return;
    hold_released_ = true;
    RemoveHold();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return;  // the call ended; OnDone follows
    if (++next_write_ < writes_.size()) {
      StartWrite(&writes_[next_write_]);
    } else {
      StartWritesDone();
    }
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (ok) {
      message_ = BytesOf(read_);
      has_message_ = true;
    } else {
      reads_over_ = true;
    }
    changed_.notify_all();
  }

  void OnDone(const grpc::Status& status) override {
    std::shared_ptr<StreamBridge> self;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      done_ = true;
      self = std::move(self_);
      changed_.notify_all();
    }
  }

  std::unique_ptr<grpc::ClientContext> context_;
  std::vector<grpc::ByteBuffer> writes_;
  size_t next_write_ = 0;
  grpc::ByteBuffer read_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string message_;
  bool has_message_ = false;
  bool reads_over_ = false;
  bool hold_released_ = false;
  bool done_ = false;
  grpc::Status status_;
  std::shared_ptr<StreamBridge> self_;  // until OnDone
};

}  // namespace

ConnectGateway::ConnectGateway(std::shared_ptr<grpc::Channel> channel,
                               const auth::GatewayVouchers& vouchers, GatewayOptions options)
    : stub_(std::move(channel)), vouchers_(vouchers), options_(options) {}

void ConnectGateway::WriteError(const Status& status, httplib::Response& response) const {
  const grpc::Status error = ToGrpcStatus(status);
  response.status = HttpStatusOf(error.error_code());
  response.set_content(ErrorJson(error, codec_), "application/json");
}

Result<ContentType> ConnectGateway::Prepare(const ConnectMethod& method,
                                            const httplib::Request& request,
                                            const auth::CallOrigin& origin,
                                            grpc::ClientContext* context) const {
  auto type = ParseContentType(request.get_header_value("Content-Type"));
  if (!type || type->enveloped == method.unary()) {
    return Status(
        Reason::kUnsupportedContentType,
        method.unary()
            ? "Content-Type must be application/json or application/proto for this method"
            : "Content-Type must be application/connect+json or application/connect+proto for "
              "this streaming method");
  }
  if (request.has_header("Connect-Protocol-Version") &&
      request.get_header_value("Connect-Protocol-Version") != "1") {
    return Status::InvalidArgument("Connect-Protocol-Version", "must be 1");
  }
  for (const char* header : {"Content-Encoding", "Connect-Content-Encoding"}) {
    const std::string encoding = request.get_header_value(header);
    if (!encoding.empty() && encoding != "identity") {
      return Status(Reason::kUnsupportedEncoding,
                    std::string(header) + " \"" + encoding.substr(0, 32) +
                        "\" is not supported; send the body uncompressed");
    }
  }
  if (request.has_header("Connect-Timeout-Ms")) {
    auto timeout = ParseTimeout(request.get_header_value("Connect-Timeout-Ms"));
    if (!timeout.ok()) return timeout.status();
    context->set_deadline(std::chrono::system_clock::now() + *timeout);
  }
  vouchers_.Attach(origin, context);
  return *type;
}

void ConnectGateway::Serve(const ConnectMethod& method, const httplib::Request& request,
                           httplib::Response& response, const auth::CallOrigin& origin) const {
  auto context = std::make_unique<grpc::ClientContext>();
  auto type = Prepare(method, request, origin, context.get());
  if (!type.ok()) {
    WriteError(type.status(), response);
    if (type.status().Is(Reason::kUnsupportedContentType)) response.status = 415;
    return;
  }
  if (method.unary()) {
    ServeUnary(method, *type, request, response, std::move(context));
  } else {
    ServeStream(method, *type, request, response, std::move(context));
  }
}

void ConnectGateway::ServeUnary(const ConnectMethod& method, const ContentType& type,
                                const httplib::Request& request, httplib::Response& response,
                                std::unique_ptr<grpc::ClientContext> context) const {
  auto binary = codec_.Decode(*method.descriptor->input_type(), type.codec, request.body);
  if (!binary.ok()) {
    WriteError(binary.status(), response);
    return;
  }
  const grpc::ByteBuffer request_buffer = BufferOf(*binary);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> finished;
  stub_.UnaryCall(context.get(), method.path, grpc::StubOptions(), &request_buffer,
                  &response_buffer,
                  [&finished](grpc::Status status) { finished.set_value(std::move(status)); });
  const grpc::Status status = finished.get_future().get();
  if (!status.ok()) {
    response.status = HttpStatusOf(status.error_code());
    response.set_content(ErrorJson(status, codec_), "application/json");
    return;
  }
  auto encoded =
      codec_.Encode(*method.descriptor->output_type(), type.codec, BytesOf(response_buffer));
  if (!encoded.ok()) {
    WriteError(encoded.status(), response);
    return;
  }
  response.status = 200;
  response.set_content(*encoded, ContentTypeName(type));
}

void ConnectGateway::ServeStream(const ConnectMethod& method, const ContentType& type,
                                 const httplib::Request& request, httplib::Response& response,
                                 std::unique_ptr<grpc::ClientContext> context) const {
  const std::string content_type = ContentTypeName(type);
  const auto end_with = [&](const grpc::Status& status) {
    response.status = 200;
    response.set_content(MakeEnvelope(kEnvelopeEndStream, EndStreamJson(status, codec_)),
                         content_type);
  };
  auto envelopes =
      SplitEnvelopes(request.body, method.client_streaming() ? options_.max_request_messages : 1);
  if (envelopes.ok() && !method.client_streaming() && envelopes->size() != 1) {
    envelopes = Status::InvalidArgument("body", "a server-streaming call takes one message");
  }
  if (!envelopes.ok()) return end_with(ToGrpcStatus(envelopes.status()));
  std::vector<std::string> requests;
  for (const Envelope& envelope : *envelopes) {
    auto binary = codec_.Decode(*method.descriptor->input_type(), type.codec, envelope.data);
    if (!binary.ok()) return end_with(ToGrpcStatus(binary.status()));
    requests.push_back(std::move(binary).value());
  }
  auto bridge = std::make_shared<StreamBridge>(std::move(context), requests);
  bridge->Start(stub_, method.path);
  const google::protobuf::Descriptor& output = *method.descriptor->output_type();
  response.status = 200;
  response.set_chunked_content_provider(
      content_type,
      [this, bridge, &request, &output, codec = type.codec](size_t, httplib::DataSink& sink) {
        std::string message;
        grpc::Status status;
        for (;;) {
          switch (bridge->Next(options_.liveness_interval, &message, &status)) {
            case StreamBridge::Event::kMessage: {
              auto encoded = codec_.Encode(output, codec, message);
              if (!encoded.ok()) {
                bridge->Stop();
                status = ToGrpcStatus(encoded.status());
                break;
              }
              return sink.write(MakeEnvelope(0, *encoded).data(), 5 + encoded->size());
            }
            case StreamBridge::Event::kDone:
              break;
            case StreamBridge::Event::kWaiting:
              if (ClientGone(request)) return false;
              continue;
          }
          const std::string end = MakeEnvelope(kEnvelopeEndStream, EndStreamJson(status, codec_));
          sink.write(end.data(), end.size());
          sink.done();
          return true;
        }
      },
      [bridge](bool) { bridge->Stop(); });
}

}  // namespace casecoord::http
