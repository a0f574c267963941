// The health of caseserver as load balancers see it: the gRPC health service
// (grpc.health.v1, overall service "") and the HTTP listener's /readyz.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <grpcpp/health_check_service_interface.h>

#include <mutex>

#include "services/common/log.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::server {

// The health service's status, driven by the storage's write state. The storage may report before
// the gRPC server exists and while it shuts down, so the status is remembered and applied when the
// service is attached, and nothing is applied once the server is shutting down.
class HealthReporter {
 public:
  void StorageStateChanged(storage::WriteState state, const Status& cause) {
    std::lock_guard<std::mutex> lock(mutex_);
    storage_writable_ = state == storage::WriteState::kWritable;
    if (storage_writable_) {
      log::Info("health SERVING: the storage accepts writes again");
    } else {
      log::Error(
          "health NOT_SERVING: the storage refuses writes",
          {{"state", std::string(storage::WriteStateName(state))}, {"cause", cause.ToString()}});
    }
    if (service_ != nullptr) service_->SetServingStatus(storage_writable_);
  }
  void Attach(grpc::HealthCheckServiceInterface* service) {
    std::lock_guard<std::mutex> lock(mutex_);
    service_ = service;
    service_->SetServingStatus(storage_writable_);
  }
  // NOT_SERVING for good.
  void Detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (service_ != nullptr) service_->SetServingStatus(false);
    service_ = nullptr;
    detached_ = true;
  }
  // Whether the server accepts calls: the storage takes writes and shutdown has not begun.
  bool Ready() {
    std::lock_guard<std::mutex> lock(mutex_);
    return storage_writable_ && !detached_;
  }

 private:
  std::mutex mutex_;
  grpc::HealthCheckServiceInterface* service_ = nullptr;
  bool storage_writable_ = true;
  bool detached_ = false;
};

}  // namespace casecoord::server
