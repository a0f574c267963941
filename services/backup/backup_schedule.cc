#include "services/backup/backup_schedule.h"

#include <unistd.h>

#include <filesystem>

#include "services/common/log.h"

namespace casecoord::backup {
namespace {

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A directory of its own under `root` for one verification; the pid and a counter keep two
// servers, or two rounds, apart.
Result<std::string> ScratchDirectory(const std::string& root) {
  static std::atomic<uint64_t> counter{0};
  std::error_code error;
  std::filesystem::create_directories(root, error);
  if (error) {
    return Status(Reason::kIoError, "cannot create " + root + ": " + error.message());
  }
  const std::filesystem::path dir =
      std::filesystem::path(root) /
      ("verify-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)));
  std::filesystem::remove_all(dir, error);
  return dir.string();
}

}  // namespace

Result<BackupVerification> VerifyBackup(const std::string& backup_dir,
                                        const storage::BackupSummary& summary,
                                        const std::shared_ptr<const storage::Keyring>& keyring,
                                        const std::string& audit_key,
                                        const std::string& scratch_root) {
  CASECOORD_ASSIGN_OR_RETURN(std::string scratch, ScratchDirectory(scratch_root));
  struct RemoveAfterwards {
    std::string path;
    ~RemoveAfterwards() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } cleanup{scratch};

  BackupVerification verification;
  CASECOORD_ASSIGN_OR_RETURN(verification.keys_restored,
                             storage::RestoreBackup(backup_dir, summary.id, scratch, keyring));
  CASECOORD_ASSIGN_OR_RETURN(auto restored, storage::Storage::OpenExisting(scratch, keyring));
  std::optional<auth::AuditHead> expected;
  if (!summary.audit_head.empty()) {
    auto head = auth::ParseAuditHead(summary.audit_head, "audit_head");
    if (!head.ok()) {
      return Status(Reason::kBackupVerificationFailed,
                    "backup " + std::to_string(summary.id) + " records a malformed audit head");
    }
    expected = *head;
  }
  const auth::AuditVerification chain = auth::VerifyAuditTrail(*restored, audit_key, expected);
  if (!chain.intact) {
    return Status(Reason::kBackupVerificationFailed,
                  "backup " + std::to_string(summary.id) +
                      ": the restored audit trail is broken at " +
                      std::to_string(chain.first_broken_sequence) + ": " + chain.problem);
  }
  verification.audit_entries_checked = chain.entries_checked;
  return verification;
}

Result<std::unique_ptr<BackupSchedule>> BackupSchedule::Start(
    storage::Storage& storage, const auth::AuditLog& audit,
    std::shared_ptr<const storage::Keyring> keyring, std::string audit_key,
    BackupScheduleOptions options) {
  std::unique_ptr<OffsiteStore> offsite;
  if (options.offsite && !options.offsite->target.empty()) {
    CASECOORD_ASSIGN_OR_RETURN(offsite, OpenOffsiteStore(*options.offsite));
  }
  std::unique_ptr<BackupSchedule> schedule(
      new BackupSchedule(storage, audit, std::move(keyring), std::move(audit_key),
                         std::move(options), std::move(offsite)));
  schedule->thread_ = std::thread([raw = schedule.get()] { raw->Loop(); });
  return schedule;
}

BackupSchedule::BackupSchedule(storage::Storage& storage, const auth::AuditLog& audit,
                               std::shared_ptr<const storage::Keyring> keyring,
                               std::string audit_key, BackupScheduleOptions options,
                               std::unique_ptr<OffsiteStore> offsite)
    : storage_(storage),
      audit_(audit),
      keyring_(std::move(keyring)),
      audit_key_(std::move(audit_key)),
      options_(std::move(options)),
      offsite_(std::move(offsite)) {}

BackupSchedule::~BackupSchedule() { Stop(); }

void BackupSchedule::Stop() {
  {
    MutexLock lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackupSchedule::Loop() {
  // When the first round is due: an interval after the newest backup, but not before first_delay.
  auto delay = options_.first_delay;
  auto backups = storage::ListBackups(options_.backup_dir, keyring_);
  if (backups.ok() && !backups->empty()) {
    const auto newest = static_cast<double>(backups->front().timestamp_seconds);
    {
      MutexLock state(state_mutex_);
      state_.last_backup_time = newest;
    }
    const double age = UnixNow() - newest;
    const auto remaining = std::chrono::seconds(
        static_cast<int64_t>(static_cast<double>(options_.interval.count()) - age));
    delay = std::max(delay, remaining);
  }
  for (;;) {
    {
      MutexLock lock(wake_mutex_);
      if (lock.WaitFor(wake_, delay, [this] {
            wake_mutex_.AssertHeld();
            return stopping_;
          })) {
        return;
      }
    }
    const Status status = RunOnce();
    if (!status.ok()) log::Error("scheduled backup failed", {{"error", status.ToString()}});
    delay = options_.interval;
  }
}

Status BackupSchedule::RunOnce() {
  MutexLock lock(round_mutex_);
  return Round();
}

Status BackupSchedule::Round() {
  const auto started = std::chrono::steady_clock::now();
  // Read before the backup starts, so the backup holds at least this entry.
  const std::string head = auth::FormatAuditHead(audit_.head());
  auto summary = storage::CreateBackup(storage_, options_.backup_dir, head);
  if (!summary.ok()) {
    MutexLock state(state_mutex_);
    ++state_.backups_failed;
    return summary.status();
  }
  {
    MutexLock state(state_mutex_);
    state_.last_backup_time = UnixNow();
    state_.last_backup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    state_.last_backup_bytes = static_cast<double>(summary->size_bytes);
  }
  log::Info("scheduled backup created", {{"backup_id", std::to_string(summary->id)},
                                         {"bytes", std::to_string(summary->size_bytes)}});
  auto purged = storage::PurgeOldBackups(storage_, options_.backup_dir, options_.keep);
  if (!purged.ok()) {
    log::Warning("old backups not deleted", {{"error", purged.status().ToString()}});
  }

  auto verified =
      VerifyBackup(options_.backup_dir, *summary, keyring_, audit_key_, options_.scratch_root);
  {
    MutexLock state(state_mutex_);
    state_.verified_once = true;
    state_.last_verification_time = UnixNow();
    state_.last_verification_ok = verified.ok();
    if (!verified.ok()) ++state_.verifications_failed;
  }
  if (!verified.ok()) return verified.status();
  log::Info("backup verified",
            {{"backup_id", std::to_string(summary->id)},
             {"keys_restored", std::to_string(verified->keys_restored)},
             {"audit_entries_checked", std::to_string(verified->audit_entries_checked)}});

  if (!offsite_) return Status::Ok();
  auto synced = SyncToOffsite(options_.backup_dir, *offsite_);
  {
    MutexLock state(state_mutex_);
    state_.offsite_tried = true;
    state_.last_offsite_ok = synced.ok();
    if (synced.ok()) {
      state_.last_offsite_time = UnixNow();
      state_.offsite_bytes_uploaded += static_cast<double>(synced->bytes_uploaded);
    } else {
      ++state_.offsite_failed;
    }
  }
  if (!synced.ok()) return synced.status();
  log::Info("backup copied off-site", {{"target", offsite_->Describe()},
                                       {"files_uploaded", std::to_string(synced->files_uploaded)},
                                       {"bytes_uploaded", std::to_string(synced->bytes_uploaded)},
                                       {"files_deleted", std::to_string(synced->files_deleted)}});
  return Status::Ok();
}

void BackupSchedule::Collect(metrics::ExpositionWriter& writer) const {
  State state;
  {
    MutexLock lock(state_mutex_);
    state = state_;
  }
  writer.Single("casecoord_backup_newest_timestamp_seconds", "gauge",
                "When the newest backup was made (Unix time; 0: none yet).",
                state.last_backup_time);
  writer.Single("casecoord_backup_last_duration_seconds", "gauge",
                "How long the last scheduled backup took.", state.last_backup_seconds);
  writer.Single("casecoord_backup_last_size_bytes", "gauge",
                "Size of the last scheduled backup (files shared with older backups included).",
                state.last_backup_bytes);
  writer.Single("casecoord_backup_last_verification_timestamp_seconds", "gauge",
                "When the last backup was restored to scratch and its audit chain checked.",
                state.last_verification_time);
  writer.Single("casecoord_backup_last_verification_ok", "gauge",
                "1 if the last verification found the backup sound, 0 if it failed; -1 before "
                "the first.",
                state.verified_once ? (state.last_verification_ok ? 1 : 0) : -1);
  writer.Family("casecoord_backup_failures_total", "counter",
                "Scheduled backup rounds that failed, by the step that failed.");
  writer.Sample("casecoord_backup_failures_total", {{"step", "backup"}},
                static_cast<double>(state.backups_failed));
  writer.Sample("casecoord_backup_failures_total", {{"step", "verify"}},
                static_cast<double>(state.verifications_failed));
  writer.Sample("casecoord_backup_failures_total", {{"step", "offsite"}},
                static_cast<double>(state.offsite_failed));
  writer.Single("casecoord_backup_offsite_configured", "gauge",
                "1 when backups are copied off-site.",
                options_.offsite && !options_.offsite->target.empty() ? 1 : 0);
  writer.Single("casecoord_backup_offsite_last_success_timestamp_seconds", "gauge",
                "When the backup directory was last copied off-site in full (Unix time).",
                state.last_offsite_time);
  writer.Single("casecoord_backup_offsite_uploaded_bytes_total", "counter",
                "Bytes uploaded to the off-site store since start.", state.offsite_bytes_uploaded);
}

}  // namespace casecoord::backup
