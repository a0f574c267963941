#include "services/cases/case_model.h"

#include <string>

namespace casecoord::cases {
namespace {

std::string StateName(v1::CaseState state) { return v1::CaseState_Name(state); }

}  // namespace

v1::Case SplitPersonal(v1::Case* record) {
  v1::Case personal;
  for (auto& member : *record->mutable_members()) {
    v1::HouseholdMember* sealed = personal.add_members();
    sealed->set_member_id(member.member_id());
    sealed->set_display_name(std::move(*member.mutable_display_name()));
    sealed->set_kana(std::move(*member.mutable_kana()));
    if (member.has_birth_date()) *sealed->mutable_birth_date() = member.birth_date();
    sealed->set_phone(std::move(*member.mutable_phone()));
    member.clear_display_name();
    member.clear_kana();
    member.clear_birth_date();
    member.clear_phone();
  }
  for (auto& involved : *record->mutable_involved_agencies()) {
    v1::InvolvedAgency* sealed = personal.add_involved_agencies();
    sealed->set_agency(involved.agency());
    sealed->set_note(std::move(*involved.mutable_note()));
    involved.clear_note();
  }
  personal.set_address(std::move(*record->mutable_address()));
  personal.set_phone(std::move(*record->mutable_phone()));
  personal.set_referral_note(std::move(*record->mutable_referral_note()));
  personal.set_presenting_problem(std::move(*record->mutable_presenting_problem()));
  record->clear_address();
  record->clear_phone();
  record->clear_referral_note();
  record->clear_presenting_problem();
  return personal;
}

Status JoinPersonal(const v1::Case& personal, v1::Case* record) {
  // Built on demand: a returned Status is moved out, which a shared const local would not allow.
  const auto mismatch = [record] {
    return Status(Reason::kPersonalDataMismatch,
                  record->name() + ": the sealed personal data does not fit the record");
  };
  if (personal.members_size() != record->members_size() ||
      personal.involved_agencies_size() != record->involved_agencies_size()) {
    return mismatch();
  }
  for (int i = 0; i < record->members_size(); ++i) {
    const auto& sealed = personal.members(i);
    auto* member = record->mutable_members(i);
    if (sealed.member_id() != member->member_id()) return mismatch();
    member->set_display_name(sealed.display_name());
    member->set_kana(sealed.kana());
    if (sealed.has_birth_date()) *member->mutable_birth_date() = sealed.birth_date();
    member->set_phone(sealed.phone());
  }
  for (int i = 0; i < record->involved_agencies_size(); ++i) {
    const auto& sealed = personal.involved_agencies(i);
    auto* involved = record->mutable_involved_agencies(i);
    if (sealed.agency() != involved->agency()) return mismatch();
    involved->set_note(sealed.note());
  }
  record->set_address(personal.address());
  record->set_phone(personal.phone());
  record->set_referral_note(personal.referral_note());
  record->set_presenting_problem(personal.presenting_problem());
  return Status::Ok();
}

Status CheckTransition(v1::CaseState from, const v1::TransitionCaseRequest& request) {
  using v1::CaseState;
  const CaseState to = request.to();
  // A state this server does not know is a malformed request, not a move the case's state forbids.
  if (!v1::CaseState_IsValid(to) || to == v1::CASE_STATE_UNSPECIFIED) {
    return Status::InvalidArgument("to", "not a case state (" + std::to_string(to) + ")");
  }
  bool allowed = false;
  switch (from) {
    case v1::INTAKE:
      allowed = to == v1::COMPLETED_BY_ADVICE || to == v1::COORDINATING || to == v1::CLOSED;
      break;
    case v1::COORDINATING:
      allowed = to == v1::IN_SUPPORT || to == v1::CLOSED;
      break;
    case v1::IN_SUPPORT:
      allowed = to == v1::CLOSED || to == v1::COORDINATING;
      break;
    case v1::COMPLETED_BY_ADVICE:
    case v1::CLOSED:
      allowed = to == v1::COORDINATING;
      break;
    default:
      break;
  }
  if (!allowed) {
    return Status(Reason::kIllegalTransition,
                  "the case is " + StateName(from) + " and cannot move to " + StateName(to));
  }
  const bool reopening = from == v1::COMPLETED_BY_ADVICE || from == v1::CLOSED;
  if (reopening && request.reason().empty()) {
    return Status::InvalidArgument("reason", "reopening a case needs a reason");
  }
  if (to == v1::CLOSED) {
    if (request.outcome() == v1::CASE_OUTCOME_UNSPECIFIED ||
        !v1::CaseOutcome_IsValid(request.outcome())) {
      return Status::InvalidArgument("outcome", "closing a case needs an outcome");
    }
    // From intake a case can only be withdrawn or transferred: it was never coordinated.
    if (from == v1::INTAKE && request.outcome() != v1::WITHDRAWN &&
        request.outcome() != v1::TRANSFERRED) {
      return Status(Reason::kIllegalTransition,
                    "the case is INTAKE: it can be closed only as WITHDRAWN or TRANSFERRED");
    }
    if (request.outcome() == v1::NOT_RESOLVED_REVIEWED && request.reason().empty()) {
      return Status::InvalidArgument("reason", "an unresolved case needs its review (検証)");
    }
  } else if (request.outcome() != v1::CASE_OUTCOME_UNSPECIFIED) {
    return Status::InvalidArgument("outcome", "only a closure has an outcome");
  }
  return Status::Ok();
}

}  // namespace casecoord::cases
