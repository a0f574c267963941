#include "services/server/call_observer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message_lite.h>
#include <google/rpc/error_details.pb.h>
#include <google/rpc/status.pb.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "services/common/log.h"

namespace casecoord::server {
namespace {

// grpc::StatusCode names, as the access log and the code label spell them.
const char* CodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[code];
}

// "/casecoord.v1.Cases/GetCase" -> {"casecoord.v1.Cases", "GetCase"} when this build defines it,
// {"other", "other"} otherwise.
std::pair<std::string, std::string> MethodLabels(const std::string& full_method) {
  const size_t slash = full_method.find('/', 1);
  if (full_method.size() < 2 || full_method[0] != '/' || slash == std::string::npos) {
    return {"other", "other"};
  }
  std::string service = full_method.substr(1, slash - 1);
  std::string method = full_method.substr(slash + 1);
  const auto* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr || descriptor->FindMethodByName(method) == nullptr) {
    return {"other", "other"};
  }
  return {std::move(service), std::move(method)};
}

// The ErrorInfo.reason of a failed call's details, if it carries one.
std::string ReasonOf(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return "";
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::mutex g_access_log_mutex;

void WriteAccessLine(const CallObserver::Outcome& outcome, std::FILE* sink) {
  nlohmann::ordered_json line;
  line["ts"] = log::UtcTimestamp();
  line["channel"] = outcome.channel;
  line["method"] = outcome.method;
  line["user"] = outcome.user;
  line["code"] = CodeName(outcome.code);
  line["reason"] = outcome.reason;
  line["latency_ms"] = std::round(outcome.seconds * 1e5) / 100;  // two decimals
  line["request_bytes"] = outcome.request_bytes;
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(g_access_log_mutex);
  std::fwrite(text.data(), 1, text.size(), sink);
  std::fflush(sink);
}

// One per call; reports when gRPC destroys it, which it does once the call is over.
class ObservingInterceptor : public grpc::experimental::Interceptor {
 public:
  ObservingInterceptor(CallObserver& observer, grpc::experimental::ServerRpcInfo* info)
      : observer_(observer), info_(info), started_(std::chrono::steady_clock::now()) {
    outcome_.method = info->method() != nullptr ? info->method() : "";
    // Only our own services' requests are protobuf messages we may size (see below).
    own_service_ = outcome_.method.rfind("/casecoord.", 0) == 0;
  }

  ~ObservingInterceptor() override {
    outcome_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (!status_seen_) outcome_.code = grpc::StatusCode::CANCELLED;
    // Only an allocation can fail here; a call must not take the server down for its metrics.
    try {
      observer_.Record(outcome_);
    } catch (...) {
    }
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auth::CallOrigin origin =
          auth::OriginOf(*info_->server_context(), observer_.vouchers());
      outcome_.channel = origin.channel;
      outcome_.user = origin.user_id.value_or("");
    }
    if (own_service_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Our services are generated protobuf code, whose received message is the request type,
      // a MessageLite; a null pointer means the stream ended.
      if (const void* message = methods->GetRecvMessage(); message != nullptr) {
        outcome_.request_bytes +=
            static_cast<const google::protobuf::MessageLite*>(message)->ByteSizeLong();
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      outcome_.code = status.error_code();
      outcome_.reason = ReasonOf(status);
      status_seen_ = true;
    }
    methods->Proceed();
  }

 private:
  CallObserver& observer_;
  grpc::experimental::ServerRpcInfo* info_;
  const std::chrono::steady_clock::time_point started_;
  CallObserver::Outcome outcome_;
  bool own_service_ = false;
  bool status_seen_ = false;
};

class ObservingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ObservingFactory(CallObserver& observer) : observer_(observer) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ObservingInterceptor(observer_, info);
  }

 private:
  CallObserver& observer_;
};

const std::vector<std::string> kMethodLabelNames = {"service", "method"};
const std::vector<std::string> kCallLabelNames = {"service", "method", "code"};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
CallObserver::InterceptorFactory() {
  return std::make_unique<ObservingFactory>(*this);
}

void CallObserver::Record(const Outcome& outcome) {
  auto [service, method] = MethodLabels(outcome.method);
  calls_.Add({service, method, CodeName(outcome.code)});
  durations_.Observe({service, method}, outcome.seconds);
  if (outcome.request_bytes > 0) {
    request_bytes_.Add({service, method}, static_cast<double>(outcome.request_bytes));
  }
  if (access_log_) WriteAccessLine(outcome, sink_);
}

void CallObserver::Collect(metrics::ExpositionWriter& writer) const {
  writer.Family("casecoord_rpc_requests_total", "counter",
                "Calls finished, by service, method and gRPC status code (HTTP gateway included).");
  for (const auto& [labels, value] : calls_.Read()) {
    writer.Sample("casecoord_rpc_requests_total", metrics::Zip(kCallLabelNames, labels), value);
  }
  writer.Family("casecoord_rpc_duration_seconds", "histogram",
                "Time from a call's arrival to its status (a stream's whole life).");
  for (const auto& [labels, snapshot] : durations_.Read()) {
    writer.HistogramSamples("casecoord_rpc_duration_seconds",
                            metrics::Zip(kMethodLabelNames, labels), snapshot);
  }
  writer.Family("casecoord_rpc_request_bytes_total", "counter",
                "Bytes of request messages received, by service and method.");
  for (const auto& [labels, value] : request_bytes_.Read()) {
    writer.Sample("casecoord_rpc_request_bytes_total", metrics::Zip(kMethodLabelNames, labels),
                  value);
  }
}

}  // namespace casecoord::server
