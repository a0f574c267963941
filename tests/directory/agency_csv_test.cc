#include "services/directory/agency_csv.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/xlsx_files.h"

namespace casecoord::directory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int64_t kJst = 9 * 3600;

// Seconds since the epoch of midnight JST on the given day.
int64_t JstMidnight(int year, unsigned month, unsigned day) {
  const std::chrono::sys_days date{std::chrono::year{year} / month / day};
  return date.time_since_epoch().count() * 86400LL - kJst;
}

// CSV text from lines, with CRLF line ends.
std::string Lines(std::initializer_list<std::string> lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\r\n";
  return out;
}

std::string Describe(const AgencyCsv& csv) {
  std::ostringstream out;
  for (const v1::ImportProblem& problem : csv.problems) {
    out << "  line " << problem.line() << " column " << problem.column() << " ("
        << problem.column_name() << "): " << problem.problem() << "\n";
  }
  return out.str();
}

AgencyCsv Parse(std::string_view bytes) {
  Result<AgencyCsv> parsed = ParseAgencyCsv(bytes);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(parsed).value() : AgencyCsv{};
}

std::vector<std::string> RowIds(const AgencyCsv& csv) {
  std::vector<std::string> ids;
  for (const AgencyCsvRow& row : csv.rows) ids.push_back(row.agency_id);
  return ids;
}

std::vector<int> RowLines(const AgencyCsv& csv) {
  std::vector<int> lines;
  for (const AgencyCsvRow& row : csv.rows) lines.push_back(row.line);
  return lines;
}

const v1::ImportProblem* FindProblem(const AgencyCsv& csv, int line, int column) {
  for (const v1::ImportProblem& problem : csv.problems) {
    if (problem.line() == line && problem.column() == column) return &problem;
  }
  return nullptr;
}

bool SameAgency(const v1::Agency& a, const v1::Agency& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

// An agency with every field the CSV carries set, in characters that Windows-31J has.
v1::Agency FullAgency() {
  v1::Agency agency;
  agency.set_name("agencies/kita-houkatsu-1");
  agency.set_display_name("架空市北区第１地域包括支援センター（ＮＰＯ髙橋会①）");
  agency.set_kana("カクウシキタクダイイチチイキホウカツシエンセンター");
  agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
  agency.set_operator_type(v1::COMMISSIONED);
  agency.add_fields(v1::ELDERLY_CARE);
  agency.add_fields(v1::RIGHTS_ADVOCACY);
  agency.add_fields(v1::HEALTH);
  agency.add_issue_tags("dementia");
  agency.add_issue_tags("8050");
  agency.add_issue_tags("no-relatives");
  v1::AgencyService* service = agency.add_services();
  service->set_name("総合相談");
  service->set_eligibility("区内在住の６５歳以上の方とその家族");
  service->set_min_age(65);
  service = agency.add_services();
  service->set_name("権利擁護相談");
  service->set_eligibility("本人・家族・ケアマネジャー");
  service = agency.add_services();
  service->set_name("介護予防ケアマネジメント");
  service = agency.add_services();
  service->set_name("家族介護者の集い");
  service->set_min_age(18);
  service->set_max_age(64);
  service = agency.add_services();
  service->set_name("ヤングケアラー相談");
  service->set_eligibility("こども");
  service->set_max_age(17);
  agency.add_districts("kita");
  agency.add_districts("kita-1");
  agency.set_address("架空市北区本町１丁目２－３　ふれあいビル２Ｆ");
  agency.set_phone("+81-3-0000-1001");
  agency.set_fax("03-0000-1002");
  agency.set_email("kita-houkatsu@example.jp");
  agency.set_hours("平日 8:45～17:30（祝日・年末年始を除く）");
  agency.set_referral_contact("社会福祉士 山田（内線２１）\n不在時は主任ケアマネジャー");
  agency.set_accepts_referrals(true);
  agency.set_state(v1::Agency::INACTIVE);
  // 2025-04-01 01:00 JST, still March 31 in UTC.
  agency.mutable_last_verified_time()->set_seconds(JstMidnight(2025, 4, 1) + 3600);
  agency.mutable_last_verified_time()->set_nanos(500);
  return agency;
}

v1::Agency MinimalAgency(const std::string& id, const std::string& display_name) {
  v1::Agency agency;
  agency.set_name("agencies/" + id);
  agency.set_display_name(display_name);
  agency.set_kana("テスト");
  agency.set_kind(v1::NPO);
  agency.set_state(v1::Agency::ACTIVE);
  return agency;
}

// What ParseAgencyCsv gives back for an exported agency: no name, the JST day.
v1::Agency AsImported(v1::Agency agency) {
  agency.clear_name();
  if (agency.has_last_verified_time()) {
    const int64_t seconds = agency.last_verified_time().seconds() + kJst;
    const int64_t day = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    agency.mutable_last_verified_time()->set_seconds(day * 86400 - kJst);
    agency.mutable_last_verified_time()->set_nanos(0);
  }
  return agency;
}

class AgencyCsvRoundTripTest : public ::testing::TestWithParam<CsvEncoding> {};

TEST_P(AgencyCsvRoundTripTest, EveryFieldReadsBack) {
  v1::Agency second = MinimalAgency("tabunka-npo", "多文化共生サポート～つなぐ～");
  second.set_operator_type(v1::PRIVATE);
  second.set_accepts_referrals(false);
  second.set_state(v1::Agency::CLOSED);
  const std::vector<v1::Agency> agencies = {FullAgency(), second};

  Result<std::string> bytes = AgenciesToCsv(agencies, GetParam());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (GetParam() == CsvEncoding::kUtf8Bom) {
    EXPECT_THAT(*bytes, StartsWith("\xEF\xBB\xBF機関ID,機関名,フリガナ,種別,運営形態,分野,"));
    EXPECT_THAT(*bytes, HasSubstr(",2025-04-01\r\n"));
    EXPECT_THAT(*bytes, HasSubstr("高齢・介護、権利擁護・成年後見、保健・医療"));
    EXPECT_THAT(*bytes, HasSubstr("\"総合相談|区内在住の６５歳以上の方とその家族|65-\n"
                                  "権利擁護相談|本人・家族・ケアマネジャー\n"
                                  "介護予防ケアマネジメント\n"
                                  "家族介護者の集い||18-64\n"
                                  "ヤングケアラー相談|こども|-17\""));
    EXPECT_THAT(*bytes, HasSubstr(",休止,"));
    EXPECT_THAT(*bytes, HasSubstr(",廃止,"));
  } else {
    // Shift_JIS: ～ is 0x8160 and ① is 0x8740, and no UTF-8 is left.
    EXPECT_THAT(*bytes, HasSubstr("\x81\x60"));
    EXPECT_THAT(*bytes, HasSubstr("\x87\x40"));
    EXPECT_EQ(bytes->find("機関"), std::string::npos);
  }

  const AgencyCsv csv = Parse(*bytes);
  EXPECT_EQ(csv.encoding, GetParam());
  EXPECT_THAT(csv.problems, IsEmpty()) << Describe(csv);
  EXPECT_EQ(csv.rows_read, 2);
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0].line, 2);
  EXPECT_EQ(csv.rows[0].agency_id, "kita-houkatsu-1");
  // The first record holds five lines of services and two of referral contact: lines 2-7.
  EXPECT_EQ(csv.rows[1].line, 8);
  EXPECT_EQ(csv.rows[1].agency_id, "tabunka-npo");
  for (size_t i = 0; i < agencies.size(); ++i) {
    EXPECT_TRUE(SameAgency(csv.rows[i].agency, AsImported(agencies[i])))
        << "got:\n"
        << csv.rows[i].agency.DebugString() << "want:\n"
        << AsImported(agencies[i]).DebugString();
  }
  EXPECT_EQ(csv.rows[0].agency.last_verified_time().seconds(), JstMidnight(2025, 4, 1));
  EXPECT_EQ(csv.rows[0].agency.phone(), "+81-3-0000-1001");

  std::vector<std::string> all_paths;
  for (const AgencyColumn& column : AgencyColumns()) {
    if (column.path != "agency_id") all_paths.push_back(column.path);
  }
  EXPECT_EQ(csv.present_paths, all_paths);
  EXPECT_EQ(csv.column_of_path.at("agency_id"), 1);
  EXPECT_EQ(csv.column_of_path.at("last_verified_time"), 18);
  ASSERT_EQ(csv.header.size(), 19u);
  EXPECT_EQ(csv.header[0], "");
  EXPECT_EQ(csv.header[4], "種別");
}

