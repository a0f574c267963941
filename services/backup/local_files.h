// File helpers shared by the off-site stores (internal to services/backup): files written under a
// staging name and renamed into place, recursive listings, and errno turned into the reasons of
// offsite.h.
//
// Thread safety: the functions may be called from any thread; a StagedFile belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/common/status.h"

namespace casecoord::backup {

// Which side of a copy a file operation touched: the local machine (IO_ERROR) or a mounted
// directory store (OFFSITE_REFUSED for a permission or read-only error, OFFSITE_UNAVAILABLE for
// any other, such as an NFS server gone or a full share).
enum class FileSide { kLocal, kStore };

// The Status for `error` (an errno value) while doing `what` on `side`. The message holds `what`
// and strerror; callers never put a secret in `what`.
Status FileError(FileSide side, int error, const std::string& what);

// Whether the last component of `path` is a staging name ("NAME.tmp-XXXXXX", see StagedFile): a
// file a writer had not finished, which listings leave out.
bool IsStagingName(std::string_view path);

// Closes a file descriptor when it goes out of scope (a negative one is left alone).
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser();
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

// A file written as "PATH.tmp-XXXXXX" (mode 0600) beside `path` and renamed onto `path` by
// Commit() after an fsync, followed by an fsync of the directory, so that a reader finds either the
// old file or the whole new one. Destroying an uncommitted StagedFile removes the staging file.
class StagedFile {
 public:
  // Creates the staging file; the directory of `path` must exist.
  static Result<StagedFile> Create(const std::string& path, FileSide side);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile& operator=(StagedFile&&) = delete;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  // Appends `size` bytes.
  Status Write(const char* data, size_t size);
  // Makes the written bytes the file at the final path.
  Status Commit();
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  StagedFile(std::string path, std::string staging_path, int fd, FileSide side)
      : path_(std::move(path)), staging_path_(std::move(staging_path)), fd_(fd), side_(side) {}
  void Discard();

  std::string path_;
  std::string staging_path_;
  int fd_ = -1;
  FileSide side_;
  uint64_t bytes_written_ = 0;
};

// Creates `dir` and its missing parents (mode 0700).
Status MakeDirectories(const std::string& dir, FileSide side);

// Fsyncs the directory `dir`, so that a rename or unlink in it survives a crash.
Status SyncDirectory(const std::string& dir, FileSide side);

struct LocalFile {
  std::string name;  // relative to the listed root, '/'-separated
  uint64_t size_bytes = 0;
};

// Every regular file under `root` (recursively, symbolic links not followed), sorted by name,
// staging files left out. IO_ERROR (side kLocal) or the store's reason (kStore) when a directory
// cannot be read.
Result<std::vector<LocalFile>> ListFilesUnder(const std::string& root, FileSide side);

// Reads `fd` from its current offset to the end, returning the lower-case hex SHA-256 and the
// number of bytes read. IO_ERROR naming `what` if a read fails.
struct FileDigest {
  std::string sha256;
  uint64_t size_bytes = 0;
};
Result<FileDigest> DigestFile(int fd, const std::string& what);

}  // namespace casecoord::backup
