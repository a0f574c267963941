// The agency directory as cities keep it in spreadsheets (CSV or XLSX), and as HSDS-style JSON.
//
// The file format is documented for users on ImportAgenciesRequest in
// proto/casecoord/v1/directory.proto; this is its one implementation. Parsing here checks the
// form of each cell (an enum label, a date, a list); the domain rules (lengths, ids, e-mail) stay
// in AgencyStore, which reports its violations against the columns through column_of_path.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "services/common/status.h"
#include "services/text/csv.h"
#include "services/text/table.h"

namespace casecoord::directory {

// The directory's files are in the encodings of services/text/csv.h.
using text::CsvEncoding;

// One column of the agency table.
struct AgencyColumn {
  // The Agency field it fills ("display_name", "last_verified_time", ...), or "agency_id".
  std::string path;
  // Header names it is recognised by, preferred (Japanese, written on export) first.
  std::vector<std::string> header_names;
  bool required = false;
};

// Every column, in export order: 機関ID, 機関名, フリガナ, 種別, 運営形態, 分野, 課題タグ,
// サービス, 担当地区, 住所, 電話番号, FAX, メール, 受付時間, 紹介窓口, 紹介受付, 状態, 最終確認日.
const std::vector<AgencyColumn>& AgencyColumns();

// A well-formed data row, converted.
struct AgencyCsvRow {
  int line = 0;  // 1-based line on which the record starts (XLSX: the row number in the sheet)
  std::string agency_id;
  // The row's fields; name, create_time, update_time and etag are empty. An empty 状態 cell gives
  // ACTIVE.
  v1::Agency agency;
};

struct AgencyCsv {
  text::TableFormat format = text::TableFormat::kCsv;
  CsvEncoding encoding = CsvEncoding::kUtf8;  // of a kCsv file
  // Data records in the file, well-formed or not (not counting the header and skipped blank
  // lines).
  int rows_read = 0;
  // Rows whose every cell converted, in file order.
  std::vector<AgencyCsvRow> rows;
  // Problems of the file: records ParseCsv rejected, cells that did not convert (one problem per
  // cell, naming the column), unknown header columns (line 1, reported but not fatal), and
  // repeated 機関ID (every occurrence after the first). A row with any problem is not in `rows`.
  std::vector<v1::ImportProblem> problems;
  // The Agency field paths whose columns the header has: what an import may change on an
  // existing agency (absent optional columns keep their stored values).
  std::vector<std::string> present_paths;
  // 1-based file column of each present path ("agency_id" included), for reporting problems.
  std::map<std::string, int> column_of_path;
  // The header cell of each file column, 1-based (element 0 is empty).
  std::vector<std::string> header;
};

// Reads the file as a table (text::ReadTable: XLSX by its zip signature, its first sheet; CSV
// otherwise), maps the header and converts every record; problems name the line (XLSX: the sheet
// row) and the column. INVALID_ARGUMENT only when the file as a whole cannot be used: undecodable
// bytes ("UNDECODABLE"), an XLSX that cannot be read (NOT_XLSX, XLSX_MALFORMED, XLSX_TOO_LARGE),
// no header, or required columns missing ("MISSING_COLUMNS"); every row-level problem is in the
// result instead.
Result<AgencyCsv> ParseAgencyCsv(std::string_view bytes);

// The agencies as CSV with the Japanese headers of AgencyColumns(), in `encoding`. Reads back
// through ParseAgencyCsv to the same agency ids and fields (timestamps to the JST day). Lists are
// joined with "、" and services with line breaks; enums are written as their label_ja, 紹介受付
// as 可/不可. A cell that a spreadsheet would run as a formula (starting with = + - @, tab or CR)
// is written with a leading apostrophe, which ParseAgencyCsv removes again (so is a cell of
// apostrophes before such a character, so that it too reads back unchanged). INVALID_ARGUMENT
// "UNMAPPABLE_CHARACTER" (from EncodeFromUtf8) when kCp932 cannot represent some text; the
// message names the agency.
Result<std::string> AgenciesToCsv(const std::vector<v1::Agency>& agencies, CsvEncoding encoding);

// The agencies as JSON shaped after HSDS 3.0: {"organizations": [{"id", "name",
// "alternate_name" (kana), "description" (the kind's label), "email", "phones", "services":
// [{"id", "name", "status", "eligibility_description", "minimum_age", "maximum_age",
// "service_areas": [...]}], "locations": [{"location_type", "addresses": [{"address_1",
// "country"}]}], "x_casecoord": {kind, operator_type, fields, issue_tags, districts,
// accepts_referrals, referral_contact, hours, state, last_verified}}]}. Empty optional values and
// zero ages are left out. UTF-8, pretty-printed.
std::string AgenciesToHsdsJson(const std::vector<v1::Agency>& agencies);

}  // namespace casecoord::directory
