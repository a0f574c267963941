// Small text helpers shared by the server and the clients.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <optional>
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

// The number written by `digits` if it is a decimal id as the server writes them: 1 to 18 ASCII
// digits, no sign, no leading zero ("0" itself only when `allow_zero`). nullopt for anything else.
// Never throws: this and ParseDecimalInt are the only number parsers of services/ (no std::sto*).
std::optional<uint64_t> ParseDecimalId(std::string_view digits, bool allow_zero = false);

// The integer written by `text` (an optional '-', then 1 to 18 ASCII digits) if it lies in
// [min, max]; nullopt for anything else, including spaces and '+'. Never throws.
std::optional<int64_t> ParseDecimalInt(std::string_view text, int64_t min, int64_t max);

// At most `max_bytes` of `text`, cut at a character boundary, with "…" appended when anything was
// cut: how error messages, logs and audit entries quote input without carrying all of it.
std::string ShortQuote(std::string_view text, size_t max_bytes = 64);

// Lowercase hexadecimal of `bytes` (two digits per byte).
std::string LowerHex(std::string_view bytes);

// Etags that are a record's revision: "1" for a new record (or after an etag that is not a
// revision number), one more than `etag` otherwise.
std::string NextRevisionEtag(std::string_view etag);

}  // namespace casecoord
