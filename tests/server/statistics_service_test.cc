// The statistics over the real server: a generated history whose yearly counts are known, read
// back by a planner through the protected yearly report and plan progress.
#include <gtest/gtest.h>

#include <map>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

constexpr int kK = 5;  // the default stats-min-cell-count

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

class StatisticsServiceTest : public ::testing::Test {
 protected:
  StatisticsServiceTest() : server_(Options(clock_)) {}

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
  std::unique_ptr<v1::Statistics::Stub> Statistics(const std::string& user = "planner") {
    return v1::Statistics::NewStub(server_.ChannelFor(user));
  }

  v1::Case Open(const std::string& district) {
    v1::CreateCaseRequest request;
    request.set_request_id("r" + std::to_string(++opened_));
    auto* member = request.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 太郎");
    member->set_principal(true);
    member->add_issue_tags("8050");
    request.mutable_case_()->set_district(district);
    // Every household is counted under elderly care; kita's under disability too.
    request.mutable_case_()->add_fields(v1::ELDERLY_CARE);
    if (district == "kita") request.mutable_case_()->add_fields(v1::DISABILITY);
    request.mutable_case_()->set_referring_agency("agencies/a1");
    request.mutable_case_()->set_presenting_problem("架空の相談");
    v1::Case opened;
    grpc::ClientContext context;
    grpc::Status status = Cases()->CreateCase(&context, request, &opened);
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
    grpc::Status status = Cases()->TransitionCase(&context, move, &moved);
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
    grpc::Status status = Cases()->AppendConsultation(&context, append, &logged);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  // Opens `n` cases in `district` and moves each to `to` on `date`.
  void Handle(int n, const std::string& district, v1::CaseState to, const v1::Date& date) {
    for (int i = 0; i < n; ++i) Move(Open(district), to, date);
  }

  grpc::Status Report(int from, int to, bool cumulative, v1::YearlyReport* report,
                      const std::string& user = "planner") {
    v1::GetYearlyReportRequest request;
    request.set_fiscal_year_from(from);
    request.set_fiscal_year_to(to);
    request.set_cumulative(cumulative);
    auto* breakdown = request.add_breakdowns();
    breakdown->set_metric(v1::CASES_COMPLETED_BY_ADVICE);
    breakdown->set_dimension(v1::DISTRICT);
    auto* opened = request.add_breakdowns();
    opened->set_metric(v1::CASES_OPENED);
    opened->set_dimension(v1::DISTRICT);
    auto* by_field = request.add_breakdowns();
    by_field->set_metric(v1::CASES_OPENED);
    by_field->set_dimension(v1::FIELD);
    grpc::ClientContext context;
    return Statistics(user)->GetYearlyReport(&context, request, report);
  }

  int opened_ = 0;
  ManualClock clock_{Start()};
  testing::TestServer server_;
};

const v1::StatRow& Row(const v1::StatTable& table, const std::string& key) {
  for (const auto& row : table.rows()) {
    if (row.key() == key) return row;
  }
  ADD_FAILURE() << "no row " << key << " in " << table.title();
  static const v1::StatRow empty;
  return empty;
}

// Checks `table` against the known counts (per row: each year, then the total): a published cell
// is the count; a count of 1 to k-1 is suppressed as primary; other suppressed cells are
// complementary.
void ExpectKnown(const v1::StatTable& table,
                 const std::map<std::string, std::vector<int64_t>>& known) {
  EXPECT_EQ(table.rows_size(), static_cast<int>(known.size())) << table.title();
  for (const auto& [key, counts] : known) {
    const auto& row = Row(table, key);
    ASSERT_EQ(row.cells_size(), static_cast<int>(counts.size())) << key;
    for (size_t c = 0; c < counts.size(); ++c) {
      const auto& cell = row.cells(static_cast<int>(c));
      const std::string where = table.title() + " / " + key + " / column " + std::to_string(c);
      if (counts[c] >= 1 && counts[c] < kK && table.counts_households()) {
        EXPECT_TRUE(cell.suppressed()) << where;
        EXPECT_EQ(cell.reason(), v1::PRIMARY) << where;
      } else if (cell.suppressed()) {
        EXPECT_EQ(cell.reason(), v1::COMPLEMENTARY) << where;
      } else {
        EXPECT_EQ(cell.value(), counts[c]) << where;
      }
    }
  }
}

// Every cell of every table of households that a planner sees is 0 or at least k, or "x".
void ExpectNoSmallCells(const v1::YearlyReport& report) {
  std::vector<const v1::StatTable*> tables = {&report.cases()};
  for (const auto& table : report.breakdowns()) tables.push_back(&table);
  for (const auto* table : tables) {
    ASSERT_TRUE(table->counts_households());
    for (const auto& row : table->rows()) {
      for (const auto& cell : row.cells()) {
        if (cell.suppressed()) {
          EXPECT_EQ(cell.display(), "x");
          EXPECT_EQ(cell.value(), 0);
        } else {
          EXPECT_TRUE(cell.value() == 0 || cell.value() >= kK)
              << table->title() << " / " << row.key() << ": " << cell.value();
        }
      }
    }
  }
}

TEST_F(StatisticsServiceTest, AGeneratedHistoryIsReproducedWithEraLabelsAndSmallCellsSuppressed) {
  // FY2018 (平成30年度), on its last day: 6 completed by advice in kita, 7 in minami;
  // 2 coordinated (a small count) in kita.
  const v1::Date last_day_h30 = MakeDate(2019, 3, 31);
  Handle(6, "kita", v1::COMPLETED_BY_ADVICE, last_day_h30);
  Handle(7, "minami", v1::COMPLETED_BY_ADVICE, last_day_h30);
  Handle(2, "kita", v1::COORDINATING, last_day_h30);
  // 00:30 JST on 2019-04-01 is still 2019-03-31 in UTC: by the JST calendar it is 令和元年度.
  clock_.Advance(std::chrono::minutes(150));
  const v1::Date first_day_r1 = MakeDate(2019, 4, 1);
  Handle(9, "kita", v1::COMPLETED_BY_ADVICE, first_day_r1);
  Handle(3, "minami", v1::COMPLETED_BY_ADVICE, first_day_r1);
  Handle(5, "kita", v1::COORDINATING, first_day_r1);
  const v1::Case contacted = Open("minami");
  Move(contacted, v1::COORDINATING, first_day_r1);
  for (int i = 0; i < 3; ++i) Contact(contacted, first_day_r1);
  // Known counts. Cases opened: FY2018 15 (kita 8, minami 7); FY2019 18 (kita 14, minami 4).
  // Advice: FY2018 13 (kita 6, minami 7); FY2019 12 (kita 9, minami 3).
  // Coordinated: FY2018 2; FY2019 6. Contacts: FY2019 3.

  v1::YearlyReport report;
  grpc::Status status = Report(2018, 2019, false, &report);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  ASSERT_EQ(report.fiscal_years_size(), 2);
  EXPECT_EQ(report.fiscal_years(0).era_label(), "H30");
  EXPECT_EQ(report.fiscal_years(0).era_label_ja(), "平成30年度");
  EXPECT_EQ(report.fiscal_years(1).era_label(), "R1");
  EXPECT_EQ(report.fiscal_years(1).era_label_ja(), "令和元年度");

  // Every published cell is the known count; every count of 1 to k-1 is suppressed as primary.
  ExpectKnown(report.cases(), {{"CASES_COORDINATED", {2, 6, 8}},
                               {"CASES_COMPLETED_BY_ADVICE", {13, 12, 25}},
                               {"TOTAL", {15, 18, 33}}});
  EXPECT_EQ(Row(report.cases(), "CASES_COORDINATED").cells(0).reason(), v1::PRIMARY);
  // 2 + 6 = 8 would give the 2 away: something else is suppressed with it.
  EXPECT_GT(report.cases().complementary_suppressed(), 0);
  const auto& activities = report.activities();
  EXPECT_FALSE(activities.counts_households());
  ExpectKnown(activities, {{"CASE_MEETINGS", {0, 0, 0}},
                           {"COORDINATION_CONTACTS", {0, 3, 3}},  // never suppressed
                           {"ADVISER_MEETINGS", {0, 0, 0}},
                           {"TOTAL", {0, 3, 3}}});
  EXPECT_EQ(activities.primary_suppressed() + activities.complementary_suppressed(), 0);

  ASSERT_EQ(report.breakdowns_size(), 3);
  ExpectKnown(report.breakdowns(0),
              {{"kita", {6, 9, 15}}, {"minami", {7, 3, 10}}, {"TOTAL", {13, 12, 25}}});
  // Opened, by the JST calendar: the 00:30 intakes count in 令和元年度.
  ExpectKnown(report.breakdowns(1),
              {{"kita", {8, 14, 22}}, {"minami", {7, 4, 11}}, {"TOTAL", {15, 18, 33}}});
  // By field (分野): a household counts under each of its fields, so the rows need not add up.
  const auto& by_field = report.breakdowns(2);
  EXPECT_FALSE(by_field.rows_add_up());
  ExpectKnown(
      by_field,
      {{"elderly_care", {15, 18, 33}}, {"disability", {8, 14, 22}}, {"TOTAL", {15, 18, 33}}});
  EXPECT_EQ(by_field.rows(0).label_ja(), "高齢・介護");

  ExpectNoSmallCells(report);
  EXPECT_TRUE(report.disclosure().audit_passed());
  EXPECT_EQ(report.disclosure().min_cell_count(), kK);
  EXPECT_EQ(report.disclosure().canonical_from().year(), 2018);
  EXPECT_NE(report.disclosure().rule_ja().find("x"), std::string::npos);

  // Cumulative: running sums, published only when no suppressed cell is in them.
  v1::YearlyReport cumulative;
  ASSERT_TRUE(Report(2018, 2019, true, &cumulative).ok());
  const auto& running = Row(cumulative.cases(), "CASES_COMPLETED_BY_ADVICE");
  if (!running.cells(0).suppressed()) {
    EXPECT_EQ(running.cells(0).value(), 13);
  }
  if (!running.cells(1).suppressed()) {
    EXPECT_EQ(running.cells(1).value(), 25);
  }
  // A running sum over the whole canonical range is the published total; over the suppressed 2
  // alone it is the 2, so it is hidden.
  EXPECT_TRUE(Row(cumulative.cases(), "CASES_COORDINATED").cells(0).suppressed());
  for (const char* row : {"CASES_COORDINATED", "TOTAL"}) {
    EXPECT_EQ(Row(cumulative.cases(), row).cells(1).display(),
              Row(report.cases(), row).cells(2).display())
        << row;
  }
  ExpectNoSmallCells(cumulative);

  // A shorter range is a slice of the same protected table: its total is the one published cell.
  v1::YearlyReport one_year;
  ASSERT_TRUE(Report(2019, 2019, false, &one_year).ok());
  for (int row = 0; row < report.cases().rows_size(); ++row) {
    EXPECT_EQ(one_year.cases().rows(row).cells(0).display(),
              report.cases().rows(row).cells(1).display());
  }
  // The minami advice count of 3 is suppressed, and so is the one-year total that equals it.
  EXPECT_TRUE(Row(one_year.breakdowns(0), "minami").cells(0).suppressed());
  EXPECT_TRUE(Row(one_year.breakdowns(0), "minami").cells(1).suppressed());
  ExpectNoSmallCells(one_year);
}

// Issue 14, finding 6: one coordination contact on one household was published in activity
// breakdowns as {young-carer: 1, mental-disability: 1} and {minami: 1}, while the same tags were
// "x" for cases. A breakdown by an attribute of the household is protected like a household table.
TEST_F(StatisticsServiceTest, ActivityBreakdownsByHouseholdAttributesSuppressSmallCells) {
  v1::CreateCaseRequest request;
  request.set_request_id("one-household");
  auto* member = request.mutable_case_()->add_members();
  member->set_member_id("m1");
  member->set_display_name("架空 一人");
  member->set_principal(true);
  member->add_issue_tags("young-carer");
  member->add_issue_tags("mental-disability");
  request.mutable_case_()->set_district("minami");
  request.mutable_case_()->set_referring_agency("agencies/a1");
  request.mutable_case_()->set_presenting_problem("架空の相談");
  v1::Case opened;
  {
    grpc::ClientContext context;
    grpc::Status status = Cases()->CreateCase(&context, request, &opened);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  Contact(opened, MakeDate(2019, 3, 31));

  v1::GetYearlyReportRequest report_request;
  report_request.set_fiscal_year_from(2018);
  report_request.set_fiscal_year_to(2018);
  for (v1::StatDimension dimension : {v1::ISSUE_TAG, v1::DISTRICT, v1::FIELD}) {
    auto* breakdown = report_request.add_breakdowns();
    breakdown->set_metric(v1::COORDINATION_CONTACTS);
    breakdown->set_dimension(dimension);
  }
  v1::YearlyReport report;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->GetYearlyReport(&context, report_request, &report);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  // The activities' own section still counts the contact.
  EXPECT_FALSE(report.activities().small_cells_suppressed());
  ASSERT_EQ(report.breakdowns_size(), 3);
  // One district only: its row would equal the public total, so the rows are withheld.
  EXPECT_TRUE(report.breakdowns(1).withheld());
  EXPECT_EQ(report.breakdowns(1).rows_size(), 1);
  for (const auto& table : report.breakdowns()) {
    EXPECT_TRUE(table.small_cells_suppressed()) << table.title();
    for (const auto& row : table.rows()) {
      if (row.is_total()) continue;
      for (const auto& cell : row.cells()) {
        EXPECT_TRUE(cell.suppressed() || cell.value() == 0 || cell.value() >= kK)
            << table.title() << " / " << row.key() << ": " << cell.value();
      }
    }
  }
}

// The column of `year` in every table of `report`, as "table/row: display" lines.
std::vector<std::string> ColumnOf(const v1::YearlyReport& report, int year) {
  int column = -1;
  for (int i = 0; i < report.fiscal_years_size(); ++i) {
    if (report.fiscal_years(i).year() == year) column = i;
  }
  std::vector<std::string> lines;
  std::vector<const v1::StatTable*> tables = {&report.cases()};
  for (const auto& table : report.breakdowns()) tables.push_back(&table);
  for (const auto* table : tables) {
    for (const auto& row : table->rows()) {
      lines.push_back(table->title() + "/" + row.key() + ": " + row.cells(column).display());
    }
  }
  return lines;
}

// Issue 14, finding 6: two reports taken before and after a reclassification could be set against
// each other to work out a hidden cell. A published year keeps its figures and its pattern.
TEST_F(StatisticsServiceTest, APublishedYearKeepsItsFiguresAndSuppressionWhateverIsCorrectedLater) {
  const v1::Date in_2018 = MakeDate(2019, 3, 31);
  Handle(6, "kita", v1::COMPLETED_BY_ADVICE, in_2018);
  Handle(2, "minami", v1::COMPLETED_BY_ADVICE, in_2018);
  Handle(7, "higashi", v1::COMPLETED_BY_ADVICE, in_2018);
  const v1::Case moved = Open("kita");
  Move(moved, v1::COMPLETED_BY_ADVICE, in_2018);

  v1::PublishYearRequest publish;
  publish.set_fiscal_year(2018);
  v1::YearRelease release;
  {
    grpc::ClientContext context;
    EXPECT_EQ(FromGrpcStatus(Statistics()->PublishYear(&context, publish, &release)).reason(),
              "YEAR_NOT_CLOSED");
  }
  clock_.Advance(std::chrono::hours(3));  // 2019-04-01: fiscal 2018 has closed
  v1::YearlyReport before;
  ASSERT_TRUE(Report(2018, 2019, false, &before).ok());
  {
    grpc::ClientContext context;
    EXPECT_EQ(Statistics("coordinator")->PublishYear(&context, publish, &release).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->PublishYear(&context, publish, &release);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(release.name(), "statistics/releases/2018");
  EXPECT_EQ(release.published_by(), "users/planner");
  EXPECT_GT(release.frozen_counts(), 0);
  EXPECT_GT(release.frozen_suppressed_cells(), 0);  // minami's 2 at least
  {
    grpc::ClientContext context;
    EXPECT_EQ(FromGrpcStatus(Statistics()->PublishYear(&context, publish, &release)).reason(),
              "YEAR_ALREADY_PUBLISHED");
  }

  // A kita household of 2018 turns out to live in minami; a new year brings new cases.
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(moved.name());
  update.mutable_case_()->set_district("minami");
  update.mutable_update_mask()->add_paths("district");
  v1::Case updated;
  {
    grpc::ClientContext context;
    grpc::Status status = Cases()->UpdateCase(&context, update, &updated);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  Handle(3, "minami", v1::COMPLETED_BY_ADVICE, MakeDate(2019, 4, 1));

  v1::YearlyReport after;
  ASSERT_TRUE(Report(2018, 2019, false, &after).ok());
  EXPECT_EQ(ColumnOf(after, 2018), ColumnOf(before, 2018));
  ASSERT_EQ(after.disclosure().published_fiscal_years_size(), 1);
  EXPECT_EQ(after.disclosure().published_fiscal_years(0), 2018);
  // The live year moves on.
  EXPECT_NE(ColumnOf(after, 2019), ColumnOf(before, 2019));
}

TEST_F(StatisticsServiceTest, BadRequestsNameTheFieldAndOtherRolesAreRefused) {
  v1::YearlyReport report;
  grpc::Status reversed = Report(2019, 2018, false, &report);
  EXPECT_EQ(reversed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(reversed).find("fiscal_year_to"), std::string::npos)
      << DescribeGrpcError(reversed);
  grpc::Status future = Report(2018, 2031, false, &report);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::GetYearlyReportRequest outcome;
  outcome.set_fiscal_year_from(2018);
  outcome.set_fiscal_year_to(2018);
  outcome.add_breakdowns()->set_metric(v1::CASES_OPENED);
  outcome.mutable_breakdowns(0)->set_dimension(v1::OUTCOME);
  grpc::ClientContext context;
  grpc::Status wrong = Statistics()->GetYearlyReport(&context, outcome, &report);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(wrong).find("breakdowns[0].dimension"), std::string::npos)
      << DescribeGrpcError(wrong);

  EXPECT_EQ(Report(2018, 2018, false, &report, "agency-staff").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Report(2018, 2018, false, &report, "coordinator").error_code(), grpc::StatusCode::OK);
}

v1::Indicator HandEntered() {
  v1::Indicator indicator;
  indicator.set_id("survey-cooperation");
  indicator.set_display_name("関係機関と連携できていると感じる機関の割合");
  indicator.set_policy_area_id("goal-1");
  indicator.set_unit(v1::PERCENT);
  indicator.set_baseline_fiscal_year(2018);
  indicator.set_baseline_value(60);
  indicator.set_target_fiscal_year(2020);
  indicator.set_target_value(100);
  indicator.set_direction(v1::HIGHER_IS_BETTER);
  indicator.set_department("保健福祉企画総務課");
  return indicator;
}

v1::Indicator Bound(const std::string& id, v1::StatMetric metric, bool cumulative) {
  v1::Indicator indicator;
  indicator.set_id(id);
  indicator.set_display_name("統計に連動する指標");
  indicator.set_unit(v1::CASES);
  indicator.set_baseline_fiscal_year(2018);
  indicator.set_baseline_value(0);
  indicator.set_target_fiscal_year(2020);
  indicator.set_target_value(40);
  indicator.set_direction(v1::HIGHER_IS_BETTER);
  indicator.set_cumulative(cumulative);
  indicator.mutable_binding()->mutable_statistic()->set_metric(metric);
  return indicator;
}

TEST_F(StatisticsServiceTest, PlanProgressForHandEnteredAndBoundIndicators) {
  Handle(13, "kita", v1::COMPLETED_BY_ADVICE, MakeDate(2019, 3, 31));
  clock_.Advance(std::chrono::hours(3));
  Handle(10, "kita", v1::COMPLETED_BY_ADVICE, MakeDate(2019, 4, 1));
  Handle(2, "minami", v1::COMPLETED_BY_ADVICE, MakeDate(2019, 4, 1));

  v1::CreateWelfarePlanRequest create;
  create.set_plan_id("kyosei-2");
  auto* plan = create.mutable_plan();
  plan->set_display_name("第2期地域共生社会推進計画");
  plan->set_first_fiscal_year(2018);
  plan->set_last_fiscal_year(2020);
  auto* area = plan->add_policy_areas();
  area->set_id("goal-1");
  area->set_level(v1::BASIC_GOAL);
  area->set_title("複合課題を抱える世帯を支える");
  *plan->add_indicators() = HandEntered();
  *plan->add_indicators() = Bound("advice-cumulative", v1::CASES_COMPLETED_BY_ADVICE, true);
  v1::Indicator minami = Bound("minami-opened", v1::CASES_OPENED, false);
  minami.mutable_binding()->mutable_statistic()->set_dimension(v1::DISTRICT);
  minami.mutable_binding()->mutable_statistic()->set_value("minami");
  *plan->add_indicators() = minami;
  v1::WelfarePlan created;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->CreateWelfarePlan(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  EXPECT_EQ(created.name(), "plans/kyosei-2");
  // Coordinators read plans; only planners change them.
  {
    grpc::ClientContext context;
    v1::WelfarePlan refused;
    EXPECT_EQ(Statistics("coordinator")->CreateWelfarePlan(&context, create, &refused).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  v1::RecordIndicatorYearRequest record;
  record.set_indicator("plans/kyosei-2/indicators/survey-cooperation");
  record.mutable_year()->set_fiscal_year(2019);
  record.mutable_year()->set_actual(80);
  record.mutable_year()->set_achievements("連携研修を2回開催");
  record.mutable_year()->set_next_steps("研修対象を拡大");
  record.set_etag(created.etag());
  v1::WelfarePlan recorded;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->RecordIndicatorYear(&context, record, &recorded);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  // The same etag again is stale now.
  {
    grpc::ClientContext context;
    v1::WelfarePlan stale;
    EXPECT_EQ(Statistics()->RecordIndicatorYear(&context, record, &stale).error_code(),
              grpc::StatusCode::ABORTED);
  }
  // A bound indicator's actual is computed, not entered.
  {
    v1::RecordIndicatorYearRequest entered = record;
    entered.set_indicator("plans/kyosei-2/indicators/minami-opened");
    entered.clear_etag();
    grpc::ClientContext context;
    v1::WelfarePlan refused;
    grpc::Status status = Statistics()->RecordIndicatorYear(&context, entered, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(DescribeGrpcError(status).find("year.actual"), std::string::npos);
  }

  v1::GetPlanProgressRequest get;
  get.set_name("plans/kyosei-2");
  v1::PlanProgress progress;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->GetPlanProgress(&context, get, &progress);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  ASSERT_EQ(progress.indicators_size(), 3);
  // Hand-entered: 80 against a baseline of 60 and a target of 100 → 50 %, half the period gone.
  const auto& survey = progress.indicators(0);
  ASSERT_EQ(survey.actuals_size(), 3);
  EXPECT_EQ(survey.actuals(1).value(), 80);
  EXPECT_EQ(survey.actuals(1).achievements(), "連携研修を2回開催");
  EXPECT_EQ(survey.latest_fiscal_year(), 2019);
  EXPECT_DOUBLE_EQ(survey.achievement_rate(), 50.0);
  EXPECT_EQ(survey.status(), v1::ON_TRACK);
  // Bound, cumulative since the plan's start: 13 in FY2018, 13 + 12 by FY2019.
  const auto& advice = progress.indicators(1);
  EXPECT_EQ(advice.actuals(0).value(), 13);
  EXPECT_EQ(advice.actuals(1).value(), 25);
  EXPECT_FALSE(advice.actuals(2).has_value());  // FY2020 has not begun
  EXPECT_DOUBLE_EQ(advice.achievement_rate(), 62.5);
  EXPECT_EQ(advice.status(), v1::ON_TRACK);
  // Bound to a breakdown cell of 2 households in FY2019: suppressed, never shown.
  const auto& minami_opened = progress.indicators(2);
  EXPECT_TRUE(minami_opened.actuals(1).suppressed());
  EXPECT_EQ(minami_opened.actuals(1).display(), "x");
  EXPECT_FALSE(minami_opened.actuals(1).has_value());
  // FY2018's 0 may be hidden too, to protect the 2 (a zero is a cheap complement); if shown, it
  // is the true 0.
  if (!minami_opened.actuals(0).suppressed()) {
    EXPECT_EQ(minami_opened.actuals(0).value(), 0);
  }
  EXPECT_NE(minami_opened.latest_fiscal_year(), 2019);
  EXPECT_TRUE(progress.disclosure().audit_passed());
}

}  // namespace
}  // namespace casecoord
