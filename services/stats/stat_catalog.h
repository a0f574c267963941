// What the statistics publish: each statistic (metric) and breakdown dimension with its counter and
// label, and how a table's row keys are ordered and labelled.
//
// Thread safety: constant data and reentrant functions.
#pragma once

#include <string>

#include "casecoord/v1/statistics.pb.h"
#include "services/stats/counters.h"

namespace casecoord::stats {

// The key of a table's total row.
inline constexpr char kTotalKey[] = "TOTAL";

// A statistic: its counter (services/stats/counters.h), whether it counts households (and so is
// suppressed), and its English label (the Japanese one is the enum value's label_ja).
struct MetricInfo {
  v1::StatMetric metric;
  const char* counter;
  bool households;
  const char* label;
};

// Every statistic the reports publish.
inline constexpr MetricInfo kMetricInfo[] = {
    {v1::CASES_COORDINATED, kCasesCoordinated, true, "Cases coordinated with agencies"},
    {v1::CASES_COMPLETED_BY_ADVICE, kCasesCompletedByAdvice, true,
     "Cases completed by inquiry or advice only"},
    {v1::CASE_MEETINGS, kCaseMeetings, false, "Case meetings held"},
    {v1::COORDINATION_CONTACTS, kCoordinationContacts, false,
     "Individual coordination contacts and visits"},
    {v1::ADVISER_MEETINGS, kAdviserMeetings, false, "Adviser meetings held"},
    {v1::CASES_OPENED, kCasesOpened, true, "Cases opened"},
    {v1::CASES_CLOSED, kCasesClosed, true, "Cases closed"},
    // No counter of its own: the total row of the yearly table's first section.
    {v1::CASES_HANDLED, nullptr, true, "Cases handled (coordinated or completed by advice)"},
};

// A breakdown dimension: its counter dimension, whether a case has one value of it (else several,
// so rows need not add up to the total), and its English label.
struct DimensionInfo {
  v1::StatDimension dimension;
  const char* counter;
  bool single_valued;
  const char* label;
};

// Every dimension a statistic may be broken down by.
inline constexpr DimensionInfo kDimensionInfo[] = {
    {v1::FIELD, kField, false, "field"},
    {v1::ISSUE_TAG, kIssueTag, false, "issue tag"},
    {v1::DISTRICT, kDistrict, true, "district"},
    {v1::REFERRER_KIND, kReferrerKind, true, "referring agency kind"},
    {v1::OUTCOME, kOutcome, true, "closure outcome"},
};

// The entry of `metric` / `dimension`; nullptr for a value the tables do not list.
const MetricInfo* FindMetric(v1::StatMetric metric);
const DimensionInfo* FindDimension(v1::StatDimension dimension);

// Where a row of `dimension` keyed `key` sorts among its table's rows: enum-valued dimensions
// (field, referrer kind, outcome) in the enum's order; 0 for every key of the others.
int SortRank(v1::StatDimension dimension, const std::string& key);

// Sets the key, labels and total flag of `row` of a `dimension` table (STAT_DIMENSION_UNSPECIFIED:
// a table whose rows are statistics): the total row, the statistic, "not recorded", the
// unregistered row, the enum value's label, else the key itself (vocabulary labels are applied
// afterwards by the caller).
void LabelRow(v1::StatDimension dimension, const std::string& key, v1::StatRow* row);

}  // namespace casecoord::stats
