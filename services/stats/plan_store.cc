#include "services/stats/plan_store.h"

#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/time_util.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"

namespace casecoord::stats {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kIndicatorsPart[] = "/indicators/";
constexpr size_t kMaxTitleCharacters = 200;
constexpr size_t kMaxTextCharacters = 4000;
constexpr int kFirstPlanYear = 1990;
constexpr int kLastPlanYear = 2100;
constexpr int kMaxPlanYears = 20;

const std::set<std::string>& UpdatablePaths() {
  static const std::set<std::string> paths = {"display_name", "first_fiscal_year",
                                              "last_fiscal_year", "policy_areas", "indicators"};
  return paths;
}

std::string RecordKey(const std::string& id) { return storage::key_spaces::kWelfarePlan.Key(id); }

Result<std::string> ParsePlanName(const std::string& name, const char* field) {
  if (name.rfind(kPlanPrefix, 0) != 0 || !IsResourceId(name.substr(sizeof(kPlanPrefix) - 1))) {
    return Status::InvalidArgument(field, "must look like \"plans/{plan_id}\"");
  }
  return name.substr(sizeof(kPlanPrefix) - 1);
}

Status CheckTitle(const std::string& text, const std::string& field, bool required) {
  if (required && TrimSpaces(text).empty()) return Status::InvalidArgument(field, "is required");
  if (CharacterCount(text) > kMaxTitleCharacters) {
    return Status::InvalidArgument(field, "at most 200 characters");
  }
  return Status::Ok();
}

Status CheckText(const std::string& text, const std::string& field) {
  if (CharacterCount(text) > kMaxTextCharacters) {
    return Status::InvalidArgument(field, "at most 4000 characters");
  }
  return Status::Ok();
}

Status ValidateBinding(const v1::StatBinding& binding, const std::string& field) {
  switch (binding.source_case()) {
    case v1::StatBinding::SOURCE_NOT_SET:
      return Status::Ok();
    case v1::StatBinding::kCooperationSurveyShare:
      if (!binding.cooperation_survey_share()) {
        return Status::InvalidArgument(field + ".cooperation_survey_share", "must be true if set");
      }
      return Status::Ok();
    case v1::StatBinding::kStatistic:
      break;
  }
  const auto& ref = binding.statistic();
  const std::string at = field + ".statistic";
  if (ref.metric() == v1::STAT_METRIC_UNSPECIFIED || !v1::StatMetric_IsValid(ref.metric())) {
    return Status::InvalidArgument(at + ".metric", "choose a statistic (StatMetric)");
  }
  if (!v1::StatDimension_IsValid(ref.dimension())) {
    return Status::InvalidArgument(at + ".dimension", "unknown dimension");
  }
  if (ref.dimension() == v1::STAT_DIMENSION_UNSPECIFIED) {
    if (!ref.value().empty()) {
      return Status::InvalidArgument(at + ".value", "a value needs a dimension");
    }
    return Status::Ok();
  }
  if (ref.dimension() == v1::OUTCOME && ref.metric() != v1::CASES_CLOSED) {
    return Status::InvalidArgument(at + ".dimension", "OUTCOME breaks down CASES_CLOSED only");
  }
  // See StatMetric.CASES_HANDLED: a breakdown of it would give away suppressed cells.
  if (ref.metric() == v1::CASES_HANDLED) {
    return Status::InvalidArgument(at + ".dimension",
                                   "CASES_HANDLED (取扱件数) is not broken down; bind it without a "
                                   "dimension");
  }
  if (ref.value().empty() || ref.value().size() > 63) {
    return Status::InvalidArgument(at + ".value", "name the breakdown row (1 to 63 bytes)");
  }
  return Status::Ok();
}

Status ValidateYear(const v1::IndicatorYear& year, const v1::WelfarePlan& plan, bool bound,
                    const std::string& field) {
  if (year.fiscal_year() < plan.first_fiscal_year() ||
      year.fiscal_year() > plan.last_fiscal_year()) {
    return Status::InvalidArgument(field + ".fiscal_year", "must be within the plan's period");
  }
  if (year.has_actual()) {
    if (bound) {
      return Status::InvalidArgument(field + ".actual",
                                     "a bound indicator's actual is computed, not entered");
    }
    if (!std::isfinite(year.actual())) {
      return Status::InvalidArgument(field + ".actual", "must be a finite number");
    }
  }
  CASECOORD_RETURN_IF_ERROR(CheckText(year.achievements(), field + ".achievements"));
  return CheckText(year.next_steps(), field + ".next_steps");
}

Status ValidateIndicatorHeading(const v1::Indicator& indicator,
                                const std::set<std::string>& area_ids, const std::string& field) {
  if (!IsResourceId(indicator.id())) {
    return Status::InvalidArgument(field + ".id", "lowercase letters, digits and '-'");
  }
  CASECOORD_RETURN_IF_ERROR(CheckTitle(indicator.display_name(), field + ".display_name", true));
  if (!indicator.policy_area_id().empty() && !area_ids.contains(indicator.policy_area_id())) {
    return Status::InvalidArgument(field + ".policy_area_id", "no such policy area in the plan");
  }
  if (indicator.unit() == v1::INDICATOR_UNIT_UNSPECIFIED ||
      !v1::IndicatorUnit_IsValid(indicator.unit())) {
    return Status::InvalidArgument(field + ".unit", "choose 件, 人, % or 回");
  }
  if (indicator.direction() == v1::TARGET_DIRECTION_UNSPECIFIED ||
      !v1::TargetDirection_IsValid(indicator.direction())) {
    return Status::InvalidArgument(field + ".direction",
                                   "HIGHER_IS_BETTER or LOWER_IS_BETTER is required");
  }
  return Status::Ok();
}

Status ValidateIndicatorTarget(const v1::Indicator& indicator, const v1::WelfarePlan& plan,
                               const std::string& field) {
  if (indicator.target_fiscal_year() < plan.first_fiscal_year() ||
      indicator.target_fiscal_year() > plan.last_fiscal_year()) {
    return Status::InvalidArgument(field + ".target_fiscal_year",
                                   "must be within the plan's period");
  }
  if (!std::isfinite(indicator.target_value())) {
    return Status::InvalidArgument(field + ".target_value", "must be a finite number");
  }
  if (indicator.has_baseline_value()) {
    if (!std::isfinite(indicator.baseline_value())) {
      return Status::InvalidArgument(field + ".baseline_value", "must be a finite number");
    }
    if (indicator.baseline_fiscal_year() < kFirstPlanYear ||
        indicator.baseline_fiscal_year() > indicator.target_fiscal_year()) {
      return Status::InvalidArgument(field + ".baseline_fiscal_year",
                                     "required with a baseline value; not after the target year");
    }
  } else if (indicator.baseline_fiscal_year() != 0) {
    return Status::InvalidArgument(field + ".baseline_value", "a baseline year needs a value");
  }
  return Status::Ok();
}

Status ValidateIndicatorYears(const v1::Indicator& indicator, const v1::WelfarePlan& plan,
                              const std::string& field) {
  const bool bound = indicator.binding().source_case() != v1::StatBinding::SOURCE_NOT_SET;
  std::set<int> years;
  for (int i = 0; i < indicator.years_size(); ++i) {
    const std::string at = field + ".years[" + std::to_string(i) + "]";
    CASECOORD_RETURN_IF_ERROR(ValidateYear(indicator.years(i), plan, bound, at));
    if (!years.insert(indicator.years(i).fiscal_year()).second) {
      return Status::InvalidArgument(at + ".fiscal_year", "one entry per fiscal year");
    }
  }
  return Status::Ok();
}

Status ValidateIndicator(const v1::Indicator& indicator, const v1::WelfarePlan& plan,
                         const std::set<std::string>& area_ids, const std::string& field) {
  CASECOORD_RETURN_IF_ERROR(ValidateIndicatorHeading(indicator, area_ids, field));
  CASECOORD_RETURN_IF_ERROR(ValidateIndicatorTarget(indicator, plan, field));
  CASECOORD_RETURN_IF_ERROR(CheckTitle(indicator.department(), field + ".department", false));
  CASECOORD_RETURN_IF_ERROR(ValidateBinding(indicator.binding(), field + ".binding"));
  return ValidateIndicatorYears(indicator, plan, field);
}

// Checks each policy area on its own and collects their ids into `area_ids`; parents are checked
// afterwards, once every id is known.
Status ValidatePolicyAreas(const v1::WelfarePlan& plan, const std::string& field,
                           std::set<std::string>* area_ids) {
  for (int i = 0; i < plan.policy_areas_size(); ++i) {
    const auto& area = plan.policy_areas(i);
    const std::string at = field + ".policy_areas[" + std::to_string(i) + "]";
    if (!IsResourceId(area.id())) {
      return Status::InvalidArgument(at + ".id", "lowercase letters, digits and '-'");
    }
    if (!area_ids->insert(area.id()).second) {
      return Status::InvalidArgument(at + ".id", "\"" + area.id() + "\" is used twice");
    }
    if (area.level() == v1::POLICY_AREA_LEVEL_UNSPECIFIED ||
        !v1::PolicyAreaLevel_IsValid(area.level())) {
      return Status::InvalidArgument(at + ".level", "choose 基本目標, 施策 or 活動目標");
    }
    CASECOORD_RETURN_IF_ERROR(CheckTitle(area.title(), at + ".title", true));
  }
  return Status::Ok();
}

Status ValidatePolicyAreaParents(const v1::WelfarePlan& plan, const std::string& field,
                                 const std::set<std::string>& area_ids) {
  for (int i = 0; i < plan.policy_areas_size(); ++i) {
    const auto& area = plan.policy_areas(i);
    if (!area.parent_id().empty() &&
        (area.parent_id() == area.id() || !area_ids.contains(area.parent_id()))) {
      return Status::InvalidArgument(field + ".policy_areas[" + std::to_string(i) + "].parent_id",
                                     "must name another policy area of the plan");
    }
  }
  return Status::Ok();
}

Status ValidateIndicators(const v1::WelfarePlan& plan, const std::string& field,
                          const std::set<std::string>& area_ids) {
  std::set<std::string> indicator_ids;
  for (int i = 0; i < plan.indicators_size(); ++i) {
    const std::string at = field + ".indicators[" + std::to_string(i) + "]";
    CASECOORD_RETURN_IF_ERROR(ValidateIndicator(plan.indicators(i), plan, area_ids, at));
    if (!indicator_ids.insert(plan.indicators(i).id()).second) {
      return Status::InvalidArgument(at + ".id",
                                     "\"" + plan.indicators(i).id() + "\" is used twice");
    }
  }
  return Status::Ok();
}

// Rounds to one decimal, as the published tables show rates.
double RoundToTenth(double value) { return std::round(value * 10.0) / 10.0; }

std::string FormatValue(double value, v1::IndicatorUnit unit) {
  if (unit == v1::PERCENT || value != std::floor(value)) {
    char text[64];
    std::snprintf(text, sizeof(text), "%.1f", value);
    return text;
  }
  return FormatCount(static_cast<int64_t>(value));
}

bool MeetsTarget(const v1::Indicator& indicator, double value) {
  return indicator.direction() == v1::LOWER_IS_BETTER ? value <= indicator.target_value()
                                                      : value >= indicator.target_value();
}

// Sets the value a bound indicator computes for `year`: a statistic summed over the year (or since
// the plan began, if cumulative), or the cooperation survey share.
Status FillComputedValue(const v1::WelfarePlan& plan, const v1::Indicator& indicator, int year,
                         StatisticsSnapshot& snapshot, const CooperationShare& cooperation_share,
                         v1::IndicatorActual* actual) {
  if (indicator.binding().has_statistic()) {
    const int from = indicator.cumulative() ? plan.first_fiscal_year() : year;
    auto sum = snapshot.Sum(indicator.binding().statistic(), from, year);
    if (!sum.ok()) return sum.status();
    if (sum->value) {
      actual->set_value(static_cast<double>(*sum->value));
    } else {
      actual->set_suppressed(true);
    }
  } else if (indicator.binding().cooperation_survey_share()) {
    auto share = cooperation_share(year);
    if (!share.ok()) return share.status();
    if (*share) actual->set_value(**share);
  }
  return Status::Ok();
}

// Adds one actual per fiscal year of the plan to `out`, and leaves in `latest` the value of the
// last year that has one (nullopt if none does).
Status FillActuals(const v1::WelfarePlan& plan, const v1::Indicator& indicator,
                   StatisticsSnapshot& snapshot, const CooperationShare& cooperation_share,
                   int current_fiscal_year, v1::IndicatorProgress* out,
                   std::optional<double>* latest) {
  std::map<int, const v1::IndicatorYear*> entries;
  for (const auto& year : indicator.years()) entries[year.fiscal_year()] = &year;
  const int last_year = std::min(plan.last_fiscal_year(), current_fiscal_year);
  for (int year = plan.first_fiscal_year(); year <= plan.last_fiscal_year(); ++year) {
    v1::IndicatorActual* actual = out->add_actuals();
    actual->set_fiscal_year(year);
    if (auto it = entries.find(year); it != entries.end()) {
      actual->set_achievements(it->second->achievements());
      actual->set_next_steps(it->second->next_steps());
      if (it->second->has_actual()) actual->set_value(it->second->actual());
    }
    if (year <= last_year) {
      CASECOORD_RETURN_IF_ERROR(
          FillComputedValue(plan, indicator, year, snapshot, cooperation_share, actual));
    }
    if (actual->suppressed()) {
      actual->set_display("x");
    } else if (actual->has_value()) {
      actual->set_display(FormatValue(actual->value(), indicator.unit()));
      *latest = actual->value();
      out->set_latest_fiscal_year(year);
    }
  }
  return Status::Ok();
}

// Sets the achievement rate (when a baseline allows one) and the status from the latest value.
void SetProgressStatus(const v1::Indicator& indicator, double latest, v1::IndicatorProgress* out) {
  const bool met = MeetsTarget(indicator, latest);
  std::optional<double> expected_share;
  if (indicator.has_baseline_value() && indicator.target_value() != indicator.baseline_value()) {
    out->set_achievement_rate(RoundToTenth((latest - indicator.baseline_value()) /
                                           (indicator.target_value() - indicator.baseline_value()) *
                                           100.0));
    const int span = indicator.target_fiscal_year() - indicator.baseline_fiscal_year();
    expected_share = span <= 0
                         ? 1.0
                         : std::min(1.0, static_cast<double>(out->latest_fiscal_year() -
                                                             indicator.baseline_fiscal_year()) /
                                             span);
  }
  if (met) {
    out->set_status(v1::ACHIEVED);
  } else if (expected_share) {
    out->set_status(out->achievement_rate() >= *expected_share * 100.0 ? v1::ON_TRACK : v1::BEHIND);
  } else {
    // Without a baseline to measure from, only the target year decides.
    out->set_status(out->latest_fiscal_year() >= indicator.target_fiscal_year() ? v1::BEHIND
                                                                                : v1::ON_TRACK);
  }
}

}  // namespace

