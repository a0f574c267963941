#include "services/worklist/due_index.h"

#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::worklist {
namespace {

using storage::ColumnFamily;

std::string OwnerPrefix(const std::string& owner) { return storage::key_spaces::kDue.Key(owner); }

std::string DueKey(const std::string& owner, const v1::Date& date, const std::string& subject) {
  std::string key = OwnerPrefix(owner);
  storage::AppendUint64(&key, static_cast<uint64_t>(DayNumber(date)));
  storage::AppendString(&key, subject);
  return key;
}

std::string DueOfKey(const std::string& subject) {
  return storage::key_spaces::kDueOf.Key(subject);
}

// Deletes the subject's current entries; returns false if its reverse entry is malformed.
Result<bool> DeleteCurrent(const storage::Storage& storage, const std::string& subject,
                           storage::WriteBatch* batch) {
  auto current = storage.Get(ColumnFamily::kIndexes, DueOfKey(subject));
  if (!current.ok()) return current.status();
  if (!current->has_value()) return false;
  storage::KeyReader reader(**current);
  std::string key;
  while (!reader.done()) {
    if (!reader.ReadString(&key)) {
      return Status(Reason::kDueIndexCorrupt,
                    "the work list entry of " + subject + " is malformed");
    }
    batch->Delete(ColumnFamily::kIndexes, key);
  }
  batch->Delete(ColumnFamily::kIndexes, DueOfKey(subject));
  return true;
}

}  // namespace

std::vector<std::string> CaseWorkOwners(const v1::Case& record) {
  std::vector<std::string> owners;
  if (!record.coordinator().empty()) owners.push_back(record.coordinator());
  for (const auto& member : record.team()) owners.push_back(member.agency());
  return owners;
}

int DayNumber(const v1::Date& date) {
  return date.year() * 10000 + date.month() * 100 + date.day();
}

bool IsRealDay(const v1::Date& date) {
  namespace chrono = std::chrono;
  if (date.year() < 1900 || date.year() > 9999 || date.month() < 1 || date.day() < 1) return false;
  const chrono::year_month_day day{chrono::year(date.year()),
                                   chrono::month(static_cast<unsigned>(date.month())),
                                   chrono::day(static_cast<unsigned>(date.day()))};
  return day.ok();
}

v1::Date AddDays(const v1::Date& date, int days) {
  namespace chrono = std::chrono;
  const chrono::year_month_day day{chrono::year(date.year()),
                                   chrono::month(static_cast<unsigned>(date.month())),
                                   chrono::day(static_cast<unsigned>(date.day()))};
  if (!day.ok()) return date;
  // On the civil calendar (sys_days), not on system_clock, whose nanoseconds end in 2262.
  chrono::year_month_day moved{chrono::sys_days(day) + chrono::days(days)};
  if (moved.year() < chrono::year(1900)) moved = chrono::year(1900) / chrono::January / 1;
  if (moved.year() > chrono::year(9999)) moved = chrono::year(9999) / chrono::December / 31;
  v1::Date out;
  out.set_year(static_cast<int>(moved.year()));
  out.set_month(static_cast<int>(static_cast<unsigned>(moved.month())));
  out.set_day(static_cast<int>(static_cast<unsigned>(moved.day())));
  return out;
}

Status PrepareSetDue(const storage::Storage& storage, const v1::DueItem& item,
                     const std::vector<std::string>& owners, storage::WriteBatch* batch) {
  if (item.subject().empty()) return Status::InvalidArgument("subject", "required");
  const bool dated = item.has_due_date();
  if (dated && !IsRealDay(item.due_date())) {
    return Status::InvalidArgument("due_date", "not a date");
  }
  auto deleted = DeleteCurrent(storage, item.subject(), batch);
  if (!deleted.ok()) return deleted.status();
  if (!dated || owners.empty()) return Status::Ok();
  v1::DueItem stored = item;
  stored.clear_overdue();  // depends on the day it is read
  const std::string value = stored.SerializeAsString();
  std::string reverse;
  for (const auto& owner : owners) {
    const std::string key = DueKey(owner, item.due_date(), item.subject());
    batch->Put(ColumnFamily::kIndexes, key, value);
    storage::AppendString(&reverse, key);
  }
  batch->Put(ColumnFamily::kIndexes, DueOfKey(item.subject()), reverse);
  return Status::Ok();
}

Status PrepareClearDue(const storage::Storage& storage, const std::string& subject,
                       storage::WriteBatch* batch) {
  auto deleted = DeleteCurrent(storage, subject, batch);
  return deleted.ok() ? Status::Ok() : deleted.status();
}

Status PrepareRemoveOwnerFromCase(const storage::Storage& storage, const std::string& owner,
                                  const std::string& case_name, storage::WriteBatch* batch) {
  const std::string prefix = OwnerPrefix(owner);
  auto it = storage.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::DueItem item;
    if (!item.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status(Reason::kDueIndexCorrupt, "a work list entry is malformed");
    }
    if (item.case_() != case_name) continue;
    const std::string removed = it->key().ToString();
    batch->Delete(ColumnFamily::kIndexes, removed);
    // The subject's reverse entry keeps its other owners' keys.
    auto current = storage.Get(ColumnFamily::kIndexes, DueOfKey(item.subject()));
    if (!current.ok()) return current.status();
    if (!current->has_value()) continue;
    storage::KeyReader reader(**current);
    std::string key, kept;
    while (!reader.done()) {
      if (!reader.ReadString(&key)) {
        return Status(Reason::kDueIndexCorrupt,
                      "the work list entry of " + item.subject() + " is malformed");
      }
      if (key != removed) storage::AppendString(&kept, key);
    }
    if (kept.empty()) {
      batch->Delete(ColumnFamily::kIndexes, DueOfKey(item.subject()));
    } else {
      batch->Put(ColumnFamily::kIndexes, DueOfKey(item.subject()), kept);
    }
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the work list");
  return Status::Ok();
}

Result<DuePage> ListDue(const storage::Storage& storage, const std::string& owner,
                        const v1::Date& due_by, const v1::Date& today, const std::string& after,
                        int limit) {
  const std::string prefix = OwnerPrefix(owner);
  std::string end = prefix;
  storage::AppendUint64(&end, static_cast<uint64_t>(DayNumber(due_by)) + 1);
  DuePage page;
  auto it = storage.NewIterator(ColumnFamily::kIndexes);
  if (after.empty()) {
    it->Seek(prefix);
  } else {
    it->Seek(prefix + after);
    if (it->Valid() && it->key() == prefix + after) it->Next();
  }
  const int today_number = DayNumber(today);
  for (; it->Valid() && it->key().starts_with(prefix) && it->key().compare(end) < 0; it->Next()) {
    if (static_cast<int>(page.items.size()) == limit) break;
    v1::DueItem item;
    if (!item.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return Status(Reason::kDueIndexCorrupt, "a work list entry is malformed");
    }
    item.set_overdue(DayNumber(item.due_date()) < today_number);
    page.items.push_back(std::move(item));
    // Reuses the string's buffer: one copy per item, no temporaries.
    page.next_after.assign(it->key().data() + prefix.size(), it->key().size() - prefix.size());
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the work list");
  // A page that ended because the list did is the last one.
  if (static_cast<int>(page.items.size()) < limit ||
      !(it->Valid() && it->key().starts_with(prefix) && it->key().compare(end) < 0)) {
    page.next_after.clear();
  }
  return page;
}

}  // namespace casecoord::worklist
