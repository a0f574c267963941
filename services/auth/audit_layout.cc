#include "services/auth/audit_layout.h"

#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::auth::audit_layout {

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  storage::AppendUint64(&key, sequence);
  return key;
}

int64_t Micros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

std::string IndexKey(const char* index, std::string_view value, uint64_t sequence) {
  std::string key;
  storage::AppendString(&key, index);
  storage::AppendString(&key, value);
  storage::AppendUint64(&key, sequence);
  return key;
}

std::string TimeIndexKey(int64_t micros, uint64_t sequence) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kAuditByTime.name);
  storage::AppendInt64(&key, micros);
  storage::AppendUint64(&key, sequence);
  return key;
}

}  // namespace casecoord::auth::audit_layout
