#include "services/stats/year_release.h"

#include <google/protobuf/util/time_util.h>

#include "services/storage/key_encoding.h"

namespace casecoord::stats {
namespace {

using storage::ColumnFamily;

constexpr char kRecord[] = "stat-release";

std::string RecordKey(int fiscal_year) {
  std::string key;
  storage::AppendString(&key, kRecord);
  storage::AppendUint64(&key, static_cast<uint64_t>(fiscal_year));
  return key;
}

}  // namespace

std::string YearReleaseName(int fiscal_year) {
  return "statistics/releases/" + std::to_string(fiscal_year);
}

void FrozenYears::Overlay(CounterTable& counters) const {
  for (const auto& [year, frozen] : years) {
    auto first = counters.lower_bound(CounterKey{year, "", "", ""});
    auto last = counters.lower_bound(CounterKey{year + 1, "", "", ""});
    counters.erase(first, last);
    for (const auto& count : frozen.counts()) {
      if (count.count() != 0) {
        counters[CounterKey{year, count.metric(), count.dimension(), count.value()}] =
            count.count();
      }
    }
  }
}

Result<FrozenYears> ReadFrozenYears(const storage::Storage& storage) {
  std::string start;
  storage::AppendString(&start, kRecord);
  const std::string end = storage::PrefixSuccessor(start);
  FrozenYears out;
  auto it = storage.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(start); it->Valid() && it->key().compare(end) < 0; it->Next()) {
    v1::FrozenYear frozen;
    if (!frozen.ParseFromString(it->value().ToString())) {
      return Status(StatusCode::kDataLoss, "YEAR_RELEASE_CORRUPT",
                    "a published year's record is unreadable");
    }
    const int year = frozen.release().fiscal_year().year();
    for (const std::string& cell : frozen.suppressed_cells()) out.suppressed.emplace(year, cell);
    out.years.emplace(year, std::move(frozen));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading published years");
  return out;
}

Status YearReleases::CheckPublishable(int year, int current_fiscal_year) const {
  if (year >= current_fiscal_year) {
    return Status::FailedPrecondition("YEAR_NOT_CLOSED",
                                      "fiscal year " + std::to_string(year) +
                                          " has not ended; only a closed year can be published");
  }
  auto existing = storage_.Get(ColumnFamily::kRecords, RecordKey(year));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status(StatusCode::kAlreadyExists, "YEAR_ALREADY_PUBLISHED",
                  "fiscal year " + std::to_string(year) + " is published already; it is final");
  }
  return Status::Ok();
}

v1::YearRelease YearReleases::PreparePublish(v1::FrozenYear content, const std::string& user_id,
                                             std::chrono::system_clock::time_point now,
                                             storage::WriteBatch* batch) const {
  const int year = content.release().fiscal_year().year();
  v1::YearRelease& release = *content.mutable_release();
  release.set_name(YearReleaseName(year));
  *release.mutable_publish_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  release.set_published_by("users/" + user_id);
  release.set_frozen_counts(content.counts_size());
  release.set_frozen_suppressed_cells(content.suppressed_cells_size());
  batch->Put(ColumnFamily::kRecords, RecordKey(year), content.SerializeAsString());
  return release;
}

}  // namespace casecoord::stats
