#include "services/text/csv.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "services/common/text.h"
#include "services/text/japanese_text.h"

namespace casecoord::text {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000

// The canonical ICU name rather than an alias: "ibm-943" and "cp943" resolve to
// ibm-943_P130-1999, IBM's JIS-flavoured table that lacks ～ at 0x8160 and puts ㈱ elsewhere.
// Debian's ICU 72 maps "windows-31j", "cp932", "MS932" and "Shift_JIS" to this same table.
constexpr char kCp932Converter[] = "ibm-943_P15A-2003";

// Enough for the user to see the pattern without flooding the message.
constexpr size_t kMaxReportedCharacters = 10;

using ConverterPtr = std::unique_ptr<UConverter, decltype(&ucnv_close)>;

Result<ConverterPtr> OpenCp932() {
  UErrorCode error = U_ZERO_ERROR;
  ConverterPtr converter(ucnv_open(kCp932Converter, &error), &ucnv_close);
  if (U_FAILURE(error) || converter == nullptr) {
    return Status(Reason::kConverterUnavailable, std::string("ICU has no converter ") +
                                                     kCp932Converter + ": " + u_errorName(error));
  }
  // Stop at the first invalid byte or character so that nothing is replaced behind the caller's
  // back; ICU's default callbacks substitute U+FFFD or 0xFC 0xFC.
  ucnv_setToUCallBack(converter.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &error);
  ucnv_setFromUCallBack(converter.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                        &error);
  // Fallbacks would also fold JIS X 0213 variants such as 俠 into 侠, changing people's names.
  ucnv_setFallback(converter.get(), false);
  if (U_FAILURE(error)) {
    return Status(Reason::kConverterUnavailable,
                  std::string("cannot configure ICU converter: ") + u_errorName(error));
  }
  return converter;
}

// ibm-943_P15A-2003 rotates three control codes the IBM way (0x1A ↔ U+001C, 0x1C ↔ U+007F,
// 0x7F ↔ U+001A), whereas Windows maps 0x00-0x7F to themselves; 0x1A still ends some old DOS-era
// exports. No double-byte character decodes to these code points, so undoing the rotation on the
// UTF-16 side is exact.
char16_t WindowsControlFromIcu(char16_t unit) {
  switch (unit) {
    case 0x001C:
      return 0x001A;
    case 0x007F:
      return 0x001C;
    case 0x001A:
      return 0x007F;
    default:
      return unit;
  }
}

char16_t IcuControlFromWindows(char16_t unit) {
  switch (unit) {
    case 0x001A:
      return 0x001C;
    case 0x001C:
      return 0x007F;
    case 0x007F:
      return 0x001A;
    default:
      return unit;
  }
}

// JIS X 0208 characters that JIS-based software (macOS, Java's "Shift_JIS", most Unix tools)
// writes with different code points than Microsoft's table. Business hours "9:00〜17:00" typed on
// a Mac carry U+301C; refusing them would make ordinary lists unexportable.
char32_t MicrosoftFromJis(char32_t c) {
  switch (c) {
    case 0x301C:  // WAVE DASH
      return 0xFF5E;
    case 0x2016:  // DOUBLE VERTICAL LINE
      return 0x2225;
    case 0x2212:  // MINUS SIGN
      return 0xFF0D;
    case 0x2014:  // EM DASH
      return 0x2015;
    case 0x00A2:  // CENT SIGN
      return 0xFFE0;
    case 0x00A3:  // POUND SIGN
      return 0xFFE1;
    case 0x00AC:  // NOT SIGN
      return 0xFFE2;
    default:
      return c;
  }
}

// What a multi-byte UTF-8 sequence starting with `lead` is: its length (0: no sequence starts
// with it) and the range of its second byte, which excludes overlongs, surrogates and code points
// above U+10FFFF.
struct Utf8Lead {
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
};

Utf8Lead Utf8LeadForm(unsigned char lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {};
}

// Offset of the first byte that does not begin a well-formed UTF-8 sequence (no overlongs,
// surrogates or code points above U+10FFFF), or npos.
size_t FirstInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const Utf8Lead form = Utf8LeadForm(lead);
    const size_t length = form.length;
    if (length == 0 || i + length > text.size()) return i;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < form.low || second > form.high) return i;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if (next < 0x80 || next > 0xBF) return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

