// A small value type for the outcome of an operation, used by every layer below the gRPC adapters.
// Stores and storage return Status (or Result<T>); only services/common/grpc_errors.cc turns one
// into a grpc::Status, so the error model is built in exactly one place.
//
// Thread safety: a Status is an immutable value once built; copies may be used from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "services/common/reasons.h"

namespace casecoord {

// One invalid field of a request, named by its path ("backup.name", "page_size").
struct FieldViolation {
  std::string field;
  std::string description;
};

class [[nodiscard]] Status {
 public:
  // OK.
  Status() = default;
  // A failure for `reason` of the catalogue (services/common/reasons.h), which fixes its code;
  // `message` is English prose for operators and developers.
  Status(Reason reason, std::string message);
  // A status read back from a peer (FromGrpcStatus): `reason_name` is kept verbatim even when this
  // build's catalogue does not know it (then Is() matches nothing but kUnknown).
  static Status FromWire(StatusCode code, std::string reason_name, std::string message);

  static Status Ok() { return Status(); }
  // INVALID_ARGUMENT "INVALID_FIELD" with one field violation.
  static Status InvalidArgument(std::string field, std::string description);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The reason's UPPER_SNAKE_CASE name ("" when OK).
  const std::string& reason() const { return reason_name_; }
  // Whether this is a failure for `reason`; the way to test for one (never compare names).
  bool Is(Reason reason) const { return !ok() && reason_ == reason; }
  Reason reason_id() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::vector<FieldViolation>& field_violations() const { return violations_; }

  // The same failure (code, reason, violations) told with `message`, e.g. with the context of the
  // caller prepended.
  Status WithMessage(std::string message) const;

  // When the same call may succeed if made again (google.rpc.RetryInfo): set on refusals of the
  // rate limiter, which did nothing, so a retry after the delay is safe.
  std::optional<std::chrono::milliseconds> retry_after() const { return retry_after_; }
  // The same failure with a retry delay.
  Status WithRetryAfter(std::chrono::milliseconds delay) const;

  // Adds a field violation; meaningful with kInvalidArgument.
  Status& AddViolation(std::string field, std::string description);

  // Machine-readable details of the failure, sent as google.rpc.ErrorInfo.metadata (e.g. the
  // cases a POSSIBLE_DUPLICATE names). Keys are lower_snake_case; a key set twice keeps the last.
  Status& AddMetadata(std::string key, std::string value);
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }

  // "CODE_NAME: reason: message", for logs and command-line output.
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  Reason reason_ = Reason::kUnknown;
  std::string reason_name_;
  std::string message_;
  std::vector<FieldViolation> violations_;
  std::optional<std::chrono::milliseconds> retry_after_;
  std::vector<std::pair<std::string, std::string>> metadata_;
};

// Collects the invalid fields of a request, so that one answer names them all:
//   FieldViolations violation;
//   if (name.empty()) violation("agency.display_name", "required");
//   CASECOORD_RETURN_IF_ERROR(violation.ToStatus());
class FieldViolations {
 public:
  void operator()(std::string field, std::string description) {
    violations_.push_back({std::move(field), std::move(description)});
  }
  bool empty() const { return violations_.empty(); }
  // OK when nothing was collected; INVALID_ARGUMENT "INVALID_FIELD" naming every field otherwise.
  Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
};

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

namespace casecoord::status_internal {
inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}
}  // namespace casecoord::status_internal

#define CASECOORD_STATUS_CONCAT_INNER(a, b) a##b
#define CASECOORD_STATUS_CONCAT(a, b) CASECOORD_STATUS_CONCAT_INNER(a, b)

// Returns early from the enclosing function with the status of `expr` (a Status or a Result<T>)
// when it is not OK. The enclosing function returns Status or any Result<U>.
#define CASECOORD_RETURN_IF_ERROR(expr)                                   \
  do {                                                                    \
    const auto& _casecoord_checked_ = (expr);                             \
    if (!_casecoord_checked_.ok()) {                                      \
      return ::casecoord::status_internal::StatusOf(_casecoord_checked_); \
    }                                                                     \
  } while (0)

// `CASECOORD_ASSIGN_OR_RETURN(auto record, store.Get(name));` evaluates `expr` (a Result<T>) once;
// when it failed, returns its status from the enclosing function, otherwise moves the value into
// `lhs` (a declaration or an existing variable). One use per line.
#define CASECOORD_ASSIGN_OR_RETURN(lhs, expr) \
  CASECOORD_ASSIGN_OR_RETURN_IMPL(CASECOORD_STATUS_CONCAT(_casecoord_result_, __LINE__), lhs, expr)
// `result` names a variable this macro declares and `lhs` is a declaration, so neither can be
// parenthesized: the bugprone-macro-parentheses findings here are false positives.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CASECOORD_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                    \
  if (!result.ok()) return std::move(result).status();     \
  lhs = std::move(result).value()
// NOLINTEND(bugprone-macro-parentheses)
