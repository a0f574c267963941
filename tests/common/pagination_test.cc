#include "services/common/pagination.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace casecoord {
namespace {

TEST(PaginationTest, DefaultsAndBoundsThePageSize) {
  EXPECT_EQ(ParsePageRequest(0, "", "f")->size, kDefaultPageSize);
  EXPECT_EQ(ParsePageRequest(5000, "", "f")->size, kMaxPageSize);
  EXPECT_EQ(ParsePageRequest(7, "", "f")->size, 7);
  auto negative = ParsePageRequest(-1, "", "f");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().field_violations().at(0).field, "page_size");
}

TEST(PaginationTest, TokensRoundTripAnyKeyBytes) {
  for (std::string key : {std::string("a"), std::string("ab"), std::string("abc"),
                          std::string("\0\xff\x01 key", 7), std::string(100, '\xfe')}) {
    auto page = ParsePageRequest(10, MakePageToken(key, "filter=x"), "filter=x");
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_EQ(page->after_key, key);
  }
}

TEST(PaginationTest, TokensAreBoundToTheirRequestAndCannotBeForged) {
  std::string token = MakePageToken("k", "filter=x");
  EXPECT_EQ(ParsePageRequest(10, token, "filter=y").status().field_violations().at(0).field,
            "page_token");
  EXPECT_FALSE(ParsePageRequest(10, "!!!", "filter=x").ok());
  EXPECT_FALSE(ParsePageRequest(10, "AAAA", "filter=x").ok());
  std::string altered = token;
  altered[2] = altered[2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ParsePageRequest(10, altered, "filter=x").ok());
}

// A token as the first format made it: version '1', the first 8 bytes of SHA-256 of the
// parameters (no key), then the position. Anyone could compute one for any position.
std::string Base64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  out.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size())));
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string KeylessToken(std::string_view position, std::string_view fingerprint) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(fingerprint.data(), fingerprint.size(), digest, &size, EVP_sha256(), nullptr);
  return Base64Url("1" + std::string(reinterpret_cast<char*>(digest), 8) + std::string(position));
}

TEST(PaginationTest, ATokenComputedWithoutTheServerKeyIsRefused) {
  auto forged = ParsePageRequest(10, KeylessToken("99999999999999999999999", "f"), "f");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.status().field_violations().at(0).field, "page_token");
  // Every MAC guess for one position fails (2^-128 each); try a spread of them.
  for (int guess = 0; guess < 256; ++guess) {
    const std::string token = Base64Url("2" + std::string(16, static_cast<char>(guess)) + "7");
    EXPECT_FALSE(ParsePageRequest(10, token, "f").ok());
  }
}

TEST(PaginationTest, TokensOfAnotherKeyAreRefusedAndOverlongTokensAreNotDecoded) {
  SetPageTokenKey("first key");
  const std::string token = MakePageToken("42", "f");
  EXPECT_TRUE(ParsePageRequest(10, token, "f").ok());
  SetPageTokenKey("second key");
  EXPECT_FALSE(ParsePageRequest(10, token, "f").ok());
  EXPECT_TRUE(ParsePageRequest(10, MakePageToken("42", "f"), "f").ok());
  EXPECT_FALSE(ParsePageRequest(10, std::string(kMaxPageTokenBytes + 1, 'A'), "f").ok());
}

// Found by tests/fuzz/page_token_fuzzer: the low bits of a token's last character are not part of
// any byte, and setting them made a second text for the same position.
TEST(PaginationTest, OnlyTheIssuedSpellingOfATokenIsAccepted) {
  for (std::string key : {std::string("42"), std::string("a1"), std::string("abc")}) {
    const std::string token = MakePageToken(key, "f");
    ASSERT_TRUE(ParsePageRequest(10, token, "f").ok());
    if (token.size() % 4 == 0) continue;  // every bit of the last character is used
    std::string respelled = token;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    respelled.back() = alphabet[alphabet.find(token.back()) | 1];
    ASSERT_NE(respelled, token);
    EXPECT_FALSE(ParsePageRequest(10, respelled, "f").ok()) << token << " as " << respelled;
  }
}

TEST(PaginationTest, AfterNumberAcceptsOnlyDecimalPositions) {
  EXPECT_EQ(*PageRequest().AfterNumber(), 0u);
  PageRequest seventeen;
  seventeen.after_key = "17";
  EXPECT_EQ(*seventeen.AfterNumber(), 17u);
  for (const char* bad : {"x", "-1", "017", "99999999999999999999", " 1", "1 "}) {
    PageRequest request;
    request.after_key = bad;
    auto number = request.AfterNumber();
    ASSERT_FALSE(number.ok()) << bad;
    EXPECT_EQ(number.status().field_violations().at(0).field, "page_token");
  }
}

}  // namespace
}  // namespace casecoord
