#include "services/server/operations.h"

#include <chrono>

#include "services/backup/backup_schedule.h"
#include "services/common/log.h"
#include "services/http/metrics_listener.h"

namespace casecoord::server {
namespace {

double SecondsSinceEpoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void CollectAudit(const auth::AuditLog& audit, metrics::ExpositionWriter& writer) {
  writer.Family("casecoord_audit_group_entries", "histogram",
                "Audit entries committed by one synced write (calls sharing one fsync).");
  writer.HistogramSamples("casecoord_audit_group_entries", {}, audit.group_entries().Read());
  writer.Family("casecoord_audit_commit_seconds", "histogram",
                "Time of one synced audit write (the fsync dominates it).");
  writer.HistogramSamples("casecoord_audit_commit_seconds", {}, audit.commit_seconds().Read());
  writer.Single("casecoord_audit_head_sequence", "gauge",
                "Sequence number of the last committed audit entry.",
                static_cast<double>(audit.head().sequence));
}

void CollectStorage(const storage::Storage& storage, metrics::ExpositionWriter& writer) {
  const storage::EngineMetrics engine = storage.Metrics();
  writer.Single("casecoord_rocksdb_sst_files_bytes", "gauge",
                "Size of every table file of the database.",
                static_cast<double>(engine.sst_files_bytes));
  writer.Single("casecoord_rocksdb_live_data_bytes", "gauge",
                "Size of the table files of the current version.",
                static_cast<double>(engine.live_data_bytes));
  writer.Single("casecoord_rocksdb_memtable_bytes", "gauge", "Memory held by the memtables.",
                static_cast<double>(engine.memtable_bytes));
  writer.Single("casecoord_rocksdb_pending_compaction_bytes", "gauge",
                "Bytes compaction estimates it must rewrite to settle.",
                static_cast<double>(engine.pending_compaction_bytes));
  writer.Single("casecoord_rocksdb_running_compactions", "gauge", "Compactions running now.",
                static_cast<double>(engine.running_compactions));
  writer.Single("casecoord_rocksdb_write_stopped", "gauge",
                "1 while RocksDB stops writes (too many files or memtables).",
                engine.writes_stopped ? 1 : 0);
  writer.Single("casecoord_rocksdb_delayed_write_rate_bytes", "gauge",
                "Write rate RocksDB holds writes to while it slows them (0: not slowed).",
                static_cast<double>(engine.delayed_write_rate));
  writer.Single("casecoord_rocksdb_stall_seconds_total", "counter",
                "Time writes have waited on stalls since start.",
                static_cast<double>(engine.stall_micros) / 1e6);
  writer.Family("casecoord_rocksdb_block_cache_requests_total", "counter",
                "Block cache lookups since start, by result (hit rate = hit / (hit + miss)).");
  writer.Sample("casecoord_rocksdb_block_cache_requests_total", {{"result", "hit"}},
                static_cast<double>(engine.block_cache_hits));
  writer.Sample("casecoord_rocksdb_block_cache_requests_total", {{"result", "miss"}},
                static_cast<double>(engine.block_cache_misses));
  writer.Single("casecoord_rocksdb_block_cache_usage_bytes", "gauge",
                "Memory the block cache holds.",
                static_cast<double>(engine.block_cache_usage_bytes));
  writer.Single("casecoord_rocksdb_block_cache_capacity_bytes", "gauge",
                "The block cache's capacity.",
                static_cast<double>(engine.block_cache_capacity_bytes));
  writer.Single("casecoord_storage_writable", "gauge",
                "1 while the storage accepts writes (health SERVING), 0 after a write failure.",
                storage.write_state() == storage::WriteState::kWritable ? 1 : 0);
}

}  // namespace

backup::OffsiteSettings OffsiteSettingsOf(const ServerConfig& config) {
  backup::OffsiteSettings settings;
  settings.target = config.offsite_target;
  settings.endpoint = config.offsite_endpoint;
  settings.region = config.offsite_region;
  settings.credentials_file = config.offsite_credentials_file;
  settings.ca_file = config.offsite_ca_file;
  return settings;
}

Operations::Operations(const ServerConfig& config, const auth::GatewayVouchers* vouchers)
    : config_(config), call_observer_(vouchers, config.access_log) {}

Operations::~Operations() { Stop(); }

int Operations::metrics_port() const { return listener_ ? listener_->port() : 0; }

Status Operations::Begin(OperationsSources sources) {
  sources_ = std::move(sources);
  if (config_.backup_interval_seconds > 0) {
    backup::BackupScheduleOptions options;
    options.interval = std::chrono::seconds(config_.backup_interval_seconds);
    options.keep = static_cast<uint32_t>(config_.backup_keep);
    options.backup_dir = config_.backup_dir;
    options.scratch_root = config_.restore_dir;
    // A short interval (tests, drills) also starts sooner; a daily one waits a while after start.
    options.first_delay = std::min(std::chrono::seconds(30), options.interval / 2);
    if (!config_.offsite_target.empty()) options.offsite = OffsiteSettingsOf(config_);
    CASECOORD_ASSIGN_OR_RETURN(
        backups_, backup::BackupSchedule::Start(*sources_.storage, *sources_.audit,
                                                sources_.keyring, sources_.audit_key, options));
  }
  AddCollectors();
  if (!config_.metrics_listen.empty()) {
    CASECOORD_ASSIGN_OR_RETURN(listener_, http::MetricsListener::Start(
                                              config_.metrics_listen, [this] { return Render(); }));
    log::Info("metrics listener serving", {{"port", std::to_string(listener_->port())}});
  }
  return Status::Ok();
}

void Operations::AddCollectors() {
  const double started = SecondsSinceEpoch();
  registry_.Add([started](metrics::ExpositionWriter& writer) {
    writer.Single("casecoord_start_time_seconds", "gauge", "When this process started serving.",
                  started);
  });
  registry_.Add([this](metrics::ExpositionWriter& writer) { call_observer_.Collect(writer); });
  if (sources_.audit != nullptr) {
    registry_.Add([audit = sources_.audit](metrics::ExpositionWriter& writer) {
      CollectAudit(*audit, writer);
    });
  }
  if (sources_.storage != nullptr) {
    registry_.Add([storage = sources_.storage](metrics::ExpositionWriter& writer) {
      CollectStorage(*storage, writer);
    });
  }
  registry_.Add([this](metrics::ExpositionWriter& writer) {
    if (sources_.open_connections) {
      writer.Single("casecoord_grpc_open_connections", "gauge",
                    "gRPC client connections open (an upper bound: see connection_listener.h).",
                    static_cast<double>(sources_.open_connections()));
    }
    if (sources_.sessions) {
      writer.Single("casecoord_sign_in_sessions", "gauge",
                    "Browser sessions held (expired ones not yet swept included).",
                    static_cast<double>(sources_.sessions()));
    }
    if (backups_) backups_->Collect(writer);
  });
}

void Operations::Stop() {
  if (listener_) listener_->Stop();
  if (backups_) backups_->Stop();
}

}  // namespace casecoord::server
