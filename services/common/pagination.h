// AIP-158 pagination shared by every List method.
//
// A page token is opaque to clients: base64url of (format version, a MAC, the last key returned).
// The MAC is HMAC-SHA256 (truncated to 128 bits) under the server's page-token key, over the
// version, the request's other parameters (the fingerprint) and the key, so a client can neither
// forge a position nor replay a token with other parameters. A token altered, made up, issued by
// another server key, or replayed with different parameters is INVALID_ARGUMENT on "page_token".
// The position inside a genuine token is still parsed with non-throwing parsers: a token is input.
//
// Thread safety: every function may be called concurrently; SetPageTokenKey() is meant for
// start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord {

inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 1000;
// Longer tokens are refused before they are decoded; every token the server issues is far shorter.
inline constexpr size_t kMaxPageTokenBytes = 1024;

struct PageRequest {
  int32_t size = kDefaultPageSize;  // effective page size, 1..kMaxPageSize
  std::string after_key;            // resume strictly after this key; empty on the first page

  // `after_key` as a decimal position (0 on the first page); INVALID_ARGUMENT "page_token" when it
  // is not one.
  Result<uint64_t> AfterNumber() const;
};

// Sets the key tokens are MACed under (any length; derived from a server secret, so tokens stay
// valid across restarts). Until it is called, each process uses a random key of its own.
void SetPageTokenKey(std::string_view key);

// `fingerprint` identifies the other request parameters (filter, order_by, parent); pass the same
// string when issuing and when parsing.
Result<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                     std::string_view fingerprint);

std::string MakePageToken(std::string_view last_key, std::string_view fingerprint);

}  // namespace casecoord
