// CaseStore's need-to-know listing: every case, or an agency's team index, newest first, filtered
// on the public part of each case.
#include <algorithm>
#include <optional>
#include <tuple>

#include "services/cases/case_layout.h"
#include "services/cases/case_store.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

bool HasTag(const v1::Case& record, const std::string& tag) {
  const auto& household = record.household_issue_tags();
  if (std::find(household.begin(), household.end(), tag) != household.end()) return true;
  return std::any_of(
      record.members().begin(), record.members().end(), [&](const v1::HouseholdMember& member) {
        return std::find(member.issue_tags().begin(), member.issue_tags().end(), tag) !=
               member.issue_tags().end();
      });
}

bool IsOverdue(const v1::Case& record, const v1::Date& today) {
  if (record.state() == v1::COMPLETED_BY_ADVICE || record.state() == v1::CLOSED) return false;
  if (!record.has_next_review_date()) return false;
  const auto& due = record.next_review_date();
  return std::make_tuple(due.year(), due.month(), due.day()) <
         std::make_tuple(today.year(), today.month(), today.day());
}

// Everything but visibility, on the public part of a case.
bool Matches(const v1::Case& record, const CaseFilter& filter) {
  if (filter.state != v1::CASE_STATE_UNSPECIFIED && record.state() != filter.state) return false;
  if (!filter.district.empty() && record.district() != filter.district) return false;
  if (filter.fiscal_year != 0 && record.fiscal_year().year() != filter.fiscal_year) return false;
  if (!filter.tag.empty() && !HasTag(record, filter.tag)) return false;
  if (filter.overdue && !IsOverdue(record, filter.today)) return false;
  return true;
}

// Where a List walking back from `prefix` starts: after the last key of the prefix (`before` 0),
// or at id `before`, which the walk then steps over.
std::string PageStart(const std::string& prefix, uint64_t before) {
  std::string start = prefix;
  if (before == 0) {
    start.push_back('\xff');
  } else {
    storage::AppendUint64(&start, before);
  }
  return start;
}

// The agency whose team index a List walks ("" for every case); nullopt if the viewer may see
// none of the cases asked for.
std::optional<std::string> ListedAgency(const Viewer& viewer, const CaseFilter& filter) {
  if (viewer.every_case) return filter.agency;
  if (viewer.agency.empty() || (!filter.agency.empty() && filter.agency != viewer.agency)) {
    return std::nullopt;
  }
  return viewer.agency;
}

}  // namespace

Result<std::vector<uint64_t>> CaseStore::TeamCaseIds(const std::string& agency) const {
  const std::string prefix = AgencyPrefix(kTeamIndex, agency);
  std::vector<uint64_t> ids;
  auto it = storage_.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t id = 0;
    if (!reader.ReadUint64(&id) || !reader.done()) {
      return Status(Reason::kCaseIndexCorrupt, "a team index key is malformed");
    }
    ids.push_back(id);
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading a team index");
  return ids;
}

Result<v1::Case> CaseStore::ListedCase(uint64_t id, std::string_view value,
                                       bool from_team_index) const {
  v1::Case record;
  if (!from_team_index) {
    if (!ParsePublic(value, &record)) {
      return Status(Reason::kCaseRecordCorrupt, CaseName(id) + " is unreadable");
    }
    return record;
  }
  auto stored = storage_.Get(ColumnFamily::kRecords, Key(kCase, id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value() || !ParsePublic(**stored, &record)) {
    return Status(Reason::kCaseIndexCorrupt,
                  "the team index names " + CaseName(id) + ", which is unreadable");
  }
  return record;
}

Result<CasePage> CaseStore::List(const Viewer& viewer, const CaseFilter& filter,
                                 const std::string& before_id, int limit) const {
  // Agency staff, and anyone asking for an agency's cases, walk that agency's team index (ids
  // newest first); coordinators without an agency filter walk every case.
  const std::optional<std::string> agency = ListedAgency(viewer, filter);
  if (!agency) return CasePage{};
  const std::optional<uint64_t> before =
      before_id.empty() ? std::optional<uint64_t>(0) : ParseDecimalId(before_id);
  if (!before) return Status::InvalidArgument("page_token", "not a position of this list");
  const bool by_team = !agency->empty();
  const std::string prefix = by_team ? AgencyPrefix(kTeamIndex, *agency) : KindPrefix(kCase);
  auto it = storage_.NewIterator(by_team ? ColumnFamily::kIndexes : ColumnFamily::kRecords);
  const std::string start = PageStart(prefix, *before);
  it->SeekForPrev(start);
  if (it->Valid() && it->key() == start) it->Prev();
  CasePage page;
  for (; it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    if (!by_team && !IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
    uint64_t id = 0;
    if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &id)) {
      return Status(Reason::kCaseIndexCorrupt, "a case key is malformed");
    }
    auto record = ListedCase(id, it->value().ToStringView(), by_team);
    if (!record.ok()) return record.status();
    if (!CanSee(*record, viewer) || !Matches(*record, filter)) continue;
    if (static_cast<int>(page.cases.size()) == limit) {
      // The page is full: the next one starts after its last case.
      page.next_after_id = page.cases.back().name().substr(sizeof(kCasePrefix) - 1);
      break;
    }
    auto stored = Load(id);
    if (!stored.ok()) return stored.status();
    page.cases.push_back(std::move(stored->record));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing cases");
  return page;
}

}  // namespace casecoord::cases
