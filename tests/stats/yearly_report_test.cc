#include "services/stats/yearly_report.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "services/common/fiscal_year.h"
#include "services/vocab/term_catalog.h"
#include "tests/support/temp_dir.h"

namespace casecoord::stats {
namespace {

constexpr int64_t kK = 5;
constexpr int kFirstYear = 2016;
constexpr int kLastYear = 2025;

std::unique_ptr<storage::Storage> OpenOrDie(const std::string& path) {
  storage::StorageOptions options;
  options.path = path;
  options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  auto storage = storage::Storage::Open(options);
  EXPECT_TRUE(storage.ok()) << storage.status().ToString();
  return storage.ok() ? std::move(storage).value() : nullptr;
}

// A history of counted events (as the stores count them) with its true counts kept aside.
struct History {
  // (metric, dimension, value) by year; dimension "" for the totals.
  std::map<std::tuple<std::string, std::string, std::string, int>, int64_t> truth;

  int64_t Count(const std::string& metric, const std::string& dimension, const std::string& value,
                int year) const {
    auto it = truth.find({metric, dimension, value, year});
    return it == truth.end() ? 0 : it->second;
  }
};

// Households with one district (or none), one or two tags, some closed with an outcome, and
// contacts; small numbers on purpose, so that many cells are 1 to k-1.
History Generate(uint32_t seed, storage::Storage& storage, int district_count = 4) {
  std::mt19937 random(seed);
  const char* districts[] = {"kita", "minami", "chuo", "higashi"};
  const char* tags[] = {"8050", "debt", "young-carer", "hikikomori", "dementia"};
  const char* outcomes[] = {"resolved", "not_resolved_reviewed", "transferred"};
  History history;
  CounterChanges changes;
  auto count = [&](int year, const char* metric, std::vector<DimensionValue> dimensions) {
    EXPECT_TRUE(changes.Count(year, metric, dimensions).ok());
    ++history.truth[{metric, "", "", year}];
    // The same (dimension, value) twice counts once, as CounterChanges counts it.
    std::set<std::pair<std::string, std::string>> distinct;
    for (const auto& [dimension, value] : dimensions) distinct.insert({dimension, value});
    for (const auto& [dimension, value] : distinct) {
      ++history.truth[{metric, dimension, value, year}];
    }
  };
  const int households = 80 + static_cast<int>(random() % 120);
  for (int i = 0; i < households; ++i) {
    const int year = kFirstYear + static_cast<int>(random() % (kLastYear - kFirstYear + 1));
    std::vector<DimensionValue> dimensions;
    if (random() % 8 != 0) {
      dimensions.push_back({kDistrict, districts[random() % district_count]});
    }
    dimensions.push_back({kIssueTag, tags[random() % 5]});
    if (random() % 2) dimensions.push_back({kIssueTag, tags[random() % 5]});
    count(year, kCasesOpened, dimensions);
    if (random() % 2) {
      count(year, kCasesCompletedByAdvice, dimensions);
      continue;
    }
    count(year, kCasesCoordinated, dimensions);
    for (int contact = static_cast<int>(random() % 3); contact > 0; --contact) {
      count(year, kCoordinationContacts, dimensions);
    }
    if (random() % 2) {
      auto closed = dimensions;
      closed.push_back({kOutcome, outcomes[random() % 3]});
      count(std::min(kLastYear, year + static_cast<int>(random() % 2)), kCasesClosed, closed);
    }
  }
  storage::WriteBatch batch(storage);
  changes.ApplyTo(&batch);
  EXPECT_TRUE(storage.Commit(batch).ok());
  return history;
}

const char* CounterName(v1::StatMetric metric) {
  switch (metric) {
    case v1::CASES_COORDINATED:
      return kCasesCoordinated;
    case v1::CASES_COMPLETED_BY_ADVICE:
      return kCasesCompletedByAdvice;
    case v1::CASES_OPENED:
      return kCasesOpened;
    case v1::CASES_CLOSED:
      return kCasesClosed;
    case v1::COORDINATION_CONTACTS:
      return kCoordinationContacts;
    case v1::CASE_MEETINGS:
      return kCaseMeetings;
    default:
      return kAdviserMeetings;
  }
}

const char* DimensionName(v1::StatDimension dimension) {
  switch (dimension) {
    case v1::DISTRICT:
      return kDistrict;
    case v1::ISSUE_TAG:
      return kIssueTag;
    case v1::OUTCOME:
      return kOutcome;
    case v1::REFERRER_KIND:
      return kReferrerKind;
    default:
      return kField;
  }
}

// The true count of a row of `table` over years [from, to].
int64_t TrueCount(const History& history, const v1::StatTable& table, const v1::StatRow& row,
                  int from, int to) {
  int64_t sum = 0;
  for (int year = from; year <= to; ++year) {
    if (table.metric() == v1::STAT_METRIC_UNSPECIFIED) {
      v1::StatMetric metric;
      if (row.is_total()) {
        const bool cases = table.counts_households();
        for (auto m :
             cases
                 ? std::vector<v1::StatMetric>{v1::CASES_COORDINATED, v1::CASES_COMPLETED_BY_ADVICE}
                 : std::vector<v1::StatMetric>{v1::CASE_MEETINGS, v1::COORDINATION_CONTACTS,
                                               v1::ADVISER_MEETINGS}) {
          sum += history.Count(CounterName(m), "", "", year);
        }
      } else if (v1::StatMetric_Parse(row.key(), &metric)) {
        sum += history.Count(CounterName(metric), "", "", year);
      }
      continue;
    }
    const char* metric = CounterName(table.metric());
    if (row.is_total()) {
      sum += history.Count(metric, "", "", year);
    } else if (row.key().empty()) {  // households without a value
      int64_t named = 0;
      for (const auto& other : table.rows()) {
        if (!other.is_total() && !other.key().empty()) {
          named += history.Count(metric, DimensionName(table.dimension()), other.key(), year);
        }
      }
      sum += history.Count(metric, "", "", year) - named;
    } else {
      sum += history.Count(metric, DimensionName(table.dimension()), row.key(), year);
    }
  }
  return sum;
}

// Every published cell is the true count (or running sum); no published cell of households is
// 1 to k-1.
void ExpectTruthfulAndProtected(const History& history, const v1::StatTable& table, int from,
                                int to, bool cumulative) {
  for (const auto& row : table.rows()) {
    ASSERT_EQ(row.cells_size(), to - from + 2);
    for (int c = 0; c < row.cells_size(); ++c) {
      const bool total = c == row.cells_size() - 1;
      const int first = total || cumulative ? from : from + c;
      const int last = total ? to : from + c;
      const auto& cell = row.cells(c);
      const std::string where = table.title() + " / " + row.key() + " / " + std::to_string(c);
      if (cell.suppressed()) {
        EXPECT_TRUE(table.small_cells_suppressed() || cell.reason() == v1::DERIVED) << where;
        EXPECT_EQ(cell.display(), "x") << where;
        continue;
      }
      const int64_t truth = TrueCount(history, table, row, first, last);
      EXPECT_EQ(cell.value(), truth) << where;
      // Every household table and every breakdown (activities too: issue 14, finding 6).
      EXPECT_EQ(table.small_cells_suppressed(),
                table.counts_households() || table.dimension() != v1::STAT_DIMENSION_UNSPECIFIED)
          << where;
      // An activity breakdown's total row is the activities' own (public) total.
      const bool public_total = row.is_total() && !table.counts_households();
      if (table.small_cells_suppressed() && !public_total) {
        EXPECT_FALSE(cell.value() >= 1 && cell.value() < kK) << where;
      }
    }
  }
}

v1::GetYearlyReportRequest AllBreakdowns(int from, int to, bool cumulative) {
  v1::GetYearlyReportRequest request;
  request.set_fiscal_year_from(from);
  request.set_fiscal_year_to(to);
  request.set_cumulative(cumulative);
  const std::pair<v1::StatMetric, v1::StatDimension> breakdowns[] = {
      {v1::CASES_OPENED, v1::DISTRICT},          {v1::CASES_OPENED, v1::ISSUE_TAG},
      {v1::CASES_COORDINATED, v1::DISTRICT},     {v1::CASES_COMPLETED_BY_ADVICE, v1::ISSUE_TAG},
      {v1::CASES_CLOSED, v1::OUTCOME},           {v1::CASES_CLOSED, v1::DISTRICT},
      {v1::COORDINATION_CONTACTS, v1::DISTRICT}, {v1::COORDINATION_CONTACTS, v1::ISSUE_TAG}};
  for (const auto& [metric, dimension] : breakdowns) {
    auto* breakdown = request.add_breakdowns();
    breakdown->set_metric(metric);
    breakdown->set_dimension(dimension);
  }
  return request;
}

TEST(YearlyReportTest, RandomHistoriesArePublishedTruthfullyWithoutSmallCells) {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    testing::TempDir dir;
    auto storage = OpenOrDie(dir.path());
    ASSERT_NE(storage, nullptr);
    const History history = Generate(seed, *storage);
    // 2026-01-15 JST: fiscal year 2025 is the current one.
    ManualClock clock(*JstMidnight(2026, 1, 15));
    StatisticsReporter reporter(*storage, clock, kK);
    int suppressed = 0;
    for (auto [from, to] : {std::pair{2016, 2025}, std::pair{2019, 2022}, std::pair{2014, 2026}}) {
      for (bool cumulative : {false, true}) {
        auto report = reporter.YearlyReport(AllBreakdowns(from, to, cumulative));
        ASSERT_TRUE(report.ok()) << report.status().ToString();
        EXPECT_TRUE(report->disclosure().audit_passed());
        ExpectTruthfulAndProtected(history, report->cases(), from, to, cumulative);
        ExpectTruthfulAndProtected(history, report->activities(), from, to, cumulative);
        for (const auto& table : report->breakdowns()) {
          ExpectTruthfulAndProtected(history, table, from, to, cumulative);
          suppressed += table.primary_suppressed();
        }
      }
    }
    EXPECT_GT(suppressed, 0) << "the history should have small cells to protect";
  }
}

// One district only: the breakdown's data row is (nearly) its total row, which its own table has
// protected already; the breakdown must still be answered, and safely.
TEST(YearlyReportTest, ABreakdownWithOneRowFollowsItsTotals) {
  for (uint32_t seed = 21; seed <= 26; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    testing::TempDir dir;
    auto storage = OpenOrDie(dir.path());
    ASSERT_NE(storage, nullptr);
    const History history = Generate(seed, *storage, /*district_count=*/1);
    ManualClock clock(*JstMidnight(2026, 1, 15));
    StatisticsReporter reporter(*storage, clock, kK);
    auto report = reporter.YearlyReport(AllBreakdowns(2016, 2025, false));
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const auto& table : report->breakdowns()) {
      ExpectTruthfulAndProtected(history, table, 2016, 2025, false);
    }
  }
}

