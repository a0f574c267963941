#include "services/backup/local_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "services/common/text.h"

namespace casecoord::backup {
namespace {

constexpr std::string_view kStagingMarker = ".tmp-";
constexpr size_t kStagingSuffixLength = 6;  // mkostemp's XXXXXX
// Backup directories are three levels deep; a store deeper than this is not ours.
constexpr int kMaxDepth = 32;

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

struct DirCloser {
  void operator()(DIR* dir) const { ::closedir(dir); }
};

std::string JoinPath(std::string_view first, std::string_view second) {
  if (first.empty()) return std::string(second);
  std::string out(first);
  out += '/';
  out += second;
  return out;
}

struct Listing {
  const std::string& root;
  FileSide side;
  std::vector<LocalFile>& out;
};

Status ListInto(const Listing& listing, const std::string& relative, int depth);

// One entry `name` of the directory `dir` (`relative` to the root): a file to list, a directory
// to descend into, or something else to leave out.
Status ListEntry(const Listing& listing, DIR* dir, const std::string& relative,
                 const std::string& name, int depth) {
  const std::string child = JoinPath(relative, name);
  struct stat info {};
  if (::fstatat(::dirfd(dir), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    // Removed between readdir and stat: not there any more.
    if (errno == ENOENT) return Status::Ok();
    return FileError(listing.side, errno, "reading " + JoinPath(listing.root, child));
  }
  if (S_ISDIR(info.st_mode)) return ListInto(listing, child, depth + 1);
  if (S_ISREG(info.st_mode) && !IsStagingName(name)) {
    listing.out.push_back(LocalFile{child, static_cast<uint64_t>(info.st_size)});
  }
  return Status::Ok();
}

Status ListInto(const Listing& listing, const std::string& relative, int depth) {
  const std::string dir_path = relative.empty() ? listing.root : JoinPath(listing.root, relative);
  if (depth > kMaxDepth) {
    return FileError(listing.side, ELOOP, "listing " + dir_path + " (nested too deeply)");
  }
  std::unique_ptr<DIR, DirCloser> dir(::opendir(dir_path.c_str()));
  if (!dir) return FileError(listing.side, errno, "listing " + dir_path);
  while (true) {
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    CASECOORD_RETURN_IF_ERROR(ListEntry(listing, dir.get(), relative, name, depth));
  }
  if (errno != 0) return FileError(listing.side, errno, "listing " + dir_path);
  return Status::Ok();
}

}  // namespace

Status FileError(FileSide side, int error, const std::string& what) {
  std::string message = what + ": " + std::strerror(error);
  if (side == FileSide::kLocal) return Status(Reason::kIoError, message);
  if (error == EACCES || error == EPERM || error == EROFS) {
    return Status(Reason::kOffsiteRefused, message);
  }
  return Status(Reason::kOffsiteUnavailable, message);
}

bool IsStagingName(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (last.size() < kStagingMarker.size() + kStagingSuffixLength) return false;
  return last.substr(last.size() - kStagingSuffixLength - kStagingMarker.size(),
                     kStagingMarker.size()) == kStagingMarker;
}

FdCloser::~FdCloser() {
  if (fd_ >= 0) ::close(fd_);
}

Result<StagedFile> StagedFile::Create(const std::string& path, FileSide side) {
  std::string staging = path + std::string(kStagingMarker) + std::string(kStagingSuffixLength, 'X');
  int fd = ::mkostemp(staging.data(), O_CLOEXEC);
  if (fd < 0) return FileError(side, errno, "creating a file beside " + path);
  return StagedFile(path, std::move(staging), fd, side);
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : path_(std::move(other.path_)),
      staging_path_(std::move(other.staging_path_)),
      fd_(other.fd_),
      side_(other.side_),
      bytes_written_(other.bytes_written_) {
  other.fd_ = -1;
  other.staging_path_.clear();
}

StagedFile::~StagedFile() { Discard(); }

void StagedFile::Discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!staging_path_.empty()) ::unlink(staging_path_.c_str());
  staging_path_.clear();
}

Status StagedFile::Write(const char* data, size_t size) {
  while (size > 0) {
    ssize_t written = ::write(fd_, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return FileError(side_, errno, "writing " + path_);
    }
    data += written;
    size -= static_cast<size_t>(written);
    bytes_written_ += static_cast<uint64_t>(written);
  }
  return Status::Ok();
}

Status StagedFile::Commit() {
  if (::fsync(fd_) != 0) return FileError(side_, errno, "syncing " + path_);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return FileError(side_, errno, "closing " + path_);
  if (::rename(staging_path_.c_str(), path_.c_str()) != 0) {
    return FileError(side_, errno, "renaming into " + path_);
  }
  staging_path_.clear();
  return SyncDirectory(ParentOf(path_), side_);
}

Status MakeDirectories(const std::string& dir, FileSide side) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return Status::Ok();
    return FileError(side, ENOTDIR, "creating directory " + dir);
  }
  const std::string parent = ParentOf(dir);
  if (parent != dir) CASECOORD_RETURN_IF_ERROR(MakeDirectories(parent, side));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return FileError(side, errno, "creating directory " + dir);
  }
  return SyncDirectory(parent, side);
}

Status SyncDirectory(const std::string& dir, FileSide side) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileError(side, errno, "opening directory " + dir);
  int result = ::fsync(fd);
  int error = errno;
  ::close(fd);
  // Some file systems (and some NFS servers) refuse fsync on a directory; the rename is then as
  // durable as they make it.
  if (result != 0 && error != EINVAL && error != ENOTSUP) {
    return FileError(side, error, "syncing directory " + dir);
  }
  return Status::Ok();
}

Result<std::vector<LocalFile>> ListFilesUnder(const std::string& root, FileSide side) {
  std::vector<LocalFile> files;
  CASECOORD_RETURN_IF_ERROR(ListInto(Listing{root, side, files}, "", 0));
  std::sort(files.begin(), files.end(),
            [](const LocalFile& a, const LocalFile& b) { return a.name < b.name; });
  return files;
}

Result<FileDigest> DigestFile(int fd, const std::string& what) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    return Status(Reason::kIoError, "cannot start SHA-256 for " + what);
  }
  FileDigest digest;
  std::array<char, 1 << 16> buffer{};
  while (true) {
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status(Reason::kIoError, "reading " + what + ": " + std::strerror(errno));
    }
    if (got == 0) break;
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<size_t>(got));
    digest.size_bytes += static_cast<uint64_t>(got);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context.get(), bytes.data(), &size) != 1) {
    return Status(Reason::kIoError, "cannot finish SHA-256 for " + what);
  }
  digest.sha256 = LowerHex(std::string_view(reinterpret_cast<const char*>(bytes.data()), size));
  return digest;
}

}  // namespace casecoord::backup
