#include "services/text/japanese_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace casecoord::text {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// What the directory's search does: the index narrows by terms, the substring check confirms.
bool IndexAdmits(std::string_view text, std::string_view query) {
  const std::vector<std::string> index = IndexTerms(text);
  const std::set<std::string> indexed(index.begin(), index.end());
  const std::vector<std::string> terms = QueryTerms(query);
  if (terms.empty()) return false;
  for (const std::string& term : terms) {
    if (!indexed.contains(term)) return false;
  }
  return true;
}

bool Matches(std::string_view text, std::string_view query) {
  return IndexAdmits(text, query) &&
         ContainsNormalized(NormalizeForSearch(text), NormalizeForSearch(query));
}

bool IsValidUtf8(std::string_view s) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t length = static_cast<int32_t>(s.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c < 0) return false;
  }
  return true;
}

TEST(JapaneseTextTest, HiraganaQueryFindsKatakanaReading) {
  const std::string reading = "チイキホウカツシエンセンター";
  const std::string query = "ちいきほうかつ";
  EXPECT_TRUE(IndexAdmits(reading, query));
  EXPECT_TRUE(ContainsNormalized(NormalizeForSearch(reading), NormalizeForSearch(query)));
  // And the other way round: a katakana query finds a reading stored in hiragana.
  EXPECT_TRUE(Matches("ちいきほうかつしえんせんたー", "センター"));
}

// The fast katakana mapping must agree with ICU's Katakana-Hiragana transform, which it replaced,
// on every katakana letter except ヵ and ヶ (kept on purpose) and on rare katakana it hands to ICU.
TEST(JapaneseTextTest, KatakanaMapAgreesWithIcuTransform) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::Transliterator> icu_transform(
      icu::Transliterator::createInstance("Katakana-Hiragana", UTRANS_FORWARD, status));
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  ASSERT_TRUE(U_SUCCESS(status));
  std::vector<UChar32> letters;
  for (UChar32 c = 0x30A1; c <= 0x30FA; ++c) {
    if (c != 0x30F5 && c != 0x30F6) letters.push_back(c);
  }
  for (UChar32 c : {0x30FD, 0x30FE, 0x30FF, 0x31F0, 0x31FF}) letters.push_back(c);
  for (UChar32 c : letters) {
    icu::UnicodeString text(c);
    std::string input;
    text.toUTF8String(input);
    icu_transform->transliterate(text);
    icu::UnicodeString composed = nfc->normalize(text, status);
    std::string expected;
    composed.toUTF8String(expected);
    EXPECT_EQ(NormalizeForSearch(input), expected) << "U+" << std::hex << c;
    // Inside a word, too, where the fast path and ICU must not mix up neighbours.
    EXPECT_EQ(NormalizeForSearch("カ" + input + "ー"), "か" + expected + "ー")
        << "U+" << std::hex << c;
  }
}

TEST(JapaneseTextTest, LongVowelMarkSurvivesKatakanaToHiragana) {
  // ICU's Katakana-Hiragana alone turns センター into せんたあ, which no typed query matches.
  EXPECT_EQ(NormalizeForSearch("センター"), "せんたー");
  EXPECT_EQ(NormalizeForSearch("サポート"), "さぽーと");
  EXPECT_TRUE(Matches("サポートセンター", "さぽーと"));
  EXPECT_FALSE(Matches("サポートセンター", "さぽおと"));
}

TEST(JapaneseTextTest, WidthAndScriptVariantsNormalizeEqual) {
  EXPECT_EQ(NormalizeForSearch("ｻﾎﾟｰﾄ"), "さぽーと");
  EXPECT_EQ(NormalizeForSearch("ｻﾎﾟｰﾄ"), NormalizeForSearch("サポート"));
  EXPECT_EQ(NormalizeForSearch("ｻﾎﾟｰﾄ"), NormalizeForSearch("さぽーと"));
  EXPECT_EQ(NormalizeForSearch("ＮＰＯ法人"), "npo法人");
  EXPECT_EQ(NormalizeForSearch("ＮＰＯ法人"), NormalizeForSearch("NPO法人"));
  EXPECT_EQ(NormalizeForSearch("ＡＢＣ"), NormalizeForSearch("abc"));
  EXPECT_EQ(NormalizeForSearch("ヴァイオリン"), NormalizeForSearch("ゔぁいおりん"));
}

