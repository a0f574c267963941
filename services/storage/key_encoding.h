// Order-preserving key encoding. Integers are big-endian so that byte order equals numeric order;
// strings are escaped and terminated so that a string key component sorts before any longer string
// with the same prefix and never runs into the next component.
//
//   std::string key;
//   AppendString(&key, "cases");  AppendUint64(&key, 42);
//   KeyReader reader(key);  reader.ReadString(&s);  reader.ReadUint64(&n);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace casecoord::storage {

void AppendUint32(std::string* key, uint32_t value);
void AppendUint64(std::string* key, uint64_t value);
// Signed integers are offset by 2^63 so that negative values sort first.
void AppendInt64(std::string* key, int64_t value);
// Escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x01.
void AppendString(std::string* key, std::string_view value);

// Reads components back in the order they were appended. Each Read returns false, and leaves the
// reader unchanged, when the remaining bytes do not hold a well-formed component.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : rest_(key) {}
  bool ReadUint32(uint32_t* value);
  bool ReadUint64(uint64_t* value);
  bool ReadInt64(int64_t* value);
  bool ReadString(std::string* value);
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// The smallest key greater than every key starting with `prefix` (for iterator upper bounds);
// empty if there is none (prefix all 0xFF).
std::string PrefixSuccessor(std::string_view prefix);

}  // namespace casecoord::storage
