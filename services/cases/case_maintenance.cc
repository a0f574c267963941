#include "services/cases/case_maintenance.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "services/cases/case_layout.h"
#include "services/cases/case_model.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/storage/key_encoding.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;

std::chrono::system_clock::time_point TimePointOf(const google::protobuf::Timestamp& time) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(time.seconds()) + std::chrono::nanoseconds(time.nanos())));
}

// FAILED_PRECONDITION or INVALID_ARGUMENT unless `record` may be purged as `request` asks.
Status CheckPurgeable(const v1::Case& record, const v1::PurgeCaseRequest& request) {
  if (record.has_purge_time()) {
    return Status(Reason::kCasePurged, request.name() + " was purged already");
  }
  if (request.confirmation() != "PURGE " + record.case_number()) {
    return Status::InvalidArgument("confirmation", "must be \"PURGE " + record.case_number() +
                                                       "\" (the case number), to confirm");
  }
  if (record.state() != v1::COMPLETED_BY_ADVICE && record.state() != v1::CLOSED) {
    return Status(Reason::kCaseOpen,
                  request.name() + " is " + v1::CaseState_Name(record.state()) +
                      "; only a case that ended (COMPLETED_BY_ADVICE or CLOSED) is purged");
  }
  return Status::Ok();
}

}  // namespace

Result<v1::Date> CaseMaintenance::EndDate(uint64_t id, const std::string& name) const {
  v1::Date ended;
  const std::string prefix = Key(kEvent, id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->SeekForPrev(prefix + std::string(1, '\xff'));
       it->Valid() && it->key().starts_with(prefix); it->Prev()) {
    v1::CaseEvent event;
    if (!ParsePublic(it->value().ToStringView(), &event)) {
      return Status(Reason::kCaseEventCorrupt, name + ": bad event");
    }
    if (event.kind() == v1::STATE_CHANGED) {
      ended = event.decision_date();
      break;
    }
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case events");
  return ended;
}

Status CaseMaintenance::CheckRetention(const std::string& name, const v1::Date& ended) const {
  // Purgeable from the same day `retention_years` later (29 February: 1 March).
  auto purgeable = JstMidnight(ended.year() + options_.retention_years, ended.month(), ended.day());
  if (!purgeable) {
    purgeable = JstMidnight(ended.year() + options_.retention_years, ended.month() + 1, 1);
  }
  if (!purgeable || clock_.Now() < *purgeable) {
    return Status(Reason::kRetentionNotElapsed,
                  name + " ended on " +
                      FormatJstDate(*JstMidnight(ended.year(), ended.month(), ended.day())) +
                      " and is kept " + std::to_string(options_.retention_years) +
                      " years: it may be purged from " +
                      (purgeable ? FormatJstDate(*purgeable) : "?"));
  }
  return Status::Ok();
}

Status CaseMaintenance::PrepareDestroyKey(uint64_t id, storage::WriteBatch* batch) const {
  const std::string key_name = WrappedKeyKey(id);
  batch->DestroyRange(ColumnFamily::kRecords, key_name, key_name + std::string(1, '\0'));
  const std::string legacy_key_name = Key(kLegacyCaseKey, id);
  auto legacy = storage_.Get(ColumnFamily::kRecords, legacy_key_name);
  if (!legacy.ok()) return legacy.status();
  if (legacy->has_value()) {
    batch->DestroyRange(ColumnFamily::kRecords, legacy_key_name,
                        legacy_key_name + std::string(1, '\0'));
  }
  return Status::Ok();
}

Status CaseMaintenance::PrepareLeaveInboxes(uint64_t id, const std::string& name,
                                            storage::WriteBatch* batch) const {
  const std::string referral_prefix = Key(kReferral, id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(referral_prefix); it->Valid() && it->key().starts_with(referral_prefix);
       it->Next()) {
    v1::Referral referral;
    if (!ParsePublic(it->value().ToStringView(), &referral)) {
      return Status(Reason::kReferralCorrupt, name + ": bad referral");
    }
    auto parsed = ParseReferralName(referral.name());
    if (parsed.ok())
      batch->Delete(ColumnFamily::kIndexes, InboxKey(referral.agency(), id, parsed->second));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading referrals");
  return Status::Ok();
}

Result<v1::Case> CaseMaintenance::PreparePurge(const std::string& user_id,
                                               const v1::PurgeCaseRequest& request,
                                               storage::WriteBatch* batch) const {
  auto id = ParseCaseName(request.name(), "name");
  if (!id.ok()) return id.status();
  auto stored = cases_.Load(*id);
  if (!stored.ok()) return stored.status();
  v1::Case record = std::move(stored->record);
  CASECOORD_RETURN_IF_ERROR(CheckPurgeable(record, request));
  auto ended = EndDate(*id, request.name());
  if (!ended.ok()) return ended.status();
  CASECOORD_RETURN_IF_ERROR(CheckRetention(request.name(), *ended));

  auto key = cases_.KeyOf(*id);
  if (!key.ok()) return key.status();
  CASECOORD_RETURN_IF_ERROR(
      cases_.PutHistory(*id, *key, record, user_id, v1::PURGED, request.name(), "", batch));
  CASECOORD_RETURN_IF_ERROR(PrepareDestroyKey(*id, batch));
  // Pending referrals would otherwise stay in inboxes, pointing at data nobody can open.
  CASECOORD_RETURN_IF_ERROR(PrepareLeaveInboxes(*id, request.name(), batch));
  CASECOORD_RETURN_IF_ERROR(cases_.PrepareClearReferralItems(*id, /*pending=*/true, batch));

  auto last = cases_.LastEventSequence(*id);
  if (!last.ok()) return last.status();
  // The index entries derive from the personal data being destroyed: they go with it.
  cases_.PutSearchTerms(*id, &record, nullptr, batch);
  SplitPersonal(&record);
  *record.mutable_purge_time() = ToTimestamp(clock_.Now());
  *record.mutable_update_time() = record.purge_time();
  record.set_etag(std::to_string(*last + 1));  // the PURGED event, in this batch
  batch->Put(ColumnFamily::kRecords, Key(kCase, *id),
             storage::Frame({record.SerializeAsString(), "", ""}));
  return record;
}

Result<int> CaseMaintenance::MoveLegacyCaseKeys() {
  constexpr int kKeysPerBatch = 10000;
  const std::string prefix = KindPrefix(kLegacyCaseKey);
  int moved = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->Seek(prefix);
  while (it->Valid() && it->key().starts_with(prefix)) {
    // Each batch moves whole keys: after a crash every key is in one of its two places.
    storage::WriteBatch batch(storage_);
    for (; it->Valid() && it->key().starts_with(prefix) &&
           batch.count() < 2 * static_cast<size_t>(kKeysPerBatch);
         it->Next()) {
      uint64_t id = 0;
      if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &id)) {
        return Status(Reason::kCaseKeyCorrupt, "a case key's name is malformed");
      }
      batch.Put(ColumnFamily::kRecords, WrappedKeyKey(id), it->value().ToStringView());
      batch.Delete(ColumnFamily::kRecords, it->key().ToStringView());
      ++moved;
    }
    CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading case keys");
  if (moved > 0) {
    log::Info("case keys moved next to their cases", {{"cases", std::to_string(moved)}});
  }
  return moved;
}

Result<int> CaseMaintenance::FillIntakeDates() {
  auto done = storage_.Get(ColumnFamily::kMeta, kIntakeDatesFilledKey);
  if (!done.ok()) return done.status();
  if (done->has_value()) return 0;
  constexpr size_t kCasesPerBatch = 10000;
  const std::string prefix = KindPrefix(kCase);
  int filled = 0;
  std::optional<storage::WriteBatch> batch(std::in_place, storage_);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
    std::string public_bytes, sealed, spare;
    v1::Case record;
    if (!storage::Unframe(it->value().ToStringView(), {&public_bytes, &sealed, &spare}) ||
        !record.ParseFromString(public_bytes)) {
      return Status(Reason::kCaseRecordCorrupt, "a case is unreadable");
    }
    if (record.has_intake_date()) continue;
    *record.mutable_intake_date() = JstDateOf(TimePointOf(record.create_time()));
    batch->Put(ColumnFamily::kRecords, it->key().ToStringView(),
               storage::Frame({record.SerializeAsString(), sealed, spare}));
    if (++filled % kCasesPerBatch == 0) {
      CASECOORD_RETURN_IF_ERROR(storage_.Commit(*batch));
      batch.emplace(storage_);
    }
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading cases");
  batch->Put(ColumnFamily::kMeta, kIntakeDatesFilledKey, "1");
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(*batch));
  if (filled > 0) log::Info("intake dates derived", {{"cases", std::to_string(filled)}});
  return filled;
}

