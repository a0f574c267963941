#include "services/http/console_files.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace casecoord::http {
namespace {

constexpr size_t kSmallestWorthCompressing = 1024;

std::string ContentTypeOf(const std::filesystem::path& path) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  auto found = kTypes.find(path.extension().string());
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

bool IsCompressible(const std::string& content_type) {
  return content_type.starts_with("text/") || content_type == "image/svg+xml" ||
         content_type == "application/json";
}

// gzip (RFC 1952) of `data` at the best compression; empty on failure (served uncompressed).
std::string Gzip(const std::string& data) {
  z_stream stream{};
  // 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return "";
  }
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return result == Z_STREAM_END ? out : "";
}

bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  for (char c : path) {
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
    if (!allowed) return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

Result<ConsoleFiles> ConsoleFiles::Load(const std::string& dir, size_t max_total_bytes) {
  ConsoleFiles loaded;
  std::error_code error;
  size_t total = 0;
  auto it = std::filesystem::recursive_directory_iterator(dir, error);
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    const std::string relative = std::filesystem::relative(it->path(), dir, error).generic_string();
    if (error || !IsSafeRelativePath(relative)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) {
      return Status(Reason::kHttpListenerFailed, "console-dir: cannot read " + it->path().string());
    }
    ConsoleFile file;
    file.raw = std::move(content).str();
    total += file.raw.size();
    if (total > max_total_bytes) {
      return Status(Reason::kHttpListenerFailed, "console-dir: " + dir + " holds more than " +
                                                     std::to_string(max_total_bytes >> 20) +
                                                     " MiB");
    }
    file.content_type = ContentTypeOf(it->path());
    file.cache_control =
        relative.starts_with("assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    if (IsCompressible(file.content_type) && file.raw.size() >= kSmallestWorthCompressing) {
      file.gzipped = Gzip(file.raw);
      if (file.gzipped.size() >= file.raw.size()) file.gzipped.clear();
    }
    loaded.files_.emplace(relative, std::move(file));
  }
  if (error) {
    return Status(Reason::kHttpListenerFailed,
                  "console-dir: cannot list " + dir + ": " + error.message());
  }
  return loaded;
}

const ConsoleFile* ConsoleFiles::Find(std::string_view request_path) const {
  if (!request_path.starts_with('/')) return nullptr;
  std::string_view relative = request_path.substr(1);
  if (relative.empty()) relative = "index.html";
  if (!IsSafeRelativePath(relative)) return nullptr;
  auto found = files_.find(relative);
  return found == files_.end() ? nullptr : &found->second;
}

}  // namespace casecoord::http
