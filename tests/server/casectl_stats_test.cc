// casectl stats ... as planners run it: the real casectl binary against a real server holding a
// generated history of known counts, checked on what it prints, the files it writes and its exit
// status.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/text/csv.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using testing::ColumnOf;
using testing::LineWith;
using CasectlRun = testing::ProcessRun;

v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// 2019-03-31 22:00 JST: the last hours of 平成30年度 (FY2018).
std::chrono::system_clock::time_point Start() {
  return *JstMidnight(2019, 3, 31) + std::chrono::hours(22);
}

// The words of a table line (its cells, when none holds a space).
std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The fields of the first CSV record whose first field is `label` (empty if none).
std::vector<std::string> CsvRecord(const std::string& bytes, const std::string& label,
                                   text::CsvEncoding* detected) {
  auto utf8 = text::DecodeToUtf8(bytes, detected);
  EXPECT_TRUE(utf8.ok()) << utf8.status().ToString();
  if (!utf8.ok()) return {};
  for (const auto& row : text::ParseCsv(*utf8).rows) {
    if (!row.fields.empty() && row.fields[0] == label) return row.fields;
  }
  return {};
}

// The fields of the first CSV record that has a field `text` (empty if none).
std::vector<std::string> CsvRecordWith(const std::string& bytes, const std::string& text) {
  auto utf8 = text::DecodeToUtf8(bytes, nullptr);
  EXPECT_TRUE(utf8.ok()) << utf8.status().ToString();
  if (!utf8.ok()) return {};
  for (const auto& row : text::ParseCsv(*utf8).rows) {
    for (const auto& field : row.fields) {
      if (field == text) return row.fields;
    }
  }
  return {};
}

bool Contains(const std::vector<std::string>& fields, const std::string& text) {
  for (const auto& field : fields) {
    if (field == text) return true;
  }
  return false;
}

constexpr char kCoordinated[] = "関係機関と支援調整した件数";
constexpr char kContacts[] = "関係機関との個別調整回数";

