#include "services/common/filter.h"

#include <gtest/gtest.h>

namespace casecoord {
namespace {

TEST(FilterTest, SplitsAConjunctionAndUnquotesValues) {
  auto clauses = ParseFilterClauses("  state = CLOSED AND district=\"kita AND\" AND n >= 3 ");
  ASSERT_TRUE(clauses.ok()) << clauses.status().ToString();
  ASSERT_EQ(clauses->size(), 3u);
  EXPECT_EQ((*clauses)[0].key, "state");
  EXPECT_EQ((*clauses)[0].op, "=");
  EXPECT_EQ((*clauses)[0].value, "CLOSED");
  EXPECT_EQ((*clauses)[1].value, "kita AND");
  EXPECT_EQ((*clauses)[2].op, ">=");
  EXPECT_TRUE(ParseFilterClauses("")->empty());
}

// "==" was returned as an operator, outside the six the header documents (found by
// tests/fuzz/filter_fuzzer).
TEST(FilterTest, RefusesOperatorsOutsideTheDocumentedSix) {
  for (const char* filter : {"state == CLOSED", "state ! CLOSED", "= x", "state"}) {
    auto clauses = ParseFilterClauses(filter);
    ASSERT_FALSE(clauses.ok()) << filter;
    EXPECT_EQ(clauses.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(clauses.status().field_violations().at(0).field, "filter");
  }
}

TEST(FilterTest, RefusesFiltersOverTheLimits) {
  EXPECT_FALSE(ParseFilterClauses(std::string(kMaxFilterBytes + 1, 'a')).ok());
  std::string many;
  for (size_t i = 0; i <= kMaxFilterClauses; ++i)
    many += (i ? " AND k = " : "k = ") + std::to_string(i);
  EXPECT_FALSE(ParseFilterClauses(many).ok());
}

}  // namespace
}  // namespace casecoord
