// What caseserver does for its operator besides serving: the call observer (per-call metrics and
// the access log), the metrics registry and its listener, and the backup schedule.
//
// Lifecycle: Create() before the gRPC server is built (its interceptor observes every call), then
// Begin() once the server serves, Stop() during shutdown before the storage closes.
//
// Thread safety: Stop() may be called from any thread, more than once; Render() from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "services/auth/audit_log.h"
#include "services/auth/call_origin.h"
#include "services/backup/backup_schedule.h"
#include "services/common/metrics.h"
#include "services/common/status.h"
#include "services/server/call_observer.h"
#include "services/server/config.h"
#include "services/storage/storage.h"

namespace casecoord::http {
class MetricsListener;
}

namespace casecoord::server {

// The off-site store's settings (offsite-*) of `config`.
backup::OffsiteSettings OffsiteSettingsOf(const ServerConfig& config);

// What the collectors read at scrape time; every pointer must outlive Stop().
struct OperationsSources {
  storage::Storage* storage = nullptr;
  const auth::AuditLog* audit = nullptr;
  std::shared_ptr<const storage::Keyring> keyring;
  std::string audit_key;
  std::function<size_t()> open_connections;  // gRPC connections
  std::function<size_t()> sessions;          // browser sessions held
};

class Operations {
 public:
  Operations(const ServerConfig& config, const auth::GatewayVouchers* vouchers);
  ~Operations();
  Operations(const Operations&) = delete;
  Operations& operator=(const Operations&) = delete;

  CallObserver& call_observer() { return call_observer_; }

  // Registers the collectors, starts the backup schedule (backup-interval) and the metrics
  // listener (metrics-listen). Errors: the off-site settings' (backup/offsite.h), the listener's.
  Status Begin(OperationsSources sources);
  void Stop();

  // Every metric family, as /metrics serves it.
  std::string Render() const { return registry_.Render(); }
  // The metrics listener's port; 0 without metrics-listen.
  int metrics_port() const;
  // Null without a schedule.
  backup::BackupSchedule* backups() { return backups_.get(); }

 private:
  void AddCollectors();

  const ServerConfig config_;
  CallObserver call_observer_;
  OperationsSources sources_;
  metrics::Registry registry_;
  std::unique_ptr<backup::BackupSchedule> backups_;
  std::unique_ptr<http::MetricsListener> listener_;
};

}  // namespace casecoord::server