class CasectlStatsTest : public ::testing::Test {
 protected:
  CasectlStatsTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    server_.ca().WriteTo(pki_.path(), {"planner", "coordinator"});
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a1");
    create.mutable_agency()->set_display_name("架空地域包括支援センター");
    create.mutable_agency()->set_kana("カクウチイキホウカツ");
    create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    v1::Agency created;
    grpc::ClientContext context;
    const grpc::Status status = directory->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  // Runs casectl as `user` with `args` (after the connection flags) and waits for it.
  CasectlRun Casectl(const std::vector<std::string>& args, const std::string& user = "planner") {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki_.Sub("ca.crt"),
                                     "--pki-dir=" + pki_.path(),
                                     "--user=" + user,
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, scratch_.path());
  }

  std::unique_ptr<v1::Cases::Stub> Cases() {
    return v1::Cases::NewStub(server_.ChannelFor("coordinator"));
  }

  v1::Case Open(const std::string& district) {
    v1::CreateCaseRequest request;
    request.set_request_id("r" + std::to_string(++opened_));
    auto* member = request.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 太郎");
    member->set_principal(true);
    request.mutable_case_()->set_district(district);
    request.mutable_case_()->set_referring_agency("agencies/a1");
    request.mutable_case_()->set_presenting_problem("架空の相談");
    v1::Case opened;
    grpc::ClientContext context;
    const grpc::Status status = Cases()->CreateCase(&context, request, &opened);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return opened;
  }

  void Move(const v1::Case& which, v1::CaseState to, const v1::Date& date) {
    v1::TransitionCaseRequest move;
    move.set_name(which.name());
    move.set_to(to);
    *move.mutable_decision_date() = date;
    v1::Case moved;
    grpc::ClientContext context;
    const grpc::Status status = Cases()->TransitionCase(&context, move, &moved);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  void Contact(const v1::Case& which, const v1::Date& date) {
    v1::AppendConsultationRequest append;
    append.set_parent(which.name());
    append.mutable_entry()->set_kind(v1::COORDINATION_CONTACT);
    append.mutable_entry()->set_agency("agencies/a1");
    append.mutable_entry()->set_summary("架空の個別調整");
    *append.mutable_entry()->mutable_date() = date;
    v1::ConsultationEntry logged;
    grpc::ClientContext context;
    const grpc::Status status = Cases()->AppendConsultation(&context, append, &logged);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  void Handle(int n, const std::string& district, v1::CaseState to, const v1::Date& date) {
    for (int i = 0; i < n; ++i) Move(Open(district), to, date);
  }

  // The history of statistics_service_test. Coordinated: FY2018 2 (a small cell), FY2019 6.
  // Completed by advice: FY2018 13, FY2019 12. Coordination contacts (activities, never
  // suppressed): FY2019 3.
  void MakeHistory() {
    const v1::Date last_day_h30 = MakeDate(2019, 3, 31);
    Handle(6, "kita", v1::COMPLETED_BY_ADVICE, last_day_h30);
    Handle(7, "minami", v1::COMPLETED_BY_ADVICE, last_day_h30);
    Handle(2, "kita", v1::COORDINATING, last_day_h30);
    clock_.Advance(std::chrono::minutes(150));  // 2019-04-01 00:30 JST: 令和元年度
    const v1::Date first_day_r1 = MakeDate(2019, 4, 1);
    Handle(9, "kita", v1::COMPLETED_BY_ADVICE, first_day_r1);
    Handle(3, "minami", v1::COMPLETED_BY_ADVICE, first_day_r1);
    Handle(5, "kita", v1::COORDINATING, first_day_r1);
    const v1::Case contacted = Open("minami");
    Move(contacted, v1::COORDINATING, first_day_r1);
    for (int i = 0; i < 3; ++i) Contact(contacted, first_day_r1);
  }

  int opened_ = 0;
  ManualClock clock_{Start()};
  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir scratch_;  // casectl's stdout and stderr
  testing::TempDir files_;    // what the tests give and casectl writes
};

TEST_F(CasectlStatsTest, YearlyReportPrintsEraLabelsAndNeverASmallCount) {
  MakeHistory();
  CasectlRun yearly = Casectl({"stats", "yearly", "--from", "H30", "--to", "令和元年度",
                               "--breakdown", "問い合わせ・相談のみで支援完了した件数:地区",
                               "--breakdown", "CASES_OPENED:DISTRICT"});
  ASSERT_EQ(yearly.exit_code, 0) << yearly.out << yearly.err;
  const std::string header = LineWith(yearly.out, "区分");
  EXPECT_EQ(header.find("区分"), 0u) << yearly.out;
  EXPECT_NE(header.find("平成30年度"), std::string::npos) << yearly.out;
  EXPECT_NE(header.find("令和元年度"), std::string::npos) << yearly.out;
  EXPECT_NE(header.find("合計"), std::string::npos) << yearly.out;
  EXPECT_NE(yearly.out.find("1. 総合相談支援体制取扱件数"), std::string::npos) << yearly.out;
  EXPECT_NE(yearly.out.find("受付件数（地区別）"), std::string::npos) << yearly.out;

  // The 2 households coordinated in 平成30年度 are "x", right-aligned under the year; the 2 is
  // nowhere in the row.
  const std::string coordinated = LineWith(yearly.out, kCoordinated);
  const std::vector<std::string> cells = Words(coordinated);
  ASSERT_EQ(cells.size(), 4u) << yearly.out;  // the label, two years, the total
  EXPECT_EQ(cells[1], "x") << coordinated;
  for (const auto& cell : cells) EXPECT_NE(cell, "2") << coordinated;
  const int year_end = ColumnOf(header, "平成30年度") + 10;  // 平成 and 年度 are full-width
  EXPECT_EQ(ColumnOf(coordinated, "x") + 1, year_end) << yearly.out;
  // Activities are not households: never suppressed.
  EXPECT_EQ(Words(LineWith(yearly.out, kContacts)),
            (std::vector<std::string>{kContacts, "0", "3", "3"}))
      << yearly.out;

  // The disclosure notes: the rule, k and how many cells were suppressed.
  EXPECT_NE(LineWith(yearly.out, "秘匿の規則").find("x"), std::string::npos) << yearly.out;
  EXPECT_NE(LineWith(yearly.out, "k（最小セル数）").find("5"), std::string::npos) << yearly.out;
  EXPECT_NE(LineWith(yearly.out, "秘匿したセル").find("少数秘匿"), std::string::npos) << yearly.out;
  EXPECT_NE(LineWith(yearly.out, "監査").find("合格"), std::string::npos) << yearly.out;

  // Running sums: the first year's is the suppressed cell itself; a later one is published only
  // when it equals a published cell (here the total column), never giving the 2 away.
  CasectlRun cumulative =
      Casectl({"stats", "yearly", "--from", "2018", "--to", "R1", "--cumulative"});
  ASSERT_EQ(cumulative.exit_code, 0) << cumulative.out << cumulative.err;
  EXPECT_NE(cumulative.out.find("からの累計"), std::string::npos) << cumulative.out;
  const std::vector<std::string> running = Words(LineWith(cumulative.out, kCoordinated));
  ASSERT_EQ(running.size(), 4u) << cumulative.out;
  EXPECT_EQ(running[1], "x");
  EXPECT_TRUE(running[2] == "x" || running[2] == cells[3]) << cumulative.out;
  for (const auto& cell : running) EXPECT_NE(cell, "2") << cumulative.out;

  CasectlRun json = Casectl({"--json", "stats", "yearly", "--from", "2018", "--to", "2019"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"era_label_ja\": \"令和元年度\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"display\": \"x\""), std::string::npos) << json.out;

  // Bad usage is refused before any call (exit status 2), and nothing is written.
  const std::string refused_path = files_.Sub("refused.csv");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"stats", "yearly", "--from", "R1", "--to", "H30"},
           {"stats", "yearly", "--from", "令和", "--to", "R1"},
           {"stats", "yearly", "--from", "1980", "--to", "1981"},
           {"stats", "yearly", "--from", "1990", "--to", "2019"},
           {"stats", "yearly", "--from", "2018", "--to", "2019", "--breakdown",
            "CASES_OPENED:OUTCOME"},
           {"stats", "yearly", "--from", "2018", "--to", "2019", "--breakdown", "謎:地区"},
           {"stats", "yearly", "--from", "2018", "--to", "2019", "--breakdown", "CASES_OPENED"},
           {"stats", "export", "--from", "2018", "--to", "2019", "--format", "pdf", "--output",
            refused_path},
           {"stats", "export", "--from", "2018", "--to", "2019", "--format", "svg", "--encoding",
            "cp932", "--output", refused_path},
           {"stats", "export", "--from", "2018", "--to", "2019", "--format", "csv", "--encoding",
            "euc-jp", "--output", refused_path},
           {"stats", "export", "--from", "2018", "--to", "2019", "--format", "csv", "--output",
            files_.Sub("missing/report.csv")},
           {"stats", "export", "--from", "2018", "--to", "2019", "--format", "csv", "--output",
            files_.path()}}) {
    CasectlRun refused = Casectl(args);
    EXPECT_EQ(refused.exit_code, 2) << args.back() << "\n" << refused.out << refused.err;
    EXPECT_NE(refused.err.find("エラー / error"), std::string::npos) << refused.err;
  }
  EXPECT_TRUE(testing::ListFiles(files_.path()).empty());
}

