#include "services/cases/case_referrals.h"

#include <algorithm>

#include "services/cases/case_layout.h"
#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "services/worklist/due_index.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

// The event an answer records, and the state it moves the referral to (with the decline's
// reason and proposed agency).
v1::CaseEventKind ApplyAnswer(CaseReferrals::Answer answer,
                              const v1::AnswerReferralRequest& request, v1::Referral* referral) {
  switch (answer) {
    case CaseReferrals::Answer::kAccept:
      referral->set_state(v1::Referral::ACCEPTED);
      return v1::REFERRAL_ACCEPTED;
    case CaseReferrals::Answer::kDecline:
      referral->set_state(v1::Referral::DECLINED);
      referral->set_decline_reason(request.reason());
      referral->set_proposed_agency(request.proposed_agency());
      return v1::REFERRAL_DECLINED;
    case CaseReferrals::Answer::kRevoke:
      referral->set_state(v1::Referral::REVOKED);
      return v1::REFERRAL_REVOKED;
  }
  return v1::REFERRAL_ACCEPTED;
}

}  // namespace

Status CaseReferrals::PrepareReferralItem(const v1::Case& record, const v1::Referral& referral,
                                          storage::WriteBatch* batch) const {
  v1::DueItem item;
  item.set_subject(referral.name());
  item.set_case_(record.name());
  item.set_case_number(record.case_number());
  item.set_agency(referral.agency());
  // Due on the day of the change: at once on the owner's list and on its open watches.
  *item.mutable_due_date() = JstToday(clock_);
  std::vector<std::string> owners;
  switch (referral.state()) {
    case v1::Referral::PENDING:
      item.set_kind(v1::REFERRAL_PENDING);
      owners.push_back(referral.agency());
      break;
    case v1::Referral::ACCEPTED:
    case v1::Referral::DECLINED:
      item.set_kind(v1::REFERRAL_ANSWERED);
      if (!record.coordinator().empty()) owners.push_back(record.coordinator());
      break;
    default:  // REVOKED: on no list (no owners clears the subject).
      break;
  }
  return worklist::PrepareSetDue(storage_, item, owners, batch);
}

void CaseReferrals::PutReferral(uint64_t id, uint64_t number, const CaseKey& key,
                                const v1::Referral& referral, storage::WriteBatch* batch) const {
  v1::Referral public_part = referral;
  v1::Referral personal;
  personal.set_note(std::move(*public_part.mutable_note()));
  personal.set_decline_reason(std::move(*public_part.mutable_decline_reason()));
  public_part.clear_note();
  public_part.clear_decline_reason();
  batch->Put(ColumnFamily::kRecords, ReferralKey(id, number),
             storage::Frame({public_part.SerializeAsString(),
                             Seal(key, referral.name(), personal.SerializeAsString()), ""}));
  const std::string inbox = InboxKey(referral.agency(), id, number);
  if (referral.state() == v1::Referral::PENDING) {
    batch->Put(ColumnFamily::kIndexes, inbox, "");
  } else {
    batch->Delete(ColumnFamily::kIndexes, inbox);
  }
}

Result<v1::Referral> CaseReferrals::ReferralOf(const std::string& name) const {
  auto parsed = ParseReferralName(name);
  if (!parsed.ok()) return parsed.status();
  const auto [id, number] = *parsed;
  auto value = storage_.Get(ColumnFamily::kRecords, ReferralKey(id, number));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return Status(Reason::kNotFound, name + " not found");
  std::string public_bytes, sealed, unused;
  v1::Referral referral, personal;
  if (!storage::Unframe(**value, {&public_bytes, &sealed, &unused}) ||
      !referral.ParseFromString(public_bytes)) {
    return Status(Reason::kReferralCorrupt, name + " is unreadable");
  }
  auto key = cases_.KeyOf(id);
  if (!key.ok()) return key.status();
  auto opened = Open(*key, referral.name(), sealed);
  if (!opened.ok()) return opened.status();
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kReferralCorrupt, name + " is unreadable");
  }
  referral.set_note(personal.note());
  referral.set_decline_reason(personal.decline_reason());
  return referral;
}