Status ValidatePlan(const v1::WelfarePlan& plan, const std::string& field) {
  CASECOORD_RETURN_IF_ERROR(CheckTitle(plan.display_name(), field + ".display_name", true));
  if (plan.first_fiscal_year() < kFirstPlanYear || plan.first_fiscal_year() > kLastPlanYear) {
    return Status::InvalidArgument(field + ".first_fiscal_year",
                                   "must be a fiscal year from 1990 to 2100");
  }
  if (plan.last_fiscal_year() < plan.first_fiscal_year() ||
      plan.last_fiscal_year() - plan.first_fiscal_year() + 1 > kMaxPlanYears) {
    return Status::InvalidArgument(field + ".last_fiscal_year",
                                   "must not be before first_fiscal_year; at most 20 years");
  }
  std::set<std::string> area_ids;
  CASECOORD_RETURN_IF_ERROR(ValidatePolicyAreas(plan, field, &area_ids));
  CASECOORD_RETURN_IF_ERROR(ValidatePolicyAreaParents(plan, field, area_ids));
  return ValidateIndicators(plan, field, area_ids);
}

void PlanStore::Put(const std::string& id, const v1::WelfarePlan& plan,
                    storage::WriteBatch* batch) const {
  batch->Put(ColumnFamily::kRecords, RecordKey(id), plan.SerializeAsString());
}

