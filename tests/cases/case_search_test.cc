// The terms of the household search index and case numbers (services/cases/case_search.h).
#include "services/cases/case_search.h"

#include <gtest/gtest.h>

namespace casecoord::cases {
namespace {

using Terms = std::set<std::string>;

TEST(CaseSearchTermsTest, NamesFoldAsTheDirectoryFoldsWholeAndByPart) {
  EXPECT_EQ(NameTerms("ヤマダ タロウ"), (Terms{"やまだたろう", "やまだ", "たろう"}));
  EXPECT_EQ(NameTerms("ﾔﾏﾀﾞ　ﾀﾛｳ"), (Terms{"やまだたろう", "やまだ", "たろう"}));
  EXPECT_EQ(NameTerms("山田 太郎"), (Terms{"山田太郎", "山田", "太郎"}));
  EXPECT_EQ(NameTerms("Ｓｍｉｔｈ  John"), (Terms{"smithjohn", "smith", "john"}));
  EXPECT_EQ(NameTerms("山田"), (Terms{"山田"}));
  EXPECT_EQ(NameTerms(" ・ "), Terms{});
  EXPECT_EQ(NameTerms(""), Terms{});
}

TEST(CaseSearchTermsTest, PhonesAreTheirDigitsWithTheCountryCodeReadAsZero) {
  for (const char* phone :
       {"03-1234-5678", "０３－１２３４－５６７８", "(03) 1234 5678", "+81 3 1234 5678",
        "+81 (0)3-1234-5678", "+８１ ３ １２３４ ５６７８"}) {
    EXPECT_EQ(PhoneDigits(phone), "0312345678") << phone;
  }
  EXPECT_EQ(PhoneDigits("81-1234"), "811234");  // no '+': not a country code
  EXPECT_EQ(PhoneDigits("なし"), "");
}

TEST(CaseSearchTermsTest, ARecordsTermsCoverEveryMemberAndPhoneAndNothingElse) {
  v1::Case record;
  record.set_phone("03-1234-5678");
  record.set_address("架空市北区本町1-2-3");
  record.set_presenting_problem("相談内容");
  auto* member = record.add_members();
  member->set_display_name("山田 太郎");
  member->set_kana("ヤマダ タロウ");
  member->mutable_birth_date()->set_year(1950);
  member->mutable_birth_date()->set_month(4);
  member->mutable_birth_date()->set_day(1);
  member->set_phone("090-1111-2222");
  EXPECT_EQ(SearchTermsOf(record),
            (Terms{"n:山田太郎", "n:山田", "n:太郎", "k:やまだたろう", "k:やまだ", "k:たろう",
                   "b:1950-04-01", "p:0312345678", "p:09011112222"}));
}

TEST(CaseSearchTermsTest, CaseNumbersParseByEraAndRefuseYearsTheEraDoesNotHave) {
  using Number = std::optional<std::pair<int, uint64_t>>;
  EXPECT_EQ(ParseCaseNumber("R6-0042"), (Number{{2024, 42}}));
  EXPECT_EQ(ParseCaseNumber("r6-42"), (Number{{2024, 42}}));
  EXPECT_EQ(ParseCaseNumber("R1-0001"), (Number{{2019, 1}}));
  EXPECT_EQ(ParseCaseNumber("H30-0001"), (Number{{2018, 1}}));
  EXPECT_EQ(ParseCaseNumber("H1-0001"), (Number{{1989, 1}}));
  EXPECT_EQ(ParseCaseNumber("S63-0001"), (Number{{1988, 1}}));
  EXPECT_EQ(ParseCaseNumber("H31-0001"), std::nullopt);  // FY2019 is R1
  EXPECT_EQ(ParseCaseNumber("S64-0001"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("R6-0000"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("X6-0001"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("R6"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("R-0001"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("R6-"), std::nullopt);
  EXPECT_EQ(ParseCaseNumber("cases/12"), std::nullopt);
}

TEST(CaseSearchTermsTest, AQueryMatchesNameKanaAndBirthDateOnOneMember) {
  v1::Case record;
  auto* son = record.add_members();
  son->set_display_name("山田 太郎");
  son->mutable_birth_date()->set_year(1950);
  son->mutable_birth_date()->set_month(4);
  son->mutable_birth_date()->set_day(1);
  auto* mother = record.add_members();
  mother->set_display_name("山田 花");
  mother->set_phone("090-1111-2222");
  SearchQuery query;
  query.name = "太郎";
  query.birth_date = son->birth_date();
  EXPECT_TRUE(query.Matches(record));
  query.name = "花";
  EXPECT_FALSE(query.Matches(record));  // 花 has no birth date; 太郎 is not 花
  query.birth_date.reset();
  query.phone = "09011112222";
  EXPECT_TRUE(query.Matches(record));
  query.phone = "0312345678";
  EXPECT_FALSE(query.Matches(record));
}

}  // namespace
}  // namespace casecoord::cases
