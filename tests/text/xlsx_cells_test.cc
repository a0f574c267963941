#include "services/text/xlsx_cells.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace casecoord::text {
namespace {

TEST(XlsxCellsTest, BuiltinFormats) {
  for (int id : {14, 15, 16, 17, 27, 31, 34, 36, 50, 57, 58}) {
    EXPECT_EQ(KindOfBuiltinFormat(id), NumberKind::kDate) << id;
  }
  EXPECT_EQ(KindOfBuiltinFormat(22), NumberKind::kDateTime);
  for (int id : {18, 19, 20, 21, 32, 33, 45, 46, 47}) {
    EXPECT_EQ(KindOfBuiltinFormat(id), NumberKind::kTime) << id;
  }
  for (int id : {0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 23, 37, 44, 49, 59, 176}) {
    EXPECT_EQ(KindOfBuiltinFormat(id), NumberKind::kNumber) << id;
  }
}

TEST(XlsxCellsTest, CustomFormats) {
  EXPECT_EQ(KindOfFormatCode("yyyy/m/d"), NumberKind::kDate);
  EXPECT_EQ(KindOfFormatCode("yyyy\"年\"m\"月\"d\"日\""), NumberKind::kDate);
  EXPECT_EQ(KindOfFormatCode("[$-411]ggge\"年\"m\"月\"d\"日\""), NumberKind::kDate);
  EXPECT_EQ(KindOfFormatCode("mmm-yy"), NumberKind::kDate);
  EXPECT_EQ(KindOfFormatCode("m"), NumberKind::kDate);
  EXPECT_EQ(KindOfFormatCode("yyyy-mm-dd hh:mm:ss"), NumberKind::kDateTime);
  EXPECT_EQ(KindOfFormatCode("h:mm AM/PM"), NumberKind::kTime);
  EXPECT_EQ(KindOfFormatCode("[h]:mm:ss"), NumberKind::kTime);
  EXPECT_EQ(KindOfFormatCode("mm:ss"), NumberKind::kTime);
  EXPECT_EQ(KindOfFormatCode("General"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("#,##0.00"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("0.00E+00"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("[Red]#,##0;[Blue]-#,##0"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("0\"日\""), NumberKind::kNumber) << "quoted text is not a date part";
  EXPECT_EQ(KindOfFormatCode("#,##0\\d"), NumberKind::kNumber) << "escaped letters neither";
  EXPECT_EQ(KindOfFormatCode("_(* #,##0_)"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("@"), NumberKind::kNumber);
  EXPECT_EQ(KindOfFormatCode("\"unclosed"), NumberKind::kNumber);
}

TEST(XlsxCellsTest, GeneralNumbers) {
  EXPECT_EQ(FormatGeneralNumber(42), "42");
  EXPECT_EQ(FormatGeneralNumber(-7), "-7");
  EXPECT_EQ(FormatGeneralNumber(3.5), "3.5");
  EXPECT_EQ(FormatGeneralNumber(0.1 + 0.2), "0.3");
  EXPECT_EQ(FormatGeneralNumber(-0.0), "0");
  EXPECT_EQ(FormatGeneralNumber(9012345678), "9012345678");
  EXPECT_EQ(FormatGeneralNumber(1e20), "1E+20");
  EXPECT_EQ(FormatGeneralNumber(1.5e-10), "1.5E-10");
}

TEST(XlsxCellsTest, SerialDates) {
  EXPECT_EQ(FormatSerialDate(45383, NumberKind::kDate, false), "2024-04-01");
  EXPECT_EQ(FormatSerialDate(1, NumberKind::kDate, false), "1900-01-01");
  EXPECT_EQ(FormatSerialDate(59, NumberKind::kDate, false), "1900-02-28");
  EXPECT_EQ(FormatSerialDate(60, NumberKind::kDate, false), "1900-02-29");
  EXPECT_EQ(FormatSerialDate(61, NumberKind::kDate, false), "1900-03-01");
  EXPECT_EQ(FormatSerialDate(2958465, NumberKind::kDate, false), "9999-12-31");
  EXPECT_EQ(FormatSerialDate(45383.9999999, NumberKind::kDate, false), "2024-04-02")
      << "rounded to the second";
  EXPECT_EQ(FormatSerialDate(0, NumberKind::kDate, true), "1904-01-01");
  EXPECT_EQ(FormatSerialDate(45383.5, NumberKind::kDateTime, false), "2024-04-01 12:00");
  EXPECT_EQ(FormatSerialDate(45383, NumberKind::kDateTime, false), "2024-04-01");
  EXPECT_EQ(FormatSerialDate(0.5 + 1.0 / 86400, NumberKind::kTime, false), "12:00:01");
  EXPECT_EQ(FormatSerialDate(0, NumberKind::kTime, false), "00:00");
  EXPECT_EQ(FormatSerialDate(0, NumberKind::kDate, false), std::nullopt);
  EXPECT_EQ(FormatSerialDate(-1, NumberKind::kDate, false), std::nullopt);
  EXPECT_EQ(FormatSerialDate(2958466, NumberKind::kDate, false), std::nullopt);
  EXPECT_EQ(FormatSerialDate(2958465, NumberKind::kDate, true), std::nullopt);
  EXPECT_EQ(FormatSerialDate(45383, NumberKind::kNumber, false), std::nullopt);
}

TEST(XlsxCellsTest, Escapes) {
  EXPECT_EQ(DecodeXmlEscapes("a_x000D_b"), "a\rb");
  EXPECT_EQ(DecodeXmlEscapes("_x005F_x000D_"), "_x000D_");
  EXPECT_EQ(DecodeXmlEscapes("_x3042_"), "あ");
  EXPECT_EQ(DecodeXmlEscapes("_x0000_ _xD800_ _x12_ _x004G_"), "_x0000_ _xD800_ _x12_ _x004G_");
  EXPECT_EQ(DecodeXmlEscapes("_x0041"), "_x0041");
}

}  // namespace
}  // namespace casecoord::text
