// The request of every RPC of casecoord.v1, through a real in-process caseserver (RocksDB in a
// temporary directory, mutual TLS, the gatekeeper, the handlers), as one of the sample users.
//
// Input: byte 0 picks the method among all methods of all casecoord.v1 services, enumerated from
// the protobuf descriptor pool and sorted by full name (so a new RPC is fuzzed without a change
// here); byte 1 picks the caller among testing::kSampleUsers; the rest is the serialized request.
// Client-streaming methods get it as their one message; server-streaming methods are read for a
// few messages and then cancelled (a watch never ends by itself).
//
// Properties: the server answers every call with a status a handler may give. A finding (abort)
// is INTERNAL — a handler that threw (HANDLER_FAILED) or broke an invariant; UNKNOWN, DATA_LOSS,
// UNAVAILABLE; UNIMPLEMENTED unless gRPC itself refused request bytes that do not parse; no
// answer within 30 s; and the health service no longer SERVING afterwards.
//
// The server is created once per process and keeps its data across inputs, so later inputs see
// the agencies, cases and users earlier ones made (as a real server would).
//
// With CASECOORD_FUZZ_WRITE_SEEDS=<dir> in the environment, the process first writes the seed
// corpus (rpc_seeds.h: one empty request per method, and the valid requests listed there) to
// <dir>, named after the methods; see docs/fuzzing.md.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/grpc_errors.h"
#include "services/common/log.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/rpc_seeds.h"
#include "tests/support/test_server.h"

namespace {

using casecoord::testing::kSampleUsers;
using google::protobuf::MethodDescriptor;

constexpr auto kCallTimeout = std::chrono::seconds(30);
// How long a server-streaming call runs on after its first message before it is cancelled.
constexpr auto kStreamGrace = std::chrono::milliseconds(100);
constexpr int kMaxStreamMessages = 4;

std::vector<const MethodDescriptor*> AllMethods() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  std::vector<const MethodDescriptor*> methods;
  // Every .proto of proto/casecoord/v1 (CASECOORD_PROTO_FILES, from CMake).
  std::string_view files = CASECOORD_PROTO_FILES;
  while (!files.empty()) {
    const size_t comma = files.find(',');
    const std::string file(files.substr(0, comma));
    files = comma == std::string_view::npos ? std::string_view() : files.substr(comma + 1);
    const auto* descriptor = pool->FindFileByName(file);
    if (descriptor == nullptr) {
      std::fprintf(stderr, "rpc_requests: %s is not linked in\n", file.c_str());
      std::abort();
    }
    for (int s = 0; s < descriptor->service_count(); ++s) {
      const auto* service = descriptor->service(s);
      for (int m = 0; m < service->method_count(); ++m) methods.push_back(service->method(m));
    }
  }
  std::sort(methods.begin(), methods.end(),
            [](const auto* a, const auto* b) { return a->full_name() < b->full_name(); });
  return methods;
}

std::string PathOf(const MethodDescriptor& method) {
  return "/" + method.service()->full_name() + "/" + method.name();
}

// One call of any kind over the generic stub: a bidi stream on the wire carries unary,
// client-streaming and server-streaming calls alike.
class AnyCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  AnyCall(grpc::GenericStub& stub, const std::string& path, std::string_view request) {
    context_.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
    grpc::Slice slice(request.data(), request.size());
    request_ = grpc::ByteBuffer(&slice, 1);
    stub.PrepareBidiStreamingCall(&context_, path, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  // The call's final status; a server-streaming call is cancelled kStreamGrace after its first
  // message (its status is then OK).
  grpc::Status Await(bool server_streaming) {
    auto future = done_.get_future();
    if (server_streaming) {
      first_message_.get_future().wait_for(kCallTimeout);
      if (future.wait_for(kStreamGrace) != std::future_status::ready) context_.TryCancel();
    }
    return future.get();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (++messages_ == 1) first_message_.set_value();
    if (messages_ >= kMaxStreamMessages) {
      context_.TryCancel();
      return;
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    if (messages_ == 0) first_message_.set_value();
    done_.set_value(messages_ > 0 && status.error_code() == grpc::StatusCode::CANCELLED
                        ? grpc::Status::OK
                        : status);
  }

 private:
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
  int messages_ = 0;
  std::promise<void> first_message_;
  std::promise<grpc::Status> done_;
};

bool Serving(grpc::GenericStub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kCallTimeout);
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  if (!done.get_future().get().ok()) return false;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const auto& slice : slices)
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes == std::string("\x08\x01", 2);  // HealthCheckResponse{status: SERVING}
}

