// The CSV reader of the agency directory (services/text/csv.h, agency_csv.h): the bytes of an
// uploaded file, as ImportAgencies receives them.
//
// Input: the file's bytes (UTF-8 with or without BOM, CP932, or anything else).
// Properties, besides never throwing or crashing:
//   - DecodeToUtf8 refuses with INVALID_ARGUMENT "UNDECODABLE" or returns valid UTF-8: the input
//     itself for kUtf8, the input without its BOM for kUtf8Bom, and for kCp932 text that encodes
//     back to CP932 and decodes again to the same text;
//   - WriteCsv of what ParseCsv read (header and well-formed rows) reads back to the same;
//   - ParseAgencyCsv refuses only with INVALID_ARGUMENT, and the agencies it read, exported with
//     AgenciesToCsv and parsed again, are the same agencies with the same ids.
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "services/directory/agency_csv.h"
#include "services/text/csv.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using casecoord::Reason;
using casecoord::StatusCode;
using namespace casecoord::directory;
using namespace casecoord::text;

void CheckDecoding(std::string_view bytes, const casecoord::Result<std::string>& decoded,
                   CsvEncoding encoding) {
  if (!decoded.ok()) {
    FUZZ_CHECK(decoded.status().code() == StatusCode::kInvalidArgument &&
                   decoded.status().Is(Reason::kUndecodable),
               "%s", decoded.status().ToString().c_str());
    return;
  }
  // kUtf8 validates: the decoded text must pass.
  FUZZ_CHECK(EncodeFromUtf8(decoded.value(), CsvEncoding::kUtf8).ok(), "decoded text is not UTF-8");
  switch (encoding) {
    case CsvEncoding::kUtf8:
      FUZZ_CHECK(decoded.value() == bytes, "UTF-8 input changed by decoding");
      break;
    case CsvEncoding::kUtf8Bom:
      FUZZ_CHECK(bytes.starts_with("\xEF\xBB\xBF") && decoded.value() == bytes.substr(3),
                 "BOM input decoded to something else than its text");
      break;
    case CsvEncoding::kCp932: {
      auto encoded = EncodeFromUtf8(decoded.value(), CsvEncoding::kCp932);
      FUZZ_CHECK(encoded.ok(), "text decoded from CP932 does not encode back: %s",
                 encoded.status().ToString().c_str());
      CsvEncoding again = CsvEncoding::kUtf8;
      auto redecoded = DecodeToUtf8(*encoded, &again);
      FUZZ_CHECK(redecoded.ok(), "%s", redecoded.status().ToString().c_str());
      // CP932 bytes that happen to be valid UTF-8 are read as UTF-8 (the documented order), so
      // only a CP932 re-reading is comparable.
      if (again == CsvEncoding::kCp932) {
        FUZZ_CHECK(*redecoded == decoded.value(),
                   "CP932 text changed by encoding and decoding again");
      }
      break;
    }
  }
}

void CheckCsvRoundTrip(std::string_view utf8) {
  const CsvTable table = ParseCsv(utf8);
  std::vector<std::vector<std::string>> rows;
  for (const CsvRow& row : table.rows) {
    FUZZ_CHECK(row.fields.size() == table.header.size(), "line %d: %zu fields, header %zu",
               row.line, row.fields.size(), table.header.size());
    rows.push_back(row.fields);
  }
  if (table.header.empty()) return;
  const std::string written = WriteCsv(table.header, rows);
  const CsvTable reread = ParseCsv(written);
  FUZZ_CHECK(reread.header == table.header, "the header does not read back");
  FUZZ_CHECK(reread.rows.size() == rows.size(), "%zu rows written, %zu read back", rows.size(),
             reread.rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    FUZZ_CHECK(reread.rows[i].fields == rows[i], "row %zu (line %d) does not read back", i,
               table.rows[i].line);
  }
}

void CheckAgencyCsv(std::string_view bytes) {
  auto parsed = ParseAgencyCsv(bytes);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == StatusCode::kInvalidArgument, "%s",
               parsed.status().ToString().c_str());
    return;
  }
  if (parsed->rows.empty()) return;
  std::vector<casecoord::v1::Agency> agencies;
  for (const AgencyCsvRow& row : parsed->rows) {
    agencies.push_back(row.agency);
    agencies.back().set_name("agencies/" + row.agency_id);
  }
  auto exported = AgenciesToCsv(agencies, CsvEncoding::kUtf8Bom);
  FUZZ_CHECK(exported.ok(), "%s", exported.status().ToString().c_str());
  auto reread = ParseAgencyCsv(*exported);
  FUZZ_CHECK(reread.ok(), "%s", reread.status().ToString().c_str());
  FUZZ_CHECK(reread->rows.size() == parsed->rows.size(), "%zu agencies exported, %zu read back",
             parsed->rows.size(), reread->rows.size());
  for (size_t i = 0; i < parsed->rows.size(); ++i) {
    const AgencyCsvRow& before = parsed->rows[i];
    const AgencyCsvRow& after = reread->rows[i];
    FUZZ_CHECK(after.agency_id == before.agency_id, "id \"%s\" read back as \"%s\"",
               before.agency_id.c_str(), after.agency_id.c_str());
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(after.agency, before.agency),
               "agency \"%s\" (line %d) reads back as\n%s\ninstead of\n%s",
               before.agency_id.c_str(), before.line, after.agency.DebugString().c_str(),
               before.agency.DebugString().c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CsvEncoding encoding = CsvEncoding::kUtf8;
  auto decoded = DecodeToUtf8(bytes, &encoding);
  CheckDecoding(bytes, decoded, encoding);
  if (decoded.ok()) {
    CheckCsvRoundTrip(*decoded);
  } else {
    (void)ParseCsv(bytes);  // not UTF-8: nothing to compare, but it must not fail
  }
  CheckAgencyCsv(bytes);
  return 0;
}