INSTANTIATE_TEST_SUITE_P(Encodings, AgencyCsvRoundTripTest,
                         ::testing::Values(CsvEncoding::kUtf8Bom, CsvEncoding::kCp932),
                         [](const ::testing::TestParamInfo<CsvEncoding>& info) {
                           return info.param == CsvEncoding::kCp932 ? "Cp932" : "Utf8Bom";
                         });

TEST(AgencyCsvTest, ColumnsHaveJapaneseThenEnglishNames) {
  const std::vector<AgencyColumn>& columns = AgencyColumns();
  ASSERT_EQ(columns.size(), 18u);
  std::vector<std::string> preferred;
  for (const AgencyColumn& column : columns) {
    preferred.push_back(column.header_names.front());
    const std::string english = column.path == "last_verified_time" ? "last_verified" : column.path;
    EXPECT_EQ(column.header_names.back(), english);
    EXPECT_EQ(column.required, column.path == "agency_id" || column.path == "display_name" ||
                                   column.path == "kana" || column.path == "kind")
        << column.path;
  }
  EXPECT_THAT(preferred,
              ElementsAre("機関ID", "機関名", "フリガナ", "種別", "運営形態", "分野", "課題タグ",
                          "サービス", "担当地区", "住所", "電話番号", "FAX", "メール", "受付時間",
                          "紹介窓口", "紹介受付", "状態", "最終確認日"));
}