// Decodes the code point at `*i` of text already checked by FirstInvalidUtf8, advancing `*i`.
char32_t NextCodePoint(std::string_view text, size_t* i) {
  const auto lead = static_cast<unsigned char>(text[*i]);
  if (lead < 0x80) {
    ++*i;
    return lead;
  }
  const size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  char32_t c = lead & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) {
    c = (c << 6) | (static_cast<unsigned char>(text[*i + k]) & 0x3F);
  }
  *i += length;
  return c;
}

void AppendUtf16(char32_t c, std::u16string* out) {
  if (c < 0x10000) {
    out->push_back(static_cast<char16_t>(c));
  } else {
    out->push_back(static_cast<char16_t>(0xD800 + ((c - 0x10000) >> 10)));
    out->push_back(static_cast<char16_t>(0xDC00 + ((c - 0x10000) & 0x3FF)));
  }
}

std::string Utf16ToUtf8(std::u16string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text[i];
    // The CP932 table is all BMP, but a surrogate pair costs nothing to handle.
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.size() && text[i + 1] >= 0xDC00 &&
        text[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (text[i + 1] - 0xDC00);
      ++i;
    }
    AppendUtf8(c, &out);
  }
  return out;
}

// Counts line ends (CRLF, LF or lone CR) in [begin, end) of `text`; a CR at end - 1 counts only if
// the following character is not LF, so that a CRLF is never counted twice across calls.
template <typename Char>
int CountLineEnds(std::basic_string_view<Char> text, size_t begin, size_t end) {
  int count = 0;
  for (size_t i = begin; i < end; ++i) {
    const bool lone_cr =
        text[i] == Char('\r') && (i + 1 >= text.size() || text[i + 1] != Char('\n'));
    if (text[i] == Char('\n') || lone_cr) ++count;
  }
  return count;
}

int LineOfOffset(std::string_view text, size_t offset) {
  return 1 + CountLineEnds(text, 0, offset);
}

std::string HexBytes(std::string_view bytes) {
  std::string out;
  for (char b : bytes) {
    char buffer[8];
    std::snprintf(buffer, sizeof(buffer), "%s0x%02X", out.empty() ? "" : " ",
                  static_cast<unsigned char>(b));
    out += buffer;
  }
  return out;
}

std::string CodePointName(char32_t c) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "U+%04X", static_cast<unsigned>(c));
  return buffer;
}

struct DecodeFailure {
  size_t offset = 0;  // first byte of the offending sequence
  size_t length = 0;
};

// Decodes Windows-31J. Returns false with `*failure` set when the bytes are not valid CP932;
// `*status` carries converter trouble unrelated to the input.
bool DecodeCp932(std::string_view bytes, std::string* utf8, DecodeFailure* failure,
                 Status* status) {
  Result<ConverterPtr> converter = OpenCp932();
  if (!converter.ok()) {
    *status = converter.status();
    return false;
  }
  std::u16string utf16;
  utf16.reserve(bytes.size());
  const char* source = bytes.data();
  const char* const source_end = bytes.data() + bytes.size();
  for (;;) {
    char16_t chunk[4096];
    UChar* target = chunk;
    UErrorCode error = U_ZERO_ERROR;
    ucnv_toUnicode(converter->get(), &target, chunk + std::size(chunk), &source, source_end,
                   nullptr, /*flush=*/true, &error);
    utf16.append(chunk, target);
    if (error == U_BUFFER_OVERFLOW_ERROR) continue;
    if (U_FAILURE(error)) {
      char invalid[32];
      int8_t invalid_length = sizeof(invalid);
      UErrorCode ignored = U_ZERO_ERROR;
      ucnv_getInvalidChars(converter->get(), invalid, &invalid_length, &ignored);
      if (U_FAILURE(ignored)) invalid_length = 1;
      // The converter has consumed the offending bytes when it stops.
      const size_t consumed = static_cast<size_t>(source - bytes.data());
      failure->length = static_cast<unsigned char>(invalid_length);
      failure->offset = consumed >= failure->length ? consumed - failure->length : 0;
      return false;
    }
    break;
  }
  for (char16_t& unit : utf16) unit = WindowsControlFromIcu(unit);
  *utf8 = Utf16ToUtf8(utf16);
  return true;
}

