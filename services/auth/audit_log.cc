#include "services/auth/audit_log.h"

#include <fcntl.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <future>

#include "services/auth/audit_layout.h"
#include "services/common/log.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;
using namespace audit_layout;  // NOLINT(google-build-using-namespace): the trail's own layout

constexpr size_t kHashBytes = 32;
// The chain_format of the entries this version writes (identity.proto documents each format).
constexpr int32_t kChainFormat = 1;
constexpr size_t kMaxRecoveryReasonBytes = 500;
constexpr char kRecoverMethod[] = "caseserver/audit-recover";
// The advice every refusal of Open() ends with.
constexpr char kHowToContinue[] =
    " No entry was written. Check the trail with caseserver audit verify --expect-head SEQ:HASH "
    "(the last head kept outside the database: the server's log, a backup), then continue it "
    "with caseserver audit recover --reason TEXT, which records this finding in the trail.";

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

std::string HeadBytes(uint64_t sequence, const std::string& hash) {
  std::string bytes = "head";
  storage::AppendUint64(&bytes, sequence);
  return bytes + hash;
}

std::string EntryName(uint64_t sequence) { return "auditEntries/" + std::to_string(sequence); }

// The head record: sequence, hash, HMAC of HeadBytes.
struct StoredHead {
  uint64_t sequence = 0;
  std::string hash;
  std::string mac;
};

std::optional<StoredHead> DecodeHead(const std::string& value) {
  StoredHead head;
  storage::KeyReader reader(value);
  if (value.size() != 8 + 2 * kHashBytes || !reader.ReadUint64(&head.sequence)) return {};
  head.hash = value.substr(8, kHashBytes);
  head.mac = value.substr(8 + kHashBytes);
  return head;
}

void PutHead(storage::WriteBatch& batch, uint64_t sequence, const std::string& hash,
             const std::string& key) {
  std::string head;
  storage::AppendUint64(&head, sequence);
  head += hash;
  head += Hmac(key, HeadBytes(sequence, hash));
  batch.Put(ColumnFamily::kMeta, storage::key_spaces::kAuditHead.name, head);
}

bool HasUnknownFields(const v1::AuditEntry& entry) {
  return !entry.GetReflection()->GetUnknownFields(entry).empty() ||
         !entry.time().GetReflection()->GetUnknownFields(entry.time()).empty();
}

// Serialization is deterministic by request, not by default; the hash of a format 1 entry must not
// depend on how a protobuf build happens to order output.
std::string DeterministicBytes(const v1::AuditEntry& entry) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    entry.SerializeToCodedStream(&coded);
  }
  return bytes;
}

// Sets the hash `entry` must carry into *hash. `entry` has its hash and mac cleared. Returns what
// is wrong instead when no hash could be right for it.
std::string ComputeHash(const v1::AuditEntry& entry, std::string* hash) {
  if (HasUnknownFields(entry)) {
    return "unknown field in entry (altered, or written by a newer server)";
  }
  switch (entry.chain_format()) {
    case kChainFormat:
      *hash = Sha256(DeterministicBytes(entry));
      return "";
    case 0:
      // The legacy hash leaves out the name, the time below a microsecond and everything newer
      // than it; those must be what every older server wrote, or they could be changed unseen.
      if (entry.name() != EntryName(static_cast<uint64_t>(entry.sequence())) ||
          entry.time().nanos() < 0 || entry.time().nanos() >= 1000000000 ||
          entry.time().nanos() % 1000 != 0 || !entry.detail().empty() ||
          entry.returned_records_size() > 0) {
        return "entry altered";
      }
      *hash = Sha256(CanonicalAuditBytes(entry));
      return "";
    default:
      return "unknown chain format " + std::to_string(entry.chain_format()) +
             " (altered, or written by a newer server)";
  }
}

// Whether `entry` (as stored) carries the hash of its content and a MAC of it under `key`.
bool Authentic(v1::AuditEntry entry, const std::string& key) {
  const std::string stored_hash = entry.hash();
  const std::string stored_mac = entry.mac();
  entry.clear_hash();
  entry.clear_mac();
  std::string hash;
  return ComputeHash(entry, &hash).empty() && SameBytes(hash, stored_hash) &&
         SameBytes(stored_mac, Hmac(key, hash));
}

