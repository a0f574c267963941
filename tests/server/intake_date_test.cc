// The intake date (受付日) over the real server: a case received in an earlier fiscal year counts
// in that year and no other, nothing dated on a case may precede its intake, a correction of the
// intake moves its counts (and a recount agrees), and the cases-handled statistic (取扱件数) is
// published and bindable by a plan indicator.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/meetings.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/common/timestamps.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

v1::Date MakeDate(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// 2020-05-10 12:00 JST: 令和2年度 (FY2020).
std::chrono::system_clock::time_point Now() {
  return *JstMidnight(2020, 5, 10) + std::chrono::hours(12);
}

class IntakeDateTest : public ::testing::Test {
 protected:
  IntakeDateTest() : server_(Options(clock_)) {}

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

  std::unique_ptr<v1::Cases::Stub> Cases(const std::string& user = "coordinator") {
    return v1::Cases::NewStub(server_.ChannelFor(user));
  }
  std::unique_ptr<v1::Statistics::Stub> Statistics(const std::string& user = "planner") {
    return v1::Statistics::NewStub(server_.ChannelFor(user));
  }

  v1::CreateCaseRequest Household(const v1::Date* intake) {
    v1::CreateCaseRequest request;
    request.set_request_id("r" + std::to_string(++requests_));
    auto* member = request.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 太郎");
    member->set_principal(true);
    request.mutable_case_()->set_district("kita");
    request.mutable_case_()->set_referring_agency("agencies/a1");
    request.mutable_case_()->set_presenting_problem("架空の相談");
    if (intake != nullptr) *request.mutable_case_()->mutable_intake_date() = *intake;
    return request;
  }

  grpc::Status Open(const v1::Date* intake, v1::Case* opened) {
    grpc::ClientContext context;
    return Cases()->CreateCase(&context, Household(intake), opened);
  }

  v1::Case OpenOk(const v1::Date& intake) {
    v1::Case opened;
    grpc::Status status = Open(&intake, &opened);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return opened;
  }

  grpc::Status Move(const std::string& name, v1::CaseState to, const v1::Date& date) {
    v1::TransitionCaseRequest move;
    move.set_name(name);
    move.set_to(to);
    *move.mutable_decision_date() = date;
    v1::Case moved;
    grpc::ClientContext context;
    return Cases()->TransitionCase(&context, move, &moved);
  }

  grpc::Status CorrectIntake(const std::string& name, const v1::Date& intake, v1::Case* updated) {
    v1::UpdateCaseRequest update;
    update.mutable_case_()->set_name(name);
    *update.mutable_case_()->mutable_intake_date() = intake;
    update.mutable_update_mask()->add_paths("intake_date");
    grpc::ClientContext context;
    return Cases()->UpdateCase(&context, update, updated);
  }

  v1::YearlyReport Report(int from, int to) {
    v1::GetYearlyReportRequest request;
    request.set_fiscal_year_from(from);
    request.set_fiscal_year_to(to);
    auto* opened = request.add_breakdowns();
    opened->set_metric(v1::CASES_OPENED);
    opened->set_dimension(v1::DISTRICT);
    v1::YearlyReport report;
    grpc::ClientContext context;
    grpc::Status status = Statistics()->GetYearlyReport(&context, request, &report);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return report;
  }

  // The published cells of the row `key` of `table`, one per fiscal year (the total left out);
  // "x" for a suppressed one.
  static std::vector<std::string> Cells(const v1::StatTable& table, const std::string& key) {
    std::vector<std::string> cells;
    for (const auto& row : table.rows()) {
      if (row.key() != key) continue;
      for (int i = 0; i + 1 < row.cells_size(); ++i) cells.push_back(row.cells(i).display());
    }
    return cells;
  }

  int requests_ = 0;
  ManualClock clock_{Now()};
  testing::TestServer server_;
};

// The reason a refusal carries.
Reason ReasonOf(const grpc::Status& status) { return FromGrpcStatus(status).reason_id(); }

TEST_F(IntakeDateTest, ACaseReceivedInFiscal2018CountsInH30AndInNoOtherYear) {
  for (int i = 1; i <= 5; ++i) {
    const v1::Case opened = OpenOk(MakeDate(2018, 6, 1));
    // Numbered in the intake's fiscal year, 平成30年度.
    EXPECT_EQ(opened.case_number(), "H30-000" + std::to_string(i));
    EXPECT_EQ(opened.fiscal_year().year(), 2018);
    EXPECT_EQ(opened.fiscal_year().era_label(), "H30");
    EXPECT_EQ(FormatDate(opened.intake_date()), "2018-06-01");
    ASSERT_TRUE(Move(opened.name(), v1::COORDINATING, MakeDate(2018, 7, 2)).ok());
  }

  const v1::YearlyReport h30 = Report(2018, 2018);
  EXPECT_EQ(Cells(h30.breakdowns(0), "TOTAL"), std::vector<std::string>{"5"});
  EXPECT_EQ(Cells(h30.breakdowns(0), "kita"), std::vector<std::string>{"5"});
  EXPECT_EQ(Cells(h30.cases(), "CASES_COORDINATED"), std::vector<std::string>{"5"});
  // The current fiscal year (令和2年度) has none of them.
  const v1::YearlyReport current = Report(2020, 2020);
  EXPECT_EQ(Cells(current.breakdowns(0), "TOTAL"), std::vector<std::string>{"0"});
  EXPECT_EQ(Cells(current.cases(), "CASES_COORDINATED"), std::vector<std::string>{"0"});
  // Nor any year in between.
  const v1::YearlyReport all = Report(2017, 2020);
  EXPECT_EQ(Cells(all.breakdowns(0), "TOTAL"), (std::vector<std::string>{"0", "5", "0", "0"}));
  EXPECT_EQ(Cells(all.cases(), "TOTAL"), (std::vector<std::string>{"0", "5", "0", "0"}));

  // The fiscal-year filter follows the intake too.
  v1::ListCasesRequest list;
  list.set_filter("fiscal_year = 2018");
  v1::ListCasesResponse listed;
  grpc::ClientContext context;
  ASSERT_TRUE(Cases()->ListCases(&context, list, &listed).ok());
  EXPECT_EQ(listed.cases_size(), 5);
}

TEST_F(IntakeDateTest, WithoutAnIntakeDateACaseIsReceivedTodayAndACreateTimeIsRefused) {
  v1::Case today;
  ASSERT_TRUE(Open(nullptr, &today).ok());
  EXPECT_EQ(FormatDate(today.intake_date()), "2020-05-10");
  EXPECT_EQ(today.case_number(), "R2-0001");

  // The server sets create_time: a client that sends one is told where the date goes.
  v1::CreateCaseRequest stamped = Household(nullptr);
  stamped.mutable_case_()->mutable_create_time()->set_seconds(1528000000);
  v1::Case refused;
  grpc::ClientContext context;
  grpc::Status status = Cases()->CreateCase(&context, stamped, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(status).find("case.create_time"), std::string::npos);
  EXPECT_NE(DescribeGrpcError(status).find("intake_date"), std::string::npos);
}

TEST_F(IntakeDateTest, AnIntakeInTheFutureOrBeforeRecordsSinceIsRefusedNamingBothDates) {
  const v1::Date tomorrow = MakeDate(2020, 5, 11);
  v1::Case refused;
  grpc::Status future = Open(&tomorrow, &refused);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(future).find("case.intake_date"), std::string::npos);
  EXPECT_NE(future.error_message().find("2020-05-11"), std::string::npos) << future.error_message();
  EXPECT_NE(future.error_message().find("2020-05-10"), std::string::npos) << future.error_message();

  const v1::Date too_early = MakeDate(2000, 3, 31);  // records-since is 2000-04-01 by default
  grpc::Status early = Open(&too_early, &refused);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(early).find("case.intake_date"), std::string::npos);
  EXPECT_NE(early.error_message().find("2000-03-31"), std::string::npos) << early.error_message();
  EXPECT_NE(early.error_message().find("2000-04-01"), std::string::npos) << early.error_message();

  const v1::Date first_day = MakeDate(2000, 4, 1);
  v1::Case opened;
  grpc::Status accepted = Open(&first_day, &opened);
  ASSERT_TRUE(accepted.ok()) << DescribeGrpcError(accepted);
  EXPECT_EQ(opened.case_number(), "H12-0001");
}

