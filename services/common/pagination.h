// AIP-158 pagination shared by every List method.
//
// A page token is opaque to clients: base64url of (format version, a fingerprint of the request's
// other parameters, the last key returned). A token replayed with different parameters, altered, or
// made up is INVALID_ARGUMENT on field "page_token".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord {

inline constexpr int32_t kDefaultPageSize = 50;
inline constexpr int32_t kMaxPageSize = 1000;

struct PageRequest {
  int32_t size = kDefaultPageSize;  // effective page size, 1..kMaxPageSize
  std::string after_key;            // resume strictly after this key; empty on the first page
};

// `fingerprint` identifies the other request parameters (filter, order_by, parent); pass the same
// string when issuing and when parsing.
Result<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                     std::string_view fingerprint);

std::string MakePageToken(std::string_view last_key, std::string_view fingerprint);

}  // namespace casecoord
