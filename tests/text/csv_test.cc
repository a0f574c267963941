#include "services/text/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

namespace casecoord::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

TEST(CsvTest, Cp932RoundTripKeepsWindowsExtensionsAndHalfWidthKana) {
  const std::string text =
      "機関名,電話番号,備考\r\n"
      "①地域包括支援センター,03-1234-5678,9:00～17:00\r\n"
      "㈱ケアプラン髙橋,06-9876-5432,ｿｰｼｬﾙﾜｰｶｰ常駐\r\n";
  Result<std::string> encoded = EncodeFromUtf8(text, CsvEncoding::kCp932);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_NE(*encoded, text);
  EXPECT_LT(encoded->size(), text.size());  // two bytes per kanji instead of three

  CsvEncoding detected = CsvEncoding::kUtf8;
  Result<std::string> decoded = DecodeToUtf8(*encoded, &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kCp932);
  EXPECT_EQ(*decoded, text);
}

TEST(CsvTest, Cp932UsesMicrosoftCodes) {
  // The byte values Windows itself writes; an IBM or JIS table would differ for ㈱ and ～.
  const std::pair<const char*, const char*> cases[] = {
      {"あ", "\x82\xA0"}, {"①", "\x87\x40"}, {"㈱", "\x87\x8A"}, {"～", "\x81\x60"},
      {"髙", "\xFB\xFC"}, {"ｱ", "\xB1"},     {"\\~", "\\~"},
  };
  for (const auto& [utf8, cp932] : cases) {
    Result<std::string> encoded = EncodeFromUtf8(utf8, CsvEncoding::kCp932);
    ASSERT_TRUE(encoded.ok()) << utf8 << ": " << encoded.status().ToString();
    EXPECT_EQ(*encoded, cp932) << utf8;
  }
  CsvEncoding detected = CsvEncoding::kUtf8;
  Result<std::string> decoded = DecodeToUtf8("\x82\xA0\x87\x40\x81\x60", &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kCp932);
  EXPECT_EQ(*decoded, "あ①～");
}

TEST(CsvTest, Cp932ControlCodesMapToThemselves) {
  // ICU's table rotates 0x1A, 0x1C and 0x7F; Windows does not.
  const std::string bytes = "\x82\xA0\x1A\x1C\x7F";
  CsvEncoding detected = CsvEncoding::kUtf8;
  Result<std::string> decoded = DecodeToUtf8(bytes, &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kCp932);
  EXPECT_EQ(*decoded, "あ\x1A\x1C\x7F");
  Result<std::string> encoded = EncodeFromUtf8(*decoded, CsvEncoding::kCp932);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(*encoded, bytes);
}

TEST(CsvTest, Cp932WritesJisCodePointsAsTheirWindowsGlyphs) {
  // As typed on macOS: WAVE DASH, MINUS SIGN, DOUBLE VERTICAL LINE, EM DASH, ¢ £ ¬.
  Result<std::string> encoded = EncodeFromUtf8("9:00〜17:00−‖—¢£¬", CsvEncoding::kCp932);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(*encoded,
            "9:00\x81\x60"
            "17:00\x81\x7C\x81\x61\x81\x5C\x81\x91\x81\x92\x81\xCA");
  Result<std::string> decoded = DecodeToUtf8(*encoded, nullptr);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, "9:00～17:00－∥―￠￡￢");
}

TEST(CsvTest, Utf8WithAndWithoutBom) {
  CsvEncoding detected = CsvEncoding::kCp932;
  Result<std::string> decoded = DecodeToUtf8("\xEF\xBB\xBF機関名\r\n相談室\r\n", &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kUtf8Bom);
  EXPECT_EQ(*decoded, "機関名\r\n相談室\r\n");

  decoded = DecodeToUtf8("機関名\n相談室\n", &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kUtf8);
  EXPECT_EQ(*decoded, "機関名\n相談室\n");

  const std::string csv = WriteCsv({"機関名", "電話番号"}, {{"相談室", "03-1111-2222"}});
  Result<std::string> with_bom = EncodeFromUtf8(csv, CsvEncoding::kUtf8Bom);
  ASSERT_TRUE(with_bom.ok()) << with_bom.status().ToString();
  EXPECT_THAT(*with_bom, StartsWith("\xEF\xBB\xBF"));
  decoded = DecodeToUtf8(*with_bom, &detected);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(detected, CsvEncoding::kUtf8Bom);
  EXPECT_EQ(*decoded, csv);
}

TEST(CsvTest, UnmappableCharacterIsNamedWithItsLine) {
  Result<std::string> encoded =
      EncodeFromUtf8("機関名\r\n救急病院🏥\r\n吉田\n𠮷田\n", CsvEncoding::kCp932);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(encoded.status().reason(), "UNMAPPABLE_CHARACTER");
  EXPECT_THAT(encoded.status().message(), HasSubstr("'🏥' (U+1F3E5) on line 2"));
  EXPECT_THAT(encoded.status().message(), HasSubstr("'𠮷' (U+20BB7) on line 4"));
  EXPECT_THAT(encoded.status().message(), Not(HasSubstr("吉")));
}

