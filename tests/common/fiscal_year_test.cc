#include "services/common/fiscal_year.h"

#include <gtest/gtest.h>

namespace casecoord {
namespace {

using namespace std::chrono;

system_clock::time_point Utc(int y, unsigned m, unsigned d, int hour, int minute) {
  return sys_days{year{y} / month{m} / day{d}} + hours(hour) + minutes(minute);
}

TEST(FiscalYearTest, AprilStartsTheYearOnTheJapaneseCalendar) {
  EXPECT_EQ(FiscalYearOfDate(2025, 3), 2024);
  EXPECT_EQ(FiscalYearOfDate(2025, 4), 2025);
  // 2025-03-31 14:59 UTC is still March 31 in Japan; one minute later it is April 1 JST.
  EXPECT_EQ(FiscalYearOf(Utc(2025, 3, 31, 14, 59)), 2024);
  EXPECT_EQ(FiscalYearOf(Utc(2025, 3, 31, 15, 0)), 2025);
}

TEST(FiscalYearTest, EraLabelsAroundTheReiwaBoundary) {
  EXPECT_EQ(FiscalYearLabels(2018).short_label, "H30");
  EXPECT_EQ(FiscalYearLabels(2018).japanese, "平成30年度");
  EXPECT_EQ(FiscalYearLabels(2019).short_label, "R1");
  EXPECT_EQ(FiscalYearLabels(2019).japanese, "令和元年度");
  EXPECT_EQ(FiscalYearLabels(2024).short_label, "R6");
  EXPECT_EQ(FiscalYearLabels(2024).japanese, "令和6年度");
  EXPECT_EQ(FiscalYearLabels(1989).japanese, "平成元年度");
  EXPECT_EQ(FiscalYearLabels(1988).short_label, "S63");
}

}  // namespace
}  // namespace casecoord
