#include "services/auth/password.h"

#include <argon2.h>

#include <optional>
#include <string>
#include <vector>

#include "services/auth/random_token.h"
#include "services/common/text.h"

namespace casecoord::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// A default-parameter hash is about 100 bytes; this leaves room for larger parameters and longer
// salts while refusing anything that could only be garbage.
constexpr size_t kMaxEncodedBytes = 256;
constexpr size_t kMaxPasswordBytes = 128;
constexpr size_t kMinPasswordCharacters = 12;

bool ParamsWithinBounds(uint32_t time_cost, uint32_t memory_kib, uint32_t parallelism) {
  return time_cost >= ARGON2_MIN_TIME && time_cost <= kMaxTimeCost && parallelism >= 1 &&
         parallelism <= kMaxParallelism && memory_kib >= 8 * parallelism &&
         memory_kib <= kMaxMemoryKib;
}

// Removes `prefix` from the front of `text`; false (text unchanged) if it is not there.
bool Consume(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// Reads a decimal number up to `terminator` (consumed) from the front of `text`.
std::optional<uint32_t> ConsumeNumber(std::string_view& text, char terminator) {
  const size_t end = text.find(terminator);
  if (end == std::string_view::npos) return std::nullopt;
  // No sign, no leading zero: one spelling per value, as libargon2 writes them.
  std::optional<uint64_t> value = ParseDecimalId(text.substr(0, end));
  if (!value || *value > UINT32_MAX) return std::nullopt;
  text.remove_prefix(end + 1);
  return static_cast<uint32_t>(*value);
}

bool IsBase64Text(std::string_view text, size_t min_size, size_t max_size) {
  if (text.size() < min_size || text.size() > max_size) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  return true;
}

// Whether `encoded` has the exact shape HashPassword writes, with parameters within the maximums.
// libargon2 parses it again; this check exists so that libargon2 never sees an argon2 string
// asking for more memory or time than we allow, or a string of another variant or version.
bool IsAcceptableEncoding(std::string_view encoded) {
  if (encoded.size() > kMaxEncodedBytes) return false;
  if (!Consume(encoded, "$argon2id$v=19$m=")) return false;
  const std::optional<uint32_t> memory_kib = ConsumeNumber(encoded, ',');
  if (!memory_kib || !Consume(encoded, "t=")) return false;
  const std::optional<uint32_t> time_cost = ConsumeNumber(encoded, ',');
  if (!time_cost || !Consume(encoded, "p=")) return false;
  const std::optional<uint32_t> parallelism = ConsumeNumber(encoded, '$');
  if (!parallelism || !ParamsWithinBounds(*time_cost, *memory_kib, *parallelism)) return false;
  const size_t salt_end = encoded.find('$');
  if (salt_end == std::string_view::npos) return false;
  // Salts of 8 to 64 bytes, hashes of 16 to 64 bytes, in unpadded base64.
  return IsBase64Text(encoded.substr(0, salt_end), 11, 86) &&
         IsBase64Text(encoded.substr(salt_end + 1), 22, 86);
}

// The code points of `text`, or nullopt if it is not valid UTF-8 (overlong forms, surrogates and
// values over U+10FFFF are invalid).
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view text) {
  std::vector<char32_t> code_points;
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    char32_t value = 0;
    char32_t min_value = 0;
    if (lead < 0x80) {
      length = 1;
      value = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      value = lead & 0x1F;
      min_value = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      value = lead & 0x0F;
      min_value = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      value = lead & 0x07;
      min_value = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + length > text.size()) return std::nullopt;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      value = (value << 6) | (next & 0x3F);
    }
    if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return std::nullopt;
    }
    code_points.push_back(value);
    i += length;
  }
  return code_points;
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const std::string& DummyHash() {
  // Made once (thread-safe static initialisation) from a random password nobody knows. Should the
  // generator fail, the hash of a fixed text costs the same to verify; should libargon2 fail, no
  // real verification works either, and the empty string fails at once.
  static const std::string hash = [] {
    Result<std::string> password = RandomBytes(32);
    Result<std::string> encoded =
        HashPassword(password.ok() ? Base64Url(*password) : "dummy password for unknown users");
    return encoded.ok() ? *encoded : std::string();
  }();
  return hash;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password, const PasswordParams& params) {
  if (!ParamsWithinBounds(params.time_cost, params.memory_kib, params.parallelism)) {
    return Status::InvalidArgument("password_params", "outside the supported argon2id parameters");
  }
  CASECOORD_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  std::string encoded(argon2_encodedlen(params.time_cost, params.memory_kib, params.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt.data(), salt.size(),
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Status(Reason::kHandlerFailed,
                  std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  }
  const size_t end = encoded.find('\0');
  if (end != std::string::npos) encoded.resize(end);
  return encoded;
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  if (!IsAcceptableEncoding(encoded)) return false;
  const std::string terminated(encoded);  // libargon2 reads a C string
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void VerifyAgainstDummy(std::string_view password) {
  const std::string& hash = DummyHash();
  // The result is meaningless by construction; only the time spent matters.
  (void)argon2id_verify(hash.c_str(), password.data(), password.size());
}

Status CheckPasswordRules(std::string_view password, std::string_view user_id) {
  const std::optional<std::vector<char32_t>> characters = DecodeUtf8(password);
  if (!characters) return Status::InvalidArgument("password", "is not valid UTF-8 text");
  if (password.size() > kMaxPasswordBytes) {
    return Status::InvalidArgument("password", "must be at most 128 bytes");
  }
  if (characters->size() < kMinPasswordCharacters) {
    return Status::InvalidArgument("password", "must be at least 12 characters");
  }
  if (EqualsIgnoringAsciiCase(password, user_id)) {
    return Status::InvalidArgument("password", "must not be the user id");
  }
  bool all_same = true;
  for (char32_t c : *characters) all_same = all_same && c == characters->front();
  if (all_same) return Status::InvalidArgument("password", "must not be one character repeated");
  return Status::Ok();
}

}  // namespace casecoord::auth
