#include "services/text/xlsx.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/xlsx_files.h"

namespace casecoord::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TextXlsx;
using testing::WriteXlsx;
using testing::ZipArchive;

constexpr char kSheetsRels[] =
    R"(<?xml version="1.0" encoding="UTF-8"?>)"
    R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
    R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>)"
    R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
    R"(<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="/xl/styles.xml"/>)"
    R"(</Relationships>)";

std::string Workbook(std::string_view properties = "") {
  return std::string(
             R"(<?xml version="1.0" encoding="UTF-8"?>)"
             R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
             R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">)") +
         std::string(properties) +
         R"(<sheets><sheet name="名簿" sheetId="1" r:id="rId1"/></sheets></workbook>)";
}

std::string Worksheet(std::string_view sheet_data, std::string_view before = "") {
  return std::string(
             R"(<?xml version="1.0" encoding="UTF-8"?>)"
             R"(<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)") +
         std::string(before) + "<sheetData>" + std::string(sheet_data) + "</sheetData></worksheet>";
}

// A workbook written by hand: no package relationships (the reader falls back to
// xl/workbook.xml), one sheet, optional shared strings and styles.
std::string HandWritten(const std::string& sheet_xml, const std::string& shared_strings = "",
                        const std::string& styles = "", const std::string& workbook = Workbook()) {
  std::vector<std::pair<std::string, std::string>> entries = {
      {"xl/workbook.xml", workbook},
      {"xl/_rels/workbook.xml.rels", kSheetsRels},
      {"xl/worksheets/sheet1.xml", sheet_xml},
  };
  if (!shared_strings.empty()) entries.emplace_back("xl/sharedStrings.xml", shared_strings);
  if (!styles.empty()) entries.emplace_back("xl/styles.xml", styles);
  return ZipArchive(entries);
}

std::vector<std::vector<std::string>> Cells(const XlsxSheet& sheet) {
  std::vector<std::vector<std::string>> cells;
  for (const XlsxRow& row : sheet.rows) cells.push_back(row.cells);
  return cells;
}

std::vector<int> RowNumbers(const XlsxSheet& sheet) {
  std::vector<int> rows;
  for (const XlsxRow& row : sheet.rows) rows.push_back(row.row);
  return rows;
}