TEST_F(IntakeDateTest, NothingMayBeDatedBeforeTheIntake) {
  const v1::Case opened = OpenOk(MakeDate(2019, 6, 10));
  const v1::Date day_before = MakeDate(2019, 6, 9);
  auto expect_refused = [&](const grpc::Status& status) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(status), Reason::kDatedBeforeIntake) << DescribeGrpcError(status);
    EXPECT_NE(status.error_message().find("2019-06-09"), std::string::npos)
        << status.error_message();
    EXPECT_NE(status.error_message().find("2019-06-10"), std::string::npos)
        << status.error_message();
  };

  // A decision (支援決定 and the like).
  expect_refused(Move(opened.name(), v1::COORDINATING, day_before));
  // A consultation log entry.
  v1::AppendConsultationRequest append;
  append.set_parent(opened.name());
  append.mutable_entry()->set_kind(v1::CONSULTATION);
  append.mutable_entry()->set_summary("架空の相談記録");
  *append.mutable_entry()->mutable_date() = day_before;
  v1::ConsultationEntry logged;
  {
    grpc::ClientContext context;
    expect_refused(Cases()->AppendConsultation(&context, append, &logged));
  }
  // A meeting held.
  auto meetings = v1::Meetings::NewStub(server_.ChannelFor("coordinator"));
  v1::CreateMeetingRequest schedule;
  schedule.set_request_id("meeting-1");
  schedule.mutable_meeting()->set_type(v1::CASE_REVIEW);
  schedule.mutable_meeting()->set_case_(opened.name());
  schedule.mutable_meeting()->set_title("ケース検討会議");
  *schedule.mutable_meeting()->mutable_scheduled_time() = ToTimestamp(Now());
  auto* facilitator = schedule.mutable_meeting()->add_participants();
  facilitator->set_user("users/coordinator");
  facilitator->set_role(v1::FACILITATOR);
  v1::Meeting scheduled;
  {
    grpc::ClientContext context;
    grpc::Status status = meetings->CreateMeeting(&context, schedule, &scheduled);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  v1::RecordMinutesRequest minutes;
  minutes.set_name(scheduled.name());
  *minutes.mutable_held_date() = day_before;
  minutes.mutable_minutes()->set_support_policy("架空の支援方針");
  v1::Meeting held;
  {
    grpc::ClientContext context;
    expect_refused(meetings->RecordMinutes(&context, minutes, &held));
  }

  // On the intake day itself, all three are fine.
  const v1::Date intake_day = MakeDate(2019, 6, 10);
  {
    grpc::Status status = Move(opened.name(), v1::COORDINATING, intake_day);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  *append.mutable_entry()->mutable_date() = intake_day;
  {
    grpc::ClientContext context;
    grpc::Status status = Cases()->AppendConsultation(&context, append, &logged);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  *minutes.mutable_held_date() = intake_day;
  {
    grpc::ClientContext context;
    grpc::Status status = meetings->RecordMinutes(&context, minutes, &held);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
}

TEST_F(IntakeDateTest, ACorrectionOfTheIntakeMovesItsCountsKeepsTheNumberAndARecountAgrees) {
  std::vector<v1::Case> cases;
  for (int i = 0; i < 5; ++i) {
    cases.push_back(OpenOk(MakeDate(2019, 4, 5)));  // 令和元年度
    ASSERT_TRUE(Move(cases.back().name(), v1::COORDINATING, MakeDate(2019, 4, 10)).ok());
  }
  const v1::YearlyReport before = Report(2018, 2019);
  EXPECT_EQ(Cells(before.breakdowns(0), "TOTAL"), (std::vector<std::string>{"0", "5"}));
  EXPECT_EQ(Cells(before.cases(), "CASES_COORDINATED"), (std::vector<std::string>{"0", "5"}));

  // Not after the earliest date recorded on the case: the coordination decided on 2019-04-10.
  v1::Case updated;
  grpc::Status late = CorrectIntake(cases[0].name(), MakeDate(2019, 4, 11), &updated);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(late), Reason::kIntakeAfterRecords) << DescribeGrpcError(late);
  EXPECT_NE(late.error_message().find("2019-04-10"), std::string::npos) << late.error_message();
  // The same bounds as at intake.
  grpc::Status future = CorrectIntake(cases[0].name(), MakeDate(2021, 1, 1), &updated);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(DescribeGrpcError(future).find("case.intake_date"), std::string::npos);
  // Only coordinators correct it.
  {
    v1::UpdateCaseRequest update;
    update.mutable_case_()->set_name(cases[0].name());
    *update.mutable_case_()->mutable_intake_date() = MakeDate(2019, 3, 28);
    update.mutable_update_mask()->add_paths("intake_date");
    grpc::ClientContext context;
    EXPECT_EQ(Cases("planner")->UpdateCase(&context, update, &updated).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  // Received in fact on 2019-03-28, in 平成30年度.
  for (const auto& record : cases) {
    grpc::Status status = CorrectIntake(record.name(), MakeDate(2019, 3, 28), &updated);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    EXPECT_EQ(FormatDate(updated.intake_date()), "2019-03-28");
    EXPECT_EQ(updated.fiscal_year().year(), 2018);
    EXPECT_EQ(updated.fiscal_year().era_label(), "H30");
    // The number people know the case by stays.
    EXPECT_EQ(updated.case_number(), record.case_number());
    EXPECT_EQ(updated.case_number().rfind("R1-", 0), 0u) << updated.case_number();
  }
  // The opening moved to H30; the coordination stays in the year of its decision (R1).
  const v1::YearlyReport after = Report(2018, 2019);
  EXPECT_EQ(Cells(after.breakdowns(0), "TOTAL"), (std::vector<std::string>{"5", "0"}));
  EXPECT_EQ(Cells(after.breakdowns(0), "kita"), (std::vector<std::string>{"5", "0"}));
  EXPECT_EQ(Cells(after.cases(), "CASES_COORDINATED"), (std::vector<std::string>{"0", "5"}));

  // The history names the corrected path, and the audit trail has the update.
  v1::GetCaseHistoryRequest history;
  history.set_name(cases[0].name());
  v1::GetCaseHistoryResponse events;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(Cases()->GetCaseHistory(&context, history, &events).ok());
  }
  ASSERT_GT(events.events_size(), 0);
  EXPECT_EQ(events.events(events.events_size() - 1).kind(), v1::UPDATED);
  EXPECT_EQ(events.events(events.events_size() - 1).subject(), "intake_date");
  bool audited = false;
  for (const auto& line : server_.AuditTrailOf(cases[0].name())) {
    audited = audited || line.find("UpdateCase") != std::string::npos;
  }
  EXPECT_TRUE(audited);

  // A recount from the records agrees with the moved counters.
  v1::RebuildCaseCountersRequest verify;
  verify.set_validate_only(true);
  v1::RebuildCaseCountersResponse verified;
  grpc::ClientContext context;
  grpc::Status status = Cases("admin")->RebuildCaseCounters(&context, verify, &verified);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(verified.differences_size(), 0);
  EXPECT_GT(verified.counters_recomputed(), 0);
}

v1::Indicator Handled(const std::string& id, bool cumulative) {
  v1::Indicator indicator;
  indicator.set_id(id);
  indicator.set_display_name("取扱件数");
  indicator.set_unit(v1::CASES);
  indicator.set_baseline_fiscal_year(2018);
  indicator.set_baseline_value(0);
  indicator.set_target_fiscal_year(2020);
  indicator.set_target_value(20);
  indicator.set_direction(v1::HIGHER_IS_BETTER);
  indicator.set_cumulative(cumulative);
  indicator.mutable_binding()->mutable_statistic()->set_metric(v1::CASES_HANDLED);
  return indicator;
}

TEST_F(IntakeDateTest, CasesHandledIsAPublishedStatisticBoundByIndicatorsCumulativeOrNot) {
  // 平成30年度: 5 completed by advice; 令和元年度: 6 coordinated and 5 completed by advice.
  for (int i = 0; i < 5; ++i) {
    const v1::Case opened = OpenOk(MakeDate(2018, 5, 1));
    ASSERT_TRUE(Move(opened.name(), v1::COMPLETED_BY_ADVICE, MakeDate(2018, 5, 10)).ok());
  }
  for (int i = 0; i < 11; ++i) {
    const v1::Case opened = OpenOk(MakeDate(2019, 5, 1));
    const v1::CaseState to = i < 6 ? v1::COORDINATING : v1::COMPLETED_BY_ADVICE;
    ASSERT_TRUE(Move(opened.name(), to, MakeDate(2019, 5, 10)).ok());
  }
  const v1::YearlyReport report = Report(2018, 2020);
  EXPECT_EQ(Cells(report.cases(), "TOTAL"), (std::vector<std::string>{"5", "11", "0"}));

  // It is not broken down: its cells would give away the suppressed cells of its two parts.
  {
    v1::GetYearlyReportRequest request;
    request.set_fiscal_year_from(2018);
    request.set_fiscal_year_to(2020);
    auto* breakdown = request.add_breakdowns();
    breakdown->set_metric(v1::CASES_HANDLED);
    breakdown->set_dimension(v1::DISTRICT);
    v1::YearlyReport refused;
    grpc::ClientContext context;
    grpc::Status status = Statistics()->GetYearlyReport(&context, request, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(DescribeGrpcError(status).find("breakdowns[0].dimension"), std::string::npos);
  }

  v1::CreateWelfarePlanRequest create;
  create.set_plan_id("kyosei-3");
  create.mutable_plan()->set_display_name("第3期地域共生社会推進計画");
  create.mutable_plan()->set_first_fiscal_year(2018);
  create.mutable_plan()->set_last_fiscal_year(2020);
  *create.mutable_plan()->add_indicators() = Handled("handled", false);
  *create.mutable_plan()->add_indicators() = Handled("handled-cumulative", true);
  {
    v1::CreateWelfarePlanRequest by_district = create;
    auto* statistic =
        by_district.mutable_plan()->mutable_indicators(0)->mutable_binding()->mutable_statistic();
    statistic->set_dimension(v1::DISTRICT);
    statistic->set_value("kita");
    v1::WelfarePlan refused;
    grpc::ClientContext context;
    EXPECT_EQ(Statistics()->CreateWelfarePlan(&context, by_district, &refused).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::WelfarePlan created;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->CreateWelfarePlan(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  v1::GetPlanProgressRequest get;
  get.set_name(created.name());
  v1::PlanProgress progress;
  {
    grpc::ClientContext context;
    grpc::Status status = Statistics()->GetPlanProgress(&context, get, &progress);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }
  ASSERT_EQ(progress.indicators_size(), 2);
  const auto& yearly = progress.indicators(0);
  ASSERT_EQ(yearly.actuals_size(), 3);
  EXPECT_EQ(yearly.actuals(0).value(), 5);
  EXPECT_EQ(yearly.actuals(1).value(), 11);
  EXPECT_EQ(yearly.actuals(2).value(), 0);
  const auto& cumulative = progress.indicators(1);
  ASSERT_EQ(cumulative.actuals_size(), 3);
  EXPECT_EQ(cumulative.actuals(0).value(), 5);
  EXPECT_EQ(cumulative.actuals(1).value(), 16);
  EXPECT_EQ(cumulative.actuals(2).value(), 16);
}

}  // namespace
}  // namespace casecoord
