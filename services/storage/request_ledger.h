// Idempotent writes by request id (AIP-155), for every create-like write.
//
// A client that lost the answer to a write retries it with the same `request_id`; the write must
// land once. The ledger remembers, per operation, user and request id, the name of what the first
// write made and a digest of the request, in the same batch as the write itself: a retry finds the
// name and answers from the record (through the normal read path, so visibility and purges still
// apply), and a request id reused for a different request is refused rather than answered with
// the wrong record.
//
// Entries live in the indexes column family under "request-ledger". They hold names and digests
// only, never record contents, so a purged case leaves nothing readable behind.
//
// Thread safety: const methods may be called concurrently. A caller must hold the lock that
// serialises writes of the record (the case lock, say) from Find() until its batch commits, so
// that two copies of one request cannot both miss the ledger.
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <string_view>

#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::storage {

inline constexpr size_t kMaxRequestIdBytes = 64;

class RequestLedger {
 public:
  explicit RequestLedger(const Storage& storage) : storage_(storage) {}

  // OK for an id of 1 to kMaxRequestIdBytes printable ASCII characters; INVALID_ARGUMENT on field
  // "request_id" otherwise. An empty id is valid only when `required` is false.
  static Status Validate(std::string_view request_id, bool required);

  // The digest a request is remembered by: SHA-256 of its deterministic serialization with its
  // `request_id` field (if it has one) cleared.
  static std::string Digest(const google::protobuf::Message& request);

  // `operation` separates the writes that take request ids ("AppendConsultation", ...), so one id
  // used for two kinds of write names two things.
  //
  // The name recorded for (user_id, request_id), or nullopt when this is the first time (always
  // for an empty request_id). INVALID_ARGUMENT "request_id" (reason REQUEST_ID_REUSED) when the
  // id was used for a request with another digest.
  Result<std::optional<std::string>> Find(std::string_view operation, std::string_view user_id,
                                          std::string_view request_id,
                                          std::string_view digest) const;

  // Remembers `name` for (user_id, request_id) in `batch`; nothing for an empty request_id.
  void Record(std::string_view operation, std::string_view user_id, std::string_view request_id,
              std::string_view digest, std::string_view name, WriteBatch* batch) const;

 private:
  const Storage& storage_;
};

// The whole idempotent write: validates `request_id` (optional), and either answers `load(name)`
// for what an earlier copy of `request` made, or runs `write()` (which prepares its changes into
// `batch`) and records `name_of(result)` in the same batch. `load` must read through the normal
// path so that what the caller may no longer see stays hidden.
template <typename Record, typename Load, typename Write, typename NameOf>
Result<Record> WriteOnce(const RequestLedger& ledger, std::string_view operation,
                         std::string_view user_id, std::string_view request_id,
                         const google::protobuf::Message& request, WriteBatch* batch, Load load,
                         Write write, NameOf name_of) {
  CASECOORD_RETURN_IF_ERROR(RequestLedger::Validate(request_id, /*required=*/false));
  const std::string digest = request_id.empty() ? "" : RequestLedger::Digest(request);
  auto earlier = ledger.Find(operation, user_id, request_id, digest);
  if (!earlier.ok()) return earlier.status();
  if (earlier->has_value()) return load(**earlier);
  Result<Record> written = write();
  if (written.ok()) {
    ledger.Record(operation, user_id, request_id, digest, name_of(*written), batch);
  }
  return written;
}

}  // namespace casecoord::storage
