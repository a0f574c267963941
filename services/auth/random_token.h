// Random bytes and their text forms for the sign-in library (password salts, TOTP secrets,
// session secrets and ids). Internal to services/auth.
//
// Thread safety: every function may be called concurrently (OpenSSL's generator is thread-safe).
#pragma once

#include <openssl/rand.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord::auth {

// `size` bytes from OpenSSL's CSPRNG; INTERNAL "RANDOM_FAILURE" if it cannot produce them.
inline Result<std::string> RandomBytes(size_t size) {
  std::string bytes(size, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(size)) != 1) {
    return Status(Reason::kRandomFailure, "the random number generator failed");
  }
  return bytes;
}

// RFC 4648 section 5 base64url of `bytes`, without padding: safe in a cookie and a URL as is.
inline std::string Base64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  auto byte = [&bytes](size_t at) { return static_cast<unsigned char>(bytes[at]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) text.push_back(kAlphabet[(group >> shift) & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned group = byte(i) << 16;
    if (rest == 2) group |= byte(i + 1) << 8;
    text.push_back(kAlphabet[(group >> 18) & 63]);
    text.push_back(kAlphabet[(group >> 12) & 63]);
    if (rest == 2) text.push_back(kAlphabet[(group >> 6) & 63]);
  }
  return text;
}

}  // namespace casecoord::auth
