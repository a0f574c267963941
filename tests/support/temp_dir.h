// Test helpers for real directories on disk.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace casecoord::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Every regular file under `dir` (recursively) mapped to "size:sha256:mode", to show that an
// operation changed nothing.
std::map<std::string, std::string> SnapshotDirectory(const std::string& dir);

// Paths of the regular files under `dir` (recursively) whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle);

// Regular files under `dir` (recursively), relative names.
std::vector<std::string> ListFiles(const std::string& dir);

}  // namespace casecoord::testing