// A breakdown's total row is published as its statistic's own table publishes it, so that the
// two tables never disagree about what is hidden.
TEST(YearlyReportTest, BreakdownTotalsFollowTheStatisticsOwnTable) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.path());
  ASSERT_NE(storage, nullptr);
  Generate(7, *storage);
  ManualClock clock(*JstMidnight(2026, 1, 15));
  StatisticsReporter reporter(*storage, clock, kK);
  auto report = reporter.YearlyReport(AllBreakdowns(2016, 2025, false));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const v1::StatRow* coordinated = nullptr;
  for (const auto& row : report->cases().rows()) {
    if (row.key() == "CASES_COORDINATED") coordinated = &row;
  }
  ASSERT_NE(coordinated, nullptr);
  const auto& by_district = report->breakdowns(2);
  ASSERT_EQ(by_district.metric(), v1::CASES_COORDINATED);
  const auto& total = by_district.rows(by_district.rows_size() - 1);
  ASSERT_TRUE(total.is_total());
  for (int c = 0; c < total.cells_size(); ++c) {
    EXPECT_EQ(total.cells(c).display(), coordinated->cells(c).display()) << c;
  }
}

TEST(YearlyReportTest, SumsArePublishedOnlyFromPublishedCells) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.path());
  ASSERT_NE(storage, nullptr);
  const History history = Generate(3, *storage);
  ManualClock clock(*JstMidnight(2026, 1, 15));
  StatisticsReporter reporter(*storage, clock, kK);
  auto snapshot = reporter.Snapshot();
  ASSERT_TRUE(snapshot.ok());
  v1::StatisticRef ref;
  ref.set_metric(v1::CASES_OPENED);
  ref.set_dimension(v1::DISTRICT);
  ref.set_value("kita");
  auto table = snapshot->Table(v1::CASES_OPENED, v1::DISTRICT);
  ASSERT_TRUE(table.ok());
  const int row = (*table)->RowOf("kita");
  ASSERT_GE(row, 0);
  for (int from = 2016; from <= 2025; ++from) {
    for (int to = from; to <= 2025; ++to) {
      auto sum = snapshot->Sum(ref, from, to);
      ASSERT_TRUE(sum.ok());
      bool any_hidden = false;
      int64_t truth = 0;
      for (int year = from; year <= to; ++year) {
        if (year < (*table)->first_year || year > (*table)->last_year) continue;
        any_hidden = any_hidden || (*table)->reason(row, year - (*table)->first_year) !=
                                       v1::SUPPRESSION_REASON_UNSPECIFIED;
        truth += history.Count(kCasesOpened, kDistrict, "kita", year);
      }
      const bool whole = from <= (*table)->first_year && to >= (*table)->last_year;
      if (whole) {
        any_hidden =
            (*table)->reason(row, (*table)->columns() - 1) != v1::SUPPRESSION_REASON_UNSPECIFIED;
      }
      EXPECT_EQ(sum->value.has_value(), !any_hidden) << from << "-" << to;
      if (sum->value) {
        EXPECT_EQ(*sum->value, truth) << from << "-" << to;
      }
    }
  }
}

