// The web console's built files (clients/web/dist), read once at start-up and served from memory.
//
// Each file is kept as it is and gzip-compressed (level 9, once), so a browser that accepts gzip
// gets the small copy at no cost per request; compressing a 240 KB script per request costs more
// than the rest of the page load. Content-hashed files under assets/ never change and are cached
// by browsers for a year; everything else (index.html) is revalidated on every load, so a new
// build is picked up by the next page load. Rebuilding the console needs a server restart.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord::http {

struct ConsoleFile {
  std::string content_type;  // with charset for text
  std::string cache_control;
  std::string raw;
  std::string gzipped;  // empty when compression does not pay (images, tiny files)
};

class ConsoleFiles {
 public:
  // Reads every regular file below `dir` (symbolic links are not followed), at most
  // `max_total_bytes` in all. HTTP_LISTENER_FAILED naming the file when one cannot be read, or
  // the directory when the total is over the bound.
  static Result<ConsoleFiles> Load(const std::string& dir, size_t max_total_bytes = 64u << 20);

  // The file for a request path ("/" is index.html); nullptr for anything else, including paths
  // with "..", empty segments or characters outside [A-Za-z0-9._/-].
  const ConsoleFile* Find(std::string_view request_path) const;

 private:
  std::map<std::string, ConsoleFile, std::less<>> files_;  // by path relative to the dir
};

}  // namespace casecoord::http
