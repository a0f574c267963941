#include "clients/cli/table.h"

#include <algorithm>
#include <iostream>

namespace casecoord::cli {
namespace {

// Decodes the UTF-8 code point at text[*pos] and advances *pos past it. A malformed or truncated
// sequence yields U+FFFD and advances one byte, so any byte string can be measured.
char32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto lead = static_cast<unsigned char>(text[*pos]);
  const size_t length = lead < 0x80             ? 1
                        : (lead & 0xE0) == 0xC0 ? 2
                        : (lead & 0xF0) == 0xE0 ? 3
                        : (lead & 0xF8) == 0xF0 ? 4
                                                : 0;
  if (length == 0 || *pos + length > text.size()) {
    ++*pos;
    return 0xFFFD;
  }
  char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[*pos + i]);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  *pos += length;
  return code_point;
}

// Columns a code point takes in a terminal: 2 for East Asian Wide and Fullwidth characters (Hangul
// Jamo, CJK and kana, Hangul syllables, compatibility ideographs, vertical and fullwidth forms).
int CodePointWidth(char32_t code_point) {
  static constexpr std::pair<char32_t, char32_t> kWide[] = {
      {0x1100, 0x115F}, {0x2E80, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
      {0xFE30, 0xFE4F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
  };
  for (const auto& [first, last] : kWide) {
    if (code_point >= first && code_point <= last) return 2;
  }
  return 1;
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t pos = 0; pos < text.size();) width += CodePointWidth(DecodeUtf8(text, &pos));
  return width;
}

std::string PadRight(const std::string& text, size_t width) {
  const size_t used = DisplayWidth(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

std::string PadLeft(const std::string& text, size_t width) {
  const size_t used = DisplayWidth(text);
  return used >= width ? text : std::string(width - used, ' ') + text;
}

std::string FormatTable(const Row& header, const std::vector<Row>& rows,
                        const std::vector<bool>& right) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const Row& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto cell = [&](const Row& row, size_t i) {
    if (i >= widths.size()) return row[i];
    if (i < right.size() && right[i]) return PadLeft(row[i], widths[i]);
    return i + 1 == row.size() ? row[i] : PadRight(row[i], widths[i]);
  };
  std::string out;
  auto format = [&](const Row& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += "  ";
      out += cell(row, i);
    }
    out += "\n";
  };
  format(header);
  for (const auto& row : rows) format(row);
  return out;
}

void PrintTable(const Row& header, const std::vector<Row>& rows) {
  std::cout << FormatTable(header, rows);
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& field : fields) width = std::max(width, DisplayWidth(field.first));
  const std::string indent(width + 2, ' ');
  for (const auto& [label, value] : fields) {
    std::cout << PadRight(label, width) << "  ";
    size_t start = 0;
    for (size_t end; (end = value.find('\n', start)) != std::string::npos; start = end + 1) {
      std::cout << value.substr(start, end - start) << "\n" << indent;
    }
    std::cout << value.substr(start) << "\n";
  }
}

}  // namespace casecoord::cli
