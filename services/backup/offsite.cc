#include "services/backup/offsite.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>
#include <utility>

#include "services/backup/local_files.h"
#include "services/backup/s3_store.h"

namespace casecoord::backup {
namespace {

constexpr size_t kMaxObjectNameBytes = 1024;
constexpr std::string_view kMetaPrefix = "meta/";
constexpr std::string_view kS3Scheme = "s3://";

bool IsMeta(std::string_view name) { return name.substr(0, kMetaPrefix.size()) == kMetaPrefix; }

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// RocksDB's BackupEngine writes "meta/.N.tmp", "private/N.tmp/..." and "shared_checksum/X.tmp"
// and renames them once complete; what is left under such a name after a crash is not a backup
// file.
bool IsUnfinishedBackupFile(std::string_view name) {
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view segment = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (EndsWith(segment, ".tmp")) return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// Copies the open file `from` into `to`; a read failure is charged to `read_side`.
Status CopyInto(int from, const std::string& from_name, FileSide read_side, StagedFile& to) {
  std::array<char, 1 << 16> buffer{};
  while (true) {
    ssize_t got = ::read(from, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return FileError(read_side, errno, "reading " + from_name);
    }
    if (got == 0) return Status::Ok();
    CASECOORD_RETURN_IF_ERROR(to.Write(buffer.data(), static_cast<size_t>(got)));
  }
}

// A directory on a mounted file system (offsite.h, OpenOffsiteStore).
class DirectoryStore final : public OffsiteStore {
 public:
  explicit DirectoryStore(std::string root) : root_(std::move(root)) {}

  std::string Describe() const override { return root_; }

  Status Put(std::string_view name, const std::string& local_path) override {
    CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
    CASECOORD_RETURN_IF_ERROR(CheckRoot());
    int source = ::open(local_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source < 0) return FileError(FileSide::kLocal, errno, "opening " + local_path);
    FdCloser closer(source);
    const std::string path = PathOf(name);
    CASECOORD_RETURN_IF_ERROR(MakeDirectories(ParentOf(path), FileSide::kStore));
    CASECOORD_ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Create(path, FileSide::kStore));
    CASECOORD_RETURN_IF_ERROR(CopyInto(source, local_path, FileSide::kLocal, staged));
    return staged.Commit();
  }

  Status Get(std::string_view name, const std::string& local_path) override {
    CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
    CASECOORD_RETURN_IF_ERROR(CheckRoot());
    const std::string path = PathOf(name);
    int source = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (source < 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return Status(Reason::kOffsiteObjectNotFound,
                      "no object " + std::string(name) + " in " + root_);
      }
      return FileError(FileSide::kStore, errno, "opening " + path);
    }
    FdCloser closer(source);
    struct stat info {};
    if (::fstat(source, &info) != 0) return FileError(FileSide::kStore, errno, "reading " + path);
    CASECOORD_ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Create(local_path, FileSide::kLocal));
    CASECOORD_RETURN_IF_ERROR(CopyInto(source, path, FileSide::kStore, staged));
    if (staged.bytes_written() != static_cast<uint64_t>(info.st_size)) {
      return Status(Reason::kOffsiteCopyCorrupt, path + " changed size while it was read (" +
                                                     std::to_string(staged.bytes_written()) +
                                                     " of " + std::to_string(info.st_size) +
                                                     " bytes)");
    }
    return staged.Commit();
  }

  Result<std::vector<OffsiteObject>> List(std::string_view prefix) override {
    CASECOORD_RETURN_IF_ERROR(CheckRoot());
    CASECOORD_ASSIGN_OR_RETURN(auto files, ListFilesUnder(root_, FileSide::kStore));
    std::vector<OffsiteObject> objects;
    for (auto& file : files) {
      if (file.name.compare(0, prefix.size(), prefix) != 0) continue;
      objects.push_back(OffsiteObject{std::move(file.name), file.size_bytes});
    }
    return objects;
  }

  Status Delete(std::string_view name) override {
    CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
    CASECOORD_RETURN_IF_ERROR(CheckRoot());
    const std::string path = PathOf(name);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return FileError(FileSide::kStore, errno, "deleting " + path);
    }
    std::string dir = ParentOf(path);
    CASECOORD_RETURN_IF_ERROR(SyncDirectory(dir, FileSide::kStore));
    // Directories left empty ("private/3/") go too; rmdir refuses one that is not empty.
    while (dir.size() > root_.size() && ::rmdir(dir.c_str()) == 0) dir = ParentOf(dir);
    return Status::Ok();
  }

 private:
  std::string PathOf(std::string_view name) const { return JoinPath(root_, name); }

  Status CheckRoot() const {
    struct stat info {};
    if (::stat(root_.c_str(), &info) != 0) {
      return FileError(FileSide::kStore, errno,
                       "off-site directory " + root_ + " (is the share mounted?)");
    }
    if (!S_ISDIR(info.st_mode)) {
      return Status(Reason::kOffsiteUnavailable,
                    "off-site target " + root_ + " is not a directory");
    }
    return Status::Ok();
  }

  const std::string root_;
};