TEST(AgencyCsvTest, FormulaGuardRoundTrips) {
  std::vector<v1::Agency> agencies = {
      MinimalAgency("a", "=HYPERLINK(\"http://example.com/x\",\"開く\")"),
      MinimalAgency("b", "@SUM(A1:A9)"),
      MinimalAgency("c", "-1"),
      MinimalAgency("d", "'=already quoted"),
      MinimalAgency("e", "'plain apostrophe"),
      MinimalAgency("f", "\tTabbed"),
  };
  agencies[1].set_hours("+1時間");
  Result<std::string> bytes = AgenciesToCsv(agencies, CsvEncoding::kUtf8Bom);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_THAT(*bytes,
              HasSubstr("\r\na,\"'=HYPERLINK(\"\"http://example.com/x\"\",\"\"開く\"\")\","));
  EXPECT_THAT(*bytes, HasSubstr("\r\nb,'@SUM(A1:A9),"));
  EXPECT_THAT(*bytes, HasSubstr(",'+1時間,"));
  EXPECT_THAT(*bytes, HasSubstr("\r\nc,'-1,"));
  EXPECT_THAT(*bytes, HasSubstr("\r\nd,''=already quoted,"));
  EXPECT_THAT(*bytes, HasSubstr("\r\ne,'plain apostrophe,"));
  EXPECT_THAT(*bytes, HasSubstr("\r\nf,'\tTabbed,"));

  const AgencyCsv csv = Parse(*bytes);
  EXPECT_THAT(csv.problems, IsEmpty()) << Describe(csv);
  ASSERT_EQ(csv.rows.size(), agencies.size());
  for (size_t i = 0; i < agencies.size(); ++i) {
    EXPECT_TRUE(SameAgency(csv.rows[i].agency, AsImported(agencies[i])))
        << csv.rows[i].agency.DebugString();
  }
}

TEST(AgencyCsvTest, ApostropheIsRemovedOnlyBeforeAFormulaCharacter) {
  const AgencyCsv csv = Parse(Lines({
      "機関ID,機関名,フリガナ,種別,電話番号",
      "a,'=1+1,テスト,NPO法人,'+81-3-0000-0001",
      "b,'ABC,テスト,NPO法人,+81-3-0000-0002",
      "c,'-,テスト,NPO法人,'-",
      "d,'NPO,テスト,'NPO法人,",
  }));
  ASSERT_EQ(csv.rows.size(), 3u) << Describe(csv);
  EXPECT_EQ(csv.rows[0].agency.display_name(), "=1+1");
  EXPECT_EQ(csv.rows[0].agency.phone(), "+81-3-0000-0001");
  EXPECT_EQ(csv.rows[1].agency.display_name(), "'ABC");
  EXPECT_EQ(csv.rows[1].agency.phone(), "+81-3-0000-0002");  // data, not a formula to undo
  EXPECT_EQ(csv.rows[2].agency.display_name(), "-");
  EXPECT_EQ(csv.rows[2].agency.phone(), "-");
  // Other apostrophes are data, in every cell.
  ASSERT_EQ(csv.problems.size(), 1u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), 5);
  EXPECT_EQ(csv.problems[0].problem(), "種別が不明です: 'NPO法人");
}

TEST(AgencyCsvTest, InternationalPhoneNumbersRoundTrip) {
  v1::Agency agency = MinimalAgency("intl", "国際交流協会");
  agency.set_phone("+81-3-0000-4321");
  agency.set_fax("+81-3-0000-4322");
  for (CsvEncoding encoding : {CsvEncoding::kUtf8Bom, CsvEncoding::kCp932}) {
    Result<std::string> bytes = AgenciesToCsv({agency}, encoding);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_THAT(*bytes, HasSubstr(",'+81-3-0000-4321,'+81-3-0000-4322,"));
    const AgencyCsv csv = Parse(*bytes);
    ASSERT_EQ(csv.rows.size(), 1u) << Describe(csv);
    EXPECT_EQ(csv.rows[0].agency.phone(), "+81-3-0000-4321");
    EXPECT_EQ(csv.rows[0].agency.fax(), "+81-3-0000-4322");
  }
}

TEST(AgencyCsvTest, Cp932ExportNamesTheAgencyWithAnUnmappableCharacter) {
  v1::Agency fine = MinimalAgency("fine", "北区福祉事務所");
  v1::Agency bad = MinimalAgency("yoshino-care", "𠮷野ケアセンター");
  v1::Agency emoji = MinimalAgency("emoji", "こども食堂");
  emoji.set_hours("毎週土曜 🍙");
  Result<std::string> bytes = AgenciesToCsv({fine, bad, emoji}, CsvEncoding::kCp932);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bytes.status().reason(), "UNMAPPABLE_CHARACTER");
  EXPECT_THAT(bytes.status().message(), HasSubstr("\"yoshino-care\" (𠮷野ケアセンター)"));
  EXPECT_THAT(bytes.status().message(), HasSubstr("column 機関名"));
  EXPECT_THAT(bytes.status().message(), HasSubstr("U+20BB7"));
  EXPECT_THAT(bytes.status().message(), HasSubstr("\"emoji\""));
  EXPECT_THAT(bytes.status().message(), HasSubstr("column 受付時間"));
  EXPECT_EQ(bytes.status().message().find("\"fine\""), std::string::npos);
  // UTF-8 can carry them.
  EXPECT_TRUE(AgenciesToCsv({fine, bad, emoji}, CsvEncoding::kUtf8Bom).ok());
}

