#include "services/common/pagination.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace casecoord