TEST_F(CasectlStatsTest, PublishFreezesAClosedYearOnce) {
  MakeHistory();
  const CasectlRun open_year = Casectl({"stats", "publish", "R1"});
  EXPECT_NE(open_year.exit_code, 0);
  EXPECT_NE(open_year.err.find("YEAR_NOT_CLOSED"), std::string::npos) << open_year.err;
  const CasectlRun published = Casectl({"stats", "publish", "平成30年度"});
  ASSERT_EQ(published.exit_code, 0) << published.err;
  EXPECT_NE(published.out.find("平成30年度を公表しました"), std::string::npos) << published.out;
  EXPECT_NE(published.out.find("statistics/releases/2018"), std::string::npos) << published.out;
  const CasectlRun again = Casectl({"stats", "publish", "2018"});
  EXPECT_NE(again.err.find("YEAR_ALREADY_PUBLISHED"), std::string::npos) << again.err;
  EXPECT_NE(Casectl({"stats", "publish", "2018"}, "coordinator").exit_code, 0);
}

TEST_F(CasectlStatsTest, ExportWritesCsvXlsxAndSvg) {
  MakeHistory();
  const std::vector<std::string> range = {"--from", "2018", "--to", "2019"};
  auto export_args = [&range](const std::vector<std::string>& more) {
    std::vector<std::string> args = {"stats", "export"};
    args.insert(args.end(), range.begin(), range.end());
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };

  const std::string csv_path = files_.Sub("jisseki.csv");
  CasectlRun csv = Casectl(export_args({"--format", "csv", "--output", csv_path}));
  ASSERT_EQ(csv.exit_code, 0) << csv.out << csv.err;
  EXPECT_NE(csv.out.find(csv_path), std::string::npos) << csv.out;
  text::CsvEncoding detected = text::CsvEncoding::kUtf8;
  const std::string bytes = testing::ReadFile(csv_path);
  EXPECT_EQ(CsvRecord(bytes, kContacts, &detected),
            (std::vector<std::string>{kContacts, "0", "3", "3"}));
  EXPECT_EQ(detected, text::CsvEncoding::kUtf8Bom);
  const std::vector<std::string> coordinated = CsvRecord(bytes, kCoordinated, &detected);
  ASSERT_GE(coordinated.size(), 4u) << bytes;
  EXPECT_EQ(coordinated[1], "x");
  EXPECT_FALSE(Contains(coordinated, "2")) << bytes;

  const std::string sjis_path = files_.Sub("jisseki-sjis.csv");
  CasectlRun sjis =
      Casectl(export_args({"--format", "CSV", "--encoding", "cp932", "--output", sjis_path}));
  ASSERT_EQ(sjis.exit_code, 0) << sjis.out << sjis.err;
  EXPECT_EQ(CsvRecord(testing::ReadFile(sjis_path), kContacts, &detected),
            (std::vector<std::string>{kContacts, "0", "3", "3"}));
  EXPECT_EQ(detected, text::CsvEncoding::kCp932);

  const std::string xlsx_path = files_.Sub("jisseki.xlsx");
  CasectlRun xlsx = Casectl(export_args({"--format", "xlsx", "--output", xlsx_path}));
  ASSERT_EQ(xlsx.exit_code, 0) << xlsx.out << xlsx.err;
  EXPECT_EQ(testing::ReadFile(xlsx_path).substr(0, 2), "PK");

  const std::string svg_path = files_.Sub("jisseki.svg");
  CasectlRun svg = Casectl(export_args({"--format", "svg", "--output", svg_path}));
  ASSERT_EQ(svg.exit_code, 0) << svg.out << svg.err;
  const std::string drawing = testing::ReadFile(svg_path);
  EXPECT_NE(drawing.find("<svg"), std::string::npos) << drawing.substr(0, 200);
  EXPECT_NE(drawing.find("令和元年度"), std::string::npos);

  // An existing file is replaced whole, and no temporary file is left beside it.
  ASSERT_EQ(Casectl(export_args({"--format", "svg", "--output", csv_path})).exit_code, 0);
  EXPECT_NE(testing::ReadFile(csv_path).find("<svg"), std::string::npos);
  EXPECT_EQ(testing::ListFiles(files_.path()).size(), 4u);
}