struct Fixture {
  std::unique_ptr<casecoord::testing::TestServer> server;
  std::vector<const MethodDescriptor*> methods;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;  // one per sample user
  uint64_t calls = 0;
};

Fixture& TheFixture() {
  // Destroyed at exit, before gRPC's own statics (constructed after them), so that the server
  // stops and its temporary directory is removed.
  static Fixture fixture = [] {
    Fixture made;
    made.server = std::make_unique<casecoord::testing::TestServer>();
    made.methods = AllMethods();
    for (const std::string& user : kSampleUsers) {
      made.stubs.push_back(std::make_unique<grpc::GenericStub>(made.server->ChannelFor(user)));
    }
    return made;
  }();
  return fixture;
}

bool ParsesAs(const MethodDescriptor& method, std::string_view bytes) {
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(method.input_type())
          ->New());
  return message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

void WriteSeeds(const std::string& dir, const std::vector<const MethodDescriptor*>& methods) {
  auto* factory = google::protobuf::MessageFactory::generated_factory();
  for (size_t i = 0; i < methods.size(); ++i) {
    const MethodDescriptor& method = *methods[i];
    std::vector<casecoord::fuzz::RpcSeed> seeds = {{"", "coordinator", ""}, {"", "admin", ""}};
    for (const auto& seed : casecoord::fuzz::RpcSeeds()) {
      if (seed.method == method.full_name()) seeds.push_back(seed);
    }
    for (size_t n = 0; n < seeds.size(); ++n) {
      const auto& seed = seeds[n];
      std::unique_ptr<google::protobuf::Message> request(
          factory->GetPrototype(method.input_type())->New());
      if (!google::protobuf::TextFormat::ParseFromString(seed.text, request.get())) {
        std::fprintf(stderr, "rpc_requests: bad seed for %s\n", method.full_name().c_str());
        std::abort();
      }
      const size_t user =
          std::find(kSampleUsers.begin(), kSampleUsers.end(), seed.user) - kSampleUsers.begin();
      std::string bytes = {static_cast<char>(i), static_cast<char>(user)};
      bytes += request->SerializeAsString();
      const std::string name = dir + "/" + method.service()->name() + "." + method.name() + "-" +
                               (seed.method.empty() ? "empty-" : "") + seed.user +
                               (n > 2 ? "-" + std::to_string(n) : "");
      std::ofstream(name, std::ios::binary).write(bytes.data(), bytes.size());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Rejected requests are expected by the thousand; keep the log to what needs a look.
  casecoord::log::SetMinimumLevel(casecoord::log::Level::kError);
  // protobuf logs every string field of invalid UTF-8 it parses; the fuzzer sends thousands.
  google::protobuf::SetLogHandler(nullptr);
  Fixture& fixture = TheFixture();
  if (const char* dir = std::getenv("CASECOORD_FUZZ_WRITE_SEEDS")) WriteSeeds(dir, fixture.methods);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Fixture& fixture = TheFixture();
  const MethodDescriptor& method = *fixture.methods[data[0] % fixture.methods.size()];
  const size_t user = data[1] % kSampleUsers.size();
  const std::string_view request(reinterpret_cast<const char*>(data) + 2, size - 2);
  grpc::GenericStub& stub = *fixture.stubs[user];

  AnyCall call(stub, PathOf(method), request);
  const grpc::Status status = call.Await(method.server_streaming());
  const casecoord::Status answer = casecoord::FromGrpcStatus(status);
  const std::string described =
      PathOf(method) + " as " + kSampleUsers[user] + ": " + casecoord::DescribeGrpcError(status);
  // gRPC 1.51's callback handlers answer request bytes that are no message of the request type
  // with UNIMPLEMENTED and no message, before any handler of ours runs; anything else of these
  // codes is ours.
  const bool refused_by_grpc =
      status.error_message().empty() && answer.reason().empty() && !ParsesAs(method, request);
  switch (status.error_code()) {
    case grpc::StatusCode::INTERNAL:
      // A handler that threw is INTERNAL "HANDLER_FAILED"; every other INTERNAL is a bug too.
      FUZZ_CHECK(false, "%s", described.c_str());
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      FUZZ_CHECK(refused_by_grpc, "%s", described.c_str());
      break;
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      FUZZ_CHECK(false, "%s", described.c_str());
      break;
    default:
      break;
  }
  // A health check after every call would halve the rate; one in 16 still catches a server that
  // stopped accepting writes soon after the input that did it.
  if (++fixture.calls % 16 == 0) {
    FUZZ_CHECK(Serving(*fixture.stubs[0]), "health is not SERVING after %s", described.c_str());
  }
  return 0;
}
