#include "services/meetings/plan_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "services/cases/case_keys.h"
#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"
#include "services/worklist/due_index.h"

namespace casecoord::meetings {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

std::string PlanKey(uint64_t case_id, int version) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kSupportPlan.name);
  storage::AppendUint64(&key, case_id);
  storage::AppendUint64(&key, static_cast<uint64_t>(version));
  return key;
}

std::string CaseName(uint64_t id) { return kCasePrefix + std::to_string(id); }

std::string PlanName(uint64_t case_id, int version) {
  return CaseName(case_id) + "/plans/" + std::to_string(version);
}

bool IsDate(const v1::Date& date) {
  return JstMidnight(date.year(), date.month(), date.day()).has_value();
}

bool ParseNumber(std::string_view digits, uint64_t* value) {
  auto parsed = ParseDecimalId(digits);
  if (parsed) *value = *parsed;
  return parsed.has_value();
}

// Moves the sealed fields of `plan` into the returned message.
v1::SupportPlan SplitPersonal(v1::SupportPlan* plan) {
  v1::SupportPlan personal;
  for (auto& goal : *plan->mutable_goals()) {
    personal.add_goals()->set_goal(std::move(*goal.mutable_goal()));
    goal.clear_goal();
  }
  *personal.mutable_evaluation_items() = std::move(*plan->mutable_evaluation_items());
  plan->clear_evaluation_items();
  for (auto& action : *plan->mutable_actions()) {
    personal.add_actions()->set_action(std::move(*action.mutable_action()));
    action.clear_action();
  }
  for (auto& review : *plan->mutable_reviews()) {
    personal.add_reviews()->set_evaluation(std::move(*review.mutable_evaluation()));
    review.clear_evaluation();
  }
  return personal;
}

Status JoinPersonal(const v1::SupportPlan& personal, v1::SupportPlan* plan) {
  if (personal.goals_size() != plan->goals_size() ||
      personal.actions_size() != plan->actions_size() ||
      personal.reviews_size() != plan->reviews_size()) {
    return Status(Reason::kPlanCorrupt, plan->name() + " does not fit together");
  }
  for (int i = 0; i < plan->goals_size(); ++i) {
    plan->mutable_goals(i)->set_goal(personal.goals(i).goal());
  }
  *plan->mutable_evaluation_items() = personal.evaluation_items();
  for (int i = 0; i < plan->actions_size(); ++i) {
    plan->mutable_actions(i)->set_action(personal.actions(i).action());
  }
  for (int i = 0; i < plan->reviews_size(); ++i) {
    plan->mutable_reviews(i)->set_evaluation(personal.reviews(i).evaluation());
  }
  return Status::Ok();
}

// Every goal names a goal, and a member of the household if it names one.
Status CheckGoals(const v1::SupportPlan& input, const v1::Case& record) {
  std::set<std::string> members;
  for (const auto& member : record.members()) members.insert(member.member_id());
  if (input.goals().empty()) return Status::InvalidArgument("plan.goals", "at least one goal");
  for (int i = 0; i < input.goals_size(); ++i) {
    const auto& goal = input.goals(i);
    const std::string field = "plan.goals[" + std::to_string(i) + "]";
    if (!goal.member_id().empty() && members.count(goal.member_id()) == 0) {
      return Status::InvalidArgument(field + ".member_id", "not a member of the household");
    }
    if (goal.goal().empty()) return Status::InvalidArgument(field + ".goal", "required");
  }
  return Status::Ok();
}