TEST(AgencyCsvTest, MalformedRecordsAreReportedAndTheOthersKept) {
  const AgencyCsv csv = Parse(Lines({
      "機関ID,機関名,フリガナ,種別,最終確認日",                       // 1
      "a,北区福祉事務所,キタクフクシジムショ,福祉事務所,2024-04-01",  // 2
      "b,北\"区,キタク,福祉事務所,2024-04-01",  // 3: quote inside an unquoted field
      "c,南区福祉事務所,ミナミクフクシジムショ,WELFARE_OFFICE,",                          // 4
      "x,too,few,fields",                                                                 // 5
      "y,日付誤り,ヒヅケ,保健センター,2024/13/1",                                         // 6
      "z,種別誤り,シュベツ,役所,2024/4/1",                                                // 7
      "d,\"東区\n保健センター\",ヒガシクホケンセンター,保健センター,2026/1/5",            // 8-9
      "e,西区社会福祉協議会,ニシクシャカイフクシキョウギカイ,社会福祉協議会,2023-12-31",  // 10
  }));
  EXPECT_THAT(RowIds(csv), ElementsAre("a", "c", "d", "e")) << Describe(csv);
  EXPECT_THAT(RowLines(csv), ElementsAre(2, 4, 8, 10));
  EXPECT_EQ(csv.rows_read, 8);
  ASSERT_EQ(csv.problems.size(), 4u) << Describe(csv);

  const v1::ImportProblem* quote = FindProblem(csv, 3, 2);
  ASSERT_NE(quote, nullptr) << Describe(csv);
  EXPECT_EQ(quote->column_name(), "機関名");
  EXPECT_THAT(quote->problem(), HasSubstr("引用符"));

  const v1::ImportProblem* count = FindProblem(csv, 5, 0);
  ASSERT_NE(count, nullptr) << Describe(csv);
  EXPECT_EQ(count->column_name(), "");
  EXPECT_EQ(count->problem(), "列の数が見出しと合いません（この行は 4 列、見出しは 5 列）");

  const v1::ImportProblem* date = FindProblem(csv, 6, 5);
  ASSERT_NE(date, nullptr) << Describe(csv);
  EXPECT_EQ(date->column_name(), "最終確認日");
  EXPECT_EQ(date->problem(), "日付の形式が正しくありません（YYYY-MM-DD）: 2024/13/1");

  const v1::ImportProblem* kind = FindProblem(csv, 7, 4);
  ASSERT_NE(kind, nullptr) << Describe(csv);
  EXPECT_EQ(kind->column_name(), "種別");
  EXPECT_EQ(kind->problem(), "種別が不明です: 役所");

  // Problems are in file order.
  EXPECT_EQ(csv.problems[0].line(), 3);
  EXPECT_EQ(csv.problems[3].line(), 7);
  EXPECT_EQ(csv.rows[2].agency.display_name(), "東区\n保健センター");
  EXPECT_EQ(csv.rows[2].agency.last_verified_time().seconds(), JstMidnight(2026, 1, 5));
  EXPECT_FALSE(csv.rows[1].agency.has_last_verified_time());
}

TEST(AgencyCsvTest, UnclosedQuoteKeepsTheRowsBeforeIt) {
  const AgencyCsv csv = Parse(Lines({
      "機関ID,機関名,フリガナ,種別",
      "a,北区福祉事務所,キタクフクシジムショ,福祉事務所",
      "b,\"閉じていない,キタク,福祉事務所",
      "c,南区福祉事務所,ミナミクフクシジムショ,福祉事務所",
  }));
  EXPECT_THAT(RowIds(csv), ElementsAre("a"));
  // The swallowing field also leaves the record short of fields.
  ASSERT_EQ(csv.problems.size(), 2u) << Describe(csv);
  const v1::ImportProblem* unclosed = FindProblem(csv, 3, 2);
  ASSERT_NE(unclosed, nullptr) << Describe(csv);
  EXPECT_EQ(unclosed->column_name(), "機関名");
  EXPECT_THAT(unclosed->problem(), HasSubstr("閉じられていない"));
  EXPECT_THAT(unclosed->problem(), HasSubstr("3〜4行目"));
  EXPECT_NE(FindProblem(csv, 3, 0), nullptr) << Describe(csv);
  EXPECT_EQ(csv.rows_read, 2);
}

