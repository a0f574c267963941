#include "services/cases/case_counting.h"

#include <set>

#include "services/cases/case_layout.h"
#include "services/common/fiscal_year.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

std::vector<stats::DimensionValue> Dimensions(const v1::Case& classification) {
  std::vector<stats::DimensionValue> dimensions;
  if (!classification.district().empty()) {
    dimensions.push_back({stats::kDistrict, classification.district()});
  }
  for (const auto& tag : classification.household_issue_tags()) {
    dimensions.push_back({stats::kIssueTag, tag});
  }
  for (int field : classification.fields()) {
    dimensions.push_back(
        {stats::kField, LowerName(v1::SupportField_Name(static_cast<v1::SupportField>(field)))});
  }
  if (classification.referring_agency_kind() != v1::AGENCY_KIND_UNSPECIFIED) {
    dimensions.push_back({stats::kReferrerKind,
                          LowerName(v1::AgencyKind_Name(classification.referring_agency_kind()))});
  }
  return dimensions;
}

int DecisionFiscalYear(const v1::CaseEvent& event) {
  return FiscalYearOfDate(event.decision_date().year(), event.decision_date().month());
}

Status CountMeeting(const v1::CaseEvent& event,
                    const std::vector<stats::DimensionValue>& dimensions,
                    stats::CounterChanges* changes, int64_t delta) {
  const int year = DecisionFiscalYear(event);
  switch (event.meeting_type()) {
    case v1::SUPPORT_MEETING:
    case v1::MULTI_AGENCY_SUPPORT_MEETING:
      return changes->Count(year, stats::kCaseMeetings, dimensions, delta);
    case v1::ADVISER_MEETING:
      return changes->Count(year, stats::kAdviserMeetings, dimensions, delta);
    default:
      return Status::Ok();  // internal reviews are not in the yearly table
  }
}

Status CountStateChange(const v1::CaseEvent& event, std::vector<stats::DimensionValue> dimensions,
                        stats::CounterChanges* changes, int64_t delta) {
  const int fiscal_year = DecisionFiscalYear(event);
  if (event.to_state() == v1::COMPLETED_BY_ADVICE) {
    return changes->Count(fiscal_year, stats::kCasesCompletedByAdvice, dimensions, delta);
  }
  if (event.to_state() == v1::COORDINATING && event.from_state() == v1::INTAKE) {
    return changes->Count(fiscal_year, stats::kCasesCoordinated, dimensions, delta);
  }
  if (event.to_state() == v1::CLOSED) {
    dimensions.push_back({stats::kOutcome, LowerName(v1::CaseOutcome_Name(event.outcome()))});
    return changes->Count(fiscal_year, stats::kCasesClosed, dimensions, delta);
  }
  return Status::Ok();
}

}  // namespace

v1::Case Classification(const v1::Case& record) {
  v1::Case classification;
  classification.set_district(record.district());
  std::set<std::string> tags(record.household_issue_tags().begin(),
                             record.household_issue_tags().end());
  for (const auto& member : record.members()) {
    tags.insert(member.issue_tags().begin(), member.issue_tags().end());
  }
  for (const auto& tag : tags) classification.add_household_issue_tags(tag);
  const std::set<int> fields(record.fields().begin(), record.fields().end());
  for (int field : fields) classification.add_fields(static_cast<v1::SupportField>(field));
  classification.set_referring_agency_kind(record.referring_agency_kind());
  *classification.mutable_fiscal_year() = record.fiscal_year();
  return classification;
}

Status CountEvent(const v1::Case& classification, const v1::CaseEvent& event,
                  stats::CounterChanges* changes, int64_t delta) {
  switch (event.kind()) {
    case v1::OPENED:
      return changes->Count(classification.fiscal_year().year(), stats::kCasesOpened,
                            Dimensions(classification), delta);
    case v1::CONSULTATION_LOGGED:
      if (event.consultation_kind() != v1::COORDINATION_CONTACT) return Status::Ok();
      return changes->Count(DecisionFiscalYear(event), stats::kCoordinationContacts,
                            Dimensions(classification), delta);
    case v1::MEETING_HELD:
      return CountMeeting(event, Dimensions(classification), changes, delta);
    case v1::STATE_CHANGED:
      return CountStateChange(event, Dimensions(classification), changes, delta);
    default:
      return Status::Ok();
  }
}