// With the vocabularies, rows carry the terms' labels (a retired term's too) and the values no
// term has — typed before the lists existed — are one 「未登録」 row, so that no free text is
// published.
TEST(YearlyReportTest, BreakdownRowsAreLabelledAndUnregisteredValuesGrouped) {
  testing::TempDir dir;
  auto storage = OpenOrDie(dir.path());
  ASSERT_NE(storage, nullptr);
  CounterChanges changes;
  const std::vector<std::pair<const char*, int>> counted = {
      {"kita", 6}, {"old-ward", 5}, {"kiat", 3}, {"Kita Ku", 2}, {"北", 1}};
  for (const auto& [district, times] : counted) {
    for (int i = 0; i < times; ++i) {
      ASSERT_TRUE(changes.Count(2024, kCasesOpened, {{kDistrict, district}}).ok());
    }
  }
  storage::WriteBatch batch(*storage);
  changes.ApplyTo(&batch);
  ASSERT_TRUE(storage->Commit(batch).ok());
  vocab::TermCatalog terms;
  terms.PutActive(vocab::Vocabulary::kDistricts, "kita", "北区");
  v1::Term retired;
  retired.set_name(vocab::TermName(vocab::Vocabulary::kDistricts, "old-ward"));
  retired.set_label("旧西区");
  retired.set_state(v1::Term::RETIRED);
  terms.Put(retired);

  auto snapshot = StatisticsSnapshot::Take(*storage, 2024, kK, &terms);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  auto table = snapshot->Table(v1::CASES_OPENED, v1::DISTRICT);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ((*table)->row_keys,
            (std::vector<std::string>{"kita", "old-ward", kUnregisteredKey, "TOTAL"}));
  EXPECT_EQ((*table)->term_labels.at("kita"), "北区");
  EXPECT_EQ((*table)->term_labels.at("old-ward"), "旧西区");
  EXPECT_EQ((*table)->value((*table)->RowOf(kUnregisteredKey), 0), 6);

  ManualClock clock(*JstMidnight(2025, 1, 15));
  StatisticsReporter reporter(*storage, clock, kK, &terms);
  v1::GetYearlyReportRequest request;
  request.set_fiscal_year_from(2024);
  request.set_fiscal_year_to(2024);
  auto* breakdown = request.add_breakdowns();
  breakdown->set_metric(v1::CASES_OPENED);
  breakdown->set_dimension(v1::DISTRICT);
  auto report = reporter.YearlyReport(request);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::vector<std::string> labels;
  for (const auto& row : report->breakdowns(0).rows()) labels.push_back(row.label_ja());
  EXPECT_EQ(labels, (std::vector<std::string>{"北区", "旧西区", "未登録", "合計"}));
}

}  // namespace
}  // namespace casecoord::stats