TEST(XlsxTest, ReadsTheCellsAsExcelShowsThem) {
  const std::string file = WriteXlsx([](lxw_workbook* workbook) {
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "名簿");
    lxw_format* slash_date = workbook_add_format(workbook);
    format_set_num_format(slash_date, "yyyy/m/d");
    lxw_format* builtin_date = workbook_add_format(workbook);
    format_set_num_format_index(builtin_date, 14);
    lxw_format* japanese_date = workbook_add_format(workbook);
    format_set_num_format(japanese_date, "[$-411]ggge\"年\"m\"月\"d\"日\"");
    lxw_format* date_time = workbook_add_format(workbook);
    format_set_num_format(date_time, "yyyy-mm-dd hh:mm");
    lxw_format* amount = workbook_add_format(workbook);
    format_set_num_format(amount, "#,##0");
    worksheet_write_string(sheet, 0, 0, "氏名", nullptr);
    worksheet_write_string(sheet, 0, 1, "年齢", nullptr);
    worksheet_write_string(sheet, 0, 2, "受付日", nullptr);
    worksheet_write_string(sheet, 0, 4, "同意", nullptr);  // D1 empty
    worksheet_write_string(sheet, 1, 0, "山田　太郎", nullptr);
    worksheet_write_number(sheet, 1, 1, 42, nullptr);
    lxw_datetime april_first = {2026, 4, 1, 0, 0, 0};
    worksheet_write_datetime(sheet, 1, 2, &april_first, slash_date);
    worksheet_write_number(sheet, 1, 3, 3.5, nullptr);
    worksheet_write_boolean(sheet, 1, 4, 1, nullptr);
    // Row 3 empty; row 4: the shared string again, other formats.
    worksheet_write_string(sheet, 3, 0, "山田　太郎", nullptr);
    worksheet_write_number(sheet, 3, 1, 45383, builtin_date);
    worksheet_write_number(sheet, 3, 2, 46363, japanese_date);
    worksheet_write_number(sheet, 3, 3, 46363.5, date_time);
    worksheet_write_boolean(sheet, 3, 4, 0, nullptr);
    worksheet_write_number(sheet, 4, 0, 1234567, amount);
    worksheet_write_number(sheet, 4, 1, 1e20, nullptr);
    worksheet_write_number(sheet, 4, 2, -0.1 - 0.2, nullptr);
    worksheet_write_formula_num(sheet, 4, 3, "=B2*2", nullptr, 84);
    worksheet_write_formula_str(sheet, 4, 4, "=A2&\"様\"", nullptr, "山田　太郎様");
    lxw_rich_string_tuple bold = {nullptr, const_cast<char*>("北区")};
    lxw_rich_string_tuple plain = {nullptr, const_cast<char*>("包括支援センター")};
    lxw_rich_string_tuple* rich[] = {&bold, &plain, nullptr};
    lxw_format* bold_format = workbook_add_format(workbook);
    format_set_bold(bold_format);
    bold.format = bold_format;
    worksheet_write_rich_string(sheet, 5, 0, rich, nullptr);
    worksheet_write_blank(sheet, 5, 5, amount);  // formatted but empty: not a cell
    lxw_worksheet* second = workbook_add_worksheet(workbook, "集計");
    worksheet_write_string(second, 2, 1, "合計", nullptr);
  });
  auto sheet = ReadXlsxSheet(file);
  ASSERT_TRUE(sheet.ok()) << sheet.status().ToString();
  EXPECT_EQ(sheet->name, "名簿");
  EXPECT_THAT(RowNumbers(*sheet), ElementsAre(1, 2, 4, 5, 6));
  EXPECT_THAT(Cells(*sheet),
              ElementsAre(ElementsAre("氏名", "年齢", "受付日", "", "同意"),
                          ElementsAre("山田　太郎", "42", "2026-04-01", "3.5", "TRUE"),
                          ElementsAre("山田　太郎", "2024-04-01", "2026-12-07", "2026-12-07 12:00",
                                      "FALSE"),
                          ElementsAre("1234567", "1E+20", "-0.3", "84", "山田　太郎様"),
                          ElementsAre("北区包括支援センター")));

  auto second = ReadXlsxSheet(file, "集計");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->name, "集計");
  EXPECT_THAT(RowNumbers(*second), ElementsAre(3));
  EXPECT_THAT(Cells(*second), ElementsAre(ElementsAre("", "合計")));

  auto names = ListXlsxSheets(file);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_THAT(*names, ElementsAre("名簿", "集計"));

  auto missing = ReadXlsxSheet(file, "相談機関");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().Is(Reason::kSheetNotFound)) << missing.status().ToString();
  EXPECT_EQ(missing.status().message(), "sheet 相談機関 not found; the sheets are: 名簿, 集計");
}

TEST(XlsxTest, ReadsInlineStrings) {
  const std::string file = WriteXlsx(
      [](lxw_workbook* workbook) {
        lxw_worksheet* sheet = workbook_add_worksheet(workbook, nullptr);
        worksheet_write_string(sheet, 0, 0, "機関名", nullptr);
        worksheet_write_string(sheet, 1, 0, "みなみ相談室", nullptr);
        worksheet_write_number(sheet, 1, 2, 7, nullptr);
      },
      /*inline_strings=*/true);
  ASSERT_THAT(testing::ZipEntry(file, "xl/worksheets/sheet1.xml"), HasSubstr("t=\"inlineStr\""))
      << "constant-memory mode writes the strings into the cells";
  auto sheet = ReadXlsxSheet(file);
  ASSERT_TRUE(sheet.ok()) << sheet.status().ToString();
  EXPECT_EQ(sheet->name, "Sheet1");
  EXPECT_THAT(Cells(*sheet),
              ElementsAre(ElementsAre("機関名"), ElementsAre("みなみ相談室", "", "7")));
}