Status PrepareMoveCounts(const storage::Storage& storage, uint64_t id, const std::string& name,
                         const v1::Case& before, const v1::Case& after,
                         storage::WriteBatch* batch) {
  const v1::Case old_classification = Classification(before);
  const v1::Case new_classification = Classification(after);
  if (old_classification.SerializeAsString() == new_classification.SerializeAsString()) {
    return Status::Ok();
  }
  // Counters count a case as it is recorded now: take every counted event off the old
  // classification's counters and onto the new ones.
  stats::CounterChanges moved;
  const std::string prefix = Key(kEvent, id);
  auto it = storage.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::CaseEvent counted;
    if (!ParsePublic(it->value().ToStringView(), &counted)) {
      return Status(Reason::kCaseEventCorrupt, name + ": unreadable event");
    }
    CASECOORD_RETURN_IF_ERROR(CountEvent(old_classification, counted, &moved, -1));
    CASECOORD_RETURN_IF_ERROR(CountEvent(new_classification, counted, &moved, +1));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
  moved.ApplyTo(batch);
  return Status::Ok();
}

Status CaseCounting::RecountCase(uint64_t id, const v1::Case& classification,
                                 stats::CounterChanges* changes) const {
  const std::string event_prefix = Key(kEvent, id);
  auto events = storage_.NewIterator(ColumnFamily::kRecords);
  for (events->Seek(event_prefix); events->Valid() && events->key().starts_with(event_prefix);
       events->Next()) {
    v1::CaseEvent event;
    if (!ParsePublic(events->value().ToStringView(), &event)) {
      return Status(Reason::kCaseEventCorrupt, CaseName(id) + ": bad event");
    }
    CASECOORD_RETURN_IF_ERROR(CountEvent(classification, event, changes));
  }
  if (!events->status().ok()) {
    return storage::FromRocksStatus(events->status(), "reading case events");
  }
  return Status::Ok();
}

Result<stats::CounterChanges> CaseCounting::RecountCounters() const {
  stats::CounterChanges changes;
  const std::string prefix = KindPrefix(kCase);
  auto cases = storage_.NewIterator(ColumnFamily::kRecords);
  for (cases->Seek(prefix); cases->Valid() && cases->key().starts_with(prefix); cases->Next()) {
    if (!IsCaseRecordKey(cases->key().ToStringView(), prefix.size())) continue;
    v1::Case record;
    uint64_t id = 0;
    if (!ReadIdAfter(cases->key().ToStringView(), prefix.size(), &id) ||
        !ParsePublic(cases->value().ToStringView(), &record)) {
      return Status(Reason::kCaseRecordCorrupt, "a case is unreadable");
    }
    CASECOORD_RETURN_IF_ERROR(RecountCase(id, Classification(record), &changes));
  }
  if (!cases->status().ok()) return storage::FromRocksStatus(cases->status(), "reading cases");
  return changes;
}

Result<CounterRebuild> CaseCounting::PrepareRebuildCounters(bool validate_only,
                                                            storage::WriteBatch* batch) const {
  auto recount = RecountCounters();
  if (!recount.ok()) return recount.status();
  for (const auto& recounter : recounters_) {
    auto other = recounter();
    if (!other.ok()) return other.status();
    recount->Merge(*other);
  }
  auto stored = stats::ReadCounters(storage_, stats::kMinFiscalYear, stats::kMaxFiscalYear);
  if (!stored.ok()) return stored.status();
  CounterRebuild rebuild;
  rebuild.differences = stats::Compare(*stored, recount->deltas());
  rebuild.counters_recomputed = recount->deltas().size();
  if (!validate_only && !rebuild.differences.empty()) {
    stats::PrepareReplaceCounters(recount->deltas(), batch);
  }
  return rebuild;
}

}  // namespace casecoord::cases