TEST(AgencyCsvTest, WholeFileErrors) {
  Result<AgencyCsv> missing =
      ParseAgencyCsv(Lines({"機関ID,機関名,種別", "a,北区福祉事務所,福祉事務所"}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().reason(), "MISSING_COLUMNS");
  ASSERT_EQ(missing.status().field_violations().size(), 1u);
  EXPECT_THAT(missing.status().field_violations()[0].description, HasSubstr("フリガナ"));

  Result<AgencyCsv> empty = ParseAgencyCsv("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);

  Result<AgencyCsv> undecodable = ParseAgencyCsv("\xEF\xBB\xBF\x82\xA0");
  ASSERT_FALSE(undecodable.ok());
  EXPECT_EQ(undecodable.status().reason(), "UNDECODABLE");
}

TEST(AgencyCsvTest, UnknownAndRedundantColumnsAreReportedButRowsParse) {
  // English and alternative header names, an unknown column, and a second phone column.
  const AgencyCsv csv = Parse(Lines({
      "agency_id,display_name,ふりがな,kind,備考,電話,phone,ＦＡＸ,メールアドレス",
      "a,北区福祉事務所,きたくふくしじむしょ,福祉事務所,メモ,03-0000-0001,x,03-0000-0002,a@example."
      "jp",
  }));
  ASSERT_EQ(csv.rows.size(), 1u) << Describe(csv);
  EXPECT_EQ(csv.rows[0].agency.kana(), "きたくふくしじむしょ");
  EXPECT_EQ(csv.rows[0].agency.phone(), "03-0000-0001");
  EXPECT_EQ(csv.rows[0].agency.fax(), "03-0000-0002");
  EXPECT_EQ(csv.rows[0].agency.email(), "a@example.jp");
  ASSERT_EQ(csv.problems.size(), 2u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), 1);
  EXPECT_EQ(csv.problems[0].column(), 5);
  EXPECT_EQ(csv.problems[0].column_name(), "備考");
  EXPECT_THAT(csv.problems[0].problem(), HasSubstr("不明な列"));
  EXPECT_EQ(csv.problems[1].line(), 1);
  EXPECT_EQ(csv.problems[1].column(), 7);
  EXPECT_THAT(csv.problems[1].problem(), HasSubstr("「電話」と同じ項目"));
  EXPECT_EQ(csv.column_of_path.at("phone"), 6);
}

TEST(AgencyCsvTest, RepeatedAgencyIdsAfterTheFirstAreProblems) {
  const AgencyCsv csv = Parse(Lines({
      "種別,機関ID,機関名,フリガナ",
      "NPO,a,一,イチ",
      "NPO,b,二,ニ",
      "NPO, a ,三,サン",
      "NPO,a,四,ヨン",
  }));
  EXPECT_THAT(RowIds(csv), ElementsAre("a", "b"));
  EXPECT_EQ(csv.rows[0].agency.display_name(), "一");
  ASSERT_EQ(csv.problems.size(), 2u) << Describe(csv);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(csv.problems[i].line(), 4 + i);
    EXPECT_EQ(csv.problems[i].column(), 2);
    EXPECT_EQ(csv.problems[i].column_name(), "機関ID");
    EXPECT_EQ(csv.problems[i].problem(), "機関IDが重複しています: a（2行目と同じ）");
  }
}

TEST(AgencyCsvTest, ListCells) {
  const AgencyCsv csv = Parse(Lines({
      "機関ID,機関名,フリガナ,種別,分野,課題タグ,担当地区",
      "a,名,メイ,NPO法人,\"高齢・介護、disability；HEALTH , 生活困窮\n就労;住まい，地域\","
      "\"dementia、 8050 ,hikikomori;；\n\n　isolation　\",kita，minami-1;;",
      "b,名,メイ,NPO法人,,,",
      "c,名,メイ,NPO法人,高齢・介護、介護、福祉,,",
  }));
  ASSERT_EQ(csv.rows.size(), 2u) << Describe(csv);
  const v1::Agency& a = csv.rows[0].agency;
  EXPECT_THAT(a.fields(), ElementsAre(v1::ELDERLY_CARE, v1::DISABILITY, v1::HEALTH, v1::POVERTY,
                                      v1::EMPLOYMENT, v1::HOUSING, v1::COMMUNITY));
  EXPECT_THAT(a.issue_tags(), ElementsAre("dementia", "8050", "hikikomori", "isolation"));
  EXPECT_THAT(a.districts(), ElementsAre("kita", "minami-1"));
  const v1::Agency& b = csv.rows[1].agency;
  EXPECT_THAT(b.fields(), IsEmpty());
  EXPECT_THAT(b.issue_tags(), IsEmpty());
  EXPECT_THAT(b.districts(), IsEmpty());
  // One problem for the cell, naming every unknown item.
  ASSERT_EQ(csv.problems.size(), 1u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), 7);  // row a spans lines 2-5
  EXPECT_EQ(csv.problems[0].column(), 5);
  EXPECT_EQ(csv.problems[0].problem(), "分野が不明です: 介護、福祉");
}

