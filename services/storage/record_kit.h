// The machinery every domain store shares, so that each store holds only its domain: idempotent
// numbered creates (AIP-155 request ids over a next-id sequence), the etag check (AIP-154),
// framed values, and typed scans of a key prefix.
//
// Thread safety: every function here is safe to call concurrently; a NumberedCreates is immutable
// after construction. The store that uses them must hold the lock that serialises its writes
// (the case lock, say) from the Earlier/NextId reads until the batch commits, so that two creates
// cannot take one id and two copies of one request cannot both miss the request index.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/status.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"
#include "services/storage/storage.h"

namespace casecoord::storage {

// OK when `given` is empty (the caller set no precondition) or equals `current`; ABORTED
// STALE_ETAG naming `name` otherwise.
Status CheckEtag(std::string_view name, std::string_view given, std::string_view current);

// Several byte strings as one value, each length-delimited (key_encoding's strings), so that a
// record stored as, say, [public part, sealed personal part] reads back part by part.
std::string Frame(std::initializer_list<std::string_view> parts);
// Reads exactly `parts.size()` parts back; false (and the outputs unspecified) when `value` holds
// fewer, more, or malformed parts.
bool Unframe(std::string_view value, std::initializer_list<std::string*> parts);

// Records numbered 1, 2, 3, ... by a sequence, created at most once per (user, request id).
class NumberedCreates {
 public:
  // `sequence`: the kMeta key space holding the next id; `requests`: the kIndexes key space of the
  // request index, (user, request id) → id. `corrupt` is the DATA_LOSS reason for an unreadable
  // sequence or index entry.
  NumberedCreates(const Storage& storage, const KeySpace& sequence, const KeySpace& requests,
                  Reason corrupt);

  // OK for 1 to 64 printable ASCII characters (RequestLedger::Validate, required); INVALID_ARGUMENT
  // "request_id" otherwise.
  static Status ValidateRequestId(std::string_view request_id);

  // The id an earlier create of `user_id` with `request_id` took, or nullopt.
  Result<std::optional<uint64_t>> Earlier(std::string_view user_id,
                                          std::string_view request_id) const;
  // The id the next create takes (1 for the first).
  Result<uint64_t> NextId() const;
  // Takes `id` (the sequence moves past it) and remembers it for (user_id, request_id), in `batch`.
  void Record(uint64_t id, std::string_view user_id, std::string_view request_id,
              WriteBatch* batch) const;
  // Takes every id up to `id` (the sequence moves past it), in `batch`: for records created
  // several to a batch under an idempotency key of their own (an import's source ids).
  void Take(uint64_t id, WriteBatch* batch) const;

 private:
  std::string RequestKey(std::string_view user_id, std::string_view request_id) const;

  const Storage& storage_;
  std::string sequence_key_;
  std::string request_prefix_;
  Reason corrupt_;
};

// The whole idempotent create: validates `request_id`, answers `load(id)` for what an earlier copy
// of the request made, or else runs `create(id)` with the next id (it prepares its changes into
// `batch`) and, when it succeeds, takes the id and records the request in the same batch. `load`
// must read through the normal path, so that a record the caller may no longer see stays hidden.
template <typename Load, typename Create>
auto CreateOnce(const NumberedCreates& creates, std::string_view user_id,
                std::string_view request_id, WriteBatch* batch, Load load, Create create)
    -> decltype(load(uint64_t{})) {
  CASECOORD_RETURN_IF_ERROR(NumberedCreates::ValidateRequestId(request_id));
  CASECOORD_ASSIGN_OR_RETURN(const std::optional<uint64_t> earlier,
                             creates.Earlier(user_id, request_id));
  if (earlier) return load(*earlier);
  CASECOORD_ASSIGN_OR_RETURN(const uint64_t id, creates.NextId());
  auto created = create(id);
  if (created.ok()) creates.Record(id, user_id, request_id, batch);
  return created;
}

// Visits, in key order, every entry of `family` whose key starts with `prefix` and sorts after
// `start_after` (when not empty). `visit(key, value)` returns Result<bool>: false stops the walk,
// an error ends it with that error.
template <typename Visit>
Status ForEachWithPrefix(const Storage& storage, ColumnFamily family, std::string_view prefix,
                         std::string_view start_after, Visit visit) {
  const std::string end = PrefixSuccessor(prefix);
  auto it = storage.NewIterator(family);
  if (start_after.empty()) {
    it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  } else {
    std::string after(start_after);
    after.push_back('\0');  // the smallest key greater than start_after
    it->Seek(after);
  }
  for (; it->Valid() && (end.empty() || it->key().compare(end) < 0); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix)) continue;
    CASECOORD_ASSIGN_OR_RETURN(
        const bool more, visit(key, std::string_view(it->value().data(), it->value().size())));
    if (!more) return Status::Ok();
  }
  if (!it->status().ok()) return FromRocksStatus(it->status(), "scanning");
  return Status::Ok();
}

// ForEachWithPrefix for values that are serialized `Message`s: a value that does not parse ends
// the walk with DATA_LOSS `corrupt`. `visit(key, Message&&)` returns Result<bool>.
template <typename Message, typename Visit>
Status ForEachRecord(const Storage& storage, ColumnFamily family, std::string_view prefix,
                     std::string_view start_after, Reason corrupt, Visit visit) {
  return ForEachWithPrefix(
      storage, family, prefix, start_after,
      [&](std::string_view key, std::string_view value) -> Result<bool> {
        Message message;
        if (!message.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return Status(corrupt, "a record under " +
                                     std::string(prefix.substr(0, prefix.find('\0'))) +
                                     " is unreadable");
        }
        return visit(key, std::move(message));
      });
}

}  // namespace casecoord::storage