// Completes `entry` (content and previous_hash set) with its format, hash and MAC, and puts it and
// its index entries in `batch`. Returns its hash.
std::string PutEntry(storage::WriteBatch& batch, v1::AuditEntry& entry, int64_t micros,
                     const std::string& key) {
  const uint64_t sequence = static_cast<uint64_t>(entry.sequence());
  entry.set_chain_format(kChainFormat);
  std::string hash;
  (void)ComputeHash(entry, &hash);  // cannot fail: no unknown fields, this version's format
  entry.set_hash(hash);
  entry.set_mac(Hmac(key, hash));
  batch.Put(ColumnFamily::kAudit, SequenceKey(sequence), entry.SerializeAsString());
  batch.Put(ColumnFamily::kIndexes,
            IndexKey(storage::key_spaces::kAuditByUser.name, entry.user_id(), sequence), "");
  batch.Put(ColumnFamily::kIndexes,
            IndexKey(storage::key_spaces::kAuditByResource.name, entry.resource(), sequence), "");
  for (const std::string& returned : entry.returned_records()) {
    batch.Put(ColumnFamily::kIndexes,
              IndexKey(storage::key_spaces::kAuditByResource.name, returned, sequence), "");
  }
  batch.Put(ColumnFamily::kIndexes, TimeIndexKey(micros, sequence), "");
  return hash;
}

// Which entry the trail ends at, and whether its head signs that entry. A read error or a last
// entry that cannot be read is the error of the Result; a head that does not sign the last entry
// is a finding.
struct TrailState {
  bool has_last = false;
  uint64_t last_sequence = 0;
  v1::AuditEntry last_entry;  // when has_last
  // kUnknown when the head signs the last entry; otherwise the reason Open() gives and what was
  // found, in words.
  Reason finding = Reason::kUnknown;
  std::string description;
};

Result<TrailState> InspectTrail(const storage::Storage& storage, const std::string& key) {
  TrailState state;
  auto snapshot = storage.Snapshot();
  {
    auto it = storage.NewIterator(ColumnFamily::kAudit, snapshot.get());
    it->SeekToLast();
    if (!it->status().ok()) {
      return storage::FromRocksStatus(it->status(), "reading the audit trail");
    }
    if (it->Valid()) {
      storage::KeyReader reader(std::string_view(it->key().data(), it->key().size()));
      if (!reader.ReadUint64(&state.last_sequence) || !reader.done() ||
          !state.last_entry.ParseFromString(it->value().ToString()) ||
          state.last_entry.sequence() != static_cast<int64_t>(state.last_sequence)) {
        return Status(Reason::kAuditEntryCorrupt,
                      "the last entry of the audit trail cannot be read; caseserver audit verify "
                      "shows where the trail breaks. No entry was written.");
      }
      state.has_last = true;
    }
  }
  const std::string last = std::to_string(state.last_sequence);
  auto stored =
      storage.Get(ColumnFamily::kMeta, storage::key_spaces::kAuditHead.name, snapshot.get());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    if (state.has_last) {
      state.finding = Reason::kAuditHeadMissing;
      state.description = "the audit head record is missing but the trail holds entries up to " +
                          last + " (the head was deleted)";
    }
    return state;
  }
  std::optional<StoredHead> head = DecodeHead(**stored);
  if (!head) {
    state.finding = Reason::kAuditHeadCorrupt;
    state.description = "the audit head record is malformed; the trail holds entries up to " + last;
    return state;
  }
  if (!SameBytes(head->mac, Hmac(key, HeadBytes(head->sequence, head->hash)))) {
    state.finding = Reason::kAuditKeyMismatch;
    state.description =
        "the audit head does not verify under the configured audit key (a wrong "
        "--audit-key-file, or a forged head)";
    return state;
  }
  const std::string signed_sequence = std::to_string(head->sequence);
  if (head->sequence < state.last_sequence) {
    state.finding = Reason::kAuditHeadBehind;
    state.description = "the signed audit head is at entry " + signed_sequence +
                        " but the trail holds entries up to " + last +
                        " (an older head was put back)";
  } else if (head->sequence > state.last_sequence) {
    state.finding = Reason::kAuditTruncated;
    state.description = "the signed audit head is at entry " + signed_sequence +
                        " but the trail ends at entry " + last + ": entries " +
                        std::to_string(state.last_sequence + 1) + " to " + signed_sequence +
                        " are missing (truncated)";
  } else if (!state.has_last || !SameBytes(head->hash, state.last_entry.hash())) {
    state.finding = Reason::kAuditHeadMismatch;
    state.description = "the signed audit head names another hash for entry " + last +
                        " than the entry holds (the entry or the head was replaced)";
  }
  return state;
}