TEST(AgencyCsvTest, ServiceCells) {
  const AgencyCsv csv = Parse(Lines({
      "機関ID,機関名,フリガナ,種別,サービス",
      "a,名,メイ,NPO法人,\"家計改善支援|生活に困窮する方|18-64\n"
      "就労準備支援｜｜65～\n"
      " 訪問相談 | 本人・家族 | 〜17歳 \n"
      "\n"
      "電話相談\n"
      "居場所づくり｜若者｜15歳~39歳\n"
      "学習支援|小中学生|６-１５\n"
      "シニア|高齢者|65 - \"",
      "b,名,メイ,NPO法人,\"家計相談|どなたでも|十八歳以上\nOK|x|1-2\"",
      "c,名,メイ,NPO法人,A|B|C|D",
      "d,名,メイ,NPO法人,|対象だけ|18-",
  }));
  ASSERT_EQ(csv.rows.size(), 1u) << Describe(csv);
  const v1::Agency& a = csv.rows[0].agency;
  ASSERT_EQ(a.services_size(), 7);
  struct Want {
    const char* name;
    const char* eligibility;
    int min_age;
    int max_age;
  };
  const Want want[] = {
      {"家計改善支援", "生活に困窮する方", 18, 64},
      {"就労準備支援", "", 65, 0},
      {"訪問相談", "本人・家族", 0, 17},
      {"電話相談", "", 0, 0},
      {"居場所づくり", "若者", 15, 39},
      {"学習支援", "小中学生", 6, 15},
      {"シニア", "高齢者", 65, 0},
  };
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(a.services(i).name(), want[i].name) << i;
    EXPECT_EQ(a.services(i).eligibility(), want[i].eligibility) << i;
    EXPECT_EQ(a.services(i).min_age(), want[i].min_age) << i;
    EXPECT_EQ(a.services(i).max_age(), want[i].max_age) << i;
  }
  ASSERT_EQ(csv.problems.size(), 3u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), 10);
  EXPECT_EQ(csv.problems[0].column(), 5);
  EXPECT_EQ(csv.problems[0].column_name(), "サービス");
  EXPECT_THAT(csv.problems[0].problem(), HasSubstr("年齢"));
  EXPECT_THAT(csv.problems[0].problem(), HasSubstr("十八歳以上"));
  EXPECT_THAT(csv.problems[0].problem(), Not(HasSubstr("OK|x|1-2")));
  EXPECT_EQ(csv.problems[1].line(), 12);
  EXPECT_THAT(csv.problems[1].problem(), HasSubstr("A|B|C|D"));
  EXPECT_EQ(csv.problems[2].line(), 13);
  EXPECT_THAT(csv.problems[2].problem(), HasSubstr("|対象だけ|18-"));
}

TEST(AgencyCsvTest, ReferralStateAndDateCells) {
  struct Case {
    const char* accepts;
    const char* state;
    const char* date;
    bool want_accepts;
    v1::Agency::State want_state;
    int64_t want_seconds;  // 0: no date
  };
  const Case cases[] = {
      {"可", "", "2024-04-01", true, v1::Agency::ACTIVE, JstMidnight(2024, 4, 1)},
      {"不可", "稼働", "2024/4/1", false, v1::Agency::ACTIVE, JstMidnight(2024, 4, 1)},
      {"○", "休止", "2024/04/01", true, v1::Agency::INACTIVE, JstMidnight(2024, 4, 1)},
      {"×", "廃止", " 2028/2/29 ", false, v1::Agency::CLOSED, JstMidnight(2028, 2, 29)},
      {"はい", "inactive", "", true, v1::Agency::INACTIVE, 0},
      {"いいえ", "CLOSED", "1999-12-31", false, v1::Agency::CLOSED, JstMidnight(1999, 12, 31)},
      {"TRUE", "Active", "", true, v1::Agency::ACTIVE, 0},
      {"false", "　", "", false, v1::Agency::ACTIVE, 0},
      {"1", "", "", true, v1::Agency::ACTIVE, 0},
      {"0", "", "", false, v1::Agency::ACTIVE, 0},
      {"", "", "", false, v1::Agency::ACTIVE, 0},
  };
  std::string text = "機関ID,機関名,フリガナ,種別,紹介受付,状態,最終確認日\r\n";
  int id = 0;
  for (const Case& c : cases) {
    text += "r" + std::to_string(id++) + ",名,メイ,NPO法人," + c.accepts + "," + c.state + "," +
            c.date + "\r\n";
  }
  text += Lines({
      "bad1,名,メイ,NPO法人,たぶん,停止,2024-02-30",
      "bad2,名,メイ,NPO法人,可,,24/4/1",
      "bad3,名,メイ,NPO法人,可,,2024-04-01T00:00",
  });
  const AgencyCsv csv = Parse(text);
  ASSERT_EQ(csv.rows.size(), std::size(cases)) << Describe(csv);
  for (size_t i = 0; i < std::size(cases); ++i) {
    const v1::Agency& agency = csv.rows[i].agency;
    EXPECT_EQ(agency.accepts_referrals(), cases[i].want_accepts) << i;
    EXPECT_EQ(agency.state(), cases[i].want_state) << i;
    EXPECT_EQ(agency.has_last_verified_time(), cases[i].want_seconds != 0) << i;
    EXPECT_EQ(agency.last_verified_time().seconds(), cases[i].want_seconds) << i;
  }
  const int bad_line = static_cast<int>(std::size(cases)) + 2;
  ASSERT_EQ(csv.problems.size(), 5u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), bad_line);
  EXPECT_EQ(csv.problems[0].column(), 5);
  EXPECT_THAT(csv.problems[0].problem(), HasSubstr("たぶん"));
  EXPECT_EQ(csv.problems[1].column(), 6);
  EXPECT_EQ(csv.problems[1].problem(), "状態が不明です: 停止");
  EXPECT_EQ(csv.problems[2].column(), 7);
  EXPECT_EQ(csv.problems[2].problem(), "日付の形式が正しくありません（YYYY-MM-DD）: 2024-02-30");
  EXPECT_EQ(csv.problems[3].line(), bad_line + 1);
  EXPECT_EQ(csv.problems[4].line(), bad_line + 2);
}