Status Undecodable(std::string_view bytes, size_t offset, size_t length, const char* likely) {
  length = std::max<size_t>(1, std::min(length, bytes.size() - offset));
  return Status(Reason::kUndecodable,
                "the file is neither UTF-8 nor Windows-31J (Shift_JIS): byte " +
                    HexBytes(bytes.substr(offset, length)) + " at offset " +
                    std::to_string(offset) + " (line " +
                    std::to_string(LineOfOffset(bytes, offset)) + ") is invalid in " + likely);
}

// One record as read, before it is judged against the header.
struct Record {
  int line = 0;
  std::vector<std::string> fields;
  bool any_quoted = false;
  std::vector<CsvProblem> problems;
};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // Skips blank lines; returns false at the end of the input.
  bool SkipBlankLines() {
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\n') {
        ++pos_;
      } else if (text_[pos_] == '\r') {
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      } else {
        return true;
      }
      ++line_;
    }
    return false;
  }

  // Reads the record at the current position, including its line end.
  Record Next() {
    Record record;
    record.line = line_;
    for (;;) {
      const int column = static_cast<int>(record.fields.size()) + 1;
      std::string field;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        record.any_quoted = true;
        if (!ReadQuoted(&field)) {
          // A final line end opens no further line of content.
          const int last_line = text_.ends_with('\n') || text_.ends_with('\r') ? line_ - 1 : line_;
          record.problems.push_back(
              {record.line, column,
               "quoted field is never closed; it swallows the rest of the file" +
                   (last_line > record.line ? " (lines " + std::to_string(record.line) + "-" +
                                                  std::to_string(last_line) + ")"
                                            : std::string())});
          record.fields.push_back(std::move(field));
          return record;
        }
        if (pos_ < text_.size() && !AtFieldEnd()) {
          record.problems.push_back(
              {record.line, column, "unexpected text after the closing quote"});
          ReadUnquoted(&field);  // resynchronise at the next comma or line end
        }
      } else if (ReadUnquoted(&field)) {
        record.problems.push_back(
            {record.line, column,
             "quote inside an unquoted field (enclose the field in quotes and double the quote)"});
      }
      record.fields.push_back(std::move(field));
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      ConsumeLineEnd();
      return record;
    }
  }

 private:
  bool AtFieldEnd() const {
    const char c = text_[pos_];
    return c == ',' || c == '\r' || c == '\n';
  }

  void ConsumeLineEnd() {
    if (pos_ >= text_.size()) return;
    if (text_[pos_] == '\r') {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    } else {
      ++pos_;  // '\n'
    }
    ++line_;
  }

  // Appends up to the next comma or line end; returns true if that stretch contained a quote.
  bool ReadUnquoted(std::string* field) {
    const size_t end = std::min(text_.find_first_of(",\r\n", pos_), text_.size());
    const std::string_view stretch = text_.substr(pos_, end - pos_);
    field->append(stretch);
    pos_ = end;
    return stretch.find('"') != std::string_view::npos;
  }

  // At an opening quote: reads through the closing quote. Returns false at the end of input.
  bool ReadQuoted(std::string* field) {
    ++pos_;
    while (pos_ < text_.size()) {
      const size_t special = text_.find_first_of("\"\r\n", pos_);
      if (special == std::string_view::npos) break;
      field->append(text_.substr(pos_, special - pos_));
      pos_ = special;
      const char c = text_[pos_];
      if (c == '"') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
          field->push_back('"');
          pos_ += 2;
          continue;
        }
        ++pos_;
        return true;
      }
      // An embedded line end is data, kept byte for byte, but still a physical line.
      field->push_back(c);
      ++pos_;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') {
        field->push_back('\n');
        ++pos_;
      }
      ++line_;
    }
    field->append(text_.substr(pos_));
    pos_ = text_.size();
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

