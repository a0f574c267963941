#include "services/text/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/xlsx_files.h"

namespace casecoord::text {
namespace {

using ::testing::ElementsAre;
using testing::TextXlsx;

std::vector<std::vector<std::string>> Cells(const Table& table) {
  std::vector<std::vector<std::string>> cells;
  for (const TableRow& row : table.rows) cells.push_back(row.cells);
  return cells;
}

std::vector<int> Lines(const Table& table) {
  std::vector<int> lines;
  for (const TableRow& row : table.rows) lines.push_back(row.line);
  return lines;
}

std::vector<std::string> Problems(const Table& table) {
  std::vector<std::string> problems;
  for (const TableProblem& problem : table.problems) {
    problems.push_back(std::to_string(problem.line) + ":" + std::to_string(problem.column) + " " +
                       problem.problem);
  }
  return problems;
}

TEST(TableTest, ReadsCsvAsParseCsvDoes) {
  auto table =
      ReadTable("\xEF\xBB\xBF\r\n機関ID,機関名\r\nkita,北区\r\nbad\r\n\r\nminami,南区\r\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->format, TableFormat::kCsv);
  EXPECT_EQ(table->encoding, CsvEncoding::kUtf8Bom);
  EXPECT_EQ(table->header_line, 2);
  EXPECT_THAT(table->header, ElementsAre("機関ID", "機関名"));
  EXPECT_THAT(Lines(*table), ElementsAre(3, 6));
  EXPECT_THAT(Cells(*table),
              ElementsAre(ElementsAre("kita", "北区"), ElementsAre("minami", "南区")));
  EXPECT_THAT(Problems(*table), ElementsAre("4:0 record has 1 fields but the header has 2"));

  auto cp932 = ReadTable("\x8B\x40\x8A\xD6\x49\x44\r\n");  // 機関ID
  ASSERT_TRUE(cp932.ok()) << cp932.status().ToString();
  EXPECT_EQ(cp932->encoding, CsvEncoding::kCp932);
  EXPECT_THAT(cp932->header, ElementsAre("機関ID"));

  auto undecodable = ReadTable("\xFF\xFE\xFD");
  ASSERT_FALSE(undecodable.ok());
  EXPECT_TRUE(undecodable.status().Is(Reason::kUndecodable));
}

TEST(TableTest, ReadsTheFirstSheetOfAnXlsxFileInTheSameShape) {
  const std::string file = TextXlsx({
      {"名簿",
       {{},
        {"機関ID", "機関名", "", "機関名"},
        {"kita", "北区"},
        {},
        {"minami", "", "", "", "右の欄"},
        {"", "", "", "備考"}}},
      {"二枚目", {{"x"}}},
  });
  auto table = ReadTable(file);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->format, TableFormat::kXlsx);
  EXPECT_EQ(table->sheet_name, "名簿");
  EXPECT_EQ(table->header_line, 2);
  EXPECT_THAT(table->header, ElementsAre("機関ID", "機関名", "", "機関名"));
  EXPECT_THAT(Lines(*table), ElementsAre(3, 6));
  EXPECT_THAT(Cells(*table),
              ElementsAre(ElementsAre("kita", "北区", "", ""), ElementsAre("", "", "", "備考")));
  EXPECT_THAT(Problems(*table),
              ElementsAre("2:3 header name is empty", "2:4 header name \"機関名\" repeats column 2",
                          "5:5 cell E5 is beyond the header's last column D"));

  auto second = ReadTable(file, "二枚目");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_THAT(second->header, ElementsAre("x"));
  EXPECT_TRUE(second->rows.empty());
}

TEST(TableTest, AnEmptySheetHasNoHeader) {
  auto table = ReadTable(TextXlsx({{"空", {}}}));
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_TRUE(table->header.empty());
  EXPECT_THAT(Problems(*table), ElementsAre("1:0 the file has no header row"));
}

TEST(TableTest, AnUnreadableXlsxIsAnError) {
  auto table = ReadTable(std::string("PK\3\4garbage"));
  ASSERT_FALSE(table.ok());
  EXPECT_TRUE(table.status().Is(Reason::kNotXlsx)) << table.status().ToString();
}

}  // namespace
}  // namespace casecoord::text
