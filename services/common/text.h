// Small text helpers shared by the server and the clients.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <string>
#include <string_view>

namespace casecoord {

// `text` without the ASCII whitespace (space, \t, \r, \n, \v, \f) and ideographic spaces (U+3000,
// which Japanese input methods type) at either end. Nothing else is touched.
std::string_view TrimSpaces(std::string_view text);

// Whether `id` is a resource id of the API (AIP-122 style, as documented in common.proto): 1 to 63
// lowercase ASCII letters, digits and '-', not starting with '-'. Also used for tags and districts.
bool IsResourceId(std::string_view id);

// The number of characters (code points) of UTF-8 `text`: the unit of every length limit people
// see ("at most 200 characters"). Counts lead bytes only; it does not validate.
size_t CharacterCount(std::string_view text);

// Etags that are a record's revision: "1" for a new record (or after an etag that is not a
// revision number), one more than `etag` otherwise.
std::string NextRevisionEtag(std::string_view etag);

}  // namespace casecoord