bool NeedsQuoting(std::string_view field) {
  if (field.find_first_of(",\"\r\n") != std::string_view::npos) return true;
  if (field.empty()) return false;
  return field.front() == ' ' || field.front() == '\t' || field.back() == ' ' ||
         field.back() == '\t' || field.starts_with(kIdeographicSpace) ||
         field.ends_with(kIdeographicSpace);
}

void AppendRecord(const std::vector<std::string>& fields, std::string* out) {
  bool all_empty = true;
  for (const std::string& field : fields) all_empty = all_empty && field.empty();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    const std::string& field = fields[i];
    if (NeedsQuoting(field) || (all_empty && i == 0)) {
      out->push_back('"');
      for (char c : field) {
        if (c == '"') out->push_back('"');
        out->push_back(c);
      }
      out->push_back('"');
    } else {
      out->append(field);
    }
  }
  out->append("\r\n");
}

}  // namespace

Result<std::string> DecodeToUtf8(std::string_view bytes, CsvEncoding* detected) {
  if (bytes.starts_with(kBom)) {
    const std::string_view body = bytes.substr(kBom.size());
    const size_t invalid = FirstInvalidUtf8(body);
    if (invalid != std::string_view::npos) {
      return Undecodable(bytes, kBom.size() + invalid, 1, "UTF-8, which its BOM declares");
    }
    if (detected != nullptr) *detected = CsvEncoding::kUtf8Bom;
    return std::string(body);
  }
  const size_t utf8_invalid = FirstInvalidUtf8(bytes);
  if (utf8_invalid == std::string_view::npos) {
    if (detected != nullptr) *detected = CsvEncoding::kUtf8;
    return std::string(bytes);
  }
  std::string utf8;
  DecodeFailure failure;
  Status status;
  if (DecodeCp932(bytes, &utf8, &failure, &status)) {
    if (detected != nullptr) *detected = CsvEncoding::kCp932;
    return utf8;
  }
  if (!status.ok()) return status;
  // Report the failure of whichever decoding got further: that is the encoding the file was
  // probably written in, and its first bad byte is the one worth showing the user.
  if (utf8_invalid > failure.offset) {
    return Undecodable(bytes, utf8_invalid, 1, "UTF-8");
  }
  return Undecodable(bytes, failure.offset, failure.length, "Windows-31J");
}

namespace {

// `utf8` (valid) as UTF-16 in the form ICU's Windows-31J table maps as Windows does: JIS
// code points replaced by Microsoft's, controls by ICU's.
std::u16string Utf16ForCp932(std::string_view utf8) {
  std::u16string utf16;
  utf16.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const char32_t c = MicrosoftFromJis(NextCodePoint(utf8, &i));
    AppendUtf16(c < 0x80 ? IcuControlFromWindows(static_cast<char16_t>(c)) : c, &utf16);
  }
  return utf16;
}

// The code point the `length` (>= 1) UTF-16 units start with.
char32_t FirstCodePoint(const UChar* units, int8_t length) {
  char32_t c = units[0];
  if (length >= 2 && c >= 0xD800 && c <= 0xDBFF) {
    c = 0x10000 + ((c - 0xD800) << 10) + (units[1] - 0xDC00);
  }
  return c;
}

}  // namespace

