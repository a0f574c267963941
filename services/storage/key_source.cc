#include "services/storage/key_source.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace casecoord::storage {

Result<KeyEncryptionKey> LoadKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(Reason::kKeyFileUnreadable,
                  "cannot open key file " + path + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return Status(Reason::kKeyFileUnreadable, "key file " + path + " is not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    return Status(Reason::kKeyFilePermissions,
                  "key file " + path + " is accessible by group or others; run: chmod 600 " + path);
  }
  char buffer[256];
  ssize_t size = ::read(fd, buffer, sizeof(buffer));
  ::close(fd);
  if (size < 0) {
    return Status(Reason::kKeyFileUnreadable, "cannot read key file " + path);
  }
  auto key = KeyEncryptionKey::FromHex(std::string_view(buffer, static_cast<size_t>(size)));
  OPENSSL_cleanse(buffer, sizeof(buffer));
  if (!key.ok()) {
    return Status(Reason::kKeyFileMalformed,
                  "key file " + path + ": " + key.status().field_violations().front().description);
  }
  return key;
}

Result<KeyEncryptionKey> LoadKeyFromEnvironment(const char* name) {
  char* value = std::getenv(name);
  if (value == nullptr) {
    return Status(Reason::kKeyNotSet, std::string("environment variable ") + name + " is not set");
  }
  auto key = KeyEncryptionKey::FromHex(value);
  OPENSSL_cleanse(value, std::strlen(value));
  ::unsetenv(name);
  if (!key.ok()) {
    return Status(Reason::kKeyMalformed,
                  std::string(name) + ": " + key.status().field_violations().front().description);
  }
  return key;
}

Result<KeyEncryptionKey> GenerateKeyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(Reason::kKeyFileExists,
                  "cannot create key file " + path + ": " + std::strerror(errno));
  }
  KeyEncryptionKey key = KeyEncryptionKey::Generate();
  std::string hex = key.ToHex() + "\n";
  bool ok =
      ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
  ::close(fd);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!ok) return Status(Reason::kIoError, "cannot write key file " + path);
  return key;
}

}  // namespace casecoord::storage
