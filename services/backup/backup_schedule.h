// Backups on a schedule: every `interval` the running server takes an online backup, deletes all
// but the `keep` newest, verifies the new one (restored into a scratch directory, its audit chain
// checked against the head recorded with it), and, with an off-site store, copies the backup
// directory there (offsite.h). Each step's outcome is logged and kept for /metrics.
//
// The first round runs `first_delay` after Start when the newest backup is older than the interval
// (or there is none); otherwise when that backup is an interval old. A round that fails is tried
// again at the next interval; an off-site copy that fails is retried at the next round, which
// uploads whatever the store still lacks.
//
// Thread safety: Collect, RunOnce and Stop may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "services/auth/audit_log.h"
#include "services/backup/offsite.h"
#include "services/common/metrics.h"
#include "services/common/status.h"
#include "services/common/thread_annotations.h"
#include "services/storage/backup.h"
#include "services/storage/storage.h"

namespace casecoord::backup {

// What VerifyBackup found.
struct BackupVerification {
  uint64_t keys_restored = 0;
  int64_t audit_entries_checked = 0;
};

// Restores backup `summary.id` of `backup_dir` into a new directory under `scratch_root` (removed
// afterwards, whatever the outcome), then walks the restored audit chain under `audit_key`; the
// chain must be intact and hold the head recorded with the backup. BACKUP_VERIFICATION_FAILED
// naming what failed; the restore's own errors (WRONG_KEY, ...) as they are.
Result<BackupVerification> VerifyBackup(const std::string& backup_dir,
                                        const storage::BackupSummary& summary,
                                        const std::shared_ptr<const storage::Keyring>& keyring,
                                        const std::string& audit_key,
                                        const std::string& scratch_root);

struct BackupScheduleOptions {
  std::chrono::seconds interval{24 * 3600};
  uint32_t keep = 14;
  std::string backup_dir;
  // Verification restores under here (the server's restore-dir).
  std::string scratch_root;
  std::optional<OffsiteSettings> offsite;
  std::chrono::seconds first_delay{30};
};

class BackupSchedule {
 public:
  // Opens the off-site store (its settings' errors) and starts the schedule's thread. `storage`,
  // `audit` and `keyring` must outlive the schedule.
  static Result<std::unique_ptr<BackupSchedule>> Start(
      storage::Storage& storage, const auth::AuditLog& audit,
      std::shared_ptr<const storage::Keyring> keyring, std::string audit_key,
      BackupScheduleOptions options);
  ~BackupSchedule();
  BackupSchedule(const BackupSchedule&) = delete;
  BackupSchedule& operator=(const BackupSchedule&) = delete;

  // Ends the thread; a round in progress finishes first.
  void Stop();

  // One round now, on the caller's thread (serialised with the schedule's); the first failure.
  Status RunOnce();

  // casecoord_backup_* families: last success times, last verification result, off-site copy.
  void Collect(metrics::ExpositionWriter& writer) const;

 private:
  BackupSchedule(storage::Storage& storage, const auth::AuditLog& audit,
                 std::shared_ptr<const storage::Keyring> keyring, std::string audit_key,
                 BackupScheduleOptions options, std::unique_ptr<OffsiteStore> offsite);
  void Loop();
  Status Round() CASECOORD_REQUIRES(round_mutex_);

  storage::Storage& storage_;
  const auth::AuditLog& audit_;
  const std::shared_ptr<const storage::Keyring> keyring_;
  const std::string audit_key_;
  const BackupScheduleOptions options_;

  Mutex round_mutex_;  // one round at a time
  std::unique_ptr<OffsiteStore> offsite_ CASECOORD_GUARDED_BY(round_mutex_);

  // What the rounds did, for Collect.
  mutable Mutex state_mutex_;
  struct State {
    double last_backup_time = 0;  // Unix seconds of the last backup made (0: none yet)
    double last_backup_seconds = 0;
    double last_backup_bytes = 0;
    double last_verification_time = 0;
    bool last_verification_ok = false;
    bool verified_once = false;
    double last_offsite_time = 0;
    bool last_offsite_ok = false;
    bool offsite_tried = false;
    double offsite_bytes_uploaded = 0;
    uint64_t backups_failed = 0;
    uint64_t verifications_failed = 0;
    uint64_t offsite_failed = 0;
  } state_ CASECOORD_GUARDED_BY(state_mutex_);

  Mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ CASECOORD_GUARDED_BY(wake_mutex_) = false;
  std::thread thread_;
};

}  // namespace casecoord::backup
