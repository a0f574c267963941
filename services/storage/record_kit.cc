#include "services/storage/record_kit.h"

#include "services/storage/key_encoding.h"
#include "services/storage/request_ledger.h"

namespace casecoord::storage {

Status CheckEtag(std::string_view name, std::string_view given, std::string_view current) {
  if (given.empty() || given == current) return Status::Ok();
  return Status(Reason::kStaleEtag, std::string(name) + " changed since it was read (etag " +
                                        (current.empty() ? "none" : std::string(current)) +
                                        ", not " + std::string(given) + "); get it again");
}

std::string Frame(std::initializer_list<std::string_view> parts) {
  std::string value;
  for (std::string_view part : parts) AppendString(&value, part);
  return value;
}

bool Unframe(std::string_view value, std::initializer_list<std::string*> parts) {
  KeyReader reader(value);
  for (std::string* part : parts) {
    if (!reader.ReadString(part)) return false;
  }
  return reader.done();
}

NumberedCreates::NumberedCreates(const Storage& storage, const KeySpace& sequence,
                                 const KeySpace& requests, Reason corrupt)
    : storage_(storage),
      sequence_key_(sequence.Prefix()),
      request_prefix_(requests.Prefix()),
      corrupt_(corrupt) {}

Status NumberedCreates::ValidateRequestId(std::string_view request_id) {
  return RequestLedger::Validate(request_id, /*required=*/true);
}

std::string NumberedCreates::RequestKey(std::string_view user_id,
                                        std::string_view request_id) const {
  std::string key = request_prefix_;
  AppendString(&key, user_id);
  AppendString(&key, request_id);
  return key;
}

Result<std::optional<uint64_t>> NumberedCreates::Earlier(std::string_view user_id,
                                                         std::string_view request_id) const {
  CASECOORD_ASSIGN_OR_RETURN(const std::optional<std::string> stored,
                             storage_.Get(ColumnFamily::kIndexes, RequestKey(user_id, request_id)));
  if (!stored) return std::optional<uint64_t>();
  KeyReader reader(*stored);
  uint64_t id = 0;
  if (!reader.ReadUint64(&id)) return Status(corrupt_, "a request index entry is unreadable");
  return std::optional<uint64_t>(id);
}

Result<uint64_t> NumberedCreates::NextId() const {
  CASECOORD_ASSIGN_OR_RETURN(const std::optional<std::string> stored,
                             storage_.Get(ColumnFamily::kMeta, sequence_key_));
  if (!stored) return uint64_t{1};
  KeyReader reader(*stored);
  uint64_t id = 0;
  if (!reader.ReadUint64(&id)) return Status(corrupt_, "the id sequence is unreadable");
  return id;
}

void NumberedCreates::Record(uint64_t id, std::string_view user_id, std::string_view request_id,
                             WriteBatch* batch) const {
  Take(id, batch);
  std::string id_value;
  AppendUint64(&id_value, id);
  batch->Put(ColumnFamily::kIndexes, RequestKey(user_id, request_id), id_value);
}

void NumberedCreates::Take(uint64_t id, WriteBatch* batch) const {
  std::string next_value;
  AppendUint64(&next_value, id + 1);
  batch->Put(ColumnFamily::kMeta, sequence_key_, next_value);
}

}  // namespace casecoord::storage
