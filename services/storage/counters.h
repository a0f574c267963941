// Counters in ColumnFamily::kCounters that many writers change concurrently without reading them.
//
// A counter value is a signed 64-bit integer stored as 8 bytes, big-endian two's complement. A
// writer adds a delta with WriteBatch::Add (a RocksDB Merge), in the same batch as the event it
// counts; the merge operator below, registered by Storage::Open for kCounters only, sums the deltas
// when the counter is read, flushed or compacted. Nobody reads a counter to change it, so there is
// no lock and no lost update between concurrent committers.
//
// Contract:
// - Sums wrap around modulo 2^64 (two's complement), which keeps the operator associative.
// - A key changed with Add is written only with Add, Delete or DeleteRange. A stored value or an
//   operand that is not 8 bytes is corruption: the operator logs it (key in hex, sizes; never the
//   value) and fails the merge, so the read reports STORAGE_CORRUPTION instead of crashing.
//   RocksDB 7.8 cannot confine that failure to reads: a flush or compaction that meets such a key
//   fails too, after which every commit fails, and the next open fails while it flushes the
//   recovered WAL. The way out is to open once with StorageOptions::tolerate_malformed_counters
//   (the tolerant operator below), then rebuild the counters (stats::ReplaceCounters).
// - Keys written with Put only (no merge operand on top) never reach the operator, so kCounters may
//   also hold ordinary read-modify-write records.
#pragma once

#include <rocksdb/merge_operator.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace casecoord::storage {

inline constexpr size_t kCounterValueSize = 8;

// The 8-byte big-endian two's complement form of `value`.
std::string EncodeCounterValue(int64_t value);

// The value of an 8-byte counter; std::nullopt for any other size.
std::optional<int64_t> DecodeCounterValue(std::string_view bytes);

// The signed add operator (a rocksdb::AssociativeMergeOperator named "casecoord.CounterAdd").
// Stateless; one shared instance per mode. With `tolerate_malformed`, for recovery only, a
// malformed existing value counts as 0 and a malformed operand is skipped (both still logged), so
// merges never fail and the counter's value is wrong until rebuilt.
std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator(bool tolerate_malformed = false);

}  // namespace casecoord::storage