Result<std::string> EncodeFromUtf8(std::string_view utf8, CsvEncoding encoding) {
  const size_t invalid = FirstInvalidUtf8(utf8);
  if (invalid != std::string_view::npos) {
    return Status(Reason::kInvalidUtf8, "text is not valid UTF-8: byte " +
                                            HexBytes(utf8.substr(invalid, 1)) + " at offset " +
                                            std::to_string(invalid) + " (line " +
                                            std::to_string(LineOfOffset(utf8, invalid)) + ")");
  }
  switch (encoding) {
    case CsvEncoding::kUtf8:
      return std::string(utf8);
    case CsvEncoding::kUtf8Bom:
      return std::string(kBom) + std::string(utf8);
    case CsvEncoding::kCp932:
      break;
  }

  const std::u16string utf16 = Utf16ForCp932(utf8);
  Result<ConverterPtr> converter = OpenCp932();
  if (!converter.ok()) return converter.status();
  std::string out;
  out.reserve(utf16.size() * 2);
  const std::u16string_view text(utf16);
  const UChar* source = utf16.data();
  const UChar* const source_end = utf16.data() + utf16.size();
  size_t line_scanned = 0;
  int line = 1;
  size_t unmappable_count = 0;
  std::string listed;
  for (;;) {
    char chunk[8192];
    char* target = chunk;
    UErrorCode error = U_ZERO_ERROR;
    ucnv_fromUnicode(converter->get(), &target, chunk + sizeof(chunk), &source, source_end, nullptr,
                     /*flush=*/true, &error);
    out.append(chunk, target);
    if (error == U_BUFFER_OVERFLOW_ERROR) continue;
    if (!U_FAILURE(error)) break;

    UChar invalid[8];
    int8_t invalid_length = std::size(invalid);
    UErrorCode ignored = U_ZERO_ERROR;
    ucnv_getInvalidUChars(converter->get(), invalid, &invalid_length, &ignored);
    if (U_FAILURE(ignored) || invalid_length < 1) {
      return Status(Reason::kEncodingFailed,
                    std::string("Windows-31J conversion failed: ") + u_errorName(error));
    }
    const size_t at = static_cast<size_t>(source - utf16.data()) - invalid_length;
    line += CountLineEnds(text, line_scanned, at);
    line_scanned = at;
    const char32_t c = FirstCodePoint(invalid, invalid_length);
    if (++unmappable_count <= kMaxReportedCharacters) {
      if (!listed.empty()) listed += ", ";
      listed += "'";
      AppendUtf8(c, &listed);
      listed += "' (" + CodePointName(c) + ") on line " + std::to_string(line);
    }
    ucnv_resetFromUnicode(converter->get());
    if (source == source_end) break;
  }
  if (unmappable_count > 0) {
    if (unmappable_count > kMaxReportedCharacters) {
      listed += " and " + std::to_string(unmappable_count - kMaxReportedCharacters) + " more";
    }
    return Status(Reason::kUnmappableCharacter,
                  "characters that Windows-31J (Shift_JIS) cannot represent: " + listed);
  }
  return out;
}

namespace {

// Reports header names that are empty or repeat an earlier name (compared after trimming).
void CheckHeaderNames(const std::vector<std::string>& header, int line,
                      std::vector<CsvProblem>& problems) {
  std::unordered_map<std::string_view, int> seen;  // trimmed name -> 1-based column
  for (size_t i = 0; i < header.size(); ++i) {
    const int column = static_cast<int>(i) + 1;
    const std::string_view name = TrimSpaces(header[i]);
    if (name.empty()) {
      problems.push_back({line, column, "header name is empty"});
      continue;
    }
    auto [it, inserted] = seen.emplace(name, column);
    if (!inserted) {
      problems.push_back({line, column,
                          "header name \"" + std::string(name) + "\" repeats column " +
                              std::to_string(it->second)});
    }
  }
}

// Whether the record is nothing but unquoted empty fields (",,,", as Excel writes for formatted
// but empty rows) and has no problems of its own.
bool IsSkippableEmptyRecord(const Record& record) {
  if (!record.problems.empty() || record.any_quoted) return false;
  bool all_empty = true;
  for (const std::string& field : record.fields) all_empty = all_empty && field.empty();
  return all_empty;
}

// Adds a data record to `table`: to `rows` when well-formed, else its problems to `problems`.
void AddDataRecord(Record record, CsvTable& table) {
  if (IsSkippableEmptyRecord(record)) return;
  if (record.fields.size() != table.header.size()) {
    record.problems.push_back({record.line, 0,
                               "record has " + std::to_string(record.fields.size()) +
                                   " fields but the header has " +
                                   std::to_string(table.header.size())});
  }
  if (!record.problems.empty()) {
    table.problems.insert(table.problems.end(), record.problems.begin(), record.problems.end());
    return;
  }
  table.rows.push_back({record.line, std::move(record.fields)});
}

}  // namespace