TEST(AgencyCsvTest, AbsentOptionalColumnsAreNotPresent) {
  const AgencyCsv csv = Parse(Lines({
      "フリガナ,機関名,機関ID,種別,住所",
      "カクウシフクシジムショ,架空市福祉事務所,fukushi,福祉事務所,架空市中央区1-1",
  }));
  EXPECT_THAT(csv.problems, IsEmpty()) << Describe(csv);
  EXPECT_THAT(csv.present_paths, ElementsAre("display_name", "kana", "kind", "address"));
  EXPECT_EQ(csv.column_of_path.size(), 5u);
  EXPECT_EQ(csv.column_of_path.at("agency_id"), 3);
  EXPECT_EQ(csv.column_of_path.at("kana"), 1);
  EXPECT_EQ(csv.column_of_path.count("phone"), 0u);
  EXPECT_EQ(csv.encoding, CsvEncoding::kUtf8);
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].agency_id, "fukushi");
  EXPECT_EQ(csv.rows[0].agency.state(), v1::Agency::ACTIVE);
  EXPECT_EQ(csv.rows[0].agency.kind(), v1::WELFARE_OFFICE);
  EXPECT_EQ(csv.rows[0].agency.address(), "架空市中央区1-1");
}

TEST(AgencyCsvTest, HsdsJsonParsesBack) {
  v1::Agency second = MinimalAgency("plain", "名前だけ");
  const std::string text = AgenciesToHsdsJson({FullAgency(), second});
  const nlohmann::json json = nlohmann::json::parse(text);
  ASSERT_TRUE(json["organizations"].is_array());
  ASSERT_EQ(json["organizations"].size(), 2u);
  const nlohmann::json& org = json["organizations"][0];
  EXPECT_EQ(org["id"], "kita-houkatsu-1");
  EXPECT_EQ(org["name"], "架空市北区第１地域包括支援センター（ＮＰＯ髙橋会①）");
  EXPECT_EQ(org["alternate_name"], "カクウシキタクダイイチチイキホウカツシエンセンター");
  EXPECT_EQ(org["description"], "地域包括支援センター");
  EXPECT_EQ(org["email"], "kita-houkatsu@example.jp");
  ASSERT_EQ(org["phones"].size(), 2u);
  EXPECT_EQ(org["phones"][0]["number"], "+81-3-0000-1001");
  EXPECT_EQ(org["phones"][1]["type"], "fax");
  ASSERT_EQ(org["services"].size(), 5u);
  const nlohmann::json& service = org["services"][0];
  EXPECT_EQ(service["name"], "総合相談");
  EXPECT_EQ(service["eligibility_description"], "区内在住の６５歳以上の方とその家族");
  EXPECT_EQ(service["minimum_age"], 65);
  EXPECT_FALSE(service.contains("maximum_age"));
  EXPECT_EQ(service["status"], "inactive");
  EXPECT_EQ(service["service_areas"][1]["name"], "kita-1");
  EXPECT_EQ(org["services"][4]["maximum_age"], 17);
  EXPECT_EQ(org["locations"][0]["addresses"][0]["address_1"],
            "架空市北区本町１丁目２－３　ふれあいビル２Ｆ");
  const nlohmann::json& extension = org["x_casecoord"];
  EXPECT_EQ(extension["kind"], "COMMUNITY_GENERAL_SUPPORT_CENTER");
  EXPECT_EQ(extension["operator_type"], "COMMISSIONED");
  EXPECT_EQ(extension["fields"], nlohmann::json({"ELDERLY_CARE", "RIGHTS_ADVOCACY", "HEALTH"}));
  EXPECT_EQ(extension["issue_tags"], nlohmann::json({"dementia", "8050", "no-relatives"}));
  EXPECT_EQ(extension["districts"], nlohmann::json({"kita", "kita-1"}));
  EXPECT_EQ(extension["accepts_referrals"], true);
  EXPECT_EQ(extension["state"], "INACTIVE");
  EXPECT_EQ(extension["last_verified"], "2025-04-01");
  EXPECT_EQ(extension["hours"], "平日 8:45～17:30（祝日・年末年始を除く）");

  const nlohmann::json& plain = json["organizations"][1];
  EXPECT_FALSE(plain.contains("email"));
  EXPECT_TRUE(plain["phones"].empty());
  EXPECT_TRUE(plain["locations"].empty());
  EXPECT_TRUE(plain["x_casecoord"]["last_verified"].is_null());

  EXPECT_EQ(AgenciesToHsdsJson({}), "{\n  \"organizations\": []\n}\n");
}