bool IsBucketCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// S3's bucket naming rules, less the ones about dots that only matter for virtual-host requests.
bool IsValidBucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  if (!std::all_of(bucket.begin(), bucket.end(), IsBucketCharacter)) return false;
  auto alphanumeric = [](char c) { return c != '.' && c != '-'; };
  return alphanumeric(bucket.front()) && alphanumeric(bucket.back());
}

bool IsValidRegion(std::string_view region) {
  return !region.empty() && region.size() <= 32 &&
         std::all_of(region.begin(), region.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

bool IsAuthorityCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

// "http(s)://host[:port]" with an optional trailing '/', returned without it; nothing else (no
// path, query, user name or password: a password in a URL would end up in messages).
Result<std::string> ParseEndpoint(std::string_view endpoint) {
  auto invalid = [](const std::string& why) {
    return Status::InvalidArgument("offsite-endpoint", why);
  };
  if (endpoint.empty()) return invalid("required for an s3:// target");
  std::string_view rest;
  if (endpoint.substr(0, 8) == "https://") {
    rest = endpoint.substr(8);
  } else if (endpoint.substr(0, 7) == "http://") {
    rest = endpoint.substr(7);
  } else {
    return invalid("must start with https:// or http://");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), IsAuthorityCharacter)) {
    return invalid("must be a scheme and a host with an optional port, nothing else");
  }
  return std::string(endpoint.substr(0, endpoint.size() - (endpoint.back() == '/' ? 1 : 0)));
}

Result<S3Location> ParseS3Target(const OffsiteSettings& settings) {
  std::string_view rest = std::string_view(settings.target).substr(kS3Scheme.size());
  size_t slash = rest.find('/');
  std::string_view bucket = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (!IsValidBucket(bucket)) {
    return Status::InvalidArgument("offsite-target",
                                   "the bucket must be 3 to 63 lower-case letters, digits, '.' or "
                                   "'-' (s3://BUCKET or s3://BUCKET/PREFIX)");
  }
  if (!prefix.empty() && !ValidateObjectName(prefix).ok()) {
    return Status::InvalidArgument("offsite-target",
                                   "the prefix must be '/'-separated names without empty, '.' or "
                                   "'..' segments");
  }
  CASECOORD_ASSIGN_OR_RETURN(std::string endpoint, ParseEndpoint(settings.endpoint));
  if (!IsValidRegion(settings.region)) {
    return Status::InvalidArgument("offsite-region",
                                   "must be a region name such as ap-northeast-1");
  }
  if (settings.timeout_ms <= 0) {
    return Status::InvalidArgument("offsite-timeout-ms", "must be positive");
  }
  return S3Location{std::move(endpoint), std::string(bucket), std::string(prefix),
                    settings.region,     settings.ca_file,    settings.timeout_ms};
}

Status RequireEmptyOrMissing(const std::string& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    if (errno == ENOENT) return MakeDirectories(dir, FileSide::kLocal);
    return FileError(FileSide::kLocal, errno, "reading " + dir);
  }
  if (!S_ISDIR(info.st_mode)) return Status(Reason::kNotADirectory, dir + " is not a directory");
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), &::closedir);
  if (!handle) return FileError(FileSide::kLocal, errno, "reading " + dir);
  while (const dirent* entry = ::readdir(handle.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") {
      return Status(Reason::kTargetNotEmpty, dir + " is not empty");
    }
  }
  return Status::Ok();
}

// Meta files last: a backup's description is the last of its files to arrive.
void MetaLast(std::vector<std::string>& names) {
  std::stable_partition(names.begin(), names.end(),
                        [](const std::string& name) { return !IsMeta(name); });
}

Result<std::vector<LocalFile>> BackupFiles(const std::string& backup_dir) {
  struct stat info {};
  if (::stat(backup_dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status(Reason::kIoError, "backup directory " + backup_dir + " does not exist");
  }
  CASECOORD_ASSIGN_OR_RETURN(auto listed, ListFilesUnder(backup_dir, FileSide::kLocal));
  std::vector<LocalFile> files;
  bool has_backup = false;
  for (auto& file : listed) {
    if (IsUnfinishedBackupFile(file.name)) continue;
    has_backup = has_backup || IsMeta(file.name);
    files.push_back(std::move(file));
  }
  if (!has_backup) {
    return Status(Reason::kBackupNotFound, "backup directory " + backup_dir +
                                               " holds no backup; the off-site copy is left as is");
  }
  return files;
}

}  // namespace