Result<v1::WelfarePlan> PlanStore::Get(const std::string& name, const char* field) const {
  auto id = ParsePlanName(name, field);
  if (!id.ok()) return id.status();
  auto bytes = storage_.Get(ColumnFamily::kRecords, RecordKey(*id));
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) {
    return Status(Reason::kPlanNotFound, "no plan " + name);
  }
  v1::WelfarePlan plan;
  if (!plan.ParseFromString(**bytes)) {
    return Status(Reason::kPlanRecordCorrupt, name + " is unreadable");
  }
  return plan;
}

Result<v1::WelfarePlan> PlanStore::PrepareCreate(const std::string& plan_id,
                                                 const v1::WelfarePlan& plan,
                                                 std::chrono::system_clock::time_point now,
                                                 storage::WriteBatch* batch) const {
  if (!IsResourceId(plan_id)) {
    return Status::InvalidArgument("plan_id", "lowercase letters, digits and '-', 1 to 63");
  }
  CASECOORD_RETURN_IF_ERROR(ValidatePlan(plan, "plan"));
  const std::string name = kPlanPrefix + plan_id;
  auto existing = Get(name);
  if (existing.ok()) {
    return Status(Reason::kPlanExists, name + " already exists");
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  v1::WelfarePlan created = plan;
  created.set_name(name);
  created.set_etag(NextRevisionEtag(""));
  *created.mutable_create_time() = ToTimestamp(now);
  *created.mutable_update_time() = created.create_time();
  Put(plan_id, created, batch);
  return created;
}

Result<PlanPage> PlanStore::List(const std::string& after_id, int limit) const {
  PlanPage page;
  CASECOORD_RETURN_IF_ERROR(storage::ForEachRecord<v1::WelfarePlan>(
      storage_, ColumnFamily::kRecords, storage::key_spaces::kWelfarePlan.Prefix(),
      after_id.empty() ? "" : RecordKey(after_id), Reason::kPlanRecordCorrupt,
      [&page, limit](std::string_view, v1::WelfarePlan plan) -> Result<bool> {
        if (static_cast<int>(page.plans.size()) == limit) {
          page.next_after_id = page.plans.back().name().substr(sizeof(kPlanPrefix) - 1);
          return false;
        }
        page.plans.push_back(std::move(plan));
        return true;
      }));
  return page;
}

Result<v1::WelfarePlan> PlanStore::PrepareUpdate(const v1::WelfarePlan& patch,
                                                 const v1::FieldMask& mask,
                                                 std::chrono::system_clock::time_point now,
                                                 storage::WriteBatch* batch) const {
  auto stored = Get(patch.name(), "plan.name");
  if (!stored.ok()) return stored.status();
  if (mask.paths().empty()) {
    return Status::InvalidArgument("update_mask", "name at least one path");
  }
  for (const auto& path : mask.paths()) {
    if (!UpdatablePaths().contains(path)) {
      return Status::InvalidArgument("update_mask", "\"" + path + "\" cannot be updated");
    }
  }
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(patch.name(), patch.etag(), stored->etag()));
  v1::WelfarePlan updated = *stored;
  google::protobuf::FieldMask proto_mask;
  for (const auto& path : mask.paths()) proto_mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_repeated_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(patch, proto_mask, options, &updated);
  CASECOORD_RETURN_IF_ERROR(ValidatePlan(updated, "plan"));
  updated.set_etag(NextRevisionEtag(stored->etag()));
  *updated.mutable_update_time() = ToTimestamp(now);
  Put(updated.name().substr(sizeof(kPlanPrefix) - 1), updated, batch);
  return updated;
}

