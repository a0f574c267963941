// The caseserver process's server object: storage, worker pool, gRPC services, health.
//
// Lifecycle: Start() checks the audit key against the data directory's check file and opens the
// encrypted database (which checks the KEK first), so a wrong key changes nothing; then it begins
// serving. Shutdown() turns health to NOT_SERVING, waits drain_ms so load balancers stop routing,
// stops the listener, lets in-flight calls finish within shutdown_grace_ms, stops the workers, and
// closes RocksDB last.
//
// Health (grpc.health.v1, the overall service ""): SERVING while the storage accepts writes;
// NOT_SERVING from the moment a write to the disk fails until the storage has resumed
// (storage::Storage::write_state), with an error in the log, and for good once Shutdown() begins.
//
// The audit trail's head is logged ("audit head", SEQ:HASH) when Start() opens it, every
// audit_head_log_minutes while serving, and at Shutdown(), so that the log, kept apart from the
// data, holds witnesses against a trail rolled back or wiped (see auth/audit_log.h).
//
// Thread safety: Shutdown() and Wait() may be called from any thread, any number of times.
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_builder.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "services/auth/gatekeeper.h"
#include "services/auth/sign_in.h"
#include "services/common/status.h"
#include "services/common/thread_annotations.h"
#include "services/common/worker_pool.h"
#include "services/server/config.h"
#include "services/server/connection_listener.h"
#include "services/server/health_reporter.h"
#include "services/server/http_front.h"
#include "services/server/operations.h"
#include "services/stats/counters.h"
#include "services/storage/storage.h"

namespace casecoord::admin {
class AdminService;
}
namespace casecoord::directory {
class AgencyStore;
class CooperationSurveyStore;
class DirectoryService;
}  // namespace casecoord::directory

namespace casecoord::cases {
class CaseConsultations;
class CaseCounting;
class CaseKeyring;
class CaseImports;
class CaseMaintenance;
class CaseReferrals;
class CaseStore;
class CasesService;
}  // namespace casecoord::cases

namespace casecoord::monitoring {
class DueWatcher;
class MonitoringStore;
class MonitoringService;
}  // namespace casecoord::monitoring

namespace casecoord::meetings {
class MeetingStore;
class PlanStore;
class MeetingsService;
}  // namespace casecoord::meetings

namespace casecoord::advisers {
class AdviserStore;
class DispatchStore;
class AdvisersService;
}  // namespace casecoord::advisers

namespace casecoord::vocab {
class VocabularyStore;
class VocabulariesService;
}  // namespace casecoord::vocab

namespace casecoord::stats {
class StatisticsReporter;
class PlanStore;
class StatisticsService;
class YearReleases;
}  // namespace casecoord::stats

namespace casecoord::server {

inline constexpr char kVersion[] = "0.1.0";

// The keyring from --kek-file (or CASECOORD_KEK, cleared after reading) plus
// --previous-kek-files. NO_KEY if neither is given.
Result<std::shared_ptr<const storage::Keyring>> LoadKeyring(const ServerConfig& config);

// Applies the transport settings every caseserver listener uses (message size, keepalive and its
// enforcement, handshake timeout, idle timeout, concurrent streams per connection), so that
// benchmark baselines can be built with exactly the same ones.
void ApplyTransportSettings(const ServerConfig& config, grpc::ServerBuilder& builder);

// How many connections caseserver keeps open at once: max-connections, lowered so that reserved-fds
// file descriptors stay free under `open_file_limit` (RLIMIT_NOFILE's soft limit) even when every
// connection is open. FAILED_PRECONDITION FD_LIMIT_TOO_LOW if the limit does not exceed
// reserved-fds.
Result<int> ConnectionLimit(const ServerConfig& config, uint64_t open_file_limit);

// The audit HMAC key from --audit-key-file or CASECOORD_AUDIT_KEY (cleared after reading).
// NO_AUDIT_KEY if neither is given.
Result<std::string> LoadAuditKey(const ServerConfig& config);

// The statistics counters of the stopped server's database `storage` compared with a recount from
// the records by every store that counts (what RebuildCaseCounters with validate_only does while
// serving), for `caseserver counters verify`. Changes nothing; the result says how many counters
// the recount produced and which stored ones differ from it.
struct CounterVerification {
  std::vector<stats::CounterDifference> differences;
  size_t counters_recomputed = 0;
};
Result<CounterVerification> VerifyCounters(storage::Storage& storage,
                                           const std::shared_ptr<const storage::Keyring>& keyring);

class CaseServer {
 public:
  // `wal_faults` and `sync_journal` are for tests only (storage::StorageOptions).
  static Result<std::unique_ptr<CaseServer>> Start(
      const ServerConfig& config, const std::shared_ptr<const storage::Keyring>& keyring,
      std::string audit_key, const Clock& clock = SystemClock::Instance(),
      std::shared_ptr<storage::WalFaultInjector> wal_faults = nullptr,
      std::shared_ptr<storage::SyncJournal> sync_journal = nullptr);
  ~CaseServer();
  CaseServer(const CaseServer&) = delete;
  CaseServer& operator=(const CaseServer&) = delete;

