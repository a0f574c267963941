// The audit trail's key layout, shared by the writer (audit_log.cc) and the query (audit_query.cc).
// Internal to services/auth.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace casecoord::auth::audit_layout {

// kAudit: the entry with this sequence number.
std::string SequenceKey(uint64_t sequence);
// kIndexes: `index` (a key space name: by user, by resource) / value / sequence.
std::string IndexKey(const char* index, std::string_view value, uint64_t sequence);
// kIndexes: by time / microseconds since the epoch / sequence.
std::string TimeIndexKey(int64_t micros, uint64_t sequence);
// Microseconds since the epoch.
int64_t Micros(std::chrono::system_clock::time_point time);

}  // namespace casecoord::auth::audit_layout