Status CaseReferrals::CheckReferable(const v1::Case& record, const v1::Referral& input) const {
  auto agency = agencies_.Get(input.agency(), "referral.agency");
  if (!agency.ok()) {
    if (agency.status().code() != StatusCode::kNotFound) return agency.status();
    return Status::InvalidArgument("referral.agency", "must be an agency of the directory");
  }
  if (agency->state() != v1::Agency::ACTIVE) {
    return Status(Reason::kAgencyNotActive, input.agency() + " is not active");
  }
  if (input.role() == v1::TEAM_ROLE_UNSPECIFIED || !v1::TeamRole_IsValid(input.role())) {
    return Status::InvalidArgument("referral.role", "required");
  }
  for (const auto& member : record.team()) {
    if (member.agency() == input.agency()) {
      return Status(Reason::kAlreadyOnTeam, input.agency() + " is on the team");
    }
  }
  return Status::Ok();
}

Result<v1::Referral> CaseReferrals::PrepareRefer(const std::string& user_id,
                                                 const std::string& parent,
                                                 const v1::Referral& input,
                                                 storage::WriteBatch* batch) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  auto stored = cases_.Load(*id);
  if (!stored.ok()) return stored.status();
  CASECOORD_RETURN_IF_ERROR(CheckReferable(stored->record, input));
  auto existing = Referrals(parent, "");
  if (!existing.ok()) return existing.status();
  for (const auto& referral : *existing) {
    if (referral.agency() == input.agency() && referral.state() == v1::Referral::PENDING) {
      return Status(Reason::kReferralPending, referral.name() + " already asks " + input.agency());
    }
  }
  const uint64_t number = existing->size() + 1;
  v1::Referral referral;
  referral.set_name(parent + "/referrals/" + std::to_string(number));
  referral.set_agency(input.agency());
  referral.set_role(input.role());
  referral.set_note(input.note());
  referral.set_state(v1::Referral::PENDING);
  referral.set_referred_by(kUserPrefix + user_id);
  *referral.mutable_create_time() = ToTimestamp(clock_.Now());
  auto key = cases_.KeyOf(*id);
  if (!key.ok()) return key.status();
  PutReferral(*id, number, *key, referral, batch);
  // Referring again is acting on the answers to the earlier referrals.
  CASECOORD_RETURN_IF_ERROR(cases_.PrepareClearReferralItems(*id, /*pending=*/false, batch));
  CASECOORD_RETURN_IF_ERROR(PrepareReferralItem(stored->record, referral, batch));
  CASECOORD_RETURN_IF_ERROR(cases_.PutHistory(*id, *key, stored->record, user_id, v1::REFERRED,
                                              referral.name(), "", batch));
  return referral;
}

Status CaseReferrals::CheckAnswer(const v1::AnswerReferralRequest& request, Answer answer) const {
  if (answer != Answer::kDecline) return Status::Ok();
  if (request.reason().empty()) {
    return Status::InvalidArgument("reason", "a declined referral needs a reason");
  }
  if (!request.proposed_agency().empty() &&
      !agencies_.Get(request.proposed_agency(), "proposed_agency").ok()) {
    return Status::InvalidArgument("proposed_agency", "must be an agency of the directory");
  }
  return Status::Ok();
}

Status CaseReferrals::PrepareJoinTeam(uint64_t id, const CaseKey& key, const v1::Referral& referral,
                                      v1::Case* record, storage::WriteBatch* batch) const {
  auto* former = record->mutable_former_team();
  former->erase(std::remove(former->begin(), former->end(), referral.agency()), former->end());
  v1::TeamMember* member = record->add_team();
  member->set_agency(referral.agency());
  member->set_role(referral.role());
  member->set_referral(referral.name());
  *member->mutable_join_time() = referral.answer_time();
  cases_.PutTeamIndex(id, referral.agency(), /*on_team=*/true, batch);
  auto last = cases_.LastEventSequence(id);
  if (!last.ok()) return last.status();
  *record->mutable_update_time() = referral.answer_time();
  record->set_etag(std::to_string(*last + 1));
  cases_.PutCase(id, key, *record, batch);
  return Status::Ok();
}

