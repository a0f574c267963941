// Online, encrypted backups (RocksDB BackupEngine through our encrypted Env) and restore.
//
// Backup files are written through the same encrypted file system: each gets its own header and
// data key under the current KEK, so a backup is as protected as the live database. Table files are
// shared between backups (incremental). Restoring a backup made before a key rotation needs the old
// KEK in the keyring.
//
// Thread safety: backups of one directory are serialised internally; calls may come from any
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::storage {

struct BackupSummary {
  uint32_t id = 0;
  int64_t timestamp_seconds = 0;  // Unix time
  uint64_t size_bytes = 0;
  uint32_t file_count = 0;
  // The audit head recorded with the backup ("SEQ:HASH", auth::FormatAuditHead); empty for a
  // backup made before heads were recorded.
  std::string audit_head;
};

// Every function first checks the headers of the backups' files against the keyring, before a
// RocksDB BackupEngine reads the directory: a key that cannot read a backup fails with WRONG_KEY
// (or PLAINTEXT_BACKUP, HEADER_TAMPERED, ENCRYPTED_BACKUP for a plaintext open), never with an
// empty list or a missing backup.

// Takes a consistent backup of the open database into `backup_dir` (created if missing). First
// erases destroyed ranges from the live files (Storage::EraseDestroyed); if data was destroyed
// (WriteBatch::DestroyRange) since the last backup, every older backup is deleted once this one
// is complete, so that no backup still holds what was destroyed. `audit_head`, read by the caller
// before the call (so the backup holds at least that entry), is kept in the backup's metadata
// (encrypted like the rest) as a witness of the audit trail (see auth/audit_log.h); the server
// always gives one, tests of backups alone may not.
Result<BackupSummary> CreateBackup(Storage& storage, const std::string& backup_dir,
                                   const std::string& audit_head = "");

// Backups in `backup_dir`, newest first; empty if the directory does not exist. Every backup's
// description must be readable with `keyring` (WRONG_KEY names the key id it needs otherwise).
Result<std::vector<BackupSummary>> ListBackups(const std::string& backup_dir,
                                               std::shared_ptr<const Keyring> keyring);

// Deletes all but the `keep` newest backups of `backup_dir` (keep >= 1), and the table files only
// they used. Returns how many were deleted.
Result<uint32_t> PurgeOldBackups(Storage& storage, const std::string& backup_dir, uint32_t keep);

// Verifies backup `id` (checksums of every file, read through decryption) and restores it into
// `target_dir`, which must not exist or be empty (TARGET_NOT_EMPTY); BACKUP_NOT_FOUND if there is
// no such backup. Nothing is written to `target_dir` before the key is known to fit. Returns the
// number of keys read back from the restored database over all column families.
Result<uint64_t> RestoreBackup(const std::string& backup_dir, uint32_t id,
                               const std::string& target_dir,
                               std::shared_ptr<const Keyring> keyring);

}  // namespace casecoord::storage