TEST(AgencyCsvTest, DemoDirectoryImportsCleanly) {
  const std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path() / "../../deploy/demo/agencies.csv";
  std::ifstream file(path, std::ios::binary);
  ASSERT_TRUE(file) << "cannot open " << path;
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const AgencyCsv csv = Parse(bytes);
  EXPECT_EQ(csv.encoding, CsvEncoding::kUtf8Bom);
  EXPECT_THAT(csv.problems, IsEmpty()) << Describe(csv);
  EXPECT_GE(csv.rows.size(), 35u);
  EXPECT_EQ(csv.rows_read, static_cast<int>(csv.rows.size()));
  EXPECT_EQ(csv.present_paths.size(), AgencyColumns().size() - 1);

  std::set<std::string> districts;
  std::set<v1::AgencyKind> kinds;
  int inactive = 0;
  int closed = 0;
  int refusing = 0;
  int verified_before_fy2025 = 0;
  for (const AgencyCsvRow& row : csv.rows) {
    const v1::Agency& agency = row.agency;
    EXPECT_FALSE(agency.kana().empty()) << row.agency_id;
    EXPECT_NE(agency.kind(), v1::AGENCY_KIND_UNSPECIFIED) << row.agency_id;
    EXPECT_FALSE(agency.districts().empty()) << row.agency_id;
    EXPECT_TRUE(agency.has_last_verified_time()) << row.agency_id;
    districts.insert(agency.districts().begin(), agency.districts().end());
    kinds.insert(agency.kind());
    inactive += agency.state() == v1::Agency::INACTIVE;
    closed += agency.state() == v1::Agency::CLOSED;
    refusing += !agency.accepts_referrals();
    verified_before_fy2025 += agency.last_verified_time().seconds() < JstMidnight(2025, 4, 1);
  }
  for (const char* district : {"kita", "minami", "higashi", "nishi", "chuo"}) {
    EXPECT_EQ(districts.count(district), 1u) << district;
  }
  EXPECT_GE(districts.size(), 4u);
  EXPECT_GE(kinds.size(), 12u);
  EXPECT_EQ(inactive, 1);
  EXPECT_EQ(closed, 1);
  EXPECT_GE(refusing, 2);
  EXPECT_GE(verified_before_fy2025, 3);
}

TEST(AgencyCsvTest, ReadsTheFirstSheetOfAnXlsxFile) {
  const std::string file = testing::WriteXlsx([](lxw_workbook* workbook) {
    lxw_worksheet* sheet = workbook_add_worksheet(workbook, "相談機関一覧");
    lxw_format* date = workbook_add_format(workbook);
    format_set_num_format(date, "yyyy/m/d");
    const char* header[] = {"機関ID", "機関名", "フリガナ", "種別", "紹介受付", "最終確認日"};
    for (int c = 0; c < 6; ++c) worksheet_write_string(sheet, 0, c, header[c], nullptr);
    worksheet_write_string(sheet, 1, 0, "kita-1", nullptr);
    worksheet_write_string(sheet, 1, 1, "北区第一包括", nullptr);
    worksheet_write_string(sheet, 1, 2, "キタクダイイチホウカツ", nullptr);
    worksheet_write_string(sheet, 1, 3, "地域包括支援センター", nullptr);
    worksheet_write_boolean(sheet, 1, 4, 1, nullptr);
    lxw_datetime verified = {2025, 6, 12, 0, 0, 0};
    worksheet_write_datetime(sheet, 1, 5, &verified, date);
    // Row 3 is empty; row 4 has an unknown kind; row 5 a value right of the header.
    worksheet_write_number(sheet, 3, 0, 7, nullptr);
    worksheet_write_string(sheet, 3, 1, "何かの機関", nullptr);
    worksheet_write_string(sheet, 3, 2, "ナニカ", nullptr);
    worksheet_write_string(sheet, 3, 3, "役所", nullptr);
    worksheet_write_string(sheet, 4, 0, "minami", nullptr);
    worksheet_write_string(sheet, 4, 7, "メモ", nullptr);
    lxw_worksheet* other = workbook_add_worksheet(workbook, "メモ");
    worksheet_write_string(other, 0, 0, "二枚目は読みません", nullptr);
  });
  const AgencyCsv csv = Parse(file);
  EXPECT_EQ(csv.format, text::TableFormat::kXlsx);
  EXPECT_EQ(csv.rows_read, 3);
  EXPECT_EQ(csv.header.size(), 7u);
  EXPECT_EQ(RowIds(csv), std::vector<std::string>{"kita-1"});
  EXPECT_THAT(RowLines(csv), ElementsAre(2));
  ASSERT_EQ(csv.rows.size(), 1u);
  const v1::Agency& agency = csv.rows[0].agency;
  EXPECT_EQ(agency.display_name(), "北区第一包括");
  EXPECT_EQ(agency.kind(), v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
  EXPECT_TRUE(agency.accepts_referrals());
  EXPECT_EQ(agency.last_verified_time().seconds(), JstMidnight(2025, 6, 12));
  ASSERT_EQ(csv.problems.size(), 2u) << Describe(csv);
  EXPECT_EQ(csv.problems[0].line(), 4);
  EXPECT_EQ(csv.problems[0].column(), 4);
  EXPECT_EQ(csv.problems[0].column_name(), "種別");
  EXPECT_THAT(csv.problems[0].problem(), HasSubstr("役所"));
  EXPECT_EQ(csv.problems[1].line(), 5);
  EXPECT_EQ(csv.problems[1].column(), 8);
  EXPECT_EQ(csv.problems[1].problem(),
            "見出しのない列（セル H5）に値があります（見出しは F 列まで）");
}

TEST(AgencyCsvTest, AnUnreadableXlsxFileIsRefusedAsAWhole) {
  std::string file = testing::TextXlsx({{"一覧", {{"機関ID", "機関名", "フリガナ", "種別"}}}});
  file.resize(file.size() - 30);  // the central directory is at the end
  Result<AgencyCsv> parsed = ParseAgencyCsv(file);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.status().Is(Reason::kNotXlsx)) << parsed.status().ToString();
}

}  // namespace
}  // namespace casecoord::directory