// Overlong forms, surrogates and values past U+10FFFF are not UTF-8: false for those.
bool IsShortestScalarValue(uint32_t code, size_t length) {
  static constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  return code >= kSmallest[length] && (code < 0xd800 || code > 0xdfff) && code <= 0x10ffff;
}

// The length of the UTF-8 sequence that `lead` starts, or 0 if no sequence starts with it.
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 0;
}

bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const size_t length = Utf8SequenceLength(byte);
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? byte : byte & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (!IsShortestScalarValue(code, length)) return false;
    i += length;
  }
  return true;
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
    return Status(Reason::kIoError, "cannot write " + path);
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
    return Status(Reason::kAuditKeyCheckCorrupt,
                  path +
                      " is not an audit key check file; delete it and it is written again at "
                      "the next start whose audit key verifies the audit trail's signed head");
  }
  std::string expected = KeyCheckLine(key);
  expected.pop_back();  // getline dropped the newline
  if (line.size() != expected.size() ||
      CRYPTO_memcmp(line.data(), expected.data(), line.size()) != 0) {
    return Status(Reason::kAuditKeyMismatch,
                  "wrong audit key: it is not the key this data directory's audit trail is "
                  "signed with (checked against " +
                      path + " before opening anything)");
  }
  return Status::Ok();
}

std::string FormatAuditHead(const AuditHead& head) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = std::to_string(head.sequence) + ":";
  for (unsigned char byte : head.hash) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