CsvTable ParseCsv(std::string_view utf8) {
  if (utf8.starts_with(kBom)) utf8.remove_prefix(kBom.size());
  CsvTable table;
  Parser parser(utf8);
  bool have_header = false;
  while (parser.SkipBlankLines()) {
    Record record = parser.Next();
    if (!have_header) {
      have_header = true;
      table.header = std::move(record.fields);
      table.problems.insert(table.problems.end(), record.problems.begin(), record.problems.end());
      CheckHeaderNames(table.header, record.line, table.problems);
      continue;
    }
    AddDataRecord(std::move(record), table);
  }
  if (!have_header) table.problems.push_back({1, 0, "the file has no header row"});
  return table;
}

std::vector<CsvProblem> HeaderNameProblems(const std::vector<std::string>& header, int line) {
  std::vector<CsvProblem> problems;
  CheckHeaderNames(header, line, problems);
  return problems;
}

std::string WriteCsv(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  AppendRecord(header, &out);
  for (const std::vector<std::string>& row : rows) AppendRecord(row, &out);
  return out;
}

namespace {

// The index of the first header cell equal to the first of `accepted` (trimmed, non-blank) that
// appears in `trimmed_header` at all; -1 when none does.
int FindColumn(const std::vector<std::string_view>& trimmed_header,
               const std::vector<std::string>& accepted) {
  for (const std::string& name : accepted) {
    const std::string_view want = TrimSpaces(name);
    if (want.empty()) continue;  // would otherwise match blank header cells
    for (size_t i = 0; i < trimmed_header.size(); ++i) {
      if (trimmed_header[i] == want) return static_cast<int>(i);
    }
  }
  return -1;
}

Status MissingColumns(const std::vector<std::string>& missing) {
  std::string list;
  for (const std::string& name : missing) list += (list.empty() ? "" : ", ") + name;
  Status status(Reason::kMissingColumns, "the CSV header lacks required columns: " + list);
  for (const std::string& name : missing) {
    status.AddViolation("header", "column " + name + " is required");
  }
  return status;
}

}  // namespace

Result<std::vector<int>> MapHeader(const std::vector<std::string>& header,
                                   const std::vector<std::vector<std::string>>& accepted_names,
                                   const std::vector<bool>& required) {
  if (required.size() != accepted_names.size()) {
    return Status(Reason::kHeaderSpecMismatch,
                  "MapHeader: " + std::to_string(accepted_names.size()) +
                      " columns described but " + std::to_string(required.size()) +
                      " required flags");
  }
  std::vector<std::string_view> trimmed;
  trimmed.reserve(header.size());
  for (const std::string& name : header) trimmed.push_back(TrimSpaces(name));

  std::vector<int> indices(accepted_names.size(), -1);
  std::vector<std::string> missing;
  for (size_t target = 0; target < accepted_names.size(); ++target) {
    indices[target] = FindColumn(trimmed, accepted_names[target]);
    if (indices[target] < 0 && required[target]) {
      missing.push_back(accepted_names[target].empty()
                            ? "#" + std::to_string(target + 1)
                            : std::string(TrimSpaces(accepted_names[target].front())));
    }
  }
  if (missing.empty()) return indices;
  return MissingColumns(missing);
}

}  // namespace casecoord::text