TEST(XlsxTest, LeavesOutPhoneticGuidesAndDecodesEscapes) {
  const std::string shared =
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2">)"
      R"(<si><t>山田</t><rPh sb="0" eb="2"><t>ヤマダ</t></rPh><phoneticPr fontId="1"/></si>)"
      R"(<si><r><t xml:space="preserve">一行目_x000D_</t></r><r><t>
二行目 a_x005F_x0041_b</t></r></si></sst>)";
  const std::string file = HandWritten(
      Worksheet(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>)"),
      shared);
  auto sheet = ReadXlsxSheet(file);
  ASSERT_TRUE(sheet.ok()) << sheet.status().ToString();
  EXPECT_THAT(Cells(*sheet), ElementsAre(ElementsAre("山田", "一行目\r\n二行目 a_x0041_b")));
}

TEST(XlsxTest, HonoursTheDateSystemAndCellsWithoutReferences) {
  const std::string styles =
      R"(<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">)"
      R"(<numFmts count="1"><numFmt numFmtId="176" formatCode="h:mm"/></numFmts>)"
      R"(<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>)"
      R"(<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="176"/></cellXfs>)"
      R"(</styleSheet>)";
  const std::string file = HandWritten(
      Worksheet(R"(<row><c s="1"><v>0</v></c><c s="2"><v>0.75</v></c><c><v>0</v></c></row>)"
                R"(<row><c t="str"><f>A1</f><v>計算結果</v></c><c t="e"><v>#N/A</v></c></row>)"),
      "", styles, Workbook(R"(<workbookPr date1904="1"/>)"));
  auto sheet = ReadXlsxSheet(file);
  ASSERT_TRUE(sheet.ok()) << sheet.status().ToString();
  EXPECT_THAT(RowNumbers(*sheet), ElementsAre(1, 2));
  EXPECT_THAT(Cells(*sheet), ElementsAre(ElementsAre("1904-01-01", "18:00", "0"),
                                         ElementsAre("計算結果", "#N/A")));
}

