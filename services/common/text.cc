#include "services/common/text.h"

#include <charconv>
#include <cstdint>

namespace casecoord {
namespace {

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

}  // namespace

std::string_view TrimSpaces(std::string_view text) {
  for (;;) {
    if (!text.empty() && IsAsciiSpace(text.front())) {
      text.remove_prefix(1);
    } else if (text.starts_with(kIdeographicSpace)) {
      text.remove_prefix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  for (;;) {
    if (!text.empty() && IsAsciiSpace(text.back())) {
      text.remove_suffix(1);
    } else if (text.ends_with(kIdeographicSpace)) {
      text.remove_suffix(kIdeographicSpace.size());
    } else {
      break;
    }
  }
  return text;
}

bool IsResourceId(std::string_view id) {
  if (id.empty() || id.size() > 63 || id.front() == '-') return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

size_t CharacterCount(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::string ShortQuote(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t end = max_bytes;
  // Step back over continuation bytes so that no character is split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "\xE2\x80\xA6";  // U+2026
}

std::string NextRevisionEtag(std::string_view etag) {
  uint64_t revision = 0;
  if (etag.empty() || etag.size() > 19) return "1";
  for (char c : etag) {
    if (c < '0' || c > '9') return "1";
    revision = revision * 10 + static_cast<uint64_t>(c - '0');
  }
  return std::to_string(revision + 1);
}

namespace {

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<uint64_t> ParseDecimalId(std::string_view digits, bool allow_zero) {
  if (!AllDigits(digits)) return std::nullopt;
  if (digits.front() == '0' && !(allow_zero && digits.size() == 1)) return std::nullopt;
  uint64_t value = 0;
  // 18 digits cannot overflow 64 bits, so from_chars cannot fail here.
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

std::optional<int64_t> ParseDecimalInt(std::string_view text, int64_t min, int64_t max) {
  const bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (!AllDigits(digits)) return std::nullopt;
  int64_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (negative) value = -value;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::string LowerHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0F]);
  }
  return hex;
}

}  // namespace casecoord
