// Bringing a city's existing cases over (Cases.ImportCases) through the real server: a file of
// 1,000 historical cases over six fiscal years imports, and the yearly report equals the counts
// computed from the file; a re-run imports nothing; a file with one bad row imports nothing and
// names the row and column; CP932 and XLSX files import like UTF-8 ones.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/text/csv.h"
#include "tests/support/test_server.h"
#include "tests/support/xlsx_files.h"

namespace casecoord {
namespace {

// 2026-11-02 12:00 JST: 令和8年度; the file covers FY2020 to FY2025.
std::chrono::system_clock::time_point Now() {
  return *JstMidnight(2026, 11, 2) + std::chrono::hours(12);
}

constexpr char kHeader[] =
    "管理番号,受付日,地区,つなぎ元,相談内容,世帯の課題,分野,支援調整開始日,支援決定日,"
    "相談のみ完了日,終結日,終結理由,氏名,フリガナ,生年月日,続柄,本人,課題タグ";

std::string DateText(int year, int month, int day) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04d/%d/%d", year, month, day);
  return text;
}

// What the yearly report must show, computed from the file: fiscal year → count.
struct ExpectedCounts {
  std::map<int, int> opened, coordinated, completed_by_advice, closed;
};

// A day `offset` days after year-month-day (day ≤ 28), as a civil date.
std::array<int, 3> AddDays(int year, int month, int day, int offset) {
  using namespace std::chrono;
  const sys_days shifted = sys_days(std::chrono::year(year) / month / day) + days(offset);
  const year_month_day date{shifted};
  return {static_cast<int>(date.year()), static_cast<int>(static_cast<unsigned>(date.month())),
          static_cast<int>(static_cast<unsigned>(date.day()))};
}

// `count` historical cases, their intakes spread over FY2020–FY2025, one to three members each,
// and the lifecycle varying with the case: open, completed by advice, coordinating, in support,
// closed. Decisions follow the intake by weeks, so some fall in the next fiscal year.
std::string HistoricalCases(int count, const std::string& prefix, ExpectedCounts* expected) {
  std::string csv = std::string(kHeader) + "\n";
  for (int i = 0; i < count; ++i) {
    const int fiscal_year = 2020 + i % 6;
    const int month = 1 + (i * 7) % 12;
    const int day = 1 + (i * 11) % 28;
    const int year = month >= 4 ? fiscal_year : fiscal_year + 1;
    const auto on = [&](int offset) { return AddDays(year, month, day, offset); };
    const auto fy = [](const std::array<int, 3>& date) {
      return FiscalYearOfDate(date[0], date[1]);
    };
    const auto text = [](const std::array<int, 3>& date) {
      return DateText(date[0], date[1], date[2]);
    };
    ++expected->opened[fiscal_year];
    std::string coordinated, decided, advice, closed, outcome;
    const int lifecycle = i % 5;
    if (lifecycle == 1) {
      advice = text(on(20));
      ++expected->completed_by_advice[fy(on(20))];
    } else if (lifecycle >= 2) {
      coordinated = text(on(30));
      ++expected->coordinated[fy(on(30))];
    }
    if (lifecycle >= 3) decided = text(on(60));
    if (lifecycle == 4) {
      closed = text(on(200));
      outcome = "円滑に解決";
      ++expected->closed[fy(on(200))];
    }
    const std::string id = prefix + std::to_string(i + 1);
    const std::string district = i % 2 == 0 ? "kita" : "minami";
    csv += id + "," + text(on(0)) + "," + district + ",a1,架空の相談" + std::to_string(i) +
           ",8050,高齢・介護," + coordinated + "," + decided + "," + advice + "," + closed + "," +
           outcome + ",架空 花子" + std::to_string(i) + ",カクウ ハナコ,1950/1/2,本人,○,dementia\n";
    for (int member = 1; member < 1 + i % 3; ++member) {
      csv += id + ",,,,,,,,,,,,架空 家族" + std::to_string(member) + ",,,子,,\n";
    }
  }
  return csv;
}

class CaseImportTest : public ::testing::Test {
 protected:
  CaseImportTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a1");
    create.mutable_agency()->set_display_name("架空地域包括支援センター");
    create.mutable_agency()->set_kana("カクウチイキホウカツ");
    create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    v1::Agency created;
    grpc::ClientContext context;
    ASSERT_TRUE(directory->CreateAgency(&context, create, &created).ok());
  }

  std::unique_ptr<v1::Cases::Stub> Cases() {
    return v1::Cases::NewStub(server_.ChannelFor("coordinator"));
  }

  // Uploads `file` in 64 KiB chunks, the options with the first.
  grpc::Status Import(const std::string& file, const v1::CaseImportOptions& options,
                      v1::ImportCasesResponse* response) {
    grpc::ClientContext context;
    auto writer = Cases()->ImportCases(&context, response);
    v1::ImportCasesRequest request;
    *request.mutable_options() = options;
    for (size_t offset = 0; offset == 0 || offset < file.size(); offset += 64 * 1024) {
      request.set_chunk(file.substr(offset, 64 * 1024));
      if (!writer->Write(request)) break;
      request.clear_options();
    }
    writer->WritesDone();
    return writer->Finish();
  }