Result<AuditHead> ParseAuditHead(std::string_view text, const std::string& field) {
  auto invalid = [&field] {
    return Status::InvalidArgument(field,
                                   "must be SEQ:HASH, an audit entry's sequence number and its "
                                   "hash in 64 hex digits, as caseserver logs and prints it");
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20 ||
      text.size() - colon - 1 != 2 * kHashBytes) {
    return invalid();
  }
  AuditHead head;
  auto [end, error] = std::from_chars(text.data(), text.data() + colon, head.sequence);
  if (error != std::errc() || end != text.data() + colon) return invalid();
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < kHashBytes; ++i) {
    const int high = nibble(text[colon + 1 + 2 * i]);
    const int low = nibble(text[colon + 2 + 2 * i]);
    if (high < 0 || low < 0) return invalid();
    head.hash[i] = static_cast<char>(high << 4 | low);
  }
  return head;
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
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  if (committer_.joinable()) committer_.join();  // drains the queue first
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(storage::Storage& storage, std::string key,
                                                 const Clock& clock) {
  if (key.size() < 32) return Status::InvalidArgument("audit_key", "must be at least 32 bytes");
  CASECOORD_RETURN_IF_ERROR(CheckAuditKeyFile(storage.path(), key));
  auto state = InspectTrail(storage, key);
  if (!state.ok()) return state.status();
  if (state->finding != Reason::kUnknown) {
    return Status(state->finding,
                  state->description + "; refusing to continue the trail." + kHowToContinue);
  }
  std::unique_ptr<AuditLog> log(new AuditLog(storage, std::move(key), clock));
  if (state->has_last) {
    MutexLock lock(log->mutex_);  // no committer yet; taken for the analysis
    log->last_sequence_ = state->last_sequence;
    log->last_hash_ = state->last_entry.hash();
    log->last_micros_ = TimeUtil::TimestampToMicroseconds(state->last_entry.time());
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

Result<AuditRecovery> AuditLog::Recover(storage::Storage& storage, const std::string& key,
                                        std::string_view reason, const Clock& clock) {
  if (key.size() < 32) return Status::InvalidArgument("audit_key", "must be at least 32 bytes");
  if (TrimSpaces(reason).empty()) {
    return Status::InvalidArgument("reason", "say why the trail is continued: it is recorded");
  }
  if (reason.size() > kMaxRecoveryReasonBytes || !IsUtf8(reason)) {
    return Status::InvalidArgument(
        "reason",
        "must be UTF-8 text of at most " + std::to_string(kMaxRecoveryReasonBytes) + " bytes");
  }
  auto state = InspectTrail(storage, key);
  if (!state.ok()) return state.status();
  if (state->finding == Reason::kUnknown) {
    return Status(Reason::kAuditNothingToRecover, "the audit head signs the last entry (" +
                                                      std::to_string(state->last_sequence) +
                                                      "); the trail needs no recovery");
  }
  std::string previous(kHashBytes, '\0');
  int64_t micros = Micros(clock.Now());
  if (state->has_last) {
    // The new head vouches for the last entry; it must be one the key signed.
    if (!Authentic(state->last_entry, key)) {
      return Status(
          Reason::kAuditLastEntryUnverified,
          "entry " + std::to_string(state->last_sequence) +
              " does not verify under the configured audit key (a wrong key, or a forged or "
              "altered entry), so no head is signed at it; caseserver audit verify shows where "
              "the trail breaks. Nothing was written.");
    }
    previous = state->last_entry.hash();
    micros = std::max(micros, TimeUtil::TimestampToMicroseconds(state->last_entry.time()));
  }
  const uint64_t sequence = state->last_sequence + 1;
  v1::AuditEntry entry;
  entry.set_sequence(static_cast<int64_t>(sequence));
  entry.set_name(EntryName(sequence));
  *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(micros);
  entry.set_user_id("operator");
  entry.set_method(kRecoverMethod);
  entry.set_resource("auditEntries");
  entry.set_outcome("OK");
  entry.set_legal_basis("operator");
  entry.set_detail(std::string(SpecOf(state->finding).name) + ": " + state->description +
                   ". Reason given: " + std::string(reason));
  entry.set_previous_hash(previous);
  storage::WriteBatch batch(storage);
  const std::string hash = PutEntry(batch, entry, micros, key);
  PutHead(batch, sequence, hash, key);
  CASECOORD_RETURN_IF_ERROR(storage.Commit(batch));
  return AuditRecovery{std::string(SpecOf(state->finding).name), state->description,
                       AuditHead{sequence, hash}};
}

void AuditLog::FailAppendsForTesting(Status status) {
  MutexLock lock(mutex_);
  injected_failure_ = std::move(status);
}

void AuditLog::AppendAsync(AuditRecord record, storage::WriteBatch* changes,
                           std::function<void(Status)> done) {
  {
    MutexLock lock(mutex_);
    queue_.push_back(Pending{std::move(record), changes, std::move(done)});
  }
  work_available_.notify_one();
}

Status AuditLog::Append(const AuditRecord& record, storage::WriteBatch* changes) {
  std::promise<Status> outcome;
  AppendAsync(record, changes, [&outcome](Status status) { outcome.set_value(std::move(status)); });
  return outcome.get_future().get();
}

AuditHead AuditLog::head() const {
  MutexLock lock(mutex_);
  return AuditHead{last_sequence_, last_hash_};
}

void AuditLog::CommitLoop() {
  MutexLock lock(mutex_);
  for (;;) {
    lock.Wait(work_available_, [this] {
      mutex_.AssertHeld();
      return stopping_ || !queue_.empty();
    });
    if (queue_.empty()) return;  // stopping, and everything queued has been committed
    std::deque<Pending> group;
    group.swap(queue_);
    lock.Unlock();
    Status status = CommitGroup(group);
    for (Pending& pending : group) pending.done(status);
    lock.Lock();
  }
}

Status AuditLog::CommitGroup(const std::deque<Pending>& group) {
  Status failure;
  int64_t micros = 0;
  uint64_t sequence = 0;
  std::string hash;
  {
    MutexLock lock(mutex_);
    failure = injected_failure_;
    micros = std::max(last_micros_, Micros(clock_.Now()));
    sequence = last_sequence_;
    hash = last_hash_;
  }
  storage::WriteBatch batch(storage_);
  for (const Pending& pending : group) {
    if (pending.changes != nullptr) batch.Append(*pending.changes);
    const AuditRecord& record = pending.record;
    v1::AuditEntry entry;
    entry.set_sequence(static_cast<int64_t>(++sequence));
    entry.set_name(EntryName(sequence));
    *entry.mutable_time() = TimeUtil::MicrosecondsToTimestamp(micros);
    entry.set_user_id(record.user_id);
    entry.set_agency(record.agency);
    entry.set_method(record.method);
    entry.set_resource(record.resource);
    entry.set_outcome(record.outcome);
    entry.set_legal_basis(record.legal_basis);
    entry.set_break_glass_reason(record.break_glass_reason);
    for (const std::string& returned : record.returned_records)
      entry.add_returned_records(returned);
    entry.set_channel(record.channel);
    entry.set_session_id(record.session_id);
    entry.set_previous_hash(hash);
    hash = PutEntry(batch, entry, micros, key_);
  }
  PutHead(batch, sequence, hash, key_);
  const auto commit_started = std::chrono::steady_clock::now();
  Status status = failure.ok() ? storage_.Commit(batch) : failure;
  commit_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_started).count());
  group_entries_.Observe(static_cast<double>(group.size()));
  if (status.ok()) {
    MutexLock lock(mutex_);
    last_sequence_ = sequence;
    last_hash_ = hash;
    last_micros_ = micros;
    groups_committed_.fetch_add(1, std::memory_order_relaxed);
    entries_committed_.fetch_add(group.size(), std::memory_order_relaxed);
  }
  return status;
}