Result<int> CaseMaintenance::PrepareTeamIndexes(storage::WriteBatch* batch) const {
  const std::string prefix = KindPrefix(kCase);
  int cases = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
    v1::Case record;
    uint64_t id = 0;
    if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &id) ||
        !ParsePublic(it->value().ToStringView(), &record)) {
      return Status(Reason::kCaseRecordCorrupt, "a case is unreadable");
    }
    for (const auto& member : record.team()) cases_.PutTeamIndex(id, member.agency(), true, batch);
    ++cases;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading cases");
  return cases;
}

Result<int> CaseMaintenance::RebuildIndexesIfStale() {
  auto lock = cases_.LockAllWriters();
  auto moved = MoveLegacyCaseKeys();
  if (!moved.ok()) return moved.status();
  auto filled = FillIntakeDates();
  if (!filled.ok()) return filled.status();
  auto searchable = cases_.RebuildSearchIndexIfStale();
  if (!searchable.ok()) return searchable.status();
  auto version = storage_.Get(ColumnFamily::kMeta, kIndexVersionKey);
  if (!version.ok()) return version.status();
  if (version->has_value() && **version == kIndexVersion) return *searchable;
  storage::WriteBatch batch(storage_);
  const std::string index_prefix = KindPrefix(kTeamIndex);
  std::string index_end = index_prefix;
  index_end.push_back('\xff');
  batch.DeleteRange(ColumnFamily::kIndexes, index_prefix, index_end);
  auto cases = PrepareTeamIndexes(&batch);
  if (!cases.ok()) return cases.status();
  batch.Put(ColumnFamily::kMeta, kIndexVersionKey, kIndexVersion);
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
  log::Info("case indexes rebuilt", {{"cases", std::to_string(*cases)},
                                     {"from_version", version->value_or("none")},
                                     {"to_version", kIndexVersion}});
  return std::max(*cases, *searchable);
}

}  // namespace casecoord::cases