TEST(JapaneseTextTest, WhitespaceAndSeparatorsAreDropped) {
  EXPECT_EQ(NormalizeForSearch("地域　包括"), "地域包括");
  EXPECT_EQ(NormalizeForSearch(" 地域 包括\t\n"), "地域包括");
  EXPECT_EQ(NormalizeForSearch("相談支援・センター"), NormalizeForSearch("相談支援センター"));
  EXPECT_EQ(NormalizeForSearch("ｿｳﾀﾞﾝ･ｼｴﾝ"), NormalizeForSearch("そうだんしえん"));
  EXPECT_EQ(NormalizeForSearch("社会福祉法人（北区）"), NormalizeForSearch("社会福祉法人北区"));
  EXPECT_EQ(NormalizeForSearch("(福)北区"), NormalizeForSearch("福北区"));
  EXPECT_EQ(NormalizeForSearch("1-2-3"), "123");
  EXPECT_EQ(NormalizeForSearch("1－2−3"), "123");
  EXPECT_EQ(NormalizeForSearch("9:00〜17:00"), NormalizeForSearch("9:00～17:00"));
}

TEST(JapaneseTextTest, KanaUsedInsideKanjiNamesIsKept) {
  // ヶ here stands for 箇 and is read "ga"; turning it into small け would help no query.
  EXPECT_EQ(NormalizeForSearch("霞ヶ関"), "霞ヶ関");
  EXPECT_EQ(NormalizeForSearch("佐々木"), "佐々木");
}

TEST(JapaneseTextTest, SpacingVoicedMarkRecomposes) {
  // NFKC makes ゛ a space plus a combining mark; dropping the space must not leave them apart.
  EXPECT_EQ(NormalizeForSearch("か゛"), "が");
  EXPECT_EQ(NormalizeForSearch("ｶﾞ"), "が");
}

TEST(JapaneseTextTest, TwoCharacterQueryFindsSubstring) {
  EXPECT_TRUE(Matches("北区地域包括支援センター", "包括"));
  EXPECT_FALSE(IndexAdmits("北区障害者基幹相談支援センター", "包括"));
  EXPECT_FALSE(Matches("北区障害者基幹相談支援センター", "包括"));
  EXPECT_TRUE(Matches("北区障害者基幹相談支援センター", "相談支援"));
}

TEST(JapaneseTextTest, SubstringCheckRemovesNGramFalsePositives) {
  // Both bigrams of 区役所 occur, but not together.
  EXPECT_TRUE(IndexAdmits("区役場と市役所", "区役所"));
  EXPECT_FALSE(Matches("区役場と市役所", "区役所"));
  EXPECT_TRUE(Matches("北区役所", "区役所"));
}

TEST(JapaneseTextTest, NGramsAreDistinctCodePointsInOrder) {
  EXPECT_THAT(CharacterNGrams("相談所", 2), ElementsAre("相談", "談所"));
  EXPECT_THAT(CharacterNGrams("相談所", 1), ElementsAre("相", "談", "所"));
  EXPECT_THAT(CharacterNGrams("あいあいあ", 2), ElementsAre("あい", "いあ"));
  // U+20BB7 takes four bytes in UTF-8 and two UTF-16 units; it is still one character.
  EXPECT_THAT(CharacterNGrams("𠮷野家", 2), ElementsAre("𠮷野", "野家"));
  EXPECT_THAT(CharacterNGrams("abcd", 3), ElementsAre("abc", "bcd"));
}

TEST(JapaneseTextTest, ShortTextIsItsOwnGram) {
  EXPECT_THAT(CharacterNGrams("区", 2), ElementsAre("区"));
  EXPECT_THAT(CharacterNGrams("北区", 3), ElementsAre("北区"));
  EXPECT_THAT(CharacterNGrams("", 2), IsEmpty());
  EXPECT_THAT(CharacterNGrams("北区", 0), IsEmpty());
}

