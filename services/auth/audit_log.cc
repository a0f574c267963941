#include "services/auth/audit_log.h"

#include <fcntl.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "services/common/log.h"
#include "services/storage/key_encoding.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr size_t kHashBytes = 32;
constexpr char kHeadKey[] = "audit-head";
constexpr char kByUser[] = "audit-user";
constexpr char kByResource[] = "audit-resource";
constexpr char kByTime[] = "audit-time";

std::string Sha256(std::string_view bytes) {
  std::string out(kHashBytes, '\0');
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &size,
             EVP_sha256(), nullptr);
  return out;
}

std::string Hmac(const std::string& key, std::string_view bytes) {
  std::string out(kHashBytes, '\0');
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
       reinterpret_cast<unsigned char*>(out.data()), &size);
  return out;
}

bool SameBytes(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SequenceKey(uint64_t sequence) {
  std::string key;
  storage::AppendUint64(&key, sequence);
  return key;
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
  storage::AppendString(&key, kByTime);
  storage::AppendInt64(&key, micros);
  storage::AppendUint64(&key, sequence);
  return key;
}

std::string HeadBytes(uint64_t sequence, const std::string& hash) {
  std::string bytes = "head";
  storage::AppendUint64(&bytes, sequence);
  return bytes + hash;
}

int64_t Micros(std::chrono::system_clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

constexpr char kKeyCheckLabel[] = "casecoord-audit-key-check";
constexpr char kKeyCheckPrefix[] = "casecoord-audit-key-check v1 ";

std::string KeyCheckLine(const std::string& key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const std::string mac = Hmac(key, kKeyCheckLabel);
  std::string line = kKeyCheckPrefix;
  for (size_t i = 0; i < 16; ++i) {
    line.push_back(kDigits[static_cast<uint8_t>(mac[i]) >> 4]);
    line.push_back(kDigits[static_cast<uint8_t>(mac[i]) & 0xf]);
  }
  return line + "\n";
}

std::string KeyCheckPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / storage::kAuditKeyCheckFileName).string();
}