Result<v1::Referral> CaseReferrals::PrepareAnswer(const std::string& user_id,
                                                  const v1::AnswerReferralRequest& request,
                                                  Answer answer, storage::WriteBatch* batch) const {
  auto parsed = ParseReferralName(request.name());
  if (!parsed.ok()) return parsed.status();
  const auto [id, number] = *parsed;
  auto referral = ReferralOf(request.name());
  if (!referral.ok()) return referral.status();
  if (referral->state() != v1::Referral::PENDING) {
    return Status(
        Reason::kReferralAnswered,
        request.name() + " is " + v1::Referral::State_Name(referral->state()) + ", not PENDING");
  }
  CASECOORD_RETURN_IF_ERROR(CheckAnswer(request, answer));
  auto stored = cases_.Load(id);
  if (!stored.ok()) return stored.status();
  v1::Case& record = stored->record;
  referral->set_answered_by(kUserPrefix + user_id);
  *referral->mutable_answer_time() = ToTimestamp(clock_.Now());
  const v1::CaseEventKind kind = ApplyAnswer(answer, request, &*referral);
  auto key = cases_.KeyOf(id);
  if (!key.ok()) return key.status();
  PutReferral(id, number, *key, *referral, batch);
  CASECOORD_RETURN_IF_ERROR(PrepareReferralItem(record, *referral, batch));
  if (answer == Answer::kAccept) {
    CASECOORD_RETURN_IF_ERROR(PrepareJoinTeam(id, *key, *referral, &record, batch));
  }
  CASECOORD_RETURN_IF_ERROR(cases_.PutHistory(id, *key, record, user_id, kind, referral->name(),
                                              request.reason(), batch));
  return referral;
}

Result<std::vector<v1::Referral>> CaseReferrals::Inbox(const std::string& agency) const {
  std::vector<v1::Referral> out;
  const std::string prefix = AgencyPrefix(kInbox, agency);
  auto it = storage_.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0, number = 0;
    if (!reader.ReadUint64(&id) || !reader.ReadUint64(&number)) continue;
    auto referral = ReferralOf(CaseName(id) + "/referrals/" + std::to_string(number));
    if (!referral.ok()) return referral.status();
    out.push_back(std::move(referral).value());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading an inbox");
  return out;
}

Result<std::vector<v1::Referral>> CaseReferrals::Referrals(const std::string& parent,
                                                           const std::string& agency) const {
  if (parent == "cases/-") return Inbox(agency);
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  std::vector<v1::Referral> out;
  const std::string prefix = Key(kReferral, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::Referral referral;
    if (!ParsePublic(it->value().ToStringView(), &referral)) {
      return Status(Reason::kReferralCorrupt, parent + ": unreadable referral");
    }
    auto opened = ReferralOf(referral.name());
    if (!opened.ok()) return opened.status();
    out.push_back(std::move(opened).value());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading referrals");
  return out;
}

Result<v1::Case> CaseReferrals::PrepareRemoveTeamMember(const std::string& user_id,
                                                        const v1::RemoveTeamMemberRequest& request,
                                                        storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  if (request.reason().empty()) return Status::InvalidArgument("reason", "required");
  auto stored = cases_.Load(*id);
  if (!stored.ok()) return stored.status();
  v1::Case& record = stored->record;
  auto* team = record.mutable_team();
  auto member = std::find_if(team->begin(), team->end(), [&](const v1::TeamMember& m) {
    return m.agency() == request.agency();
  });
  if (member == team->end()) {
    return Status(Reason::kNotOnTeam, request.agency() + " is not on the team");
  }
  team->erase(member);
  record.add_former_team(request.agency());
  cases_.PutTeamIndex(*id, request.agency(), /*on_team=*/false, batch);
  // The agency no longer needs to know: its work-list items of this case go with it.
  CASECOORD_RETURN_IF_ERROR(
      worklist::PrepareRemoveOwnerFromCase(storage_, request.agency(), CaseName(*id), batch));
  auto last = cases_.LastEventSequence(*id);
  if (!last.ok()) return last.status();
  *record.mutable_update_time() = ToTimestamp(clock_.Now());
  record.set_etag(std::to_string(*last + 1));
  auto key = cases_.KeyOf(*id);
  if (!key.ok()) return key.status();
  cases_.PutCase(*id, *key, record, batch);
  CASECOORD_RETURN_IF_ERROR(cases_.PutHistory(*id, *key, record, user_id, v1::TEAM_MEMBER_REMOVED,
                                              request.agency(), request.reason(), batch));
  return record;
}

}  // namespace casecoord::cases
