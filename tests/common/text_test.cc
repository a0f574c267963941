#include "services/common/text.h"

#include <gtest/gtest.h>

namespace casecoord {
namespace {

TEST(ParseDecimalIdTest, AcceptsIdsAsTheServerWritesThem) {
  EXPECT_EQ(ParseDecimalId("1"), 1u);
  EXPECT_EQ(ParseDecimalId("999999999999999999"), 999999999999999999u);
  EXPECT_EQ(ParseDecimalId("0", /*allow_zero=*/true), 0u);
}

TEST(ParseDecimalIdTest, RefusesEverythingElseWithoutThrowing) {
  for (const char* bad : {"", "0", "01", "-1", "+1", " 1", "1 ", "1x", "x", "1e3",
                          "9999999999999999999", "18446744073709551616", "１"}) {
    EXPECT_FALSE(ParseDecimalId(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseDecimalId("00", /*allow_zero=*/true).has_value());
}

TEST(ParseDecimalIntTest, HonoursSignAndRange) {
  EXPECT_EQ(ParseDecimalInt("2024", 1000, 9999), 2024);
  EXPECT_EQ(ParseDecimalInt("-5", -10, 10), -5);
  EXPECT_EQ(ParseDecimalInt("007", 0, 10), 7);
  for (const char* bad : {"", "-", "+5", "5 ", "11", "-11", "99999999999999999999", "--1"}) {
    EXPECT_FALSE(ParseDecimalInt(bad, -10, 10).has_value()) << bad;
  }
}

}  // namespace
}  // namespace casecoord
