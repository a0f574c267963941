#include "services/common/grpc_errors.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/text.h"

namespace casecoord {

namespace {

// For a status without a reason of the catalogue (one read back from a newer peer).
std::string_view JapaneseMessageForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "成功しました";
    case StatusCode::kInvalidArgument:
      return "入力内容に誤りがあります";
    case StatusCode::kNotFound:
      return "指定されたものが見つかりません";
    case StatusCode::kAlreadyExists:
      return "既に存在します";
    case StatusCode::kPermissionDenied:
      return "この操作を行う権限がありません";
    case StatusCode::kUnauthenticated:
      return "利用者を確認できません（クライアント証明書を確認してください）";
    case StatusCode::kResourceExhausted:
      return "要求が多すぎます。しばらくしてから再度お試しください";
    case StatusCode::kFailedPrecondition:
      return "現在の状態ではこの操作はできません";
    case StatusCode::kAborted:
      return "他の更新と競合しました。最新の内容を取得してやり直してください";
    case StatusCode::kOutOfRange:
      return "範囲外の値です";
    case StatusCode::kUnavailable:
      return "サービスを一時的に利用できません";
    case StatusCode::kDeadlineExceeded:
      return "処理が時間内に終わりませんでした";
    case StatusCode::kDataLoss:
      return "データが破損しています。管理者に連絡してください";
    default:
      return "内部エラーが発生しました。管理者に連絡してください";
  }
}

}  // namespace

std::string JapaneseMessageFor(const Status& status) {
  std::string text(status.Is(Reason::kUnknown) || status.ok()
                       ? JapaneseMessageForCode(status.code())
                       : SpecOf(status.reason_id()).japanese);
  const auto& violations = status.field_violations();
  for (size_t i = 0; i < violations.size() && i < kMaxFieldViolations; ++i) {
    text += "（" + ShortQuote(violations[i].field, kMaxErrorFieldBytes) + "）";
  }
  return text;
}

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // Whatever a handler put in its status, the answer stays small: a message that quoted a whole
  // bad input would travel as a trailer no default client accepts.
  const std::string message = ShortQuote(status.message(), kMaxErrorMessageBytes);
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(status.code()));
  rich.set_message(message);

  google::rpc::ErrorInfo info;
  info.set_reason(status.reason());
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : status.metadata()) {
    (*info.mutable_metadata())[key] = ShortQuote(value, kMaxErrorMessageBytes);
  }
  rich.add_details()->PackFrom(info);

  if (!status.field_violations().empty()) {
    google::rpc::BadRequest bad_request;
    const auto& violations = status.field_violations();
    const size_t shown = std::min(violations.size(), kMaxFieldViolations);
    for (size_t i = 0; i < shown; ++i) {
      auto* out = bad_request.add_field_violations();
      out->set_field(ShortQuote(violations[i].field, kMaxErrorFieldBytes));
      out->set_description(ShortQuote(violations[i].description, kMaxErrorMessageBytes));
    }
    if (shown < violations.size()) {
      auto* out = bad_request.add_field_violations();
      out->set_field("...");
      out->set_description(std::to_string(violations.size() - shown) + " more fields are invalid");
    }
    rich.add_details()->PackFrom(bad_request);
  }

  if (status.retry_after()) {
    google::rpc::RetryInfo retry;
    const int64_t milliseconds = std::max<int64_t>(0, status.retry_after()->count());
    retry.mutable_retry_delay()->set_seconds(milliseconds / 1000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(milliseconds % 1000) * 1000000);
    rich.add_details()->PackFrom(retry);
  }

  google::rpc::LocalizedMessage localized;
  localized.set_locale("ja-JP");
  localized.set_message(JapaneseMessageFor(status));
  rich.add_details()->PackFrom(localized);

  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message,
                      rich.SerializeAsString());
}

Status FromGrpcStatus(const grpc::Status& grpc_status) {
  if (grpc_status.ok()) return Status::Ok();
  auto code = static_cast<StatusCode>(grpc_status.error_code());
  google::rpc::Status rich;
  if (grpc_status.error_details().empty() || !rich.ParseFromString(grpc_status.error_details())) {
    return Status::FromWire(code, "", grpc_status.error_message());
  }
  google::rpc::ErrorInfo info;
  google::rpc::BadRequest bad_request;
  std::optional<std::chrono::milliseconds> retry_after;
  for (const auto& detail : rich.details()) {
    if (detail.Is<google::rpc::ErrorInfo>()) {
      detail.UnpackTo(&info);
    } else if (detail.Is<google::rpc::BadRequest>()) {
      detail.UnpackTo(&bad_request);
    }
    google::rpc::RetryInfo retry;
    if (detail.Is<google::rpc::RetryInfo>() && detail.UnpackTo(&retry) &&
        retry.retry_delay().seconds() >= 0 && retry.retry_delay().nanos() >= 0) {
      // Clamped to a day: a peer's absurd delay must not overflow the milliseconds.
      const int64_t seconds = std::min<int64_t>(retry.retry_delay().seconds(), 86400);
      retry_after =
          std::chrono::milliseconds(seconds * 1000 + retry.retry_delay().nanos() / 1000000);
    }
  }
  Status status = Status::FromWire(code, info.reason(), rich.message());
  if (retry_after) status = status.WithRetryAfter(*retry_after);
  // A map's order is unspecified on the wire; sorted, the metadata reads back the same every time.
  std::map<std::string, std::string> metadata(info.metadata().begin(), info.metadata().end());
  for (auto& [key, value] : metadata) status.AddMetadata(key, std::move(value));
  for (const auto& v : bad_request.field_violations())
    status.AddViolation(v.field(), v.description());
  return status;
}

std::string DescribeGrpcError(const grpc::Status& grpc_status) {
  Status status = FromGrpcStatus(grpc_status);
  std::string out = status.ToString();
  for (const auto& v : status.field_violations()) {
    out += "\n  field " + v.field + ": " + v.description;
  }
  google::rpc::Status rich;
  if (rich.ParseFromString(grpc_status.error_details())) {
    for (const auto& detail : rich.details()) {
      google::rpc::LocalizedMessage localized;
      if (detail.UnpackTo(&localized)) out += "\n  " + localized.message();
    }
  }
  return out;
}

}  // namespace casecoord
