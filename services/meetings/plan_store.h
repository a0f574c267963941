// Support plans over storage (meetings.proto): versions per case and the reviews of the version in
// force.
//
// Layout (kRecords):
//   "case-plan"/case id/version   the plan version: its public part and, sealed under the case's
//                                 key with context "cases/{id}/plans/{version}", its goals,
//                                 evaluation items, actions and review evaluations
// The version in force is the highest. Its next review date is in the case coordinator's work list
// (services/worklist, kind PLAN_REVIEW_DUE, subject "cases/{id}/plan"), written in the same batch;
// a review deciding CLOSE takes it off.
//
// Writers hold the case's lock (CaseAccess::LockCase) from preparation until commit.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <string>
#include <vector>

#include "casecoord/v1/meetings.pb.h"
#include "services/cases/case_access.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/meetings/meeting_store.h"
#include "services/storage/request_ledger.h"
#include "services/storage/storage.h"

namespace casecoord::meetings {

class PlanStore {
 public:
  // All must outlive the store.
  PlanStore(storage::Storage& storage, const cases::CaseAccess& cases, const MeetingStore& meetings,
            const Clock& clock)
      : storage_(storage), cases_(cases), meetings_(meetings), clock_(clock) {}

  // A new version of the plan of case `parent` ("cases/{id}"), in force from now. INVALID_ARGUMENT
  // naming the field: goals (at least one; member_id one of the case's members or empty; goal
  // text), next_review_date (a real day, required), actions (agency as agencies/{id}, action
  // text), meeting (a meeting of this case). With a meeting and no actions, the actions are that
  // meeting's role assignments. FAILED_PRECONDITION "DATED_BEFORE_INTAKE" for a next_review_date
  // before the case's intake.
  Result<v1::SupportPlan> PrepareCreateVersion(const std::string& user_id,
                                               const std::string& parent,
                                               const v1::SupportPlan& input,
                                               storage::WriteBatch* batch) const;

  // "cases/{id}/plans/{version}" or "cases/{id}/plans/current". NOT_FOUND if absent.
  Result<v1::SupportPlan> Get(const std::string& name) const;

  // The versions of the case's plan, newest first, strictly below `before_version` (0 = from the
  // newest).
  Result<std::vector<v1::SupportPlan>> List(const std::string& parent, int before_version,
                                            int limit) const;

  // Records a review of the version in force (FAILED_PRECONDITION for an older version):
  // evaluation required; decision required; next_review_date required unless CLOSE.
  // FAILED_PRECONDITION "DATED_BEFORE_INTAKE" for a review_date or next_review_date before the
  // case's intake.
  Result<v1::SupportPlan> PrepareReview(const std::string& user_id,
                                        const v1::ReviewPlanRequest& request,
                                        storage::WriteBatch* batch) const;

  // "cases/{id}" of a plan name or parent, for locking and visibility; INVALID_ARGUMENT otherwise.
  static Result<std::string> CaseOf(const std::string& name);

  // Remembers the request ids of this store's idempotent writes (storage::WriteOnce).
  const storage::RequestLedger& requests() const { return requests_; }

 private:
  struct Parsed {
    uint64_t case_id = 0;
    int version = 0;  // 0 for "current"
  };
  static Result<Parsed> ParseName(const std::string& name);
  Result<int> LatestVersion(uint64_t case_id) const;
  // Checks that plan->meeting() is a meeting of `parent`; a plan without actions takes the
  // meeting's assignments as its actions.
  Status AdoptMeeting(const std::string& parent, v1::SupportPlan* plan) const;
  Result<v1::SupportPlan> Load(uint64_t case_id, int version) const;
  Status Put(uint64_t case_id, const v1::SupportPlan& plan, storage::WriteBatch* batch) const;
  Status PutReviewDue(const std::string& case_name, const v1::SupportPlan& plan,
                      storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const storage::RequestLedger requests_{storage_};
  const cases::CaseAccess& cases_;
  const MeetingStore& meetings_;
  const Clock& clock_;
};

}  // namespace casecoord::meetings
