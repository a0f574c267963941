// Every column family of the database, declared once. Adding one here is the whole registration:
// Storage opens (and creates) each of them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace casecoord::storage {

enum class ColumnFamily : size_t {
  kDefault = 0,  // RocksDB's own; unused by casecoord
  kMeta,         // schema version, instance settings
  kRecords,      // domain records, one key per resource
  kIndexes,      // secondary indexes (derived from records, same batch)
  kCounters,     // statistics counters (same batch as the event they count)
  kAudit,        // hash-chained audit entries
  kCount,
};

inline constexpr std::array<std::string_view, static_cast<size_t>(ColumnFamily::kCount)>
    kColumnFamilyNames = {"default", "meta", "records", "indexes", "counters", "audit"};

constexpr std::string_view ColumnFamilyName(ColumnFamily cf) {
  return kColumnFamilyNames[static_cast<size_t>(cf)];
}

}  // namespace casecoord::storage