AuditVerification AuditLog::Verify(const std::optional<AuditHead>& expected) const {
  return VerifyAuditTrail(storage_, key_, expected);
}

namespace {

// Checks the entry stored in position `sequence` of the trail, after an entry whose hash is
// `previous`. Returns what is wrong with it ("" if nothing) and sets `*hash` to its hash.
std::string CheckStoredEntry(const std::string& value, uint64_t sequence,
                             const std::string& previous, const std::string& key,
                             std::string* hash) {
  v1::AuditEntry entry;
  if (!entry.ParseFromString(value)) return "entry unreadable (altered)";
  if (entry.sequence() != static_cast<int64_t>(sequence)) {
    return "entry " + std::to_string(entry.sequence()) + " found in this position (reordered)";
  }
  if (!SameBytes(entry.previous_hash(), previous)) {
    return "does not follow its predecessor (reordered or predecessor replaced)";
  }
  const std::string stored_hash = entry.hash();
  const std::string stored_mac = entry.mac();
  entry.clear_hash();
  entry.clear_mac();
  if (std::string problem = ComputeHash(entry, hash); !problem.empty()) return problem;
  if (!SameBytes(*hash, stored_hash)) return "entry altered";
  if (!SameBytes(stored_mac, Hmac(key, *hash))) return "MAC invalid (forged entry or other key)";
  return "";
}

struct TrailProblem {
  uint64_t sequence;
  std::string description;
};

// Checks the signed head (as of `snapshot`) against the walked trail, whose last entry is `last`
// (0: none) with hash `last_hash`.
std::optional<TrailProblem> CheckSignedHead(const storage::Storage& storage, const std::string& key,
                                            const rocksdb::Snapshot* snapshot, uint64_t last,
                                            const std::string& last_hash) {
  auto head = storage.Get(ColumnFamily::kMeta, storage::key_spaces::kAuditHead.name, snapshot);
  if (!head.ok()) {
    return TrailProblem{last + 1, "cannot read the audit head: " + head.status().ToString()};
  }
  if (!head->has_value()) {
    if (last == 0) return std::nullopt;
    return TrailProblem{1, "audit head missing"};
  }
  std::optional<StoredHead> signed_head = DecodeHead(**head);
  if (!signed_head) return TrailProblem{last + 1, "audit head malformed"};
  if (!SameBytes(signed_head->mac,
                 Hmac(key, HeadBytes(signed_head->sequence, signed_head->hash)))) {
    return TrailProblem{last + 1, "audit head MAC invalid"};
  }
  if (signed_head->sequence > last) {
    return TrailProblem{last + 1, "entries " + std::to_string(last + 1) + " to " +
                                      std::to_string(signed_head->sequence) +
                                      " missing (truncated)"};
  }
  if (signed_head->sequence < last || !SameBytes(signed_head->hash, last_hash)) {
    return TrailProblem{signed_head->sequence, "chain does not end at the signed head"};
  }
  return std::nullopt;
}

}  // namespace