TEST(XlsxTest, IgnoresAHugeDimensionButNotCellsBeyondTheLimits) {
  const std::string dimension = R"(<dimension ref="A1:XFD1048576"/>)";
  auto small = ReadXlsxSheet(HandWritten(
      Worksheet(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>)", dimension)));
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_THAT(Cells(*small), ElementsAre(ElementsAre("x")));

  // Empty (formatted) cells anywhere are fine; values beyond the limits are not.
  auto formatted =
      ReadXlsxSheet(HandWritten(Worksheet(R"(<row r="1048576"><c r="XFD1048576" s="0"/></row>)")));
  ASSERT_TRUE(formatted.ok()) << formatted.status().ToString();
  EXPECT_TRUE(formatted->rows.empty());
  auto far_row = ReadXlsxSheet(
      HandWritten(Worksheet(R"(<row r="1048576"><c r="A1048576"><v>1</v></c></row>)")));
  ASSERT_FALSE(far_row.ok());
  EXPECT_TRUE(far_row.status().Is(Reason::kXlsxTooLarge)) << far_row.status().ToString();
  EXPECT_THAT(far_row.status().message(), HasSubstr("A1048576 is beyond row 100000"));
  auto far_column =
      ReadXlsxSheet(HandWritten(Worksheet(R"(<row r="1"><c r="AMK1"><v>1</v></c></row>)")));
  ASSERT_FALSE(far_column.ok());
  EXPECT_TRUE(far_column.status().Is(Reason::kXlsxTooLarge)) << far_column.status().ToString();
  EXPECT_THAT(far_column.status().message(), HasSubstr("AMK1 is beyond column AMJ"));
  const std::string long_text(kMaxXlsxCellBytes + 1, 'a');
  auto too_long = ReadXlsxSheet(HandWritten(Worksheet(
      R"(<row r="1"><c r="A1" t="inlineStr"><is><t>)" + long_text + "</t></is></c></row>")));
  ASSERT_FALSE(too_long.ok());
  EXPECT_TRUE(too_long.status().Is(Reason::kXlsxTooLarge)) << too_long.status().ToString();
}

TEST(XlsxTest, CellReferences) {
  EXPECT_EQ(CellReference(7, 3), "C7");
  EXPECT_EQ(CellReference(1, 26), "Z1");
  EXPECT_EQ(CellReference(1, 27), "AA1");
  EXPECT_EQ(CellReference(kXlsxLastRow, kXlsxLastColumn), "XFD1048576");
  int row = 0;
  int column = 0;
  ASSERT_TRUE(ParseCellReference("XFD1048576", &row, &column));
  EXPECT_EQ(row, kXlsxLastRow);
  EXPECT_EQ(column, kXlsxLastColumn);
  ASSERT_TRUE(ParseCellReference("AB12", &row, &column));
  EXPECT_EQ(row, 12);
  EXPECT_EQ(column, 28);
  for (const char* bad : {"", "A", "1", "A0", "A01", "a1", "XFE1", "A1048577", "AAAA1", "A1B",
                          "A99999999999", "$A$1"}) {
    EXPECT_FALSE(ParseCellReference(bad, &row, &column)) << bad;
  }
}

// Each hand-written sheet, and the reason it is refused with.
struct Refusal {
  const char* what;
  std::string file;
  Reason reason;
  const char* message_part;
};

TEST(XlsxTest, RefusesMalformedFilesWithAStatus) {
  const std::string good = TextXlsx({{"名簿", {{"機関ID", "機関名"}, {"a", "北"}}}});
  const std::vector<Refusal> refusals = {
      {"empty", "", Reason::kNotXlsx, "not a zip archive"},
      {"text", "機関ID,機関名\r\n", Reason::kNotXlsx, "not a zip archive"},
      {"zip signature only", "PK\3\4", Reason::kNotXlsx, "not a readable zip archive"},
      {"truncated", good.substr(0, good.size() / 2), Reason::kNotXlsx,
       "not a readable zip archive"},
      {"no workbook", ZipArchive({{"word/document.xml", "<document/>"}}), Reason::kNotXlsx,
       "no workbook (xl/workbook.xml)"},
      {"no sheets", ZipArchive({{"xl/workbook.xml", "<workbook><sheets/></workbook>"}}),
       Reason::kXlsxMalformed, "no sheet"},
      {"sheet part missing", ZipArchive({{"xl/workbook.xml", Workbook()}}), Reason::kXlsxMalformed,
       "sheet 名簿 has no part"},
      {"not XML", HandWritten("<worksheet><sheetData>"), Reason::kXlsxMalformed,
       "xl/worksheets/sheet1.xml: not well-formed XML"},
      {"entity expansion",
       HandWritten(R"(<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">)"
                   R"(<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet>&b;</worksheet>)"),
       Reason::kXlsxMalformed, "document type declaration"},
      {"bad reference", HandWritten(Worksheet(R"(<row r="1"><c r="XFE1"><v>1</v></c></row>)")),
       Reason::kXlsxMalformed, "cell reference \"XFE1\" is not valid"},
      {"cell of another row", HandWritten(Worksheet(R"(<row r="2"><c r="A1"><v>1</v></c></row>)")),
       Reason::kXlsxMalformed, "cell A1 is in row 2"},
      {"rows out of order",
       HandWritten(Worksheet(R"(<row r="2"><c r="A2"><v>1</v></c></row><row r="1"/>)")),
       Reason::kXlsxMalformed, "row 1 comes after row 2"},
      {"columns out of order",
       HandWritten(Worksheet(R"(<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>1</v></c></row>)")),
       Reason::kXlsxMalformed, "comes after column 2"},
      {"cell outside a row", HandWritten(Worksheet(R"(<c r="A1"><v>1</v></c>)")),
       Reason::kXlsxMalformed, "a cell outside a row"},
      {"unknown shared string",
       HandWritten(Worksheet(R"(<row r="1"><c r="A1" t="s"><v>3</v></c></row>)")),
       Reason::kXlsxMalformed, "cell A1: shared string \"3\" does not exist"},
      {"not a number", HandWritten(Worksheet(R"(<row r="1"><c r="B1"><v>inf</v></c></row>)")),
       Reason::kXlsxMalformed, "cell B1: \"inf\" is not a number"},
      {"bad boolean", HandWritten(Worksheet(R"(<row r="1"><c r="C1" t="b"><v>2</v></c></row>)")),
       Reason::kXlsxMalformed, "cell C1: boolean \"2\" is not 0 or 1"},
  };
  for (const Refusal& refusal : refusals) {
    auto sheet = ReadXlsxSheet(refusal.file);
    ASSERT_FALSE(sheet.ok()) << refusal.what;
    EXPECT_TRUE(sheet.status().Is(refusal.reason))
        << refusal.what << ": " << sheet.status().ToString();
    EXPECT_EQ(sheet.status().code(), StatusCode::kInvalidArgument) << refusal.what;
    EXPECT_THAT(sheet.status().message(), HasSubstr(refusal.message_part)) << refusal.what;
  }
}

// Replaces every occurrence of the 4-byte little-endian `from` in the zip's headers by `to`;
// returns how many there were.
int ReplaceDeclaredSize(std::string* zip, uint32_t from, uint32_t to) {
  auto bytes = [](uint32_t value) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
    return out;
  };
  const std::string needle = bytes(from);
  const std::string replacement = bytes(to);
  int count = 0;
  for (size_t at = zip->find(needle); at != std::string::npos; at = zip->find(needle, at + 4)) {
    zip->replace(at, 4, replacement);
    ++count;
  }
  return count;
}