bool WriteFully(int fd, const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

// Writes the check file durably: a temporary file (mode 0600), fsync, rename, fsync of the
// directory, so a crash leaves either no file or a whole one.
Status WriteAuditKeyFile(const std::string& data_dir, const std::string& key) {
  const std::string path = KeyCheckPath(data_dir);
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && WriteFully(fd, KeyCheckLine(key)) && ::fsync(fd) == 0;
  if (fd >= 0) ok = ::close(fd) == 0 && ok;
  ok = ok && ::rename(temporary.c_str(), path.c_str()) == 0;
  if (ok) {
    int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = dir >= 0 && ::fsync(dir) == 0;
    if (dir >= 0) ::close(dir);
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    return Status::Internal("IO_ERROR", "cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace

Status CheckAuditKeyFile(const std::string& data_dir, const std::string& key) {
  const std::string path = KeyCheckPath(data_dir);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return Status::Ok();
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || !line.starts_with(kKeyCheckPrefix)) {
    return Status(StatusCode::kDataLoss, "AUDIT_KEY_CHECK_CORRUPT",
                  path +
                      " is not an audit key check file; delete it and it is written again at "
                      "the next start whose audit key verifies the audit trail's signed head");
  }
  std::string expected = KeyCheckLine(key);
  expected.pop_back();  // getline dropped the newline
  if (line.size() != expected.size() ||
      CRYPTO_memcmp(line.data(), expected.data(), line.size()) != 0) {
    return Status(StatusCode::kFailedPrecondition, "AUDIT_KEY_MISMATCH",
                  "wrong audit key: it is not the key this data directory's audit trail is "
                  "signed with (checked against " +
                      path + " before opening anything)");
  }
  return Status::Ok();
}

std::string CanonicalAuditBytes(const v1::AuditEntry& entry) {
  std::string bytes;
  storage::AppendUint64(&bytes, static_cast<uint64_t>(entry.sequence()));
  storage::AppendInt64(&bytes, TimeUtil::TimestampToMicroseconds(entry.time()));
  for (const std::string* field :
       {&entry.user_id(), &entry.agency(), &entry.method(), &entry.resource(), &entry.outcome(),
        &entry.legal_basis(), &entry.break_glass_reason(), &entry.previous_hash()}) {
    storage::AppendString(&bytes, *field);
  }
  return bytes;
}

AuditLog::AuditLog(storage::Storage& storage, std::string key, const Clock& clock)
    : storage_(storage), key_(std::move(key)), clock_(clock), last_hash_(kHashBytes, '\0') {}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  if (committer_.joinable()) committer_.join();  // drains the queue first
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(storage::Storage& storage, std::string key,
                                                 const Clock& clock) {
  if (key.size() < 32) return Status::InvalidArgument("audit_key", "must be at least 32 bytes");
  CASECOORD_RETURN_IF_ERROR(CheckAuditKeyFile(storage.path(), key));
  std::unique_ptr<AuditLog> log(new AuditLog(storage, std::move(key), clock));
  auto head = storage.Get(ColumnFamily::kMeta, kHeadKey);
  if (!head.ok()) return head.status();
  if (head->has_value()) {
    storage::KeyReader reader(**head);
    uint64_t sequence = 0;
    if (!reader.ReadUint64(&sequence) || (*head)->size() != 8 + 2 * kHashBytes) {
      return Status(StatusCode::kDataLoss, "AUDIT_HEAD_CORRUPT", "the audit head is malformed");
    }
    std::string hash = (*head)->substr(8, kHashBytes);
    std::string mac = (*head)->substr(8 + kHashBytes);
    if (!SameBytes(mac, Hmac(log->key_, HeadBytes(sequence, hash)))) {
      return Status(StatusCode::kFailedPrecondition, "AUDIT_KEY_MISMATCH",
                    "wrong audit key: the audit head does not verify under it");
    }
    log->last_sequence_ = sequence;
    log->last_hash_ = hash;
    auto last = storage.Get(ColumnFamily::kAudit, SequenceKey(sequence));
    v1::AuditEntry entry;
    if (last.ok() && last->has_value() && entry.ParseFromString(**last)) {
      log->last_micros_ = TimeUtil::TimestampToMicroseconds(entry.time());
    }
  }
  std::error_code error;
  if (!std::filesystem::exists(KeyCheckPath(storage.path()), error)) {
    // Not fatal: without the file a wrong key is still refused, only after opening (above).
    Status written = WriteAuditKeyFile(storage.path(), log->key_);
    if (!written.ok()) {
      casecoord::log::Warning("could not write the audit key check file",
                              {{"error", written.ToString()}});
    }
  }
  log->committer_ = std::thread([raw = log.get()] { raw->CommitLoop(); });
  return log;
}

void AuditLog::FailAppendsForTesting(Status status) {
  std::lock_guard<std::mutex> lock(mutex_);
  injected_failure_ = std::move(status);
}

void AuditLog::AppendAsync(AuditRecord record, storage::WriteBatch* changes,
                           std::function<void(Status)> done) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Pending{std::move(record), changes, std::move(done)});
  }
  work_available_.notify_one();
}

Status AuditLog::Append(const AuditRecord& record, storage::WriteBatch* changes) {
  std::promise<Status> outcome;
  AppendAsync(record, changes, [&outcome](Status status) { outcome.set_value(std::move(status)); });
  return outcome.get_future().get();
}

void AuditLog::CommitLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_available_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued has been committed
    std::deque<Pending> group;
    group.swap(queue_);
    lock.unlock();
    Status status = CommitGroup(group);
    for (Pending& pending : group) pending.done(status);
    lock.lock();
  }
}

