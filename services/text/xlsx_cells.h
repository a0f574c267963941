// How the XLSX reader (xlsx.h) shows a cell's stored value as Excel does: number formats told
// apart into dates, times and plain numbers, serial dates turned into "YYYY-MM-DD", numbers in
// Excel's General format, and the _xHHHH_ escapes of SpreadsheetML strings. Separate from xlsx.cc
// so that these rules are tested on their own.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace casecoord::text {

// What a number format shows a number as.
enum class NumberKind {
  kNumber,    // as a number (General, 0.00, #,##0, percentages, text "@", ...)
  kDate,      // a date without a time
  kDateTime,  // a date and a time of day
  kTime,      // a time of day only
};

// The kind of Excel's built-in format `id` (14–17, 27–31, 34–36, 50–58: dates; 22: date and
// time; 18–21, 32, 33, 45–47: times; anything else: numbers).
NumberKind KindOfBuiltinFormat(int id);

// The kind of a custom format code ("yyyy/m/d", "[$-411]ggge\"年\"m\"月\"d\"日\"", "h:mm"):
// quoted text, backslash-escaped and _/* padding characters, AM/PM markers and [..] sections
// (except the elapsed-time [h] [m] [s]) are ignored; then y or d, or m without h or s, makes a
// date, and h or s a time.
NumberKind KindOfFormatCode(std::string_view code);

// A number as Excel's General format shows it: at most 15 significant digits, no trailing zeros
// or ".0", exponent form "1.5E+20" / "1E-10" for very large or small magnitudes, "0" for -0.
std::string FormatGeneralNumber(double value);

// A serial date-time in the 1900 (or, with `date1904`, the 1904) date system, shown as `kind`
// (see xlsx.h); nullopt for kNumber and for serials outside 1900-01-01..9999-12-31 (and before
// 1904-01-01 with date1904), which then show as numbers. Rounded to the second.
std::optional<std::string> FormatSerialDate(double serial, NumberKind kind, bool date1904);

// Replaces each _xHHHH_ escape of SpreadsheetML text by its character (Excel writes control
// characters so; "_x005F_" is a literal underscore). Other text, including malformed escapes, is
// kept as is; an escape of a surrogate or of U+0000 is kept as is too.
std::string DecodeXmlEscapes(std::string_view text);

}  // namespace casecoord::text