  v1::ImportCasesResponse ImportOk(const std::string& file, v1::CaseImportOptions options = {}) {
    v1::ImportCasesResponse response;
    const grpc::Status status = Import(file, options, &response);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return response;
  }

  int CaseCount() {
    int count = 0;
    v1::ListCasesRequest list;
    list.set_page_size(1000);
    for (;;) {
      v1::ListCasesResponse page;
      grpc::ClientContext context;
      EXPECT_TRUE(Cases()->ListCases(&context, list, &page).ok());
      count += page.cases_size();
      if (page.next_page_token().empty()) return count;
      list.set_page_token(page.next_page_token());
    }
  }

  v1::YearlyReport Report() {
    v1::GetYearlyReportRequest request;
    request.set_fiscal_year_from(2020);
    request.set_fiscal_year_to(2026);
    auto* opened = request.add_breakdowns();
    opened->set_metric(v1::CASES_OPENED);
    opened->set_dimension(v1::DISTRICT);
    auto* closed = request.add_breakdowns();
    closed->set_metric(v1::CASES_CLOSED);
    closed->set_dimension(v1::OUTCOME);
    v1::YearlyReport report;
    grpc::ClientContext context;
    auto stub = v1::Statistics::NewStub(server_.ChannelFor("planner"));
    const grpc::Status status = stub->GetYearlyReport(&context, request, &report);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return report;
  }

  // The cells of row `key`, FY2020 to FY2026 (the total column left out).
  static std::vector<std::string> Cells(const v1::StatTable& table, const std::string& key) {
    std::vector<std::string> cells;
    for (const auto& row : table.rows()) {
      if (row.key() != key) continue;
      for (int i = 0; i + 1 < row.cells_size(); ++i) cells.push_back(row.cells(i).display());
    }
    return cells;
  }

  static std::vector<std::string> Expected(const std::map<int, int>& by_year) {
    std::vector<std::string> cells;
    for (int year = 2020; year <= 2026; ++year) {
      const auto it = by_year.find(year);
      cells.push_back(std::to_string(it == by_year.end() ? 0 : it->second));
    }
    return cells;
  }

  static std::string ProblemsText(const v1::ImportCasesResponse& response) {
    std::string text;
    for (const auto& problem : response.problems()) {
      text += std::to_string(problem.line()) + ":" + std::to_string(problem.column()) + " " +
              problem.column_name() + " " + problem.problem() + "\n";
    }
    return text;
  }

  ManualClock clock_{Now()};
  testing::TestServer server_;
};

TEST_F(CaseImportTest, AThousandHistoricalCasesCountAsIfRecordedLiveAndAReRunChangesNothing) {
  ExpectedCounts expected;
  const std::string file = HistoricalCases(1000, "K-", &expected);

  v1::CaseImportOptions dry_run;
  dry_run.set_validate_only(true);
  const v1::ImportCasesResponse checked = ImportOk(file, dry_run);
  EXPECT_EQ(checked.created(), 1000) << ProblemsText(checked);
  EXPECT_FALSE(checked.applied());
  EXPECT_EQ(CaseCount(), 0);

  const v1::ImportCasesResponse imported = ImportOk(file);
  EXPECT_TRUE(imported.problems().empty()) << ProblemsText(imported);
  EXPECT_EQ(imported.detected_format(), "csv-utf8");
  EXPECT_EQ(imported.cases_read(), 1000);
  EXPECT_EQ(imported.created(), 1000);
  EXPECT_TRUE(imported.applied());
  ASSERT_EQ(imported.cases_size(), 1000);
  EXPECT_EQ(imported.cases(0).source_id(), "K-1");
  EXPECT_EQ(imported.cases(0).case_number(), "R2-0001");
  EXPECT_EQ(CaseCount(), 1000);

  const v1::YearlyReport report = Report();
  EXPECT_EQ(Cells(report.breakdowns(0), "TOTAL"), Expected(expected.opened));
  EXPECT_EQ(Cells(report.cases(), "CASES_COORDINATED"), Expected(expected.coordinated));
  EXPECT_EQ(Cells(report.cases(), "CASES_COMPLETED_BY_ADVICE"),
            Expected(expected.completed_by_advice));
  EXPECT_EQ(Cells(report.breakdowns(1), "TOTAL"), Expected(expected.closed));

  // The history reads as if recorded live: the decisions with their own dates.
  v1::GetCaseHistoryRequest history;
  history.set_name(imported.cases(4).case_());  // K-5: closed
  v1::GetCaseHistoryResponse events;
  grpc::ClientContext context;
  ASSERT_TRUE(Cases()->GetCaseHistory(&context, history, &events).ok());
  ASSERT_EQ(events.events_size(), 4);
  EXPECT_EQ(events.events(1).to_state(), v1::COORDINATING);
  EXPECT_EQ(events.events(3).to_state(), v1::CLOSED);
  EXPECT_EQ(events.events(3).outcome(), v1::RESOLVED);

  // A re-run: every case was imported before, nothing changes.
  const v1::ImportCasesResponse again = ImportOk(file);
  EXPECT_EQ(again.created(), 0);
  EXPECT_EQ(again.unchanged(), 1000);
  EXPECT_EQ(again.cases(4).case_(), imported.cases(4).case_());
  EXPECT_TRUE(again.cases(4).already_imported());
  EXPECT_EQ(CaseCount(), 1000);
  const v1::YearlyReport unchanged = Report();
  EXPECT_EQ(Cells(unchanged.breakdowns(0), "TOTAL"), Expected(expected.opened));
  EXPECT_EQ(Cells(unchanged.cases(), "CASES_COORDINATED"), Expected(expected.coordinated));
}

