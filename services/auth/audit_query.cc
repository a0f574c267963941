// AuditLog::List: pages of the trail by user, resource or time, read through the indexes.
#include <google/protobuf/util/time_util.h>

#include "services/auth/audit_layout.h"
#include "services/auth/audit_log.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::auth {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;
using namespace audit_layout;  // NOLINT(google-build-using-namespace): the trail's own layout

namespace {

// Fills one page of a query's answer from the entries offered to it in order.
class AuditPageCollector {
 public:
  AuditPageCollector(const AuditQuery& query, AuditPage& page)
      : query_(query),
        page_(page),
        start_(query.start ? Micros(*query.start) : INT64_MIN),
        end_(query.end ? Micros(*query.end) : INT64_MAX) {}

  // Takes the entry, or skips it if it is outside the query's time range or unreadable. False
  // once nothing more can be taken: the caller stops offering.
  bool Offer(const std::string& value) {
    v1::AuditEntry entry;
    if (!entry.ParseFromString(value)) return true;
    int64_t micros = TimeUtil::TimestampToMicroseconds(entry.time());
    if (micros < start_) return true;
    if (micros >= end_) return false;  // entries are in time order within every index
    const size_t entry_bytes = entry.ByteSizeLong();
    if (static_cast<int>(page_.entries.size()) == query_.limit ||
        (!page_.entries.empty() && page_bytes_ + entry_bytes > kMaxAuditPageBytes)) {
      page_.more = true;
      return false;
    }
    page_bytes_ += entry_bytes;
    page_.entries.push_back(std::move(entry));
    return true;
  }

  int64_t start_micros() const { return start_; }

 private:
  const AuditQuery& query_;
  AuditPage& page_;
  const int64_t start_;
  const int64_t end_;
  size_t page_bytes_ = 0;
};

// Offers the entries that `index` (storage::key_spaces::kAuditByUser.name or
// storage::key_spaces::kAuditByResource.name) lists under `value`, after `after_sequence`.
Status OfferIndexedEntries(const storage::Storage& storage, const char* index,
                           const std::string& value, uint64_t after_sequence,
                           AuditPageCollector& collector) {
  std::string prefix;
  storage::AppendString(&prefix, index);
  storage::AppendString(&prefix, value);
  auto it = storage.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(IndexKey(index, value, after_sequence + 1));
       it->Valid() && it->key().starts_with(prefix); it->Next()) {
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    uint64_t sequence = 0;
    if (!reader.ReadUint64(&sequence)) continue;
    auto entry = storage.Get(ColumnFamily::kAudit, SequenceKey(sequence));
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) continue;
    if (!collector.Offer(**entry)) break;
  }
  return Status::Ok();
}

// The sequence of the first entry at or after `start_micros` by the time index (0 if that entry's
// key cannot be read), or nullopt if there is none.
std::optional<uint64_t> FirstSequenceFrom(const storage::Storage& storage, int64_t start_micros) {
  auto it = storage.NewIterator(ColumnFamily::kIndexes);
  it->Seek(TimeIndexKey(start_micros, 0));
  std::string prefix;
  storage::AppendString(&prefix, storage::key_spaces::kAuditByTime.name);
  if (!it->Valid() || !it->key().starts_with(prefix)) return std::nullopt;
  storage::KeyReader reader(
      std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
  int64_t micros = 0;
  uint64_t sequence = 0;
  if (reader.ReadInt64(&micros) && reader.ReadUint64(&sequence)) return sequence;
  return 0;
}

}  // namespace

Result<AuditPage> AuditLog::List(const AuditQuery& query) const {
  AuditPage page;
  AuditPageCollector collector(query, page);
  if (!query.resource.empty() || !query.user_id.empty()) {
    const char* index = query.resource.empty() ? storage::key_spaces::kAuditByUser.name
                                               : storage::key_spaces::kAuditByResource.name;
    const std::string& value = query.resource.empty() ? query.user_id : query.resource;
    CASECOORD_RETURN_IF_ERROR(
        OfferIndexedEntries(storage_, index, value, query.after_sequence, collector));
    return page;
  }

  uint64_t first = query.after_sequence + 1;
  if (query.start) {
    std::optional<uint64_t> from = FirstSequenceFrom(storage_, collector.start_micros());
    if (!from) return page;
    first = std::max(first, *from);
  }
  auto it = storage_.NewIterator(ColumnFamily::kAudit);
  for (it->Seek(SequenceKey(first)); it->Valid(); it->Next()) {
    if (!collector.Offer(it->value().ToString())) break;
  }
  return page;
}

}  // namespace casecoord::auth