TEST(JapaneseTextTest, IndexTermsAreUnigramsThenBigrams) {
  EXPECT_THAT(IndexTerms("北区"), ElementsAre("北", "区", "北区"));
  EXPECT_THAT(IndexTerms("区"), ElementsAre("区"));
  EXPECT_THAT(IndexTerms("区区"), ElementsAre("区", "区区"));
  EXPECT_THAT(IndexTerms("ｸ･ｸ"), ElementsAre("く", "くく"));
  EXPECT_THAT(IndexTerms(" ・ "), IsEmpty());
}

TEST(JapaneseTextTest, QueryTermsForShortAndBlankQueries) {
  EXPECT_THAT(QueryTerms("区"), ElementsAre("区"));
  EXPECT_THAT(QueryTerms(" ｸ "), ElementsAre("く"));
  EXPECT_THAT(QueryTerms("北区役所"), ElementsAre("北区", "区役", "役所"));
  EXPECT_THAT(QueryTerms(""), IsEmpty());
  EXPECT_THAT(QueryTerms(" 　\t"), IsEmpty());
  EXPECT_THAT(QueryTerms("・（）"), IsEmpty());
  EXPECT_TRUE(Matches("北区地域包括支援センター", "区"));
  EXPECT_FALSE(Matches("北区地域包括支援センター", "市"));
}

TEST(JapaneseTextTest, InvalidUtf8GivesValidUtf8) {
  const std::string inputs[] = {
      std::string("\xff\xfe相談"), std::string("相談\xe3\x81"),  // cut in the middle of あ
      std::string("\xc0\xaf"),                                   // overlong '/'
      std::string("\xed\xa0\x80"),  // a UTF-16 surrogate encoded in UTF-8
      std::string("a\0b", 3),
  };
  for (const std::string& input : inputs) {
    const std::string normalized = NormalizeForSearch(input);
    EXPECT_TRUE(IsValidUtf8(normalized)) << normalized;
    for (const std::string& term : IndexTerms(input)) EXPECT_TRUE(IsValidUtf8(term));
    for (const std::string& gram : CharacterNGrams(input, 2)) EXPECT_TRUE(IsValidUtf8(gram));
    DisplayWidth(input);
  }
  EXPECT_EQ(NormalizeForSearch("\xff相談"), "\uFFFD相談");
  EXPECT_EQ(DisplayWidth("\xff相談"), 5u);
}

TEST(JapaneseTextTest, NormalizationIsIdempotent) {
  for (const char* text :
       {"チイキホウカツシエンセンター", "ｻﾎﾟｰﾄ", "ＮＰＯ法人　北区", "か゛", "ヷ", "㈱カブシキ",
        "Straße", "ﬁ", "① ・ 9:00〜17:00", "霞ヶ関", "\xff\xfe"}) {
    const std::string once = NormalizeForSearch(text);
    EXPECT_EQ(NormalizeForSearch(once), once) << text;
  }
}

TEST(JapaneseTextTest, ConcurrentNormalizationMatchesSingleThreaded) {
  const std::vector<std::string> inputs = {
      "チイキホウカツシエンセンター",
      "ｻﾎﾟｰﾄｾﾝﾀｰ",
      "ＮＰＯ法人　北区",
      "相談支援・センター",
      "北区障害者基幹相談支援センター",
      "ヴァイオリン教室",
      "ちいきほうかつ",
      "Straße 1-2-3",
  };
  std::vector<std::string> expected;
  for (const std::string& input : inputs) expected.push_back(NormalizeForSearch(input));

  constexpr int kThreads = 8;
  constexpr int kIterations = 1000;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Each thread starts at a different input so different strings are in flight together.
        const size_t k = static_cast<size_t>(t + i) % inputs.size();
        if (NormalizeForSearch(inputs[k]) != expected[k]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

TEST(JapaneseTextTest, DisplayWidthCountsTerminalColumns) {
  EXPECT_EQ(DisplayWidth("相談ab"), 6u);
  EXPECT_EQ(DisplayWidth("ｻﾎﾟｰﾄ"), 5u);
  EXPECT_EQ(DisplayWidth("サポート"), 8u);
  EXPECT_EQ(DisplayWidth("ＡＢＣ"), 6u);
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);  // combining acute accent (Mn)
  EXPECT_EQ(DisplayWidth("1\u20DD"), 1u);  // combining enclosing circle (Me)
  EXPECT_EQ(DisplayWidth(""), 0u);
}

}  // namespace
}  // namespace casecoord::text
