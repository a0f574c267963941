#include "services/stats/year_release.h"

#include <google/protobuf/util/time_util.h>

#include "services/common/resource_names.h"
#include "services/storage/key_encoding.h"
#include "services/storage/record_kit.h"

namespace casecoord::stats {
namespace {

using storage::ColumnFamily;

std::string RecordKey(int fiscal_year) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kYearRelease.name);
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
  FrozenYears out;
  CASECOORD_RETURN_IF_ERROR(storage::ForEachRecord<v1::FrozenYear>(
      storage, ColumnFamily::kRecords, storage::key_spaces::kYearRelease.Prefix(), "",
      Reason::kYearReleaseCorrupt, [&out](std::string_view, v1::FrozenYear frozen) -> Result<bool> {
        const int year = frozen.release().fiscal_year().year();
        for (const std::string& cell : frozen.suppressed_cells())
          out.suppressed.emplace(year, cell);
        out.years.emplace(year, std::move(frozen));
        return true;
      }));
  return out;
}

Status YearReleases::CheckPublishable(int year, int current_fiscal_year) const {
  if (year >= current_fiscal_year) {
    return Status(Reason::kYearNotClosed,
                  "fiscal year " + std::to_string(year) +
                      " has not ended; only a closed year can be published");
  }
  auto existing = storage_.Get(ColumnFamily::kRecords, RecordKey(year));
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status(Reason::kYearAlreadyPublished,
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
  release.set_published_by(kUserPrefix + user_id);
  release.set_frozen_counts(content.counts_size());
  release.set_frozen_suppressed_cells(content.suppressed_cells_size());
  batch->Put(ColumnFamily::kRecords, RecordKey(year), content.SerializeAsString());
  return release;
}

}  // namespace casecoord::stats
