// The one place where casecoord errors become gRPC errors and back.
//
// A non-OK Status becomes a grpc::Status whose binary details are a google.rpc.Status carrying:
// ErrorInfo (reason, domain "casecoord.jp"), BadRequest (one FieldViolation per invalid field) when
// there are violations, RetryInfo (retry_delay) when the Status has retry_after (a refusal of the
// rate limiter), and a LocalizedMessage in Japanese (ja-JP) for people. FromGrpcStatus reads
// RetryInfo back into retry_after.
//
// The answer is bounded whatever the Status holds: the message and each description are cut to
// kMaxErrorMessageBytes, field paths to kMaxErrorFieldBytes, and at most kMaxFieldViolations
// violations are listed (then one "..." entry counting the rest).
#pragma once

#include <grpcpp/support/status.h>

#include <string>

#include "services/common/status.h"

namespace casecoord {

inline constexpr char kErrorDomain[] = "casecoord.jp";
inline constexpr size_t kMaxErrorMessageBytes = 512;
inline constexpr size_t kMaxErrorFieldBytes = 128;
inline constexpr size_t kMaxFieldViolations = 50;

grpc::Status ToGrpcStatus(const Status& status);

// Decodes the rich details of a grpc::Status (for clients and tests). Unknown or missing details
// yield a Status with the bare code and message.
Status FromGrpcStatus(const grpc::Status& status);

// Japanese text for a reason (or, failing that, for the code); used in LocalizedMessage.
std::string JapaneseMessageFor(const Status& status);

// Multi-line human description: "INVALID_ARGUMENT: ... \n  field page_size: must be >= 0\n
// (日本語)".
std::string DescribeGrpcError(const grpc::Status& status);

}  // namespace casecoord
