#include "services/common/enum_labels.h"

#include "casecoord/v1/common.pb.h"
#include "services/common/text.h"

namespace casecoord {
namespace {

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string LabelJa(const google::protobuf::EnumValueDescriptor& value) {
  const std::string& label = value.options().GetExtension(v1::label_ja);
  return label.empty() ? value.name() : label;
}

std::string LabelJa(const google::protobuf::EnumDescriptor& type, int number) {
  const google::protobuf::EnumValueDescriptor* value = type.FindValueByNumber(number);
  return value == nullptr ? std::to_string(number) : LabelJa(*value);
}

std::optional<int> ParseEnumLabel(const google::protobuf::EnumDescriptor& type,
                                  std::string_view text) {
  const std::string_view wanted = TrimSpaces(text);
  if (wanted.empty()) return std::nullopt;
  // Labels first, so that a label can never be shadowed by another value's name.
  for (int i = 0; i < type.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *type.value(i);
    if (value.number() == 0) continue;
    const std::string& label = value.options().GetExtension(v1::label_ja);
    if (!label.empty() && label == wanted) return value.number();
  }
  for (int i = 0; i < type.value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor& value = *type.value(i);
    if (value.number() == 0) continue;
    if (EqualsIgnoringAsciiCase(value.name(), wanted)) return value.number();
  }
  return std::nullopt;
}

}  // namespace casecoord
