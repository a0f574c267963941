#include "services/storage/key_spaces.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "services/storage/key_encoding.h"

namespace casecoord::storage {
namespace {

// Whether a key of space `a` can also be a key of space `b`: a whole key belongs to a prefix space
// when it starts with that prefix; two prefix spaces overlap when one prefix starts the other.
bool Overlap(const KeySpace& a, const KeySpace& b) {
  const std::string pa = a.Prefix();
  const std::string pb = b.Prefix();
  if (a.form == KeyForm::kWholeKey && b.form == KeyForm::kWholeKey) return pa == pb;
  if (a.form == KeyForm::kWholeKey) return pa.starts_with(pb);
  if (b.form == KeyForm::kWholeKey) return pb.starts_with(pa);
  return pa.starts_with(pb) || pb.starts_with(pa);
}

TEST(KeySpacesTest, NoTwoSpacesOfAFamilyOverlapAndEveryNameIsDeclaredOnce) {
  const auto spaces = AllKeySpaces();
  ASSERT_GT(spaces.size(), 40u);
  std::set<std::string> names;
  for (size_t i = 0; i < spaces.size(); ++i) {
    EXPECT_TRUE(names.insert(spaces[i].name).second) << spaces[i].name << " is declared twice";
    EXPECT_NE(spaces[i].family, ColumnFamily::kDefault) << spaces[i].name;
    for (size_t j = i + 1; j < spaces.size(); ++j) {
      if (spaces[i].family != spaces[j].family) continue;
      EXPECT_FALSE(Overlap(spaces[i], spaces[j]))
          << spaces[i].name << " and " << spaces[j].name << " share keys in "
          << ColumnFamilyName(spaces[i].family);
    }
  }
}

TEST(KeySpacesTest, TheOverlapCheckFindsWhatWouldCollide) {
  const KeySpace cases{ColumnFamily::kRecords, "case", KeyForm::kPrefix};
  const KeySpace events{ColumnFamily::kRecords, "case-event", KeyForm::kPrefix};
  EXPECT_FALSE(Overlap(cases, events));  // encoded names end in a terminator
  EXPECT_TRUE(Overlap(cases, cases));
  const KeySpace sequence{ColumnFamily::kMeta, "case-next-id", KeyForm::kWholeKey};
  const KeySpace raw_prefix_of_it{ColumnFamily::kMeta, "case-next", KeyForm::kWholeKey};
  EXPECT_TRUE(Overlap(sequence, sequence));
  EXPECT_FALSE(Overlap(sequence, raw_prefix_of_it));  // two whole keys collide only when equal
  std::string inside = cases.Prefix();
  AppendUint64(&inside, 7);
  EXPECT_TRUE(inside.starts_with(cases.Prefix()));
}

}  // namespace
}  // namespace casecoord::storage
