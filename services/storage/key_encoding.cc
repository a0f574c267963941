#include "services/storage/key_encoding.h"

namespace casecoord::storage {
namespace {

template <typename T>
void AppendBigEndian(std::string* key, T value) {
  for (int shift = (sizeof(T) - 1) * 8; shift >= 0; shift -= 8) {
    key->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

template <typename T>
bool ReadBigEndian(std::string_view* rest, T* value) {
  if (rest->size() < sizeof(T)) return false;
  T out = 0;
  for (size_t i = 0; i < sizeof(T); ++i) out = (out << 8) | static_cast<uint8_t>((*rest)[i]);
  rest->remove_prefix(sizeof(T));
  *value = out;
  return true;
}

}  // namespace

void AppendUint32(std::string* key, uint32_t value) { AppendBigEndian(key, value); }
void AppendUint64(std::string* key, uint64_t value) { AppendBigEndian(key, value); }
void AppendInt64(std::string* key, int64_t value) {
  AppendBigEndian(key, static_cast<uint64_t>(value) ^ (uint64_t{1} << 63));
}

void AppendString(std::string* key, std::string_view value) {
  for (char c : value) {
    key->push_back(c);
    if (c == '\0') key->push_back('\xff');
  }
  key->push_back('\0');
  key->push_back('\x01');
}

bool KeyReader::ReadUint32(uint32_t* value) { return ReadBigEndian(&rest_, value); }
bool KeyReader::ReadUint64(uint64_t* value) { return ReadBigEndian(&rest_, value); }
bool KeyReader::ReadInt64(int64_t* value) {
  uint64_t raw = 0;
  if (!ReadBigEndian(&rest_, &raw)) return false;
  *value = static_cast<int64_t>(raw ^ (uint64_t{1} << 63));
  return true;
}

bool KeyReader::ReadString(std::string* value) {
  std::string out;
  for (size_t i = 0; i + 1 < rest_.size(); ++i) {
    char c = rest_[i];
    if (c != '\0') {
      out.push_back(c);
      continue;
    }
    char next = rest_[i + 1];
    if (next == '\x01') {
      rest_.remove_prefix(i + 2);
      *value = std::move(out);
      return true;
    }
    if (next != '\xff') return false;
    out.push_back('\0');
    ++i;
  }
  return false;
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    if (static_cast<uint8_t>(out.back()) != 0xff) {
      out.back() = static_cast<char>(static_cast<uint8_t>(out.back()) + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

}  // namespace casecoord::storage