Status AuditLog::CommitGroup(const std::deque<Pending>& group) {
  Status failure;
  int64_t micros = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure = injected_failure_;
    micros = std::max(last_micros_, Micros(clock_.Now()));
  }
  uint64_t sequence = last_sequence_;
  std::string hash = last_hash_;
  storage::WriteBatch batch(storage_);
  for (const Pending& pending : group) {
    if (pending.changes != nullptr) batch.Append(*pending.changes);
    const AuditRecord& record = pending.record;
    v1::AuditEntry entry;
    entry.set_sequence(static_cast<int64_t>(++sequence));
    entry.set_name("auditEntries/" + std::to_string(sequence));
    *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(micros);
    entry.set_user_id(record.user_id);
    entry.set_agency(record.agency);
    entry.set_method(record.method);
    entry.set_resource(record.resource);
    entry.set_outcome(record.outcome);
    entry.set_legal_basis(record.legal_basis);
    entry.set_break_glass_reason(record.break_glass_reason);
    entry.set_previous_hash(hash);
    hash = Sha256(CanonicalAuditBytes(entry));
    entry.set_hash(hash);
    entry.set_mac(Hmac(key_, hash));
    batch.Put(ColumnFamily::kAudit, SequenceKey(sequence), entry.SerializeAsString());
    batch.Put(ColumnFamily::kIndexes, IndexKey(kByUser, record.user_id, sequence), "");
    batch.Put(ColumnFamily::kIndexes, IndexKey(kByResource, record.resource, sequence), "");
    batch.Put(ColumnFamily::kIndexes, TimeIndexKey(micros, sequence), "");
  }
  std::string head;
  storage::AppendUint64(&head, sequence);
  head += hash;
  head += Hmac(key_, HeadBytes(sequence, hash));
  batch.Put(ColumnFamily::kMeta, kHeadKey, head);
  Status status = failure.ok() ? storage_.Commit(batch) : failure;
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_sequence_ = sequence;
    last_hash_ = hash;
    last_micros_ = micros;
  }
  return status;
}

AuditVerification AuditLog::Verify() const {
  AuditVerification result;
  auto broken = [&result](int64_t sequence, std::string problem) {
    result.intact = false;
    result.first_broken_sequence = sequence;
    result.problem = std::move(problem);
    return result;
  };
  uint64_t expected = 1;
  std::string previous(kHashBytes, '\0');
  auto it = storage_.NewIterator(ColumnFamily::kAudit);
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    storage::KeyReader reader(std::string_view(it->key().data(), it->key().size()));
    uint64_t sequence = 0;
    if (!reader.ReadUint64(&sequence) || !reader.done()) {
      return broken(static_cast<int64_t>(expected), "malformed entry key");
    }
    if (sequence != expected) {
      return broken(static_cast<int64_t>(expected), "entry missing (deleted)");
    }
    v1::AuditEntry entry;
    if (!entry.ParseFromString(it->value().ToString())) {
      return broken(static_cast<int64_t>(sequence), "entry unreadable (altered)");
    }
    if (entry.sequence() != static_cast<int64_t>(sequence)) {
      return broken(static_cast<int64_t>(sequence), "entry " + std::to_string(entry.sequence()) +
                                                        " found in this position "
                                                        "(reordered)");
    }
    if (!SameBytes(entry.previous_hash(), previous)) {
      return broken(static_cast<int64_t>(sequence),
                    "does not follow its predecessor (reordered or predecessor replaced)");
    }
    const std::string hash = Sha256(CanonicalAuditBytes(entry));
    if (!SameBytes(hash, entry.hash()))
      return broken(static_cast<int64_t>(sequence), "entry altered");
    if (!SameBytes(entry.mac(), Hmac(key_, hash))) {
      return broken(static_cast<int64_t>(sequence), "MAC invalid (forged entry or other key)");
    }
    previous = hash;
    ++result.entries_checked;
  }
  const uint64_t last = expected - 1;
  auto head = storage_.Get(ColumnFamily::kMeta, kHeadKey);
  if (!head.ok() || !head->has_value()) {
    if (last == 0) return result;
    return broken(1, "audit head missing");
  }
  uint64_t head_sequence = 0;
  storage::KeyReader reader(**head);
  if (!reader.ReadUint64(&head_sequence) || (*head)->size() != 8 + 2 * kHashBytes) {
    return broken(static_cast<int64_t>(last + 1), "audit head malformed");
  }
  const std::string head_hash = (*head)->substr(8, kHashBytes);
  if (!SameBytes((*head)->substr(8 + kHashBytes),
                 Hmac(key_, HeadBytes(head_sequence, head_hash)))) {
    return broken(static_cast<int64_t>(last + 1), "audit head MAC invalid");
  }
  if (head_sequence > last) {
    return broken(static_cast<int64_t>(last + 1), "entries " + std::to_string(last + 1) + " to " +
                                                      std::to_string(head_sequence) +
                                                      " missing (truncated)");
  }
  if (head_sequence < last || !SameBytes(head_hash, previous)) {
    return broken(static_cast<int64_t>(head_sequence), "chain does not end at the signed head");
  }
  return result;
}

