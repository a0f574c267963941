#include "services/common/status.h"

namespace casecoord {

Status::Status(Reason reason, std::string message)
    : code_(SpecOf(reason).code),
      reason_(reason),
      reason_name_(SpecOf(reason).name),
      message_(std::move(message)) {}

Status Status::FromWire(StatusCode code, std::string reason_name, std::string message) {
  Status status;
  if (code == StatusCode::kOk) return status;
  status.code_ = code;
  status.reason_ = ReasonNamed(reason_name);
  status.reason_name_ = std::move(reason_name);
  status.message_ = std::move(message);
  return status;
}

Status Status::InvalidArgument(std::string field, std::string description) {
  Status status(Reason::kInvalidField, "invalid " + field + ": " + description);
  status.AddViolation(std::move(field), std::move(description));
  return status;
}

Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return Status::Ok();
  Status status =
      Status::InvalidArgument(violations_.front().field, violations_.front().description);
  for (size_t i = 1; i < violations_.size(); ++i) {
    status.AddViolation(violations_[i].field, violations_[i].description);
  }
  return status;
}

Status Status::WithMessage(std::string message) const {
  Status status = *this;
  status.message_ = std::move(message);
  return status;
}

Status Status::WithRetryAfter(std::chrono::milliseconds delay) const {
  Status status = *this;
  status.retry_after_ = delay;
  return status;
}

Status& Status::AddViolation(std::string field, std::string description) {
  violations_.push_back({std::move(field), std::move(description)});
  return *this;
}

Status& Status::AddMetadata(std::string key, std::string value) {
  for (auto& [existing, old_value] : metadata_) {
    if (existing == key) {
      old_value = std::move(value);
      return *this;
    }
  }
  metadata_.emplace_back(std::move(key), std::move(value));
  return *this;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out = StatusCodeName(code_);
  if (!reason_name_.empty()) out += ": " + reason_name_;
  if (!message_.empty()) out += ": " + message_;
  return out;
}

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

}  // namespace casecoord