TEST(CsvTest, BytesInvalidInBothEncodingsAreUndecodableWithLine) {
  // Shift_JIS text ("機関" / "あ" / "あ" + 0xFF, never valid in CP932) with the error on line 3.
  const std::string cp932 = "\x8B\x40\x8A\xD6\r\n\x82\xA0\r\n\x82\xA0\xFF\r\n";
  CsvEncoding detected = CsvEncoding::kUtf8;
  Result<std::string> decoded = DecodeToUtf8(cp932, &detected);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().reason(), "UNDECODABLE");
  EXPECT_THAT(decoded.status().message(), HasSubstr("0xFF at offset 12 (line 3)"));
  EXPECT_EQ(detected, CsvEncoding::kUtf8);  // untouched on failure

  // UTF-8 text corrupted on line 3: CP932 fails earlier, so the UTF-8 position is the one shown.
  decoded = DecodeToUtf8("あ\nい\n\xE3\x81", nullptr);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().reason(), "UNDECODABLE");
  EXPECT_THAT(decoded.status().message(), HasSubstr("0xE3 at offset 8 (line 3)"));

  // A BOM promises UTF-8, so CP932 is not attempted.
  decoded = DecodeToUtf8("\xEF\xBB\xBF\x61\r\n\x82\xA0", nullptr);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().reason(), "UNDECODABLE");
  EXPECT_THAT(decoded.status().message(), HasSubstr("0x82 at offset 6 (line 2)"));
}

TEST(CsvTest, QuotedFieldsWithCommasQuotesAndEmbeddedNewlines) {
  CsvTable table = ParseCsv(
      "名称,住所,備考\r\n"
      "\"相談室, 北\",\"通称 \"\"ほっと\"\"\",\"1行目\r\n2行目\"\r\n"
      "南,\"\",末尾 \r\n");
  EXPECT_THAT(table.problems, IsEmpty());
  EXPECT_THAT(table.header, ElementsAre("名称", "住所", "備考"));
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_EQ(table.rows[0].line, 2);
  EXPECT_THAT(table.rows[0].fields, ElementsAre("相談室, 北", "通称 \"ほっと\"", "1行目\r\n2行目"));
  EXPECT_EQ(table.rows[1].line, 4);
  EXPECT_THAT(table.rows[1].fields, ElementsAre("南", "", "末尾 "));
}

TEST(CsvTest, MixedLineEndsBlankLinesAndWhitespace) {
  CsvTable table = ParseCsv("a,b\r\n1,2\n3,4\r5,6\r\n\n\r\n\r ,\",\"\n x ,y\t\n,,\n7,8");
  EXPECT_THAT(table.problems, IsEmpty());
  std::vector<int> lines;
  for (const CsvRow& row : table.rows) lines.push_back(row.line);
  EXPECT_THAT(lines, ElementsAre(2, 3, 4, 8, 9, 11));
  EXPECT_THAT(table.rows[3].fields, ElementsAre(" ", ","));
  EXPECT_THAT(table.rows[4].fields, ElementsAre(" x ", "y\t"));
  EXPECT_THAT(table.rows[5].fields, ElementsAre("7", "8"));
}

TEST(CsvTest, MalformedRowsAreReportedAndSkippedWithoutLosingTheirNeighbours) {
  CsvTable table = ParseCsv(
      "機関名,電話番号\n"
      "甲,1\n"
      "乙,2,余分\n"
      "丙,3\n"
      "丁\"店,4\n"
      "\"戊\"館,5\n"
      "己,6\n");
  std::vector<int> lines;
  for (const CsvRow& row : table.rows) lines.push_back(row.line);
  EXPECT_THAT(lines, ElementsAre(2, 4, 7));
  EXPECT_THAT(table.rows[2].fields, ElementsAre("己", "6"));
  ASSERT_EQ(table.problems.size(), 3u);
  EXPECT_EQ(table.problems[0].line, 3);
  EXPECT_EQ(table.problems[0].column, 0);
  EXPECT_THAT(table.problems[0].problem, HasSubstr("3 fields"));
  EXPECT_EQ(table.problems[1].line, 5);
  EXPECT_EQ(table.problems[1].column, 1);
  EXPECT_THAT(table.problems[1].problem, HasSubstr("quote"));
  EXPECT_EQ(table.problems[2].line, 6);
  EXPECT_EQ(table.problems[2].column, 1);
  EXPECT_THAT(table.problems[2].problem, HasSubstr("after the closing quote"));
}

