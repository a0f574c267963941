#include "services/storage/request_ledger.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::storage {
namespace {

constexpr size_t kDigestBytes = 32;

}  // namespace

Status RequestLedger::Validate(std::string_view request_id, bool required) {
  if (request_id.empty()) {
    return required ? Status::InvalidArgument("request_id", "required (1 to 64 printable ASCII)")
                    : Status::Ok();
  }
  if (request_id.size() > kMaxRequestIdBytes) {
    return Status::InvalidArgument("request_id", "at most 64 printable ASCII characters");
  }
  for (char c : request_id) {
    if (c <= 0x20 || c >= 0x7f) {
      return Status::InvalidArgument("request_id", "printable ASCII characters only");
    }
  }
  return Status::Ok();
}

std::string RequestLedger::Digest(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* field = copy->GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr) copy->GetReflection()->ClearField(copy.get(), field);
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  std::string digest(kDigestBytes, '\0');
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
             EVP_sha256(), nullptr);
  return digest;
}

namespace {

std::string LedgerKey(std::string_view operation, std::string_view user_id,
                      std::string_view request_id) {
  std::string key;
  AppendString(&key, key_spaces::kRequestLedger.name);
  AppendString(&key, operation);
  AppendString(&key, user_id);
  AppendString(&key, request_id);
  return key;
}

}  // namespace

Result<std::optional<std::string>> RequestLedger::Find(std::string_view operation,
                                                       std::string_view user_id,
                                                       std::string_view request_id,
                                                       std::string_view digest) const {
  if (request_id.empty()) return std::optional<std::string>();
  auto stored = storage_.Get(ColumnFamily::kIndexes, LedgerKey(operation, user_id, request_id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<std::string>();
  const std::string& value = **stored;
  if (value.size() < kDigestBytes) {
    return Status(Reason::kRequestLedgerCorrupt, "a request ledger entry is short");
  }
  if (digest.size() != kDigestBytes ||
      CRYPTO_memcmp(value.data(), digest.data(), kDigestBytes) != 0) {
    const std::string message =
        "request_id was already used for a different request; use a new id for a new write";
    Status reused(Reason::kRequestIdReused, message);
    reused.AddViolation("request_id", message);
    return reused;
  }
  return std::optional<std::string>(value.substr(kDigestBytes));
}

void RequestLedger::Record(std::string_view operation, std::string_view user_id,
                           std::string_view request_id, std::string_view digest,
                           std::string_view name, WriteBatch* batch) const {
  if (request_id.empty()) return;
  std::string value(digest);
  value.append(name);
  batch->Put(ColumnFamily::kIndexes, LedgerKey(operation, user_id, request_id), value);
}

}  // namespace casecoord::storage
