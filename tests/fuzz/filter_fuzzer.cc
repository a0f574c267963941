// The filter parser every List method shares (services/common/filter.h).
//
// Input: the filter text.
// Properties: parsing never throws or crashes; a refusal is INVALID_ARGUMENT on "filter" with a
// short message (input is quoted by a prefix only); accepted clauses are within the limits, have a
// non-empty trimmed key without operator characters and one of the documented operators; and
// writing the clauses back as `key op"value" AND ...` parses to the same clauses.
#include <cstdint>
#include <string>
#include <string_view>

#include "services/common/filter.h"
#include "services/common/text.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

bool IsDocumentedOperator(std::string_view op) {
  return op == "=" || op == "<" || op == "<=" || op == ">" || op == ">=" || op == "!=";
}

std::string Format(const std::vector<casecoord::FilterClause>& clauses) {
  std::string out;
  for (const auto& clause : clauses) {
    if (!out.empty()) out += " AND ";
    // No space after the key: a key may end in " AND" ("x AND= 1"), which a space would make a
    // separator.
    out += clause.key + clause.op + "\"" + clause.value + "\"";
  }
  return out;
}

bool SameClauses(const std::vector<casecoord::FilterClause>& a,
                 const std::vector<casecoord::FilterClause>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || a[i].op != b[i].op || a[i].value != b[i].value) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view filter(reinterpret_cast<const char*>(data), size);
  auto parsed = casecoord::ParseFilterClauses(filter);
  if (!parsed.ok()) {
    const casecoord::Status& status = parsed.status();
    FUZZ_CHECK(status.code() == casecoord::StatusCode::kInvalidArgument, "%s",
               status.ToString().c_str());
    FUZZ_CHECK(
        status.field_violations().size() == 1 && status.field_violations()[0].field == "filter",
        "%s", status.ToString().c_str());
    // 64 bytes of quoted input plus the fixed text of the longest message.
    FUZZ_CHECK(status.field_violations()[0].description.size() <= 160, "message of %zu bytes",
               status.field_violations()[0].description.size());
    return 0;
  }
  FUZZ_CHECK(parsed->size() <= casecoord::kMaxFilterClauses, "%zu clauses", parsed->size());
  for (const auto& clause : *parsed) {
    FUZZ_CHECK(!clause.key.empty(), "empty key");
    FUZZ_CHECK(casecoord::TrimSpaces(clause.key) == clause.key, "untrimmed key \"%s\"",
               clause.key.c_str());
    FUZZ_CHECK(clause.key.find_first_of("=<>!") == std::string::npos, "key \"%s\"",
               clause.key.c_str());
    FUZZ_CHECK(IsDocumentedOperator(clause.op), "operator \"%s\" in \"%.*s\"", clause.op.c_str(),
               static_cast<int>(size), filter.data());
  }
  const std::string written = Format(*parsed);
  // Quoting and spacing can take a filter near the limit over it.
  if (written.size() > casecoord::kMaxFilterBytes) return 0;
  auto reparsed = casecoord::ParseFilterClauses(written);
  FUZZ_CHECK(reparsed.ok(), "written back as \"%s\": %s", written.c_str(),
             reparsed.status().ToString().c_str());
  FUZZ_CHECK(SameClauses(*parsed, *reparsed), "\"%.*s\" written back as \"%s\" parses differently",
             static_cast<int>(size), filter.data(), written.c_str());
  return 0;
}
