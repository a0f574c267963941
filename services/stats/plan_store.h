// Plans (地域共生社会推進計画 and the like) and their progress indicators (成果指標・活動指標) over
// storage, and the progress computed from them.
//
// Layout: kRecords "stat-plan"/id → the Plan, whole (policy areas, indicators and their yearly
// entries: a plan has tens of indicators, so one record keeps every change atomic and the etag
// meaningful). Plans hold no personal data.
//
// Changes are prepared into a WriteBatch that the caller commits with its audit entry. Writers
// hold LockForWrite() from preparation until the commit, so that etag checks cannot interleave.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/statistics.pb.h"
#include "services/common/status.h"
#include "services/stats/yearly_report.h"
#include "services/storage/storage.h"

namespace casecoord::stats {

struct PlanPage {
  std::vector<v1::WelfarePlan> plans;
  std::string next_after_id;  // empty on the last page
};

class PlanStore {
 public:
  // `storage` must outlive the store.
  explicit PlanStore(storage::Storage& storage) : storage_(storage) {}

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // A new plan "plans/{plan_id}". INVALID_ARGUMENT naming the field (ValidatePlan, and plan_id);
  // ALREADY_EXISTS if the id is taken.
  Result<v1::WelfarePlan> PrepareCreate(const std::string& plan_id, const v1::WelfarePlan& plan,
                                        std::chrono::system_clock::time_point now,
                                        storage::WriteBatch* batch) const;

  // NOT_FOUND if absent; INVALID_ARGUMENT on `field` for a malformed name.
  Result<v1::WelfarePlan> Get(const std::string& name, const char* field = "name") const;

  // Up to `limit` plans in id order after `after_id` ("" = from the first).
  Result<PlanPage> List(const std::string& after_id, int limit) const;

  // Replaces the paths of `mask` (display_name, first_fiscal_year, last_fiscal_year,
  // policy_areas, indicators; any other, or none, is INVALID_ARGUMENT "update_mask"). The result
  // is validated whole (an indicator's target year outside a shortened period is refused).
  // ABORTED if patch.etag is set and stale.
  Result<v1::WelfarePlan> PrepareUpdate(const v1::WelfarePlan& patch, const v1::FieldMask& mask,
                                        std::chrono::system_clock::time_point now,
                                        storage::WriteBatch* batch) const;

  // Replaces the entry of year.fiscal_year of `indicator` ("plans/{plan}/indicators/{id}";
  // NOT_FOUND if either is absent). ABORTED if `etag` is set and stale; INVALID_ARGUMENT as
  // ValidatePlan for the entry.
  Result<v1::WelfarePlan> PrepareRecordYear(const std::string& indicator,
                                            const v1::IndicatorYear& year, const std::string& etag,
                                            std::chrono::system_clock::time_point now,
                                            storage::WriteBatch* batch) const;

 private:
  void Put(const std::string& id, const v1::WelfarePlan& plan, storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  std::mutex write_mutex_;
};

// INVALID_ARGUMENT naming the first bad field under `field` ("plan"): display_name (1 to 200
// characters); the period (1990 to 2100, first <= last, at most 20 years); policy areas (unique
// resource ids, a level, a title of 1 to 200 characters, parent an existing other area);
// indicators (unique ids, display_name, policy_area_id of the plan or empty, unit, direction,
// target_fiscal_year within the period, baseline_fiscal_year set when baseline_value is and not
// after the target year, department up to 200 characters, a binding naming a statistic — a
// dimension with a value, OUTCOME only with CASES_CLOSED — or cooperation_survey_share = true;
// yearly entries within the period, one per year, actual only without a binding and finite,
// texts up to 4000 characters).
Status ValidatePlan(const v1::WelfarePlan& plan, const std::string& field);

// The share of the cooperation survey (%, one decimal) for a fiscal year; nullopt when no agency
// answered. Provided by the directory (the statistics library does not depend on it).
using CooperationShare = std::function<Result<std::optional<double>>(int fiscal_year)>;

// The progress table of `plan`: per indicator and fiscal year of the period the actual (entered,
// or computed from `snapshot`'s published figures: summed from the plan's first year for a
// cumulative indicator; suppressed when it would include a suppressed cell), the latest actual,
// achievement rate and status as of `current_fiscal_year` (statistics.proto IndicatorProgress).
Result<v1::PlanProgress> ComputePlanProgress(const v1::WelfarePlan& plan,
                                             StatisticsSnapshot& snapshot,
                                             const CooperationShare& cooperation_share,
                                             int current_fiscal_year);

}  // namespace casecoord::stats
