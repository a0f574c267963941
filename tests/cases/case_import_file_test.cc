#include "services/cases/case_import_file.h"

#include <gtest/gtest.h>

#include <string>

#include "services/common/fiscal_year.h"
#include "services/text/csv.h"

namespace casecoord::cases {
namespace {

v1::Date Today() {
  v1::Date today;
  today.set_year(2026);
  today.set_month(12);
  today.set_day(7);
  return today;
}

const char kHeader[] =
    "管理番号,受付日,地区,つなぎ元,相談内容,世帯の課題,分野,支援調整開始日,支援決定日,"
    "相談のみ完了日,終結日,終結理由,終結の検証,氏名,フリガナ,生年月日,続柄,本人,課題タグ\n";

std::string ProblemsText(const CaseImportFile& file) {
  std::string text;
  for (const auto& problem : file.problems) {
    text += std::to_string(problem.line()) + ":" + std::to_string(problem.column()) + " " +
            problem.column_name() + " " + problem.problem() + "\n";
  }
  return text;
}

TEST(CaseImportFileTest, RowsOfOneSourceIdMakeOneCaseWithItsDecisions) {
  const std::string csv =
      std::string(kHeader) +
      "A-1,平成30年5月10日,kita,kita-hokatsu,介護と引きこもり,8050,高齢・介護、"
      "障害,2018/6/1,H30.7.1,,2019-03-31,円滑に解決,,山田 花子,ヤマダ ハナコ,"
      "1940-02-03,本人,○,dementia\n"
      "A-1,,,,,,,,,,,,,山田 太郎,ヤマダ タロウ,S45.1.2,長男,,hikikomori\n"
      "B-7,2021/4/5,minami,minami-shakyo,相談,debt,,,,2021/4/20,,,,佐藤 一郎,,,,"
      "○,\n";
  auto file = ParseCaseImport(csv, "", Today());
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_TRUE(file->problems.empty()) << ProblemsText(*file);
  EXPECT_EQ(file->format, "csv-utf8");
  EXPECT_EQ(file->rows_read, 3);
  EXPECT_EQ(file->cases_read, 2);
  ASSERT_EQ(file->cases.size(), 2u);

  const ImportedCaseDraft& first = file->cases[0];
  EXPECT_EQ(first.source_id, "A-1");
  EXPECT_EQ(first.line, 2);
  EXPECT_EQ(first.member_lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(first.input.intake_date().year(), 2018);
  EXPECT_EQ(first.input.intake_date().month(), 5);
  EXPECT_EQ(first.input.referring_agency(), "agencies/kita-hokatsu");
  ASSERT_EQ(first.input.fields_size(), 2);
  EXPECT_EQ(first.input.fields(1), v1::DISABILITY);
  ASSERT_EQ(first.input.members_size(), 2);
  EXPECT_EQ(first.input.members(0).member_id(), "m1");
  EXPECT_TRUE(first.input.members(0).principal());
  EXPECT_EQ(first.input.members(1).birth_date().year(), 1970);
  EXPECT_EQ(first.input.members(1).issue_tags(0), "hikikomori");
  ASSERT_EQ(first.decisions.size(), 3u);
  EXPECT_EQ(first.decisions[0].to, v1::COORDINATING);
  EXPECT_EQ(first.decisions[1].to, v1::IN_SUPPORT);
  EXPECT_EQ(first.decisions[1].date.month(), 7);
  EXPECT_EQ(first.decisions[2].to, v1::CLOSED);
  EXPECT_EQ(first.decisions[2].outcome, v1::RESOLVED);

  const ImportedCaseDraft& second = file->cases[1];
  ASSERT_EQ(second.decisions.size(), 1u);
  EXPECT_EQ(second.decisions[0].to, v1::COMPLETED_BY_ADVICE);
}

TEST(CaseImportFileTest, CaseWithAProblemIsLeftOutAndNamedByLineAndColumn) {
  const std::string csv = std::string(kHeader) +
                          "A-1,2024/13/1,kita,x,相談,,,,,,,,,山田,,,,,\n"
                          "B-1,2024/4/1,kita,x,相談,,,,2024/5/1,,,,,佐藤,,,,,\n"
                          "C-1,2024/4/1,kita,x,相談,,,2024/3/1,,,,,,鈴木,,,,,\n"
                          "D-1,2024/4/1,kita,x,相談,,,,,,2024/5/1,,,田中,,,,,\n"
                          "E-1,2024/4/1,kita,x,相談,,,,,,,,,高橋,,,,,\n"
                          "E-1,2024/4/2,kita,x,相談,,,,,,,,,高橋 次郎,,,,,\n"
                          "F-1,2027/4/1,kita,x,相談,,,,,,,,,伊藤,,,,,\n"
                          "G-1,2024/4/1,kita,x,相談,,,,,,,,,渡辺,,,,,\n";
  auto file = ParseCaseImport(csv, "", Today());
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->cases.size(), 1u) << ProblemsText(*file);
  EXPECT_EQ(file->cases[0].source_id, "G-1");
  EXPECT_EQ(file->rejected, 6);
  const std::string problems = ProblemsText(*file);
  EXPECT_NE(problems.find("2:2 受付日 日付が読めません"), std::string::npos) << problems;
  EXPECT_NE(problems.find("3:9 支援決定日 受付から支援中には進めません"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("4:8 支援調整開始日 2024-03-01 は「受付日」2024-04-01 より前です"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("5:12 終結理由 終結日があるときは終結理由が必要です"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("7:2 受付日 同じ管理番号の最初の行（6行目）と異なります"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("8:2 受付日 未来の日付です: 2027-04-01"), std::string::npos) << problems;
}

TEST(CaseImportFileTest, SeparatedRowsOfOneCaseAndMissingColumnsAreReported) {
  const std::string csv = std::string(kHeader) +
                          "A-1,2024/4/1,kita,x,相談,,,,,,,,,山田,,,,,\n"
                          "B-1,2024/4/1,kita,x,相談,,,,,,,,,佐藤,,,,,\n"
                          "A-1,,,,,,,,,,,,,山田 次郎,,,,,\n";
  auto file = ParseCaseImport(csv, "", Today());
  ASSERT_TRUE(file.ok());
  EXPECT_NE(ProblemsText(*file).find("4:1 管理番号 管理番号 A-1 の行は続けて並べてください（2行目"),
            std::string::npos)
      << ProblemsText(*file);

  auto missing = ParseCaseImport("管理番号,受付日\nA,2024/4/1\n", "", Today());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("地区"), std::string::npos)
      << missing.status().message();
}

TEST(CaseImportFileTest, Cp932FilesReadLikeUtf8) {
  const std::string utf8 = std::string(kHeader) + "A-1,R6.4.1,kita,x,相談,,,,,,,,,髙橋 ①,,,,,\n";
  auto cp932 = text::EncodeFromUtf8(utf8, text::CsvEncoding::kCp932);
  ASSERT_TRUE(cp932.ok());
  auto file = ParseCaseImport(*cp932, "", Today());
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->format, "csv-cp932");
  ASSERT_EQ(file->cases.size(), 1u) << ProblemsText(*file);
  EXPECT_EQ(file->cases[0].input.members(0).display_name(), "髙橋 ①");
  EXPECT_EQ(file->cases[0].input.intake_date().year(), 2024);
}

TEST(CaseImportFileTest, ProblemAtLocatesStoreViolationsInTheFile) {
  const std::string csv = std::string(kHeader) +
                          "A-1,2024/4/1,kita,x,相談,,,,,,,,,山田,,,,,\n"
                          "A-1,,,,,,,,,,,,,山田 次郎,,,,,dementa\n";
  auto file = ParseCaseImport(csv, "", Today());
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->cases.size(), 1u);
  const auto tag = ProblemAt(*file, file->cases[0], "case.members[1].issue_tags[0]", "unknown");
  EXPECT_EQ(tag.line(), 3);
  EXPECT_EQ(tag.column(), 19);
  EXPECT_EQ(tag.column_name(), "課題タグ");
  const auto district = ProblemAt(*file, file->cases[0], "case.district", "unknown");
  EXPECT_EQ(district.line(), 2);
  EXPECT_EQ(district.column(), 3);
  const auto other = ProblemAt(*file, file->cases[0], "case.team", "x");
  EXPECT_EQ(other.column(), 0);
}

TEST(ParseCivilDateTest, ReadsWesternAndEraDates) {
  auto expect = [](std::string_view text, int year, int month, int day) {
    const auto date = ParseCivilDate(text);
    ASSERT_TRUE(date.has_value()) << text;
    EXPECT_EQ(date->year(), year) << text;
    EXPECT_EQ(date->month(), month) << text;
    EXPECT_EQ(date->day(), day) << text;
  };
  expect("2024-05-24", 2024, 5, 24);
  expect("2024/5/24", 2024, 5, 24);
  expect("2024年5月24日", 2024, 5, 24);
  expect("令和6年5月24日", 2024, 5, 24);
  expect("令和元年5月1日", 2019, 5, 1);
  expect("R6.5.24", 2024, 5, 24);
  expect("H30/4/1", 2018, 4, 1);
  expect("平成31年4月30日", 2019, 4, 30);
  expect("S64.1.7", 1989, 1, 7);
  expect("２０２４／５／２４", 2024, 5, 24);
  expect(" R6.5.24 ", 2024, 5, 24);
  for (std::string_view bad :
       {"", "2024/2/30", "平成31年5月1日", "令和6年13月1日", "R6.5", "R6.5.24.1", "R123.1.1",
        "24/5/24", "令和6年5月24日x", "明治1.1.1"}) {
    EXPECT_FALSE(ParseCivilDate(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace casecoord::cases
