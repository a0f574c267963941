// Referrals of a case to agencies, and the team they build: asking an agency of the directory to
// join (refer), its answer (accept, decline, or the coordinator's revoke), each agency's inbox of
// pending referrals, and taking an agency off the team. Layout in case_store.h ("case-referral",
// "referral-inbox", "case-team").
//
// Every change is prepared into a WriteBatch the caller commits with its audit entry, holding
// CaseStore::LockCase of the case until then. A referral is also a work-list item
// (services/worklist) in the same batch: PENDING on the agency's list, its answer on the
// coordinator's (monitoring.proto REFERRAL_PENDING, REFERRAL_ANSWERED).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <string>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_store.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

class CaseReferrals {
 public:
  // All must outlive this object.
  CaseReferrals(const CaseStore& cases, const storage::Storage& storage,
                const directory::AgencyStore& agencies, const Clock& clock)
      : cases_(cases), storage_(storage), agencies_(agencies), clock_(clock) {}

  // Asks an ACTIVE agency of the directory to join the team in `referral.role`. FAILED_PRECONDITION
  // if it is on the team already or has a pending referral for this case.
  Result<v1::Referral> PrepareRefer(const std::string& user_id, const std::string& parent,
                                    const v1::Referral& referral, storage::WriteBatch* batch) const;

  enum class Answer { kAccept, kDecline, kRevoke };
  // Answers a PENDING referral (FAILED_PRECONDITION otherwise, naming its state). Accepting adds
  // the agency to the team with the referral's role; declining needs a reason (INVALID_ARGUMENT
  // "reason") and may propose another agency of the directory. The caller checks who may answer
  // (ReferralOf tells which agency it is addressed to).
  Result<v1::Referral> PrepareAnswer(const std::string& user_id,
                                     const v1::AnswerReferralRequest& request, Answer answer,
                                     storage::WriteBatch* batch) const;

  // The referral `name` ("cases/{id}/referrals/{n}"), opened.
  Result<v1::Referral> ReferralOf(const std::string& name) const;

  // A case's referrals, oldest first; or, for parent "cases/-", the PENDING referrals addressed to
  // `agency` (an agency's inbox), oldest case first.
  Result<std::vector<v1::Referral>> Referrals(const std::string& parent,
                                              const std::string& agency) const;

  // Takes `agency` off the team (FAILED_PRECONDITION if it is not on it); its staff lose access at
  // once. `reason` is required and sealed in the history.
  Result<v1::Case> PrepareRemoveTeamMember(const std::string& user_id,
                                           const v1::RemoveTeamMemberRequest& request,
                                           storage::WriteBatch* batch) const;

 private:
  void PutReferral(uint64_t id, uint64_t number, const CaseKey& key, const v1::Referral& referral,
                   storage::WriteBatch* batch) const;
  // Whether `input` may be sent for the case `record`: the agency (ACTIVE, in the directory), the
  // role, and not on the team yet.
  Status CheckReferable(const v1::Case& record, const v1::Referral& input) const;
  // Validates the fields a `answer` needs (a decline's reason and proposed agency).
  Status CheckAnswer(const v1::AnswerReferralRequest& request, Answer answer) const;
  // Makes the work-list item of `referral` of the case `record` (monitoring.proto DueKind
  // REFERRAL_PENDING, REFERRAL_ANSWERED) agree with its state, dated today.
  Status PrepareReferralItem(const v1::Case& record, const v1::Referral& referral,
                             storage::WriteBatch* batch) const;
  // Adds the referral's agency to the team of `record`.
  Status PrepareJoinTeam(uint64_t id, const CaseKey& key, const v1::Referral& referral,
                         v1::Case* record, storage::WriteBatch* batch) const;
  // The PENDING referrals addressed to `agency`.
  Result<std::vector<v1::Referral>> Inbox(const std::string& agency) const;

  const CaseStore& cases_;
  const storage::Storage& storage_;
  const directory::AgencyStore& agencies_;
  const Clock& clock_;
};

}  // namespace casecoord::cases
