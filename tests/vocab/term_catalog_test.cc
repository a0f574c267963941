#include "services/vocab/term_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/test_vocabulary.h"

namespace casecoord::vocab {
namespace {

using ::testing::ElementsAre;

class TermCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    catalog_.PutActive(Vocabulary::kDistricts, "kita", "北区", "きたく", 10);
    catalog_.PutActive(Vocabulary::kDistricts, "minami", "南区", "みなみく", 20);
    catalog_.PutActive(Vocabulary::kDistricts, "kita-1", "北区第1圏域", "きたくだいいちけんいき",
                       11);
    catalog_.PutActive(Vocabulary::kIssueTags, "dementia", "認知症", "にんちしょう", 10);
    catalog_.PutActive(Vocabulary::kIssueTags, "debt", "多重債務", "たじゅうさいむ", 20);
    v1::Term retired;
    retired.set_name(TermName(Vocabulary::kIssueTags, "old-tag"));
    retired.set_label("旧分類");
    retired.set_state(v1::Term::RETIRED);
    catalog_.Put(retired);
  }

  // CheckTerm's outcome for `value` on a record that held `held`: "" when it passes (with the
  // value as stored in `*stored`), else the violation's field and description.
  std::string Check(Vocabulary list, std::string value, std::set<std::string> held = {},
                    std::string* stored = nullptr) {
    FieldViolations violations;
    CheckTerm(catalog_, list, held, "case.district", &value, &violations);
    if (stored != nullptr) *stored = value;
    Status status = violations.ToStatus();
    if (status.ok()) return "";
    return status.field_violations().at(0).field + ": " +
           status.field_violations().at(0).description;
  }

  TermCatalog catalog_;
};

TEST_F(TermCatalogTest, AMisspelledIdSuggestsTheNearestIds) {
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kDistricts, "kiat", 3), ElementsAre("kita"));
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kDistricts, "kita1", 3), ElementsAre("kita", "kita-1"));
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kIssueTags, "dementa", 3), ElementsAre("dementia"));
  EXPECT_TRUE(catalog_.Suggest(Vocabulary::kDistricts, "zzzzzzzzzz", 3).empty());
}

TEST_F(TermCatalogTest, ALabelOrReadingInAnyKanaSuggestsItsId) {
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kDistricts, "北区", 1), ElementsAre("kita"));
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kDistricts, "きたく", 1), ElementsAre("kita"));
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kDistricts, "キタク", 1), ElementsAre("kita"));
  // Part of a label finds the terms that contain it.
  EXPECT_THAT(catalog_.Suggest(Vocabulary::kIssueTags, "債務", 3), ElementsAre("debt"));
}

TEST_F(TermCatalogTest, RetiredTermsAreNeverSuggested) {
  EXPECT_TRUE(catalog_.Suggest(Vocabulary::kIssueTags, "old-tag", 3).empty());
}

TEST_F(TermCatalogTest, CheckRefusesAnUnknownValueNamingTheFieldAndTheNearestIds) {
  EXPECT_EQ(Check(Vocabulary::kDistricts, "kiat"),
            "case.district: \"kiat\" is not a district of the list districts; nearest: kita");
  EXPECT_EQ(Check(Vocabulary::kDistricts, "kita"), "");
}

TEST_F(TermCatalogTest, CheckAcceptsTheExactLabelAndStoresTheId) {
  std::string stored;
  EXPECT_EQ(Check(Vocabulary::kDistricts, "北区", {}, &stored), "");
  EXPECT_EQ(stored, "kita");
  EXPECT_EQ(Check(Vocabulary::kDistricts, "　北区 ", {}, &stored), "");
  EXPECT_EQ(stored, "kita");
}

TEST_F(TermCatalogTest, ARetiredTermIsValidOnlyOnARecordThatHeldIt) {
  EXPECT_NE(Check(Vocabulary::kIssueTags, "old-tag").find("retired"), std::string::npos);
  EXPECT_EQ(Check(Vocabulary::kIssueTags, "old-tag", {"old-tag"}), "");
  // A retired term's label names it too, and is refused like its id.
  EXPECT_NE(Check(Vocabulary::kIssueTags, "旧分類").find("retired"), std::string::npos);
}

TEST_F(TermCatalogTest, AValueARecordAlreadyHoldsStaysValidEvenIfNoTermHasIt) {
  EXPECT_EQ(Check(Vocabulary::kDistricts, "typed-before-lists", {"typed-before-lists"}), "");
  EXPECT_NE(Check(Vocabulary::kDistricts, "typed-before-lists"), "");
}

TEST_F(TermCatalogTest, AnEmptyListAcceptsNothing) {
  TermCatalog empty;
  FieldViolations violations;
  std::string value = "kita";
  CheckTerm(empty, Vocabulary::kDistricts, {}, "case.district", &value, &violations);
  EXPECT_FALSE(violations.empty());
}

TEST_F(TermCatalogTest, FieldsAreSeededFromTheSupportFieldEnum) {
  TermCatalog fresh;
  EXPECT_EQ(FieldTermId(v1::PUBLIC_ASSISTANCE), "public-assistance");
  EXPECT_EQ(FieldOfTermId("elderly-care"), v1::ELDERLY_CARE);
  EXPECT_EQ(fresh.LabelOf(Vocabulary::kFields, "elderly-care"), "高齢・介護");
  EXPECT_EQ(fresh.Size(Vocabulary::kFields), 11u);
  FieldViolations violations;
  CheckField(fresh, v1::HOUSING, {}, "case.fields", &violations);
  EXPECT_TRUE(violations.empty());
  CheckField(fresh, 99, {}, "case.fields", &violations);
  EXPECT_FALSE(violations.empty());
}

TEST_F(TermCatalogTest, ListIsInDisplayOrder) {
  std::vector<std::string> ids;
  for (const auto& term : catalog_.List(Vocabulary::kDistricts)) ids.push_back(term.term_id());
  EXPECT_THAT(ids, ElementsAre("kita", "kita-1", "minami"));
}

TEST_F(TermCatalogTest, NamesParse) {
  auto parsed = ParseTermName("vocabularies/issue-tags/terms/debt", "name");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->first, Vocabulary::kIssueTags);
  EXPECT_EQ(parsed->second, "debt");
  EXPECT_FALSE(ParseTermName("vocabularies/colours/terms/red", "name").ok());
  EXPECT_FALSE(ParseTermName("vocabularies/districts/terms/Kita", "name").ok());
  EXPECT_FALSE(ParseListName("vocabularies/", "parent").ok());
}

TEST(TestVocabularyTest, TheSharedFixtureHoldsTheDemoLists) {
  auto catalog = testing::TestTermCatalog();
  EXPECT_EQ(catalog->StateOf(Vocabulary::kDistricts, "kita"), TermCheck::State::kActive);
  EXPECT_EQ(catalog->StateOf(Vocabulary::kIssueTags, "8050"), TermCheck::State::kActive);
  EXPECT_EQ(catalog->LabelOf(Vocabulary::kDistricts, "kita"), "北区");
}

}  // namespace
}  // namespace casecoord::vocab
