// Page tokens (services/common/pagination.h) as a client sends them back.
//
// Input: byte 0 picks the request parameters (fingerprint) and byte 1 the page size; the rest is
// the page_token text. Tokens in the seed corpus were issued under kFuzzKey below (see
// docs/fuzzing.md), so the fuzzer starts from tokens whose MAC verifies.
//
// Properties: parsing never throws or crashes; a refusal is INVALID_ARGUMENT on page_size or
// page_token; an accepted token is exactly the token the server would issue for its position
// (so no two token texts name one position), it is refused under any other fingerprint, and its
// position is a decimal number only when AfterNumber() says so.
#include <cstdint>
#include <string>
#include <string_view>

#include "services/common/pagination.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr std::string_view kFuzzKey = "casecoord fuzz page-token key";

// Fingerprints as the List methods build them (parent, filter, order).
constexpr std::string_view kFingerprints[] = {
    "",
    "cases|state = \"OPEN\"|",
    "agencies|kind = \"COMMUNITY_GENERAL_SUPPORT_CENTER\"|display_name",
    "cases/1/meetings||",
};

constexpr int32_t kPageSizes[] = {0, 1, 50, 1000, 1001, -1, 2147483647, -2147483647 - 1};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  casecoord::SetPageTokenKey(kFuzzKey);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using casecoord::StatusCode;
  if (size < 2) return 0;
  const std::string_view fingerprint = kFingerprints[data[0] % std::size(kFingerprints)];
  const int32_t page_size = kPageSizes[data[1] % std::size(kPageSizes)];
  const std::string_view token(reinterpret_cast<const char*>(data) + 2, size - 2);

  auto parsed = casecoord::ParsePageRequest(page_size, token, fingerprint);
  if (!parsed.ok()) {
    const casecoord::Status& status = parsed.status();
    FUZZ_CHECK(status.code() == StatusCode::kInvalidArgument, "%s", status.ToString().c_str());
    FUZZ_CHECK(status.field_violations().size() == 1, "%s", status.ToString().c_str());
    const std::string& field = status.field_violations()[0].field;
    FUZZ_CHECK(field == "page_token" || field == "page_size", "%s", field.c_str());
    return 0;
  }
  FUZZ_CHECK(parsed->size >= 1 && parsed->size <= casecoord::kMaxPageSize, "size %d", parsed->size);
  if (token.empty()) {
    FUZZ_CHECK(parsed->after_key.empty(), "a first page has no position");
    return 0;
  }
  const std::string reissued = casecoord::MakePageToken(parsed->after_key, fingerprint);
  FUZZ_CHECK(reissued == token, "accepted token \"%.*s\" re-encodes as \"%s\"",
             static_cast<int>(token.size()), token.data(), reissued.c_str());

  const std::string other = std::string(fingerprint) + "|other";
  auto replayed = casecoord::ParsePageRequest(page_size, token, other);
  FUZZ_CHECK(!replayed.ok(), "a token was accepted with other request parameters");

  auto number = parsed->AfterNumber();
  if (number.ok()) {
    FUZZ_CHECK(std::to_string(*number) == parsed->after_key, "position %s read as %llu",
               parsed->after_key.c_str(), static_cast<unsigned long long>(*number));
  } else {
    FUZZ_CHECK(number.status().code() == StatusCode::kInvalidArgument, "%s",
               number.status().ToString().c_str());
  }
  return 0;
}