Result<v1::WelfarePlan> PlanStore::PrepareRecordYear(const std::string& indicator,
                                                     const v1::IndicatorYear& year,
                                                     const std::string& etag,
                                                     std::chrono::system_clock::time_point now,
                                                     storage::WriteBatch* batch) const {
  const size_t part = indicator.find(kIndicatorsPart);
  if (part == std::string::npos ||
      !IsResourceId(indicator.substr(part + sizeof(kIndicatorsPart) - 1))) {
    return Status::InvalidArgument("indicator",
                                   "must look like \"plans/{plan}/indicators/{indicator}\"");
  }
  auto stored = Get(indicator.substr(0, part), "indicator");
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(stored->name(), etag, stored->etag()));
  const std::string id = indicator.substr(part + sizeof(kIndicatorsPart) - 1);
  v1::WelfarePlan updated = *stored;
  v1::Indicator* target = nullptr;
  for (auto& candidate : *updated.mutable_indicators()) {
    if (candidate.id() == id) target = &candidate;
  }
  if (target == nullptr) {
    return Status(Reason::kIndicatorNotFound, "no indicator " + indicator);
  }
  const bool bound = target->binding().source_case() != v1::StatBinding::SOURCE_NOT_SET;
  CASECOORD_RETURN_IF_ERROR(ValidateYear(year, updated, bound, "year"));
  bool replaced = false;
  for (auto& entry : *target->mutable_years()) {
    if (entry.fiscal_year() == year.fiscal_year()) {
      entry = year;
      replaced = true;
    }
  }
  if (!replaced) *target->add_years() = year;
  std::sort(target->mutable_years()->begin(), target->mutable_years()->end(),
            [](const auto& a, const auto& b) { return a.fiscal_year() < b.fiscal_year(); });
  updated.set_etag(NextRevisionEtag(stored->etag()));
  *updated.mutable_update_time() = ToTimestamp(now);
  Put(updated.name().substr(sizeof(kPlanPrefix) - 1), updated, batch);
  return updated;
}

Result<v1::PlanProgress> ComputePlanProgress(const v1::WelfarePlan& plan,
                                             StatisticsSnapshot& snapshot,
                                             const CooperationShare& cooperation_share,
                                             int current_fiscal_year) {
  v1::PlanProgress progress;
  *progress.mutable_plan() = plan;
  for (const auto& indicator : plan.indicators()) {
    v1::IndicatorProgress* out = progress.add_indicators();
    *out->mutable_indicator() = indicator;
    std::optional<double> latest;
    CASECOORD_RETURN_IF_ERROR(FillActuals(plan, indicator, snapshot, cooperation_share,
                                          current_fiscal_year, out, &latest));
    if (!latest) {
      out->set_status(v1::NO_DATA);
      continue;
    }
    SetProgressStatus(indicator, *latest, out);
  }
  return progress;
}

}  // namespace casecoord::stats
