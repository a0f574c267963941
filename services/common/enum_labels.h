// The Japanese labels of enum values, declared once in the proto as the (casecoord.v1.label_ja)
// option, so that the server (CSV, reports) and the clients (tables) show the same words.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <google/protobuf/descriptor.h>

#include <optional>
#include <string>
#include <string_view>

namespace casecoord {

// The value's label_ja, or its name when it has none.
std::string LabelJa(const google::protobuf::EnumValueDescriptor& value);

// LabelJa of the value `number` of `type`, or the number as text when `type` has no such value.
std::string LabelJa(const google::protobuf::EnumDescriptor& type, int number);

// The number of the value of `type` whose label_ja or name equals `text` after trimming ASCII and
// ideographic spaces (names compare case-insensitively). The zero value (…_UNSPECIFIED) never
// matches. nullopt if none does.
std::optional<int> ParseEnumLabel(const google::protobuf::EnumDescriptor& type,
                                  std::string_view text);

}  // namespace casecoord
