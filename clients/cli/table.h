// Output for people: text measured in terminal columns, so that Japanese (full-width) text lines
// up, in aligned tables and "label  value" lists. Shared by the casectl commands.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casecoord::cli {

// The number of terminal columns `text` (UTF-8) takes: 2 per East Asian Wide or Fullwidth code
// point (kanji, kana, ＡＢＣ), 1 per other code point and per malformed byte.
size_t DisplayWidth(std::string_view text);

// `text` followed by spaces up to `width` columns (unchanged when already as wide).
std::string PadRight(const std::string& text, size_t width);

using Row = std::vector<std::string>;

// `text` preceded by spaces up to `width` columns (unchanged when already as wide).
std::string PadLeft(const std::string& text, size_t width);

// The header and rows as lines, columns aligned by display width two spaces apart; the last column
// is not padded. The columns marked in `right` are right-aligned instead, so that numbers line up
// on their last digit. Each line ends in "\n".
std::string FormatTable(const Row& header, const std::vector<Row>& rows,
                        const std::vector<bool>& right = {});

// FormatTable to standard output.
void PrintTable(const Row& header, const std::vector<Row>& rows);

// "label  value" lines with the values aligned. A value with line breaks continues on indented
// lines under its first line.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace casecoord::cli