AuditVerification VerifyAuditTrail(const storage::Storage& storage, const std::string& key,
                                   const std::optional<AuditHead>& expected) {
  AuditVerification result;
  auto broken = [&result](uint64_t sequence, std::string problem) {
    result.intact = false;
    result.first_broken_sequence = static_cast<int64_t>(sequence);
    result.problem = std::move(problem);
    return result;
  };
  auto witness = [&expected] { return "the witnessed head " + FormatAuditHead(*expected); };
  // Entries and head from one point in time: a head committed during the walk would otherwise
  // look like a truncation.
  auto snapshot = storage.Snapshot();
  uint64_t expected_sequence = 1;
  std::string previous(kHashBytes, '\0');
  auto it = storage.NewIterator(ColumnFamily::kAudit, snapshot.get());
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected_sequence) {
    storage::KeyReader reader(std::string_view(it->key().data(), it->key().size()));
    uint64_t sequence = 0;
    if (!reader.ReadUint64(&sequence) || !reader.done()) {
      return broken(expected_sequence, "malformed entry key");
    }
    if (sequence != expected_sequence) {
      return broken(expected_sequence, "entry missing (deleted)");
    }
    std::string hash;
    if (std::string problem =
            CheckStoredEntry(it->value().ToString(), sequence, previous, key, &hash);
        !problem.empty()) {
      return broken(sequence, std::move(problem));
    }
    if (expected && sequence == expected->sequence && !SameBytes(hash, expected->hash)) {
      return broken(sequence, "entry is not the one in " + witness() +
                                  " (the trail was rolled back or rewritten)");
    }
    previous = hash;
    ++result.entries_checked;
    result.head = AuditHead{sequence, hash};
  }
  if (!it->status().ok()) {
    return broken(expected_sequence, "cannot read the trail: " + it->status().ToString());
  }
  const uint64_t last = expected_sequence - 1;
  if (expected && expected->sequence > last) {
    return broken(last + 1, "entries " + std::to_string(last + 1) + " to " +
                                std::to_string(expected->sequence) + " missing: " + witness() +
                                " is not in the trail (wiped, truncated or rolled back)");
  }
  if (expected && expected->sequence == 0 &&
      !SameBytes(expected->hash, std::string(kHashBytes, '\0'))) {
    return broken(1, witness() + " names entry 0 with a hash; only the empty trail's head can");
  }
  if (std::optional<TrailProblem> problem =
          CheckSignedHead(storage, key, snapshot.get(), last, previous)) {
    return broken(problem->sequence, std::move(problem->description));
  }
  return result;
}

Result<AuditHead> LastAuditEntry(const storage::Storage& storage) {
  AuditHead head;
  auto it = storage.NewIterator(ColumnFamily::kAudit);
  it->SeekToLast();
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the audit trail");
  if (!it->Valid()) return head;
  storage::KeyReader reader(std::string_view(it->key().data(), it->key().size()));
  v1::AuditEntry entry;
  if (!reader.ReadUint64(&head.sequence) || !entry.ParseFromString(it->value().ToString())) {
    return Status(Reason::kAuditEntryCorrupt, "the last entry of the audit trail cannot be read");
  }
  head.hash = entry.hash();
  return head;
}

}  // namespace casecoord::auth