TEST(XlsxTest, StopsAZipBombAtThePartLimitWhateverItDeclares) {
  // A sheet that decompresses to just over the part limit (it deflates to ~130 KiB).
  const uint32_t size = static_cast<uint32_t>(kMaxXlsxPartBytes) + 4096;
  std::string sheet = "<worksheet><sheetData>";
  sheet.resize(size - std::string_view("</sheetData></worksheet>").size(), ' ');
  sheet += "</sheetData></worksheet>";
  ASSERT_EQ(sheet.size(), size);
  std::string bomb = HandWritten(sheet);
  sheet.clear();
  sheet.shrink_to_fit();
  auto honest = ReadXlsxSheet(bomb);
  ASSERT_FALSE(honest.ok());
  EXPECT_TRUE(honest.status().Is(Reason::kXlsxTooLarge)) << honest.status().ToString();
  EXPECT_THAT(honest.status().message(),
              HasSubstr("xl/worksheets/sheet1.xml decompresses to more than 128 MiB"));

  // The same archive declaring the sheet to be 200 bytes: refused too, never read past the limit.
  ASSERT_EQ(ReplaceDeclaredSize(&bomb, size, 200), 2) << "the local and the central header";
  auto lying = ReadXlsxSheet(bomb);
  ASSERT_FALSE(lying.ok());
  EXPECT_EQ(lying.status().code(), StatusCode::kInvalidArgument) << lying.status().ToString();
  // libzip (1.7) inflates past the declared size; the reader's own count stops it.
  EXPECT_TRUE(lying.status().Is(Reason::kXlsxTooLarge)) << lying.status().ToString();
}

TEST(XlsxTest, RefusesAFileOverTheSizeLimitBeforeOpeningIt) {
  std::string huge(kMaxXlsxBytes + 1, '\0');
  huge.replace(0, 4, "PK\3\4");
  auto sheet = ReadXlsxSheet(huge);
  ASSERT_FALSE(sheet.ok());
  EXPECT_TRUE(sheet.status().Is(Reason::kXlsxTooLarge)) << sheet.status().ToString();
}

}  // namespace
}  // namespace casecoord::text
