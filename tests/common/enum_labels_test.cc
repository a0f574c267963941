#include "services/common/enum_labels.h"

#include <gtest/gtest.h>

#include "casecoord/v1/directory.pb.h"

namespace casecoord {
namespace {

const google::protobuf::EnumDescriptor& Kinds() { return *v1::AgencyKind_descriptor(); }

TEST(EnumLabelsTest, LabelOfAValueIsItsLabelJa) {
  EXPECT_EQ(LabelJa(*Kinds().FindValueByNumber(v1::WELFARE_OFFICE)), "福祉事務所");
  EXPECT_EQ(LabelJa(Kinds(), v1::COMMUNITY_GENERAL_SUPPORT_CENTER), "地域包括支援センター");
  EXPECT_EQ(LabelJa(*v1::Agency::State_descriptor(), v1::Agency::INACTIVE), "休止");
  EXPECT_EQ(LabelJa(*v1::SupportField_descriptor(), v1::RIGHTS_ADVOCACY), "権利擁護・成年後見");
}

TEST(EnumLabelsTest, FallsBackToTheNameOrTheNumber) {
  // Values without the option: the zero values, and every value of CsvEncoding.
  EXPECT_EQ(LabelJa(Kinds(), v1::AGENCY_KIND_UNSPECIFIED), "AGENCY_KIND_UNSPECIFIED");
  EXPECT_EQ(LabelJa(*v1::CsvEncoding_descriptor(), v1::CP932), "CP932");
  EXPECT_EQ(LabelJa(Kinds(), 999), "999");
  EXPECT_EQ(LabelJa(Kinds(), -3), "-3");
}

TEST(EnumLabelsTest, ParsesLabelsAndNames) {
  EXPECT_EQ(ParseEnumLabel(Kinds(), "福祉事務所"), v1::WELFARE_OFFICE);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "WELFARE_OFFICE"), v1::WELFARE_OFFICE);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "welfare_office"), v1::WELFARE_OFFICE);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "Npo"), v1::NPO);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "NPO法人"), v1::NPO);
  EXPECT_EQ(ParseEnumLabel(*v1::Agency::State_descriptor(), "廃止"), v1::Agency::CLOSED);
  EXPECT_EQ(ParseEnumLabel(*v1::OperatorType_descriptor(), "private"), v1::PRIVATE);
  // A value without a label is found by its name.
  EXPECT_EQ(ParseEnumLabel(*v1::CsvEncoding_descriptor(), "utf8_bom"), v1::UTF8_BOM);
}

TEST(EnumLabelsTest, TrimsAsciiAndIdeographicSpaces) {
  EXPECT_EQ(ParseEnumLabel(Kinds(), "  保健センター\t"), v1::PUBLIC_HEALTH_CENTER);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "\xE3\x80\x80保健センター\xE3\x80\x80 "),
            v1::PUBLIC_HEALTH_CENTER);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "\xE3\x80\x80 hospital\xE3\x80\x80"), v1::HOSPITAL);
  // Spaces inside are not trimmed.
  EXPECT_EQ(ParseEnumLabel(Kinds(), "保健 センター"), std::nullopt);
}

TEST(EnumLabelsTest, LabelsCompareExactly) {
  // Only names ignore case; labels must match as written (ＮＰＯ法人 is not NPO法人).
  EXPECT_EQ(ParseEnumLabel(Kinds(), "ＮＰＯ法人"), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "福祉事務"), std::nullopt);
}

TEST(EnumLabelsTest, TheZeroValueNeverMatches) {
  EXPECT_EQ(ParseEnumLabel(Kinds(), "AGENCY_KIND_UNSPECIFIED"), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "agency_kind_unspecified"), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(*v1::Agency::State_descriptor(), "STATE_UNSPECIFIED"), std::nullopt);
}

TEST(EnumLabelsTest, UnknownTextIsNullopt) {
  EXPECT_EQ(ParseEnumLabel(Kinds(), "役所"), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(Kinds(), ""), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(Kinds(), " \xE3\x80\x80 "), std::nullopt);
  EXPECT_EQ(ParseEnumLabel(Kinds(), "4"), std::nullopt);  // numbers are not names
  // Another enum's label.
  EXPECT_EQ(ParseEnumLabel(*v1::OperatorType_descriptor(), "福祉事務所"), std::nullopt);
}

}  // namespace
}  // namespace casecoord
