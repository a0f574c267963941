#include "clients/cli/flag_parsing.h"

#include <cctype>
#include <charconv>
#include <optional>

#include "clients/cli/command_support.h"
#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

using google::protobuf::EnumDescriptor;

// `text` with ASCII parentheses as full-width ones, as some labels are written
// ("同意なし(支援会議)" for "同意なし（支援会議）").
std::string FullWidthParentheses(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '(') {
      out += "（";
    } else if (c == ')') {
      out += "）";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string ValidValues(const EnumDescriptor& type) {
  std::string out;
  for (int i = 0; i < type.value_count(); ++i) {
    const auto& value = *type.value(i);
    if (value.number() == 0) continue;
    if (!out.empty()) out += ", ";
    out += EnumTextWithName(type, value.number());
  }
  return out;
}

bool ParseEnumFlag(const std::string& option, const std::string& what, const EnumDescriptor& type,
                   const std::string& text, int* number, std::string* error) {
  std::optional<int> parsed = ParseEnumLabel(type, text);
  if (!parsed) parsed = ParseEnumLabel(type, FullWidthParentheses(text));
  if (!parsed) {
    *error = what + "が不明です / " + option + ": unknown value \"" + text +
             "\" (valid: " + ValidValues(type) + ")";
    return false;
  }
  *number = *parsed;
  return true;
}

bool ParseInt(std::string_view text, int min, int max, int* value) {
  int parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return false;
  if (parsed < min || parsed > max) return false;
  *value = parsed;
  return true;
}

bool ParseFiscalYear(const std::string& text, int* fiscal_year, std::string* error) {
  const std::string_view trimmed = TrimSpaces(text);
  constexpr int kFirst = 1926, kLast = 2200;
  if (ParseInt(trimmed, kFirst, kLast, fiscal_year)) return true;
  std::string upper(trimmed);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (int year = kFirst; year <= kLast; ++year) {
    const EraLabels labels = FiscalYearLabels(year);
    const std::string& japanese = labels.japanese;
    const std::string without_suffix = japanese.substr(0, japanese.rfind("年度"));
    if (upper == labels.short_label || trimmed == japanese || trimmed == without_suffix) {
      *fiscal_year = year;
      return true;
    }
  }
  *error = "年度の形式が不正です / fiscal year \"" + text + "\": give 2024, R6 or 令和6年度";
  return false;
}

bool ParseDateFlag(const std::string& option, const std::string& text,
                   std::chrono::system_clock::time_point* instant, std::string* error) {
  const auto parsed = ParseJstDate(TrimSpaces(text));
  if (!parsed) {
    *error = "日付の形式が不正です / " + option + ": \"" + text +
             "\" is not a date YYYY-MM-DD (e.g. 2025-04-01)";
    return false;
  }
  *instant = *parsed;
  return true;
}

std::vector<std::string> NonEmpty(const std::vector<std::string>& items) {
  std::vector<std::string> kept;
  for (const auto& item : items) {
    const std::string_view trimmed = TrimSpaces(item);
    if (!trimmed.empty()) kept.emplace_back(trimmed);
  }
  return kept;
}

std::vector<std::string> SplitTrimmed(const std::string& text, char separator,
                                      std::string_view full_width_separator) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size();) {
    if (text[i] == separator) {
      parts.emplace_back();
      ++i;
    } else if (text.compare(i, full_width_separator.size(), full_width_separator) == 0) {
      parts.emplace_back();
      i += full_width_separator.size();
    } else {
      parts.back() += text[i++];
    }
  }
  for (auto& part : parts) part = std::string(TrimSpaces(part));
  return parts;
}

}  // namespace casecoord::cli