TEST(CsvTest, UnterminatedQuoteAtEndIsReported) {
  CsvTable table = ParseCsv("a,b\n1,2\n3,\"open\n4,5\n");
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0].line, 2);
  ASSERT_EQ(table.problems.size(), 1u);
  EXPECT_EQ(table.problems[0].line, 3);
  EXPECT_EQ(table.problems[0].column, 2);
  EXPECT_THAT(table.problems[0].problem, HasSubstr("never closed"));
  EXPECT_THAT(table.problems[0].problem, HasSubstr("lines 3-4"));
}

TEST(CsvTest, DuplicateAndEmptyHeaderNamesAreReported) {
  CsvTable table = ParseCsv("\xEF\xBB\xBF機関名,電話番号,　機関名 ,\n甲,1,乙,\n");
  EXPECT_THAT(table.header, ElementsAre("機関名", "電話番号", "　機関名 ", ""));
  ASSERT_EQ(table.problems.size(), 2u);
  EXPECT_EQ(table.problems[0].line, 1);
  EXPECT_EQ(table.problems[0].column, 3);
  EXPECT_THAT(table.problems[0].problem, HasSubstr("repeats column 1"));
  EXPECT_EQ(table.problems[1].line, 1);
  EXPECT_EQ(table.problems[1].column, 4);
  EXPECT_THAT(table.problems[1].problem, HasSubstr("empty"));
  EXPECT_EQ(table.rows.size(), 1u);

  EXPECT_THAT(ParseCsv("").problems, ::testing::SizeIs(1));
}

TEST(CsvTest, WriterQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(WriteCsv({"名称", "備考"},
                     {{"a,b", "say \"x\""}, {" 前", "後\u3000"}, {"", ""}, {"改\n行", "普通"}}),
            "名称,備考\r\n"
            "\"a,b\",\"say \"\"x\"\"\"\r\n"
            "\" 前\",\"後\u3000\"\r\n"
            "\"\",\r\n"
            "\"改\n行\",普通\r\n");
}

TEST(CsvTest, WriterParserRoundTripOfRandomFields) {
  const std::vector<std::string> pieces = {"a",  "Z",  ",",  "\"", "\n", "\r", "\r\n", " ",
                                           "\t", "あ", "髙", "①",  "ｶﾅ", "　", "\"\"", "0"};
  std::mt19937 random(20240401);
  for (int trial = 0; trial < 300; ++trial) {
    const int columns = 1 + static_cast<int>(random() % 5);
    std::vector<std::string> header;
    for (int c = 0; c < columns; ++c) header.push_back("列" + std::to_string(c));
    std::vector<std::vector<std::string>> rows(random() % 6);
    for (auto& row : rows) {
      for (int c = 0; c < columns; ++c) {
        std::string field;
        const int length = static_cast<int>(random() % 5);  // 0 gives empty fields often
        for (int k = 0; k < length; ++k) field += pieces[random() % pieces.size()];
        row.push_back(field);
      }
    }
    const std::string csv = WriteCsv(header, rows);
    CsvTable table = ParseCsv(csv);
    ASSERT_THAT(table.problems, IsEmpty()) << csv;
    ASSERT_EQ(table.header, header) << csv;
    ASSERT_EQ(table.rows.size(), rows.size()) << csv;
    for (size_t r = 0; r < rows.size(); ++r) {
      ASSERT_EQ(table.rows[r].fields, rows[r]) << "row " << r << " of\n" << csv;
    }
  }
}

TEST(CsvTest, MapHeaderAcceptsAlternativesAndTrimsSpaces) {
  const std::vector<std::vector<std::string>> accepted = {
      {"機関名", "名称"}, {"フリガナ", "ふりがな"}, {"電話番号", "TEL"}, {"FAX番号"}};
  const std::vector<bool> required = {true, false, true, false};

  Result<std::vector<int>> mapped =
      MapHeader({"　機関名　", " フリガナ", "電話番号\t", "備考"}, accepted, required);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_THAT(*mapped, ElementsAre(0, 1, 2, -1));

  mapped = MapHeader({"TEL", "名称"}, accepted, required);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_THAT(*mapped, ElementsAre(1, -1, 0, -1));

  // The preferred name wins over an alternative further left.
  mapped = MapHeader({"名称", "機関名", "電話番号"}, accepted, required);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_THAT(*mapped, ElementsAre(1, -1, 2, -1));
}

TEST(CsvTest, MapHeaderNamesEveryMissingRequiredColumn) {
  Result<std::vector<int>> mapped = MapHeader(
      {"フリガナ", "機関"}, {{"機関名", "名称"}, {"フリガナ"}, {"電話番号"}}, {true, true, true});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mapped.status().reason(), "MISSING_COLUMNS");
  ASSERT_EQ(mapped.status().field_violations().size(), 2u);
  EXPECT_EQ(mapped.status().field_violations()[0].field, "header");
  EXPECT_EQ(mapped.status().field_violations()[0].description, "column 機関名 is required");
  EXPECT_EQ(mapped.status().field_violations()[1].description, "column 電話番号 is required");
}

}  // namespace
}  // namespace casecoord::text
