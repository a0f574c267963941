// The canonical status codes our layers produce (the values of google.rpc.Code).
#pragma once

namespace casecoord {

// The subset of canonical codes our layers produce. Values match google.rpc.Code.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT", "NOT_FOUND", ...: the google.rpc.Code name.
const char* StatusCodeName(StatusCode code);

}  // namespace casecoord