TEST_F(CaseImportTest, AFileWithOneBadRowImportsNothingAndNamesTheRowAndColumn) {
  ExpectedCounts expected;
  std::string file = HistoricalCases(200, "B-", &expected);
  // The 100th case's intake date (one row of the file) becomes impossible.
  const size_t row = file.find("\nB-100,");
  ASSERT_NE(row, std::string::npos);
  const size_t date = row + std::string("\nB-100,").size();
  file.replace(date, file.find(',', date) - date, "2021/2/30");
  int line = 1;
  for (size_t i = 0; i <= row; ++i) line += file[i] == '\n' ? 1 : 0;

  const v1::ImportCasesResponse refused = ImportOk(file);
  EXPECT_FALSE(refused.applied());
  EXPECT_EQ(refused.created(), 0);
  EXPECT_EQ(refused.rejected(), 1);
  ASSERT_EQ(refused.problems_size(), 1) << ProblemsText(refused);
  EXPECT_EQ(refused.problems(0).line(), line);
  EXPECT_EQ(refused.problems(0).column(), 2);
  EXPECT_EQ(refused.problems(0).column_name(), "受付日");
  EXPECT_EQ(CaseCount(), 0);

  // With allow_partial the other 199 are imported.
  v1::CaseImportOptions partial;
  partial.set_allow_partial(true);
  const v1::ImportCasesResponse some = ImportOk(file, partial);
  EXPECT_TRUE(some.applied());
  EXPECT_EQ(some.created(), 199);
  EXPECT_EQ(CaseCount(), 199);
}

TEST_F(CaseImportTest, ADomainProblemIsLocatedInTheFile) {
  const std::string file = std::string(kHeader) +
                           "\nA-1,2024/4/1,kita,a1,相談,,,,,,,,架空 一郎,,,,○,\n"
                           "A-2,2024/4/1,kita,no-such-agency,相談,,,,,,,,架空 二郎,,,,○,\n";
  const v1::ImportCasesResponse refused = ImportOk(file);
  EXPECT_FALSE(refused.applied());
  ASSERT_EQ(refused.problems_size(), 1) << ProblemsText(refused);
  EXPECT_EQ(refused.problems(0).line(), 3);
  EXPECT_EQ(refused.problems(0).column_name(), "つなぎ元");
  EXPECT_EQ(CaseCount(), 0);
}

TEST_F(CaseImportTest, Cp932AndXlsxFilesImportLikeUtf8) {
  ExpectedCounts expected;
  const std::string utf8 = HistoricalCases(20, "S-", &expected);
  auto cp932 = text::EncodeFromUtf8(utf8, text::CsvEncoding::kCp932);
  ASSERT_TRUE(cp932.ok());
  const v1::ImportCasesResponse from_cp932 = ImportOk(*cp932);
  EXPECT_EQ(from_cp932.detected_format(), "csv-cp932");
  EXPECT_EQ(from_cp932.created(), 20) << ProblemsText(from_cp932);

  ExpectedCounts more;
  const text::CsvTable table = text::ParseCsv(HistoricalCases(20, "X-", &more));
  std::vector<std::vector<std::string>> rows = {table.header};
  for (const auto& row : table.rows) rows.push_back(row.fields);
  const std::string xlsx = testing::TextXlsx({{"事例一覧", rows}});
  const v1::ImportCasesResponse from_xlsx = ImportOk(xlsx);
  EXPECT_EQ(from_xlsx.detected_format(), "xlsx");
  EXPECT_EQ(from_xlsx.created(), 20) << ProblemsText(from_xlsx);
  EXPECT_EQ(CaseCount(), 40);

  v1::GetCaseRequest get;
  get.set_name(from_xlsx.cases(0).case_());
  v1::Case opened;
  grpc::ClientContext context;
  ASSERT_TRUE(Cases()->GetCase(&context, get, &opened).ok());
  EXPECT_EQ(opened.members(0).display_name(), "架空 花子0");
  EXPECT_EQ(opened.members(0).kana(), "カクウ ハナコ");
}

}  // namespace
}  // namespace casecoord