Status ValidateObjectName(std::string_view name) {
  auto invalid = [](const std::string& why) { return Status::InvalidArgument("name", why); };
  if (name.empty()) return invalid("an object name is required");
  if (name.size() > kMaxObjectNameBytes) return invalid("an object name is at most 1024 bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid("an object name has no control characters");
    }
  }
  size_t start = 0;
  while (true) {
    size_t slash = name.find('/', start);
    std::string_view segment = name.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return invalid("an object name is a relative path without empty, '.' or '..' segments");
    }
    if (slash == std::string_view::npos) return Status::Ok();
    start = slash + 1;
  }
}

Result<std::unique_ptr<OffsiteStore>> OpenOffsiteStore(const OffsiteSettings& settings) {
  const std::string& target = settings.target;
  if (target.compare(0, kS3Scheme.size(), kS3Scheme) == 0) {
    CASECOORD_ASSIGN_OR_RETURN(S3Location location, ParseS3Target(settings));
    if (settings.credentials_file.empty()) {
      return Status::InvalidArgument("offsite-credentials-file", "required for an s3:// target");
    }
    CASECOORD_ASSIGN_OR_RETURN(S3Credentials credentials,
                               LoadS3Credentials(settings.credentials_file));
    return NewS3Store(std::move(location), std::move(credentials));
  }
  if (target.size() > 1 && target.front() == '/') {
    std::string root = target;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (root != "/") {
      return std::unique_ptr<OffsiteStore>(std::make_unique<DirectoryStore>(std::move(root)));
    }
  }
  return Status::InvalidArgument(
      "offsite-target", "must be s3://BUCKET, s3://BUCKET/PREFIX or an absolute directory path");
}

Result<SyncSummary> SyncToOffsite(const std::string& backup_dir, OffsiteStore& store) {
  CASECOORD_ASSIGN_OR_RETURN(auto local, BackupFiles(backup_dir));
  CASECOORD_ASSIGN_OR_RETURN(auto remote_objects, store.List(""));
  std::map<std::string, uint64_t, std::less<>> remote;
  for (auto& object : remote_objects) remote.emplace(std::move(object.name), object.size_bytes);

  SyncSummary summary;
  std::vector<std::string> uploads;
  std::map<std::string, uint64_t, std::less<>> sizes;
  for (const auto& file : local) {
    auto found = remote.find(file.name);
    if (found != remote.end() && found->second == file.size_bytes) {
      ++summary.files_unchanged;
    } else {
      uploads.push_back(file.name);
      sizes[file.name] = file.size_bytes;
    }
    if (found != remote.end()) remote.erase(found);
  }
  MetaLast(uploads);
  for (const auto& name : uploads) {
    CASECOORD_RETURN_IF_ERROR(store.Put(name, JoinPath(backup_dir, name)));
    ++summary.files_uploaded;
    summary.bytes_uploaded += sizes[name];
  }

  // What is left in `remote` the directory no longer has; meta first, so that no backup
  // description names a file already deleted.
  std::vector<std::string> deletions;
  deletions.reserve(remote.size());
  for (const auto& [name, size] : remote) deletions.push_back(name);
  std::stable_partition(deletions.begin(), deletions.end(),
                        [](const std::string& name) { return IsMeta(name); });
  for (const auto& name : deletions) {
    CASECOORD_RETURN_IF_ERROR(store.Delete(name));
    ++summary.files_deleted;
  }
  return summary;
}

Result<uint64_t> FetchFromOffsite(OffsiteStore& store, const std::string& target_dir) {
  CASECOORD_ASSIGN_OR_RETURN(auto objects, store.List(""));
  std::map<std::string, uint64_t> sizes;
  std::vector<std::string> names;
  for (const auto& object : objects) {
    Status valid = ValidateObjectName(object.name);
    if (!valid.ok()) {
      return Status(Reason::kOffsiteCopyCorrupt, store.Describe() +
                                                     " lists an object with an unsafe name: " +
                                                     valid.field_violations().front().description);
    }
    sizes[object.name] = object.size_bytes;
    names.push_back(object.name);
  }
  CASECOORD_RETURN_IF_ERROR(RequireEmptyOrMissing(target_dir));
  MetaLast(names);
  uint64_t written = 0;
  for (const auto& name : names) {
    const std::string path = JoinPath(target_dir, name);
    CASECOORD_RETURN_IF_ERROR(MakeDirectories(ParentOf(path), FileSide::kLocal));
    CASECOORD_RETURN_IF_ERROR(store.Get(name, path));
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return FileError(FileSide::kLocal, errno, path);
    if (static_cast<uint64_t>(info.st_size) != sizes[name]) {
      return Status(Reason::kOffsiteCopyCorrupt, name + " has " + std::to_string(info.st_size) +
                                                     " bytes; the store listed " +
                                                     std::to_string(sizes[name]));
    }
    ++written;
  }
  return written;
}

}  // namespace casecoord::backup
