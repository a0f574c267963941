// Where the key-encryption key comes from: a key file or an environment variable. Never logged.
#pragma once

#include <string>

#include "services/common/status.h"
#include "services/storage/encryption.h"

namespace casecoord::storage {

// Reads 64 hex digits from `path`. Refuses (reason KEY_FILE_PERMISSIONS) a file that group or
// others may read or write, like ssh does for private keys.
Result<KeyEncryptionKey> LoadKeyFile(const std::string& path);

// Reads 64 hex digits from the environment variable `name`, then overwrites and removes it so that
// child processes and /proc/self/environ no longer show it. NotFound if unset.
Result<KeyEncryptionKey> LoadKeyFromEnvironment(const char* name);

// Writes a new random KEK to `path` with mode 0600; fails if the file exists.
Result<KeyEncryptionKey> GenerateKeyFile(const std::string& path);

}  // namespace casecoord::storage