Result<AuditPage> AuditLog::List(const AuditQuery& query) const {
  AuditPage page;
  const int64_t start = query.start ? Micros(*query.start) : INT64_MIN;
  const int64_t end = query.end ? Micros(*query.end) : INT64_MAX;
  auto accept = [&](const std::string& value) -> int {  // 1 take, 0 skip, -1 stop
    v1::AuditEntry entry;
    if (!entry.ParseFromString(value)) return 0;
    int64_t micros = TimeUtil::TimestampToMicroseconds(entry.time());
    if (micros < start) return 0;
    if (micros >= end) return -1;  // entries are in time order within every index
    if (static_cast<int>(page.entries.size()) == query.limit) {
      page.more = true;
      return -1;
    }
    page.entries.push_back(std::move(entry));
    return 1;
  };

  if (!query.resource.empty() || !query.user_id.empty()) {
    const char* index = query.resource.empty() ? kByUser : kByResource;
    const std::string& value = query.resource.empty() ? query.user_id : query.resource;
    std::string prefix;
    storage::AppendString(&prefix, index);
    storage::AppendString(&prefix, value);
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    for (it->Seek(IndexKey(index, value, query.after_sequence + 1));
         it->Valid() && it->key().starts_with(prefix); it->Next()) {
      storage::KeyReader reader(
          std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
      uint64_t sequence = 0;
      if (!reader.ReadUint64(&sequence)) continue;
      auto entry = storage_.Get(ColumnFamily::kAudit, SequenceKey(sequence));
      if (!entry.ok()) return entry.status();
      if (!entry->has_value()) continue;
      if (accept(**entry) < 0) break;
    }
    return page;
  }

  uint64_t first = query.after_sequence + 1;
  if (query.start) {
    auto it = storage_.NewIterator(ColumnFamily::kIndexes);
    it->Seek(TimeIndexKey(start, 0));
    std::string prefix;
    storage::AppendString(&prefix, kByTime);
    if (!it->Valid() || !it->key().starts_with(prefix)) return page;
    storage::KeyReader reader(
        std::string_view(it->key().data() + prefix.size(), it->key().size() - prefix.size()));
    int64_t micros = 0;
    uint64_t sequence = 0;
    if (reader.ReadInt64(&micros) && reader.ReadUint64(&sequence))
      first = std::max(first, sequence);
  }
  auto it = storage_.NewIterator(ColumnFamily::kAudit);
  for (it->Seek(SequenceKey(first)); it->Valid(); it->Next()) {
    if (accept(it->value().ToString()) < 0) break;
  }
  return page;
}

}  // namespace casecoord::auth
