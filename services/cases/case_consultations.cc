#include "services/cases/case_consultations.h"

#include <algorithm>
#include <map>
#include <optional>

#include "services/cases/case_layout.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

std::string EntryPrefix(uint64_t id) { return CaseName(id) + "/consultations/"; }

std::string EntryKey(uint64_t id, uint64_t number) {
  std::string key = Key(kEntry, id);
  storage::AppendUint64(&key, number);
  return key;
}

// The checks of an entry that need no storage.
void CheckEntryFields(const v1::ConsultationEntry& input, std::chrono::system_clock::time_point now,
                      FieldViolations* violations) {
  if (input.kind() == v1::CONSULTATION_KIND_UNSPECIFIED ||
      !v1::ConsultationKind_IsValid(input.kind())) {
    (*violations)("entry.kind", "required");
  }
  const auto& date = input.date();
  const auto day = JstMidnight(date.year(), date.month(), date.day());
  if (!day) {
    (*violations)("entry.date", "required: a real day");
  } else if (*day > now) {
    (*violations)("entry.date", "is in the future");
  }
  if (input.summary().empty()) (*violations)("entry.summary", "required");
  if (!v1::ContactMethod_IsValid(input.method())) (*violations)("entry.method", "unknown");
}

}  // namespace

Result<bool> CaseConsultations::AmendsAnEntry(uint64_t id, const std::string& amends) const {
  const std::string entry_prefix = EntryPrefix(id);
  const std::optional<uint64_t> number =
      amends.rfind(entry_prefix, 0) == 0
          ? ParseDecimalId(std::string_view(amends).substr(entry_prefix.size()),
                           /*allow_zero=*/true)
          : std::nullopt;
  if (!number) return false;
  auto amended = storage_.Get(ColumnFamily::kRecords, EntryKey(id, *number));
  if (!amended.ok()) return amended.status();
  return amended->has_value();
}

Status CaseConsultations::CheckEntry(uint64_t id, const v1::ConsultationEntry& input,
                                     std::chrono::system_clock::time_point now,
                                     FieldViolations* violations) const {
  CheckEntryFields(input, now, violations);
  if (input.kind() == v1::COORDINATION_CONTACT && !agencies_.Get(input.agency()).ok()) {
    (*violations)("entry.agency", "a coordination contact names an agency of the directory");
  }
  if (input.kind() == v1::AMENDMENT) {
    if (input.amendment_reason().empty()) (*violations)("entry.amendment_reason", "required");
    auto amends_an_entry = AmendsAnEntry(id, input.amends());
    if (!amends_an_entry.ok()) return amends_an_entry.status();
    if (!*amends_an_entry) (*violations)("entry.amends", "must name an entry of this case");
  } else if (!input.amends().empty() || !input.amendment_reason().empty()) {
    (*violations)("entry.amends", "only an AMENDMENT amends an entry");
  }
  return Status::Ok();
}

Result<v1::ConsultationEntry> CaseConsultations::PrepareAppendConsultation(
    const std::string& user_id, const std::string& parent, const v1::ConsultationEntry& input,
    storage::WriteBatch* batch) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  // The public part is enough: the event is counted under the case's classification, which is
  // public, and the entry is sealed under the case key fetched below.
  auto stored = cases_.Load(*id, /*with_personal=*/false);
  if (!stored.ok()) return stored.status();
  const auto now = clock_.Now();
  FieldViolations violations;
  CASECOORD_RETURN_IF_ERROR(CheckEntry(*id, input, now, &violations));
  CASECOORD_RETURN_IF_ERROR(violations.ToStatus());
  CASECOORD_RETURN_IF_ERROR(CheckNotBeforeIntake(stored->record, input.date(), "entry.date"));

  // The next entry number: one after the last.
  auto last_entry = cases_.LastNumber(*id, kLastEntry, kEntry);
  if (!last_entry.ok()) return last_entry.status();
  const uint64_t number = *last_entry + 1;
  v1::ConsultationEntry entry = input;
  entry.set_name(EntryPrefix(*id) + std::to_string(number));
  entry.set_author(kUserPrefix + user_id);
  *entry.mutable_create_time() = ToTimestamp(now);
  entry.clear_amended_by();
  if (entry.kind() != v1::COORDINATION_CONTACT) entry.clear_agency();

  auto key = cases_.KeyOf(*id);
  if (!key.ok()) return key.status();
  v1::ConsultationEntry personal;
  personal.set_summary(entry.summary());
  personal.set_amendment_reason(entry.amendment_reason());
  v1::ConsultationEntry public_part = entry;
  public_part.clear_summary();
  public_part.clear_amendment_reason();
  batch->Put(ColumnFamily::kRecords, EntryKey(*id, number),
             storage::Frame({public_part.SerializeAsString(),
                             Seal(*key, entry.name(), personal.SerializeAsString()), ""}));
  cases_.PutLastNumber(*id, kLastEntry, number, batch);

  auto event = cases_.NextEvent(*id, user_id, v1::CONSULTATION_LOGGED);
  if (!event.ok()) return event.status();
  event->set_subject(entry.name());
  event->set_consultation_kind(entry.kind());
  *event->mutable_decision_date() = input.date();
  CASECOORD_RETURN_IF_ERROR(cases_.PutEvent(*id, *key, *std::move(event), stored->record, batch));
  return entry;
}

Result<v1::ConsultationEntry> CaseConsultations::OpenEntry(const std::string& parent,
                                                           const CaseKey& key,
                                                           std::string_view value) const {
  std::string public_bytes, sealed, unused;
  v1::ConsultationEntry entry, personal;
  if (!storage::Unframe(value, {&public_bytes, &sealed, &unused}) ||
      !entry.ParseFromString(public_bytes)) {
    return Status(Reason::kCaseEntryCorrupt, parent + ": unreadable entry");
  }
  auto opened = Open(key, entry.name(), sealed);
  if (!opened.ok()) return opened.status();
  if (!personal.ParseFromString(*opened)) {
    return Status(Reason::kCaseEntryCorrupt, parent + ": unreadable entry");
  }
  entry.set_summary(personal.summary());
  entry.set_amendment_reason(personal.amendment_reason());
  return entry;
}

Result<std::vector<v1::ConsultationEntry>> CaseConsultations::Consultations(
    const std::string& parent, int64_t after, int limit) const {
  auto id = ParseCaseName(parent, "parent");
  if (!id.ok()) return id.status();
  auto key = cases_.KeyOf(*id);
  if (!key.ok()) return key.status();
  // Amendments come after what they amend, so one pass over the whole log finds every
  // amended_by; the page is cut from it afterwards.
  std::vector<v1::ConsultationEntry> all;
  std::map<std::string, size_t> index_of;
  const std::string prefix = Key(kEntry, *id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto entry = OpenEntry(parent, *key, it->value().ToStringView());
    if (!entry.ok()) return entry.status();
    if (!entry->amends().empty()) {
      auto amended = index_of.find(entry->amends());
      if (amended != index_of.end()) all[amended->second].add_amended_by(entry->name());
    }
    index_of[entry->name()] = all.size();
    all.push_back(std::move(entry).value());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the log");
  std::vector<v1::ConsultationEntry> page;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after, 0));
       i < all.size() && static_cast<int>(page.size()) < limit; ++i) {
    page.push_back(std::move(all[i]));
  }
  return page;
}

}  // namespace casecoord::cases
