// Small text helpers shared by the server and the clients.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <string_view>

namespace casecoord {

// `text` without the ASCII whitespace (space, \t, \r, \n, \v, \f) and ideographic spaces (U+3000,
// which Japanese input methods type) at either end. Nothing else is touched.
std::string_view TrimSpaces(std::string_view text);

}  // namespace casecoord
