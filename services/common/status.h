// A small value type for the outcome of an operation, used by every layer below the gRPC adapters.
// Stores and storage return Status (or Result<T>); only services/common/grpc_errors.cc turns one
// into a grpc::Status, so the error model is built in exactly one place.
//
// Thread safety: a Status is an immutable value once built; copies may be used from any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

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

// One invalid field of a request, named by its path ("backup.name", "page_size").
struct FieldViolation {
  std::string field;
  std::string description;
};

class [[nodiscard]] Status {
 public:
  // OK.
  Status() = default;
  // `reason` is a stable UPPER_SNAKE_CASE identifier for machines (google.rpc.ErrorInfo.reason);
  // `message` is English prose for operators and developers.
  Status(StatusCode code, std::string reason, std::string message)
      : code_(code), reason_(std::move(reason)), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string field, std::string description);
  static Status NotFound(std::string reason, std::string message) {
    return Status(StatusCode::kNotFound, std::move(reason), std::move(message));
  }
  static Status FailedPrecondition(std::string reason, std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(reason), std::move(message));
  }
  static Status Internal(std::string reason, std::string message) {
    return Status(StatusCode::kInternal, std::move(reason), std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldViolation>& field_violations() const { return violations_; }

  // Adds a field violation; meaningful with kInvalidArgument.
  Status& AddViolation(std::string field, std::string description);

  // "CODE_NAME: reason: message", for logs and command-line output.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string reason_;
  std::string message_;
  std::vector<FieldViolation> violations_;
};

const char* StatusCodeName(StatusCode code);

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace casecoord

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define CASECOORD_RETURN_IF_ERROR(expr)    \
  do {                                     \
    ::casecoord::Status _status_ = (expr); \
    if (!_status_.ok()) return _status_;   \
  } while (0)
