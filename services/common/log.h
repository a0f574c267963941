// Structured logging: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-22T03:24:00.123Z","level":"info","msg":"listening","port":"8443"}
// Never log keys, certificates' private parts or record contents.
//
// Thread safety: all functions may be called from any thread; lines never interleave.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace casecoord::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using Field = std::pair<std::string_view, std::string>;

// The current time as the log writes it: "2026-11-22T03:24:00.123Z" (UTC, milliseconds).
std::string UtcTimestamp();

// Messages below `level` are dropped. Default: kInfo.
void SetMinimumLevel(Level level);
bool Enabled(Level level);

void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warning(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarning, m, f);
}
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

}  // namespace casecoord::log