Status CheckActions(const v1::SupportPlan& plan) {
  for (int i = 0; i < plan.actions_size(); ++i) {
    const auto& action = plan.actions(i);
    const std::string field = "plan.actions[" + std::to_string(i) + "]";
    if (action.agency().rfind(kAgencyPrefix, 0) != 0 || !IsResourceId(action.agency().substr(9))) {
      return Status::InvalidArgument(field + ".agency", "must look like \"agencies/{agency}\"");
    }
    if (action.action().empty()) return Status::InvalidArgument(field + ".action", "required");
    if (action.has_due_date() && !IsDate(action.due_date())) {
      return Status::InvalidArgument(field + ".due_date", "not a date");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<PlanStore::Parsed> PlanStore::ParseName(const std::string& name) {
  const Status invalid = Status::InvalidArgument(
      "name", "must look like \"cases/{case}/plans/{version}\" or \"cases/{case}/plans/current\"");
  const size_t at = name.find("/plans/");
  if (name.rfind(kCasePrefix, 0) != 0 || at == std::string::npos) return invalid;
  Parsed parsed;
  if (!ParseNumber(name.substr(6, at - 6), &parsed.case_id)) return invalid;
  const std::string version = name.substr(at + 7);
  if (version == "current") return parsed;
  uint64_t number = 0;
  if (!ParseNumber(version, &number) || number > 1000000) return invalid;
  parsed.version = static_cast<int>(number);
  return parsed;
}

Result<std::string> PlanStore::CaseOf(const std::string& name) {
  const size_t at = name.find("/plans");
  const std::string case_name = at == std::string::npos ? name : name.substr(0, at);
  uint64_t id = 0;
  if (case_name.rfind(kCasePrefix, 0) != 0 || !ParseNumber(case_name.substr(6), &id)) {
    return Status::InvalidArgument("name", "must name a case's plan: \"cases/{case}/plans/...\"");
  }
  return case_name;
}

Result<int> PlanStore::LatestVersion(uint64_t case_id) const {
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kSupportPlan.name);
  storage::AppendUint64(&prefix, case_id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->SeekForPrev(prefix + std::string(1, '\xff'));
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading plans");
  if (!it->Valid() || !it->key().starts_with(prefix)) return 0;
  storage::KeyReader reader(
      std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
  uint64_t version = 0;
  if (!reader.ReadUint64(&version)) {
    return Status(Reason::kPlanCorrupt, CaseName(case_id) + ": bad plan key");
  }
  return static_cast<int>(version);
}

Result<v1::SupportPlan> PlanStore::Load(uint64_t case_id, int version) const {
  const std::string name = PlanName(case_id, version);
  auto value = storage_.Get(ColumnFamily::kRecords, PlanKey(case_id, version));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status(Reason::kPlanNotFound, name + " not found");
  std::string public_bytes, sealed;
  v1::SupportPlan plan, personal;
  if (!storage::Unframe(**value, {&public_bytes, &sealed}) || !plan.ParseFromString(public_bytes)) {
    return Status(Reason::kPlanCorrupt, name + " is unreadable");
  }
  auto key = cases_.KeyForCase(CaseName(case_id));
  if (!key.ok()) return key.status();
  auto opened = cases::Open(*key, name, sealed);
  if (!opened.ok()) return opened.status();
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kPlanCorrupt, name + " is unreadable");
  }
  CASECOORD_RETURN_IF_ERROR(JoinPersonal(personal, &plan));
  auto latest = LatestVersion(case_id);
  if (!latest.ok()) return latest.status();
  plan.set_current(version == *latest);
  return plan;
}

Status PlanStore::Put(uint64_t case_id, const v1::SupportPlan& plan,
                      storage::WriteBatch* batch) const {
  auto parsed = ParseName(plan.name());
  if (!parsed.ok()) return parsed.status();
  auto key = cases_.KeyForCase(CaseName(case_id));
  if (!key.ok()) return key.status();
  v1::SupportPlan public_part = plan;
  public_part.clear_current();  // derived when read
  const v1::SupportPlan personal = SplitPersonal(&public_part);
  batch->Put(ColumnFamily::kRecords, PlanKey(case_id, parsed->version),
             storage::Frame({public_part.SerializeAsString(),
                             cases::Seal(*key, plan.name(), personal.SerializeAsString())}));
  return Status::Ok();
}

Status PlanStore::PutReviewDue(const std::string& case_name, const v1::SupportPlan& plan,
                               storage::WriteBatch* batch) const {
  const std::string subject = case_name + "/plan";
  const bool closed = plan.reviews_size() > 0 && plan.reviews().rbegin()->decision() == v1::CLOSE;
  if (closed) return worklist::PrepareClearDue(storage_, subject, batch);
  auto record = cases_.Get(case_name);
  if (!record.ok()) return record.status();
  v1::DueItem item;
  item.set_kind(v1::PLAN_REVIEW_DUE);
  *item.mutable_due_date() = plan.next_review_date();
  item.set_case_(case_name);
  item.set_case_number(record->case_number());
  item.set_subject(subject);
  std::vector<std::string> owners;
  if (!record->coordinator().empty()) owners.push_back(record->coordinator());
  return worklist::PrepareSetDue(storage_, item, owners, batch);
}

Status PlanStore::AdoptMeeting(const std::string& parent, v1::SupportPlan* plan) const {
  auto meeting = meetings_.Get(plan->meeting());
  if (!meeting.ok() || meeting->case_() != parent) {
    return Status::InvalidArgument("plan.meeting", "must be a meeting of this case");
  }
  if (plan->actions().empty()) {
    for (const auto& assignment : meeting->minutes().assignments()) {
      auto* action = plan->add_actions();
      action->set_agency(assignment.agency());
      action->set_action(assignment.action());
      *action->mutable_due_date() = assignment.due_date();
      action->set_assignment(plan->meeting() + "#" + assignment.assignment_id());
    }
  }
  return Status::Ok();
}

Result<v1::SupportPlan> PlanStore::PrepareCreateVersion(const std::string& user_id,
                                                        const std::string& parent,
                                                        const v1::SupportPlan& input,
                                                        storage::WriteBatch* batch) const {
  auto case_name = CaseOf(parent);
  if (!case_name.ok() || *case_name != parent) {
    return Status::InvalidArgument("parent", "must look like \"cases/{case}\"");
  }
  auto record = cases_.Get(parent);
  if (!record.ok()) return record.status();
  CASECOORD_RETURN_IF_ERROR(CheckGoals(input, *record));
  if (!IsDate(input.next_review_date())) {
    return Status::InvalidArgument("plan.next_review_date", "required: a real day");
  }
  CASECOORD_RETURN_IF_ERROR(
      cases::CheckNotBeforeIntake(*record, input.next_review_date(), "plan.next_review_date"));
  v1::SupportPlan plan = input;
  if (!plan.meeting().empty()) CASECOORD_RETURN_IF_ERROR(AdoptMeeting(parent, &plan));
  CASECOORD_RETURN_IF_ERROR(CheckActions(plan));
  auto parsed = ParseName(parent + "/plans/current");
  if (!parsed.ok()) return parsed.status();
  auto latest = LatestVersion(parsed->case_id);
  if (!latest.ok()) return latest.status();
  plan.set_name(PlanName(parsed->case_id, *latest + 1));
  plan.clear_reviews();
  plan.set_author(kUserPrefix + user_id);
  *plan.mutable_create_time() = NowTimestamp(clock_);
  plan.set_current(true);
  CASECOORD_RETURN_IF_ERROR(Put(parsed->case_id, plan, batch));
  CASECOORD_RETURN_IF_ERROR(PutReviewDue(parent, plan, batch));
  return plan;
}

Result<v1::SupportPlan> PlanStore::Get(const std::string& name) const {
  auto parsed = ParseName(name);
  if (!parsed.ok()) return parsed.status();
  int version = parsed->version;
  if (version == 0) {
    auto latest = LatestVersion(parsed->case_id);
    if (!latest.ok()) return latest.status();
    if (*latest == 0) return Status(Reason::kPlanNotFound, name + ": the case has no plan");
    version = *latest;
  }
  return Load(parsed->case_id, version);
}

Result<std::vector<v1::SupportPlan>> PlanStore::List(const std::string& parent, int before_version,
                                                     int limit) const {
  auto parsed = ParseName(parent + "/plans/current");
  if (!parsed.ok()) return Status::InvalidArgument("parent", "must look like \"cases/{case}\"");
  auto latest = LatestVersion(parsed->case_id);
  if (!latest.ok()) return latest.status();
  std::vector<v1::SupportPlan> plans;
  int version = before_version > 0 ? std::min(before_version - 1, *latest) : *latest;
  for (; version >= 1 && static_cast<int>(plans.size()) < limit; --version) {
    auto plan = Load(parsed->case_id, version);
    if (!plan.ok()) return plan.status();
    plans.push_back(std::move(plan).value());
  }
  return plans;
}

namespace {

// The fields a review must carry: an evaluation, a decision, and the next review date unless the
// plan closes.
Status CheckReviewInput(const v1::PlanReview& input) {
  if (input.evaluation().empty()) {
    return Status::InvalidArgument("review.evaluation", "required");
  }
  if (input.decision() == v1::REVIEW_DECISION_UNSPECIFIED ||
      !v1::ReviewDecision_IsValid(input.decision())) {
    return Status::InvalidArgument("review.decision", "required");
  }
  if (input.decision() != v1::CLOSE && !IsDate(input.next_review_date())) {
    return Status::InvalidArgument("review.next_review_date", "required unless the plan closes");
  }
  return Status::Ok();
}

}  // namespace

Result<v1::SupportPlan> PlanStore::PrepareReview(const std::string& user_id,
                                                 const v1::ReviewPlanRequest& request,
                                                 storage::WriteBatch* batch) const {
  auto parsed = ParseName(request.name());
  if (!parsed.ok()) return parsed.status();
  auto plan = Get(request.name());
  if (!plan.ok()) return plan.status();
  if (!plan->current()) {
    return Status(Reason::kPlanNotCurrent,
                  plan->name() + " is not the plan in force; review the latest");
  }
  const v1::PlanReview& input = request.review();
  CASECOORD_RETURN_IF_ERROR(CheckReviewInput(input));
  v1::PlanReview review = input;
  review.set_number(plan->reviews_size() + 1);
  if (!review.has_review_date()) {
    *review.mutable_review_date() = JstToday(clock_);
  } else if (!IsDate(review.review_date())) {
    return Status::InvalidArgument("review.review_date", "not a date");
  }
  const std::string case_name = CaseName(parsed->case_id);
  CASECOORD_RETURN_IF_ERROR(
      cases_.CheckDateOnCase(case_name, review.review_date(), "review.review_date"));
  if (review.decision() != v1::CLOSE) {
    CASECOORD_RETURN_IF_ERROR(
        cases_.CheckDateOnCase(case_name, review.next_review_date(), "review.next_review_date"));
  }
  review.set_reviewer(kUserPrefix + user_id);
  *review.mutable_create_time() = NowTimestamp(clock_);
  if (review.decision() != v1::CLOSE) *plan->mutable_next_review_date() = review.next_review_date();
  *plan->add_reviews() = std::move(review);
  CASECOORD_RETURN_IF_ERROR(Put(parsed->case_id, *plan, batch));
  CASECOORD_RETURN_IF_ERROR(PutReviewDue(CaseName(parsed->case_id), *plan, batch));
  return plan;
}

}  // namespace casecoord::meetings
