// Sees every call the gRPC server serves (the HTTP gateway's in-process calls included) as a gRPC
// server interceptor: counts it for /metrics (by service, method and code), times it, and writes
// one access-log line per call.
//
// The access log is one JSON object per line on stdout (the info log is on stderr):
//   {"ts":"2026-12-07T03:24:00.123Z","channel":"http","method":"/casecoord.v1.Cases/GetCase",
//    "user":"coordinator","code":"NOT_FOUND","reason":"NOT_FOUND","latency_ms":3.2,
//    "request_bytes":14}
// It names the staff account that called (from the certificate or the gateway's sealed origin),
// never what the request or answer carried: no case, name or free text.
//
// Method labels are bounded: a method this build does not define is counted as "other", so that a
// client calling made-up names cannot grow the metrics without bound.
//
// Thread safety: the factory and the instruments are used from gRPC's threads concurrently.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <cstdio>
#include <memory>
#include <string>

#include "services/auth/call_origin.h"
#include "services/common/metrics.h"

namespace casecoord::server {

class CallObserver {
 public:
  // `vouchers` (may be null) tells the gateway's calls and their users apart. With `access_log`
  // each call's line goes to `sink` (stdout in the server; it must outlive this object), flushed
  // line by line.
  CallObserver(const auth::GatewayVouchers* vouchers, bool access_log, std::FILE* sink = stdout)
      : vouchers_(vouchers), access_log_(access_log), sink_(sink) {}

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators; this object must outlive the
  // server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // The families casecoord_rpc_requests_total, casecoord_rpc_duration_seconds and
  // casecoord_rpc_request_bytes_total.
  void Collect(metrics::ExpositionWriter& writer) const;

  // What one finished call reports.
  struct Outcome {
    std::string method;  // full gRPC name as received
    std::string channel;
    std::string user;  // "" when nobody was identified
    int code = 0;      // grpc::StatusCode
    std::string reason;
    double seconds = 0;
    uint64_t request_bytes = 0;
  };
  void Record(const Outcome& outcome);

  const auth::GatewayVouchers* vouchers() const { return vouchers_; }

 private:
  const auth::GatewayVouchers* vouchers_;
  const bool access_log_;
  std::FILE* const sink_;
  metrics::LabeledCounters calls_;                                   // service, method, code
  metrics::LabeledHistograms durations_{metrics::LatencyBuckets()};  // service, method
  metrics::LabeledCounters request_bytes_;                           // service, method
};

}  // namespace casecoord::server
