// The server side of a client-streaming upload (ImportAgencies, ImportCases): the options in the
// first message, the file in chunks of the rest, at most `max_bytes` in all; then one gatekeeper
// call (identity, rate limit, policy, audit) runs `work` on the whole file.
//
// A client that goes away without closing its side sent a truncated file, which might still
// parse: the call is CANCELLED and nothing runs. Options on a later message, and a file over the
// limit, are INVALID_ARGUMENT — refused through the gatekeeper, so that the refusal is audited.
//
// Thread safety: gRPC calls the reactor's methods one at a time; it deletes itself when done.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <utility>

#include "services/auth/gatekeeper.h"
#include "services/common/grpc_errors.h"

namespace casecoord::auth {

template <typename Request, typename Response>
class UploadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  using Options = std::decay_t<decltype(std::declval<Request>().options())>;
  // Runs on a worker, once the whole file is in: prepares the call's changes and the response.
  using Work = std::function<Status(Call& call, const Options& options, const std::string& file,
                                    Response* response)>;

  // `gatekeeper` must outlive the call; `method` is the full method name of the policy table.
  UploadReactor(Gatekeeper& gatekeeper, grpc::CallbackServerContext* context, std::string method,
                size_t max_bytes, Response* response, Work work)
      : gatekeeper_(gatekeeper),
        context_(context),
        method_(std::move(method)),
        max_bytes_(max_bytes),
        response_(response),
        work_(std::move(work)) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      if (context_->IsCancelled()) {
        this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the upload was cancelled"));
        return;
      }
      Run(Status::Ok());  // the client has sent the whole file
      return;
    }
    if (messages_++ == 0) {
      options_ = request_.options();
    } else if (request_.has_options()) {
      Run(Status::InvalidArgument("options", "only the first message may carry options"));
      return;
    }
    if (file_.size() + request_.chunk().size() > max_bytes_) {
      Run(Status::InvalidArgument(
          "chunk", "the file is larger than " + std::to_string(max_bytes_ >> 20) + " MiB"));
      return;
    }
    file_.append(request_.chunk());
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  // Authorises, audits and (unless `refusal` is an error) runs the work; finishes the call.
  void Run(const Status& refusal) {
    gatekeeper_.Dispatch(
        context_, method_,
        [this, refusal](Call& call) {
          if (!refusal.ok()) return refusal;
          return work_(call, options_, file_, response_);
        },
        [this](const Status& status) { this->Finish(ToGrpcStatus(status)); });
  }

  Gatekeeper& gatekeeper_;
  grpc::CallbackServerContext* context_;
  const std::string method_;
  const size_t max_bytes_;
  Response* response_;
  const Work work_;
  Request request_;
  Options options_;
  std::string file_;
  int messages_ = 0;
};

}  // namespace casecoord::auth
