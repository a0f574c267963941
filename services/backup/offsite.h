// Off-site copies of the backup directory: an S3-compatible bucket (HTTP PUT/GET/DELETE and
// ListObjectsV2, signed with AWS Signature Version 4, over libcurl) or a mounted directory (an
// NFS or SMB share, a removable disk).
//
// What is copied is the backup directory as it is on disk (storage/backup.h): every file in it is
// already encrypted under the KEK, so the copy is as protected as the live database and the
// store never sees a key. Object names are the files' paths relative to the backup directory
// ("meta/3", "shared_checksum/000012_…sst"), under the target's prefix.
//
// Thread safety: an OffsiteStore may be used from one thread at a time; the free functions take
// the store they are given.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord::backup {

struct OffsiteObject {
  std::string name;  // relative to the target's prefix, '/'-separated
  uint64_t size_bytes = 0;
};

class OffsiteStore {
 public:
  virtual ~OffsiteStore() = default;
  // Where the copies go, without any secret ("s3://bucket/prefix at https://host", "/mnt/x").
  virtual std::string Describe() const = 0;
  // Stores the local file `local_path` as object `name` (replacing one of that name). A reader
  // never sees a partial object. INVALID_ARGUMENT for a name ValidateObjectName refuses.
  // OFFSITE_UNAVAILABLE when the store cannot be reached (or answers 5xx, 429 or 408; for a
  // directory: any I/O error but a permission one), OFFSITE_REFUSED when it refuses (other 4xx:
  // credentials, signature, bucket, clock; TLS certificate; for a directory: EACCES, EPERM,
  // EROFS), IO_ERROR when the local file cannot be read.
  virtual Status Put(std::string_view name, const std::string& local_path) = 0;
  // Writes object `name` to `local_path` (created or replaced; the directory must exist). The
  // bytes go to a staging file beside it that is renamed into place once complete, so a failed Get
  // leaves no partial file and `local_path` as it was. OFFSITE_OBJECT_NOT_FOUND if there is none;
  // OFFSITE_COPY_CORRUPT if the bytes received do not match the digest recorded by Put (S3) or the
  // object's size; IO_ERROR when `local_path` cannot be written; otherwise the errors of Put.
  virtual Status Get(std::string_view name, const std::string& local_path) = 0;
  // Every object whose name starts with `prefix` ("" for all), sorted by name (byte order).
  // Names are as the store gives them: a caller that writes files by these names checks them with
  // ValidateObjectName first.
  virtual Result<std::vector<OffsiteObject>> List(std::string_view prefix) = 0;
  // Removes object `name`; removing a missing object is OK.
  virtual Status Delete(std::string_view name) = 0;
};

// Where the copies go, from the settings offsite-target, offsite-endpoint, offsite-region and
// offsite-credentials-file (server/config.h).
struct OffsiteSettings {
  // "s3://BUCKET" or "s3://BUCKET/PREFIX" (an S3-compatible bucket), or an absolute directory path
  // (a mounted file system).
  std::string target;
  // For s3: the service's base URL, "https://s3.ap-northeast-1.amazonaws.com" or
  // "http://127.0.0.1:9000" (path-style requests: ENDPOINT/BUCKET/KEY).
  std::string endpoint;
  std::string region = "ap-northeast-1";
  // For s3: a file of the form below, mode 0600 (no group or other bits, like the key files):
  //   access-key-id = AKIA...
  //   secret-access-key = ...
  std::string credentials_file;
  // CA bundle for an https endpoint signed by a private CA; empty: the system's.
  std::string ca_file;
  // For s3: the longest wait for a connection, and the longest time a transfer may make no
  // progress; not a bound on a whole transfer, which for a large table file may take longer.
  int timeout_ms = 60000;
};

// Object names are relative '/'-separated paths: at most 1024 bytes, no empty, "." or ".."
// segment, no NUL or other control character. INVALID_ARGUMENT (field `name`) otherwise. Every
// store checks the names it is given, so that no name can leave a directory store's root, and
// FetchFromOffsite checks the names a store lists before writing files by them.
Status ValidateObjectName(std::string_view name);

// The store of `settings`. INVALID_ARGUMENT naming the setting for a malformed target, endpoint
// or region; KEY_FILE_* reasons (storage/key_source.h's) for a credentials file that is missing,
// malformed or readable by others. Opening contacts nothing.
//
// A directory target must exist when the store is used (it is never created: OFFSITE_UNAVAILABLE
// otherwise). Point it at a directory inside the mounted share, not at the mount point, so that
// an unmounted share shows as a missing directory instead of filling the local disk. Files are
// written as NAME.tmp-XXXXXX, fsynced and renamed, and the directory fsynced; an interrupted Put
// can leave such a staging file, which List leaves out and an operator may delete.
Result<std::unique_ptr<OffsiteStore>> OpenOffsiteStore(const OffsiteSettings& settings);

// What a SyncToOffsite did.
struct SyncSummary {
  uint64_t files_uploaded = 0;
  uint64_t bytes_uploaded = 0;
  uint64_t files_deleted = 0;
  uint64_t files_unchanged = 0;
};

// Makes the store hold exactly the files of `backup_dir` (those whose path has a component ending
// in ".tmp" left out: RocksDB's unfinished files, which it may leave after a crash): uploads each
// file the store lacks or holds with another size (backup files are immutable once written, so
// name and size identify one), every file outside "meta/" before any file in it, so that a
// backup's description never names a file not yet copied; then deletes the objects the directory
// no longer has, those in "meta/" first. A failure stops the sync with the store's error; what was
// copied stays and the next sync goes on from there. A `backup_dir` that is missing, or holds no
// backup (nothing in "meta/"), is refused (IO_ERROR, BACKUP_NOT_FOUND) before the store is touched,
// so that a wrong path never empties the off-site copy. The store is not retried here: the caller
// schedules the next attempt.
Result<SyncSummary> SyncToOffsite(const std::string& backup_dir, OffsiteStore& store);

// Copies every object of the store into `target_dir` (created if missing; must be an empty
// directory otherwise: TARGET_NOT_EMPTY, NOT_A_DIRECTORY), so that `caseserver restore --backup-dir
// target_dir` can restore from it. Files outside "meta/" come first, so that an interrupted fetch
// never holds a backup description whose files are missing. OFFSITE_COPY_CORRUPT if the store lists
// a name ValidateObjectName refuses (nothing is written then) or a fetched file's size differs from
// the listed one. Returns the number of files written.
Result<uint64_t> FetchFromOffsite(OffsiteStore& store, const std::string& target_dir);

}  // namespace casecoord::backup