  // The bound port (useful with listen port 0).
  int port() const { return port_; }
  // The HTTP listener's bound port; 0 without http-listen.
  int http_port() const { return http_ ? http_->port() : 0; }
  // The metrics listener's bound port; 0 without metrics-listen.
  int metrics_port() const { return operations_ ? operations_->metrics_port() : 0; }
  // Metrics, the access log and the backup schedule.
  Operations& operations() { return *operations_; }
  // What the listener has done so far (accepted, at its limit, out of descriptors).
  ConnectionListenerStats connection_stats() const { return listener_->stats(); }
  void Shutdown();
  // Blocks until Shutdown() has completed.
  void Wait();

  // For tests that inject audit failures.
  auth::AuditLog& audit_log() { return *audit_; }
  // For tests that check that WatchDueItems streams end.
  const monitoring::MonitoringService& monitoring_service() const { return *monitoring_service_; }

 private:
  CaseServer() = default;
  // The parts of Start(), in this order.
  Status OpenStorageAndAuth(const ServerConfig& config,
                            const std::shared_ptr<const storage::Keyring>& keyring,
                            std::string audit_key, const Clock& clock,
                            std::shared_ptr<storage::WalFaultInjector> wal_faults,
                            std::shared_ptr<storage::SyncJournal> sync_journal);
  void OpenAdmin(const ServerConfig& config,
                 const std::shared_ptr<const storage::Keyring>& keyring);
  Status OpenDirectoryAndCases(const ServerConfig& config,
                               const std::shared_ptr<const storage::Keyring>& keyring,
                               const Clock& clock);
  Status OpenCaseWork(const ServerConfig& config, const Clock& clock);
  Status Serve(const ServerConfig& config, int max_connections,
               const std::shared_ptr<grpc::ServerCredentials>& credentials);

  ServerConfig config_;
  int port_ = 0;
  // Before storage_: the storage reports to it until it is closed.
  std::shared_ptr<HealthReporter> health_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<auth::UserRegistry> users_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<auth::EmergencyAccessStore> emergency_;
  std::unique_ptr<auth::RateLimiter> rate_limiter_;
  // The key the HTTP gateway's in-process calls are vouched for with (auth/call_origin.h).
  std::unique_ptr<auth::GatewayVouchers> gateway_vouchers_;
  std::unique_ptr<auth::Gatekeeper> gatekeeper_;
  // Sign-in for people (passwords, second factor, sessions), used by the HTTP listener and Admin.
  std::unique_ptr<auth::SignIn> sign_in_;
  std::unique_ptr<admin::AdminService> admin_service_;
  std::unique_ptr<vocab::VocabularyStore> vocabularies_;
  std::unique_ptr<vocab::VocabulariesService> vocabularies_service_;
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<directory::CooperationSurveyStore> surveys_;
  std::unique_ptr<directory::DirectoryService> directory_service_;
  std::unique_ptr<cases::CaseKeyring> case_keys_;
  std::unique_ptr<cases::CaseStore> cases_;
  std::unique_ptr<cases::CaseReferrals> case_referrals_;
  std::unique_ptr<cases::CaseConsultations> case_consultations_;
  std::unique_ptr<cases::CaseCounting> case_counting_;
  std::unique_ptr<cases::CaseMaintenance> case_maintenance_;
  std::unique_ptr<cases::CaseImports> case_imports_;
  std::unique_ptr<cases::CasesService> cases_service_;
  std::unique_ptr<advisers::AdviserStore> advisers_;
  std::unique_ptr<advisers::DispatchStore> dispatches_;
  std::unique_ptr<advisers::AdvisersService> advisers_service_;
  std::unique_ptr<meetings::MeetingStore> meetings_;
  std::unique_ptr<meetings::PlanStore> plans_;
  std::unique_ptr<meetings::MeetingsService> meetings_service_;
  std::unique_ptr<monitoring::MonitoringStore> monitoring_;
  // Stopped by Shutdown() before the listener, so that open watch streams end at once.
  std::unique_ptr<monitoring::DueWatcher> due_watcher_;
  std::unique_ptr<monitoring::MonitoringService> monitoring_service_;
  std::unique_ptr<stats::StatisticsReporter> statistics_;
  std::unique_ptr<stats::PlanStore> stat_plans_;
  std::unique_ptr<stats::YearReleases> year_releases_;
  std::unique_ptr<stats::StatisticsService> statistics_service_;
  // Observes every call of server_ (its interceptor), so it outlives server_; stopped before the
  // storage closes (the backup schedule).
  std::unique_ptr<Operations> operations_;
  // Accepts connections and hands them to server_ through acceptor_; stopped before server_.
  std::unique_ptr<ConnectionListener> listener_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  std::unique_ptr<grpc::Server> server_;
  // The HTTP listener and gateway (http-listen); stopped after server_, whose in-process calls
  // its open streams are.
  std::unique_ptr<HttpFront> http_;
  Mutex shutdown_mutex_;
  bool shut_down_ CASECOORD_GUARDED_BY(shutdown_mutex_) = false;
  // Logs the audit head every config_.audit_head_log_minutes until Shutdown() stops it.
  std::thread head_logger_;
  Mutex head_logger_mutex_;
  std::condition_variable head_logger_wake_;
  bool head_logger_stop_ CASECOORD_GUARDED_BY(head_logger_mutex_) = false;
};

}  // namespace casecoord::server
