// Key-encryption-key rotation, offline (the server must be stopped: the database is opened here).
//
// With a keyring whose current KEK is the new one and whose previous KEKs include the old ones:
// 1. open the database and rewrite every table file (flush + forced full compaction): new files get
//    new data keys under the new KEK;
// 2. close and reopen, which rolls the WAL, MANIFEST, CURRENT and OPTIONS files;
// 3. close and re-encrypt, by copy and atomic rename, any file still under an old KEK (IDENTITY,
//    an older OPTIONS file);
// 4. inspect the directory and report the files per KEK id.
// Backups taken before the rotation stay under the old KEK: keep it until they expire.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "services/common/status.h"
#include "services/storage/encryption.h"

namespace casecoord::storage {

struct RotationReport {
  std::string new_key_id;
  int files_copied = 0;  // files re-encrypted in step 3
  std::map<std::string, int> files_per_key_id;
  // True when every file of the database is under the new KEK.
  bool old_keys_unused = false;
};

Result<RotationReport> RotateKey(const std::string& path,
                                 const std::shared_ptr<const Keyring>& keyring);

}  // namespace casecoord::storage
