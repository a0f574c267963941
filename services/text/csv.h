// CSV reading and writing with the encodings Japanese spreadsheets use: the agency directory
// (相談機関一覧) imports and exports it, and the clients export reports with it.
//
// Excel on Japanese Windows saves CSV either as UTF-8 (with a BOM, or without one from other tools)
// or as Shift_JIS, which in practice means Windows-31J (CP932: JIS X 0208 plus the NEC and IBM
// extensions such as ① ㈱ 髙, with Microsoft's Unicode mappings, e.g. 0x8160 ↔ U+FF5E ～).
// Decoding and encoding are separate from parsing so that every stage can report exactly where the
// input went wrong; nothing here substitutes '?' or U+FFFD for data it cannot represent.
//
// Thread safety: all functions are reentrant; they share no mutable state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord::text {

enum class CsvEncoding {
  kUtf8,     // UTF-8 without a byte order mark
  kUtf8Bom,  // UTF-8 with the EF BB BF byte order mark Excel writes
  kCp932,    // Windows-31J (Microsoft's Shift_JIS)
};

// Converts the bytes of a CSV file to UTF-8 and reports in `*detected` (when not null, and only on
// success) which encoding it was in:
//   - starts with EF BB BF: kUtf8Bom; the BOM is removed and the rest must be valid UTF-8;
//   - otherwise valid UTF-8 (including pure ASCII): kUtf8, returned unchanged;
//   - otherwise valid Windows-31J: kCp932.
// Bytes valid in neither are INVALID_ARGUMENT with reason "UNDECODABLE"; the message names the
// byte value, its 0-based byte offset and its 1-based line, taken from whichever of the two
// decodings got further (that is the encoding the file was most likely meant to be in).
// Windows-31J user-defined characters (外字, F040–F9FC) decode to the Private Use Area as Windows
// does; the control codes 0x00–0x7F decode to themselves.
Result<std::string> DecodeToUtf8(std::string_view bytes, CsvEncoding* detected);

// Converts UTF-8 text to `encoding`: kUtf8 returns it unchanged, kUtf8Bom prepends EF BB BF,
// kCp932 converts to Windows-31J. Text that is not valid UTF-8 is INVALID_ARGUMENT "INVALID_UTF8".
// A character Windows-31J cannot represent (emoji, 𠮷, ¥, …) is INVALID_ARGUMENT with reason
// "UNMAPPABLE_CHARACTER"; the message names each such character (up to ten) and its line.
// Exception: the characters for which JIS X 0208 and Microsoft chose different Unicode code points
// — 〜 U+301C, ‖ U+2016, − U+2212, — U+2014, ¢ U+00A2, £ U+00A3, ¬ U+00AC, as macOS and
// JIS-based software produce them — are written as the JIS X 0208 code Windows shows with the same
// glyph, so they read back as Microsoft's ～ U+FF5E, ∥ U+2225, － U+FF0D, ― U+2015, ￠ ￡ ￢.
Result<std::string> EncodeFromUtf8(std::string_view utf8, CsvEncoding encoding);

struct CsvRow {
  int line = 0;  // 1-based physical line on which the record starts
  std::vector<std::string> fields;
};

struct CsvProblem {
  int line = 0;    // 1-based physical line on which the offending record starts
  int column = 0;  // 1-based field number, or 0 when the problem concerns the whole record
  std::string problem;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRow> rows;  // only the well-formed records, in file order
  std::vector<CsvProblem> problems;
};

// Parses RFC 4180 CSV held in UTF-8 (a leading BOM is ignored). The first record is the header.
// Records end at CRLF, LF or CR, in any mix; quoted fields may contain commas, newlines (kept
// verbatim) and "" for a quote. Fields are not trimmed: surrounding whitespace is data.
// Skipped without a problem: blank lines, and records consisting only of unquoted empty fields
// (",,,", which Excel writes for formatted but empty rows).
// Each malformed record is left out of `rows` and reported in `problems`, and parsing resumes at
// the next record: a quote inside an unquoted field, text after a closing quote, or a field count
// different from the header's (column 0). A quoted field still open at the end of the input
// swallows the rest of the input, so it is reported with the range of lines it consumed.
// Header names that are empty or that repeat an earlier name (both compared after trimming ASCII
// and ideographic spaces) are reported on the header's line; the header is still returned as is.
// A table with any problem must not be imported silently: show the problems to the user.
CsvTable ParseCsv(std::string_view utf8);

// The problems ParseCsv reports for a header on `line`: names that are empty or repeat an earlier
// name (compared after trimming ASCII and ideographic spaces), for other tabular readers (table.h).
std::vector<CsvProblem> HeaderNameProblems(const std::vector<std::string>& header, int line);

// Writes RFC 4180 CSV with CRLF line ends (what Excel expects) and no BOM; see EncodeFromUtf8.
// A field is quoted when it contains a comma, quote, CR or LF, or starts or ends with a space, tab
// or ideographic space (U+3000), so that tools which trim unquoted fields keep it intact. A row of
// only empty fields is written as "",,… so that ParseCsv does not skip it. ParseCsv reads the
// output back to exactly `header` and `rows` when every row has as many fields as the header.
std::string WriteCsv(const std::vector<std::string>& header,
                     const std::vector<std::vector<std::string>>& rows);

// Finds the columns of a CSV header. For each target column t, accepted_names[t] lists the names
// it may appear under, preferred first; the result's element t is the index in `header` of the
// first of those names present (the leftmost such header cell), or -1. Names are compared after
// trimming ASCII spaces, tabs and ideographic spaces (U+3000) from both ends, and are otherwise
// exact. If any target with required[t] is absent, returns INVALID_ARGUMENT with reason
// "MISSING_COLUMNS" and one violation of field "header" per absent column ("column 機関名 is
// required", naming its first accepted name). `required` must be as long as `accepted_names`.
Result<std::vector<int>> MapHeader(const std::vector<std::string>& header,
                                   const std::vector<std::vector<std::string>>& accepted_names,
                                   const std::vector<bool>& required);

}  // namespace casecoord::text
