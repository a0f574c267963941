#include "services/storage/counters.h"

#include "services/common/log.h"
#include "services/common/text.h"

namespace casecoord::storage {
namespace {

// At most this many key bytes are logged (keys hold identifiers, never personal data).
constexpr size_t kLoggedKeyBytes = 64;

std::string LoggedKeyHex(std::string_view key) {
  return LowerHex(key.substr(0, kLoggedKeyBytes)) + (key.size() > kLoggedKeyBytes ? "..." : "");
}

std::string_view View(const rocksdb::Slice& slice) { return {slice.data(), slice.size()}; }

class CounterAddOperator : public rocksdb::AssociativeMergeOperator {
 public:
  explicit CounterAddOperator(bool tolerate_malformed) : tolerate_malformed_(tolerate_malformed) {}

  // `existing_value` is the stored value (full merge) or the older operand (partial merge).
  bool Merge(const rocksdb::Slice& key, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    uint64_t sum = 0;
    if (existing_value != nullptr) {
      auto existing = DecodeCounterValue(View(*existing_value));
      if (existing) {
        sum = static_cast<uint64_t>(*existing);
      } else if (!Tolerated(key, "existing value", existing_value->size())) {
        return false;
      }
    }
    auto delta = DecodeCounterValue(View(value));
    if (delta) {
      sum += static_cast<uint64_t>(*delta);  // wraps modulo 2^64, never undefined
    } else if (!Tolerated(key, "operand", value.size())) {
      return false;
    }
    *new_value = EncodeCounterValue(static_cast<int64_t>(sum));
    return true;
  }

  const char* Name() const override { return "casecoord.CounterAdd"; }

 private:
  // Logs a malformed part; true if it is to be ignored rather than fail the merge.
  bool Tolerated(const rocksdb::Slice& key, std::string_view part, size_t size) const {
    log::Error(tolerate_malformed_
                   ? "malformed counter ignored (tolerant mode): its value is wrong until rebuilt"
                   : "malformed counter: the merge fails and reads of the key report corruption",
               {{"key_hex", LoggedKeyHex(View(key))},
                {"part", std::string(part)},
                {"size", std::to_string(size)},
                {"expected_size", std::to_string(kCounterValueSize)}});
    return tolerate_malformed_;
  }

  const bool tolerate_malformed_;
};

}  // namespace

std::string EncodeCounterValue(int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  std::string out(kCounterValueSize, '\0');
  for (size_t i = 0; i < kCounterValueSize; ++i) {
    out[i] = static_cast<char>((bits >> (8 * (kCounterValueSize - 1 - i))) & 0xff);
  }
  return out;
}

std::optional<int64_t> DecodeCounterValue(std::string_view bytes) {
  if (bytes.size() != kCounterValueSize) return std::nullopt;
  uint64_t bits = 0;
  for (char c : bytes) bits = (bits << 8) | static_cast<unsigned char>(c);
  return static_cast<int64_t>(bits);
}

std::shared_ptr<rocksdb::MergeOperator> NewCounterMergeOperator(bool tolerate_malformed) {
  static const auto strict = std::make_shared<CounterAddOperator>(false);
  static const auto tolerant = std::make_shared<CounterAddOperator>(true);
  return tolerate_malformed ? tolerant : strict;
}

}  // namespace casecoord::storage