constexpr char kPlanJson[] = R"({
  "display_name": "第2期地域共生社会推進計画",
  "first_fiscal_year": 2018,
  "last_fiscal_year": 2020,
  "policy_areas": [
    {"id": "goal-1", "level": "BASIC_GOAL", "title": "複合課題を抱える世帯を支える"}
  ],
  "indicators": [
    {"id": "survey", "display_name": "連携できていると感じる機関の割合",
     "policy_area_id": "goal-1", "unit": "PERCENT", "baseline_fiscal_year": 2018,
     "baseline_value": 60, "target_fiscal_year": 2020, "target_value": 100,
     "direction": "HIGHER_IS_BETTER", "department": "保健福祉企画総務課"},
    {"id": "trainings", "display_name": "連携研修の開催回数", "unit": "TIMES",
     "baseline_fiscal_year": 2018, "baseline_value": 0, "target_fiscal_year": 2020,
     "target_value": 2, "direction": "HIGHER_IS_BETTER"},
    {"id": "isolated", "displayName": "孤立を感じる人の割合", "unit": "PERCENT",
     "baselineFiscalYear": 2018, "baselineValue": 40, "targetFiscalYear": 2020,
     "targetValue": 20, "direction": "LOWER_IS_BETTER"}
  ]
})";

TEST_F(CasectlStatsTest, PlanFromJsonRecordedAndItsProgress) {
  const std::string plan_path = files_.Sub("plan.json");
  WriteText(plan_path, "\xEF\xBB\xBF" + std::string(kPlanJson));
  CasectlRun created = Casectl({"stats", "plan", "create", "kyosei-2", "--file", plan_path});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("plan created: plans/kyosei-2"), std::string::npos) << created.out;
  EXPECT_NE(LineWith(created.out, "survey").find("60（平成30年度）"), std::string::npos)
      << created.out;
  // Coordinators read plans; only planners change them.
  CasectlRun refused =
      Casectl({"stats", "plan", "create", "kyosei-9", "--file", plan_path}, "coordinator");
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("PERMISSION_DENIED"), std::string::npos) << refused.err;

  const std::string survey = "plans/kyosei-2/indicators/survey";
  CasectlRun recorded = Casectl({"stats", "plan", "record", survey, "--year", "R1", "--actual",
                                 "80", "--achievements", "連携研修を2回開催"});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.out << recorded.err;
  EXPECT_NE(recorded.out.find("令和元年度"), std::string::npos) << recorded.out;
  // Only the flags given change: the actual recorded above stays.
  const std::string steps_path = files_.Sub("steps.txt");
  WriteText(steps_path, "研修対象を拡大\r\n");
  CasectlRun steps = Casectl(
      {"stats", "plan", "record", survey, "--year", "令和元年度", "--next-steps-file", steps_path});
  ASSERT_EQ(steps.exit_code, 0) << steps.out << steps.err;
  EXPECT_NE(LineWith(steps.out, "実績 / actual").find("80"), std::string::npos) << steps.out;
  EXPECT_NE(LineWith(steps.out, "取組実績").find("連携研修を2回開催"), std::string::npos)
      << steps.out;
  EXPECT_NE(LineWith(steps.out, "今後の方針").find("研修対象を拡大"), std::string::npos)
      << steps.out;
  ASSERT_EQ(Casectl({"stats", "plan", "record", "plans/kyosei-2/indicators/trainings", "--year",
                     "2019", "--actual", "2"})
                .exit_code,
            0);
  ASSERT_EQ(Casectl({"stats", "plan", "record", "plans/kyosei-2/indicators/isolated", "--year",
                     "R1", "--actual", "39"})
                .exit_code,
            0);

  // Bad usage is refused before any call (exit status 2).
  const std::string bad_json = files_.Sub("bad.json");
  WriteText(bad_json, R"({"display_name": "計画", "colour": "red"})");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"stats", "plan", "record", survey, "--year", "令和", "--actual", "10"},
           {"stats", "plan", "record", survey, "--year", "R1x", "--actual", "10"},
           {"stats", "plan", "record", survey, "--year", "R1", "--actual", "八十"},
           {"stats", "plan", "record", survey, "--year", "R1"},
           {"stats", "plan", "record", survey, "--year", "R1", "--achievements", "a",
            "--achievements-file", steps_path},
           {"stats", "plan", "record", "kyosei-2/survey", "--year", "R1", "--actual", "10"},
           {"stats", "plan", "create", "Kyosei_3", "--file", plan_path},
           {"stats", "plan", "create", "kyosei-3", "--file", bad_json},
           {"stats", "plan", "create", "kyosei-3", "--file", files_.Sub("missing.json")},
           {"stats", "plan", "update", "kyosei-2", "--file", plan_path, "--mask", "owner"},
           {"stats", "plan", "export", "kyosei-2", "--format", "svg", "--output",
            files_.Sub("p.svg")}}) {
    CasectlRun bad = Casectl(args);
    EXPECT_EQ(bad.exit_code, 2) << args[2] << " " << args[3] << "\n" << bad.out << bad.err;
  }

  CasectlRun progress = Casectl({"stats", "plan", "progress", "kyosei-2"});
  ASSERT_EQ(progress.exit_code, 0) << progress.out << progress.err;
  const std::string header = LineWith(progress.out, "指標名");
  for (const char* column : {"単位", "平成30年度", "令和元年度", "令和2年度", "達成率", "状況"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column << "\n" << progress.out;
  }
  // 80 against 60 → 100 is half way, in half the period: 順調 (the refused 10 was never sent).
  const std::string survey_line = LineWith(progress.out, "連携できていると感じる機関の割合");
  EXPECT_NE(survey_line.find("80"), std::string::npos) << progress.out;
  EXPECT_NE(survey_line.find("50.0%"), std::string::npos) << progress.out;
  EXPECT_NE(survey_line.find("順調"), std::string::npos) << progress.out;
  const std::string trainings_line = LineWith(progress.out, "連携研修の開催回数");
  EXPECT_NE(trainings_line.find("100.0%"), std::string::npos) << progress.out;
  EXPECT_NE(trainings_line.find("達成"), std::string::npos) << progress.out;
  // 39 against 40 → 20 (lower is better): 5 % of the way in half the period.
  const std::string isolated_line = LineWith(progress.out, "孤立を感じる人の割合");
  EXPECT_NE(isolated_line.find("5.0%"), std::string::npos) << progress.out;
  EXPECT_NE(isolated_line.find("遅れ"), std::string::npos) << progress.out;
  // The rate is right-aligned under its header.
  EXPECT_EQ(ColumnOf(survey_line, "50.0%") + 5, ColumnOf(header, "達成率") + 6) << progress.out;

  const std::string progress_csv = files_.Sub("shihyo.csv");
  CasectlRun csv = Casectl(
      {"stats", "plan", "export", "plans/kyosei-2", "--format", "csv", "--output", progress_csv});
  ASSERT_EQ(csv.exit_code, 0) << csv.out << csv.err;
  const std::vector<std::string> record =
      CsvRecordWith(testing::ReadFile(progress_csv), "連携できていると感じる機関の割合");
  EXPECT_TRUE(Contains(record, "順調")) << testing::ReadFile(progress_csv);
  EXPECT_TRUE(Contains(record, "連携研修を2回開催")) << testing::ReadFile(progress_csv);
  const std::string progress_xlsx = files_.Sub("shihyo.xlsx");
  CasectlRun xlsx = Casectl(
      {"stats", "plan", "export", "kyosei-2", "--format", "xlsx", "--output", progress_xlsx});
  ASSERT_EQ(xlsx.exit_code, 0) << xlsx.out << xlsx.err;
  EXPECT_EQ(testing::ReadFile(progress_xlsx).substr(0, 2), "PK");

  // Update: the title only, from a file; a stale etag is refused by the server (exit status 1).
  const std::string update_path = files_.Sub("update.json");
  WriteText(update_path, R"({"display_name": "第2期地域共生社会推進計画（改定版）"})");
  CasectlRun stale = Casectl({"stats", "plan", "update", "kyosei-2", "--file", update_path,
                              "--mask", "display_name", "--etag", "1"});
  EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
  EXPECT_NE(stale.err.find("ABORTED"), std::string::npos) << stale.err;
  CasectlRun updated = Casectl(
      {"stats", "plan", "update", "kyosei-2", "--file", update_path, "--mask", "display_name"});
  ASSERT_EQ(updated.exit_code, 0) << updated.out << updated.err;
  CasectlRun list = Casectl({"stats", "plan", "list"}, "coordinator");
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(LineWith(list.out, "plans/kyosei-2").find("（改定版）"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("kyosei-3"), std::string::npos) << list.out;
  CasectlRun got = Casectl({"--json", "stats", "plan", "get", "kyosei-2"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(got.out.find("\"next_steps\": \"研修対象を拡大\""), std::string::npos) << got.out;

  // A planner reads statistics, never a household.
  CasectlRun cases = Casectl({"case", "list"});
  EXPECT_EQ(cases.exit_code, 1) << cases.out << cases.err;
  EXPECT_NE(cases.err.find("PERMISSION_DENIED"), std::string::npos) << cases.err;
}

}  // namespace
}  // namespace casecoord
