// Parsing casectl's flag values. Each parser returns false and sets `error` to a message for
// UsageError (Japanese / English, naming the flag); nothing is printed here.
#pragma once

#include <google/protobuf/descriptor.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace casecoord::cli {

// "支援調整中 (COORDINATING), ...": every non-zero value of `type`, as EnumTextWithName.
std::string ValidValues(const google::protobuf::EnumDescriptor& type);

// The value of `type` whose label or name is `text` (ASCII parentheses also match full-width
// ones); else an error "<what>が不明です / <option>: unknown value ..." listing ValidValues.
bool ParseEnumFlag(const std::string& option, const std::string& what,
                   const google::protobuf::EnumDescriptor& type, const std::string& text,
                   int* number, std::string* error);

// A whole decimal number in [min, max], all of `text`; `value` is untouched on failure.
bool ParseInt(std::string_view text, int min, int max, int* value);

// A fiscal year (年度): 2024, "R6", "r6", "令和6年度" or "令和6" -> 2024 (1926 to 2200); else a
// "年度の形式が不正です" error quoting `text`.
bool ParseFiscalYear(const std::string& text, int* fiscal_year, std::string* error);

// "2025-04-01" or "2025/4/1" (trimmed) as midnight JST; else a "日付の形式が不正です" error.
bool ParseDateFlag(const std::string& option, const std::string& text,
                   std::chrono::system_clock::time_point* instant, std::string* error);

// The trimmed items that are not empty ("" given to a list flag empties the list).
std::vector<std::string> NonEmpty(const std::vector<std::string>& items);

// `text` split at `separator` and at `full_width_separator`, each part trimmed; at least one part.
std::vector<std::string> SplitTrimmed(const std::string& text, char separator,
                                      std::string_view full_width_separator);

}  // namespace casecoord::cli
