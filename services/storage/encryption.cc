#include "services/storage/encryption.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <rocksdb/file_system.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "services/storage/openssl_util.h"

namespace casecoord::storage {
namespace {

constexpr size_t kAadBytes = 64;

// Fetched once: fetching a cipher is a provider lookup we do not want per call.
const EVP_CIPHER* Aes256Ctr() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  return cipher;
}

std::string ToHexString(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void PutBigEndian16(char* out, uint16_t value) {
  out[0] = static_cast<char>(value >> 8);
  out[1] = static_cast<char>(value & 0xff);
}

uint16_t GetBigEndian16(const char* in) {
  return static_cast<uint16_t>((static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]));
}

// counter = iv + block_index, as 128-bit big-endian integers (the way OpenSSL increments CTR).
std::array<uint8_t, kIvBytes> CounterBlock(const std::array<uint8_t, kIvBytes>& iv,
                                           uint64_t block_index) {
  std::array<uint8_t, kIvBytes> counter = iv;
  unsigned carry = 0;
  for (int i = kIvBytes - 1; i >= 0; --i) {
    unsigned addend = (kIvBytes - 1 - i) < 8 ? (block_index >> (8 * (kIvBytes - 1 - i))) & 0xff : 0;
    unsigned sum = counter[i] + addend + carry;
    counter[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
  }
  return counter;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// KeyEncryptionKey

Result<KeyEncryptionKey> KeyEncryptionKey::FromBytes(std::string_view raw) {
  if (raw.size() != kKeyBytes) {
    return Status::InvalidArgument("key", "a key-encryption key must be 32 bytes (64 hex digits)");
  }
  KeyEncryptionKey kek;
  std::memcpy(kek.key_.data(), raw.data(), kKeyBytes);
  kek.Derive();
  return kek;
}

Result<KeyEncryptionKey> KeyEncryptionKey::FromHex(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front())))
    hex.remove_prefix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  if (hex.size() != kKeyBytes * 2) {
    return Status::InvalidArgument("key",
                                   "a key-encryption key must be 64 hexadecimal digits, got " +
                                       std::to_string(hex.size()) + " characters");
  }
  KeyEncryptionKey kek;
  for (size_t i = 0; i < kKeyBytes; ++i) {
    int high = HexValue(hex[2 * i]);
    int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return Status::InvalidArgument("key", "a key-encryption key must be hexadecimal");
    }
    kek.key_[i] = static_cast<uint8_t>(high << 4 | low);
  }
  kek.Derive();
  return kek;
}

KeyEncryptionKey KeyEncryptionKey::Generate() {
  KeyEncryptionKey kek;
  if (RAND_bytes(kek.key_.data(), kKeyBytes) != 1) std::abort();  // no safe way to continue
  kek.Derive();
  return kek;
}

KeyEncryptionKey::KeyEncryptionKey(const KeyEncryptionKey& other)
    : key_(other.key_), check_(other.check_), id_(other.id_) {}

KeyEncryptionKey& KeyEncryptionKey::operator=(const KeyEncryptionKey& other) {
  key_ = other.key_;
  check_ = other.check_;
  id_ = other.id_;
  return *this;
}

KeyEncryptionKey::~KeyEncryptionKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

void KeyEncryptionKey::Derive() {
  static constexpr char kIdLabel[] = "casecoord-kek-id";
  static constexpr char kCheckLabel[] = "casecoord-kek-check";
  std::array<uint8_t, 32> digest{};
  unsigned int digest_size = 0;
  std::string material(kIdLabel);
  material.append(reinterpret_cast<const char*>(key_.data()), key_.size());
  EVP_Digest(material.data(), material.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
  OPENSSL_cleanse(material.data(), material.size());
  id_ = ToHexString(digest.data(), 8);

  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const uint8_t*>(kCheckLabel), sizeof(kCheckLabel) - 1, digest.data(),
       &mac_size);
  std::memcpy(check_.data(), digest.data(), check_.size());
}

std::string KeyEncryptionKey::ToHex() const { return ToHexString(key_.data(), key_.size()); }

// ---------------------------------------------------------------------------------------------
// Keyring

Keyring::Keyring(const KeyEncryptionKey& current, std::vector<KeyEncryptionKey> previous)
    : current_id_(current.id()) {
  for (auto& key : previous) keys_.emplace(key.id(), std::move(key));
  // KeyEncryptionKey is copy-only (it wipes its bytes), so a const reference saves one copy.
  keys_.insert_or_assign(current.id(), current);
}

const KeyEncryptionKey* Keyring::Find(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

std::vector<std::string> Keyring::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, key] : keys_) out.push_back(id);
  return out;
}

// ---------------------------------------------------------------------------------------------
// FileHeader

FileHeader FileHeader::Create(const KeyEncryptionKey& kek,
                              std::array<uint8_t, kKeyBytes>* data_key) {
  FileHeader header;
  header.key_id = kek.id();
  header.key_check = kek.check();
  if (!RandomBytes(data_key->data(), data_key->size()).ok() ||
      !RandomBytes(header.iv.data(), header.iv.size()).ok() ||
      !RandomBytes(header.wrap_nonce.data(), header.wrap_nonce.size()).ok()) {
    std::abort();  // without randomness no key may be created; continuing would be unsafe
  }
  char aad[kFileHeaderSize] = {};
  header.Serialize(aad);

  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int out_len = 0;
  bool ok = ctx &&
            EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), kek.bytes(), header.wrap_nonce.data(),
                                nullptr) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &out_len, reinterpret_cast<uint8_t*>(aad),
                              kAadBytes) == 1 &&
            EVP_EncryptUpdate(ctx.get(), header.wrapped_key.data(), &out_len, data_key->data(),
                              kKeyBytes) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), header.wrapped_key.data() + out_len, &out_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, header.tag.size(),
                                header.tag.data()) == 1;
  if (!ok) std::abort();  // AES-GCM with valid sizes cannot fail unless OpenSSL is broken
  return header;
}

void FileHeader::Serialize(char* out) const {
  std::memset(out, 0, kFileHeaderSize);
  std::memcpy(out, kHeaderMagic, sizeof(kHeaderMagic));
  PutBigEndian16(out + 8, kVersion);
  PutBigEndian16(out + 10, kAlgorithmAes256CtrGcmWrap);
  std::memcpy(out + 16, key_id.data(), std::min<size_t>(key_id.size(), 16));
  std::memcpy(out + 32, key_check.data(), key_check.size());
  std::memcpy(out + 48, iv.data(), iv.size());
  std::memcpy(out + 64, wrap_nonce.data(), wrap_nonce.size());
  std::memcpy(out + 76, wrapped_key.data(), wrapped_key.size());
  std::memcpy(out + 108, tag.data(), tag.size());
}

Result<FileHeader> FileHeader::Parse(std::string_view bytes) {
  if (bytes.size() < sizeof(kHeaderMagic) ||
      std::memcmp(bytes.data(), kHeaderMagic, sizeof(kHeaderMagic)) != 0) {
    return Status(Reason::kNotEncrypted, "no casecoord encryption header");
  }
  if (bytes.size() < kFileHeaderSize) {
    return Status(Reason::kBadHeader,
                  "encryption header truncated at " + std::to_string(bytes.size()) + " bytes");
  }
  uint16_t version = GetBigEndian16(bytes.data() + 8);
  uint16_t algorithm = GetBigEndian16(bytes.data() + 10);
  if (version != kVersion || algorithm != kAlgorithmAes256CtrGcmWrap) {
    return Status(Reason::kUnsupportedHeader, "unsupported encryption header version " +
                                                  std::to_string(version) + " / algorithm " +
                                                  std::to_string(algorithm));
  }
  FileHeader header;
  header.key_id.assign(bytes.data() + 16, 16);
  std::memcpy(header.key_check.data(), bytes.data() + 32, header.key_check.size());
  std::memcpy(header.iv.data(), bytes.data() + 48, header.iv.size());
  std::memcpy(header.wrap_nonce.data(), bytes.data() + 64, header.wrap_nonce.size());
  std::memcpy(header.wrapped_key.data(), bytes.data() + 76, header.wrapped_key.size());
  std::memcpy(header.tag.data(), bytes.data() + 108, header.tag.size());
  return header;
}

Status FileHeader::Unwrap(const KeyEncryptionKey& kek,
                          std::array<uint8_t, kKeyBytes>* data_key) const {
  if (key_id != kek.id() || CRYPTO_memcmp(key_check.data(), kek.check().data(), 16) != 0) {
    return Status(Reason::kWrongKey,
                  "file is encrypted with key id " + key_id + ", not with key " + kek.id());
  }
  char aad[kFileHeaderSize];
  Serialize(aad);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int out_len = 0;
  auto tag_copy = tag;
  bool ok =
      ctx &&
      EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), kek.bytes(), wrap_nonce.data(), nullptr) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &out_len, reinterpret_cast<uint8_t*>(aad), kAadBytes) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), data_key->data(), &out_len, wrapped_key.data(), kKeyBytes) ==
          1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_copy.size(), tag_copy.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), data_key->data() + out_len, &out_len) == 1;
  if (!ok) {
    OPENSSL_cleanse(data_key->data(), data_key->size());
    return Status(Reason::kHeaderTampered,
                  "the encryption header failed authentication (corrupted or altered)");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// AesCtrCipherStream

struct AesCtrCipherStream::ContextPool {
  std::mutex mutex;
  std::vector<EVP_CIPHER_CTX*> idle;
  ~ContextPool() {
    for (auto* ctx : idle) EVP_CIPHER_CTX_free(ctx);
  }
};

AesCtrCipherStream::AesCtrCipherStream(const std::array<uint8_t, kKeyBytes>& key,
                                       const std::array<uint8_t, kIvBytes>& iv)
    : key_(key), iv_(iv), contexts_(std::make_unique<ContextPool>()) {}

AesCtrCipherStream::~AesCtrCipherStream() { OPENSSL_cleanse(key_.data(), key_.size()); }

rocksdb::Status AesCtrCipherStream::Encrypt(uint64_t file_offset, char* data, size_t size) {
  return Apply(file_offset, data, size);
}

rocksdb::Status AesCtrCipherStream::Decrypt(uint64_t file_offset, char* data, size_t size) {
  return Apply(file_offset, data, size);
}

rocksdb::Status AesCtrCipherStream::EncryptBlock(uint64_t block_index, char* data, char*) {
  return Apply(block_index * 16, data, 16);
}

rocksdb::Status AesCtrCipherStream::DecryptBlock(uint64_t block_index, char* data, char*) {
  return Apply(block_index * 16, data, 16);
}

rocksdb::Status AesCtrCipherStream::Apply(uint64_t file_offset, char* data, size_t size) {
  if (size == 0) return rocksdb::Status::OK();
  EVP_CIPHER_CTX* ctx = nullptr;
  {
    std::lock_guard<std::mutex> lock(contexts_->mutex);
    if (!contexts_->idle.empty()) {
      ctx = contexts_->idle.back();
      contexts_->idle.pop_back();
    }
  }
  if (ctx == nullptr) {
    // First use on this thread's turn: schedule the key once; later calls only reset the IV.
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == nullptr ||
        EVP_EncryptInit_ex2(ctx, Aes256Ctr(), key_.data(), iv_.data(), nullptr) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      return rocksdb::Status::IOError("AES-256-CTR initialisation failed");
    }
  }
  auto counter = CounterBlock(iv_, file_offset / 16);
  bool ok = EVP_EncryptInit_ex2(ctx, nullptr, nullptr, counter.data(), nullptr) == 1;
  int out_len = 0;
  size_t skip = file_offset % 16;
  if (ok && skip > 0) {
    uint8_t discard[16] = {};
    ok = EVP_EncryptUpdate(ctx, discard, &out_len, discard, static_cast<int>(skip)) == 1;
  }
  auto* bytes = reinterpret_cast<uint8_t*>(data);
  while (ok && size > 0) {
    int chunk = static_cast<int>(std::min<size_t>(size, INT_MAX / 2));
    ok = EVP_EncryptUpdate(ctx, bytes, &out_len, bytes, chunk) == 1;
    bytes += chunk;
    size -= chunk;
  }
  {
    std::lock_guard<std::mutex> lock(contexts_->mutex);
    contexts_->idle.push_back(ctx);
  }
  return ok ? rocksdb::Status::OK() : rocksdb::Status::IOError("AES-256-CTR failed");
}

// ---------------------------------------------------------------------------------------------
// EnvelopeEncryptionProvider

EnvelopeEncryptionProvider::EnvelopeEncryptionProvider(std::shared_ptr<const Keyring> keyring)
    : keyring_(std::move(keyring)) {}

rocksdb::Status EnvelopeEncryptionProvider::CreateNewPrefix(const std::string&, char* prefix,
                                                            size_t prefix_length) const {
  if (prefix_length != kFileHeaderSize) {
    return rocksdb::Status::InvalidArgument("unexpected encryption prefix length");
  }
  std::array<uint8_t, kKeyBytes> data_key{};
  FileHeader header = FileHeader::Create(keyring_->current(), &data_key);
  OPENSSL_cleanse(data_key.data(), data_key.size());
  header.Serialize(prefix);
  return rocksdb::Status::OK();
}

rocksdb::Status EnvelopeEncryptionProvider::AddCipher(const std::string&, const char*, size_t,
                                                      bool) {
  return rocksdb::Status::NotSupported("keys come from the Keyring given at construction");
}

rocksdb::Status EnvelopeEncryptionProvider::CreateCipherStream(
    const std::string& fname, const rocksdb::EnvOptions&, rocksdb::Slice& prefix,
    std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) {
  auto header = FileHeader::Parse(std::string_view(prefix.data(), prefix.size()));
  if (!header.ok()) {
    return rocksdb::Status::Corruption(fname + ": " + header.status().message());
  }
  const KeyEncryptionKey* kek = keyring_->Find(header->key_id);
  if (kek == nullptr) {
    return rocksdb::Status::Corruption(fname + ": encrypted with key id " + header->key_id +
                                       ", which is not configured");
  }
  std::array<uint8_t, kKeyBytes> data_key{};
  Status unwrapped = header->Unwrap(*kek, &data_key);
  if (!unwrapped.ok()) return rocksdb::Status::Corruption(fname + ": " + unwrapped.message());
  *result = std::make_unique<AesCtrCipherStream>(data_key, header->iv);
  OPENSSL_cleanse(data_key.data(), data_key.size());
  return rocksdb::Status::OK();
}

std::unique_ptr<rocksdb::Env> NewEncryptedEnv(std::shared_ptr<const Keyring> keyring) {
  auto provider = std::make_shared<EnvelopeEncryptionProvider>(std::move(keyring));
  auto fs = rocksdb::NewEncryptedFS(rocksdb::FileSystem::Default(), provider);
  return rocksdb::NewCompositeEnv(fs);
}

// ---------------------------------------------------------------------------------------------
// Directory inspection

Result<FileHeader> ReadFileHeader(const std::string& file_path) {
  std::ifstream in(file_path, std::ios::binary);
  if (!in) return Status(Reason::kFileNotFound, "cannot open " + file_path);
  std::string bytes(kFileHeaderSize, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return FileHeader::Parse(bytes);
}

namespace {

// Checks header bytes read from the file `name` against `keyring`; `size` is the file's size.
Result<std::string> CheckHeaderBytes(const std::string& name, std::string_view bytes, uint64_t size,
                                     const Keyring& keyring) {
  if (bytes.size() < sizeof(kHeaderMagic) ||
      std::memcmp(bytes.data(), kHeaderMagic, sizeof(kHeaderMagic)) != 0) {
    return Status(Reason::kNotEncrypted, name + " has no casecoord encryption header");
  }
  if (size < kFileHeaderSize) {
    return Status(Reason::kTruncatedFile, name + " is shorter than its encryption header (" +
                                              std::to_string(size) + " bytes)");
  }
  auto header = FileHeader::Parse(bytes);
  if (!header.ok()) {
    return header.status().WithMessage(name + ": " + header.status().message());
  }
  const KeyEncryptionKey* kek = keyring.Find(header->key_id);
  if (kek == nullptr) {
    std::string configured;
    for (const auto& id : keyring.ids()) configured += (configured.empty() ? "" : ", ") + id;
    return Status(Reason::kWrongKey, name + " is encrypted with key id " + header->key_id +
                                         ", but the configured key-encryption key(s) are " +
                                         configured + ": wrong key?");
  }
  std::array<uint8_t, kKeyBytes> data_key{};
  Status unwrapped = header->Unwrap(*kek, &data_key);
  OPENSSL_cleanse(data_key.data(), data_key.size());
  if (!unwrapped.ok()) {
    return unwrapped.WithMessage(name + ": " + unwrapped.message());
  }
  return header->key_id;
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// Whether every byte of the file is zero (read in chunks; only called for a zero header).
Result<bool> FileIsAllZero(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status(Reason::kIoError, "cannot read " + file.string());
  std::string chunk(1 << 16, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    if (!AllZero(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())))) return false;
  }
  if (in.bad()) return Status(Reason::kIoError, "cannot read " + file.string());
  return true;
}

// Inspects one non-empty file of the data directory `path`: refuses an encrypted file without a
// keyring and a plaintext or undecryptable file with one; records torn and unwritten logs and the
// key id of each encrypted file in `inspection`.
Status InspectDataFile(const std::string& path, const std::filesystem::path& file, uint64_t size,
                       const Keyring* keyring, DirectoryInspection& inspection) {
  const std::string name = file.filename().string();
  std::ifstream in(file, std::ios::binary);
  std::string bytes(std::min<uint64_t>(size, kFileHeaderSize), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const bool is_wal = file.extension() == ".log";
  const bool has_magic = bytes.size() >= sizeof(kHeaderMagic) &&
                         std::memcmp(bytes.data(), kHeaderMagic, sizeof(kHeaderMagic)) == 0;
  const bool too_short_to_tell = bytes.size() < sizeof(kHeaderMagic);

  if (keyring == nullptr) {
    if (has_magic) {
      return Status(Reason::kEncryptedDatabase,
                    path + " is encrypted (" + name +
                        " carries a casecoord encryption header) but no "
                        "key-encryption key is configured; set --kek-file or CASECOORD_KEK");
    }
    return Status::Ok();
  }
  if (is_wal && size < kFileHeaderSize && (has_magic || too_short_to_tell)) {
    inspection.torn_wal_files.push_back(file.string());
    return Status::Ok();
  }
  // A zero header is what a power failure leaves of a log created but never synced; a plaintext
  // log starts with a record's checksum and length, never with 4 KiB of zeros. Only a log that
  // is zero throughout is emptied: data after a lost header cannot be decrypted, so it is
  // reported rather than dropped.
  if (is_wal && !has_magic && AllZero(bytes)) {
    auto zero = FileIsAllZero(file);
    if (!zero.ok()) return zero.status();
    if (*zero) {
      inspection.unwritten_wal_files.push_back(file.string());
      return Status::Ok();
    }
    return Status(Reason::kWalHeaderLost,
                  path + ": " + name +
                      " has a zero-filled encryption header but data after it, which cannot be "
                      "decrypted; if the server was not stopped cleanly, this log held nothing "
                      "acknowledged (a sync would have written its header): move it out of the "
                      "directory to start");
  }
  if (!has_magic) {
    return Status(Reason::kPlaintextDatabase, path + " holds unencrypted data (" + name +
                                                  " has no casecoord encryption header); "
                                                  "refusing to open it as an encrypted database");
  }
  auto key_id = CheckHeaderBytes(name, bytes, size, *keyring);
  if (!key_id.ok()) return key_id.status();
  inspection.encrypted = true;
  inspection.files_per_key_id[*key_id]++;
  return Status::Ok();
}

}  // namespace

Result<std::string> CheckFileKey(const std::string& path, const Keyring& keyring) {
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) return Status(Reason::kFileNotFound, "cannot open " + path);
  std::ifstream in(path, std::ios::binary);
  std::string bytes(std::min<uint64_t>(size, kFileHeaderSize), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) return Status(Reason::kIoError, "cannot read " + path);
  return CheckHeaderBytes(path, bytes, size, keyring);
}

Result<DirectoryInspection> InspectDataDirectory(const std::string& path, const Keyring* keyring) {
  namespace fs = std::filesystem;
  DirectoryInspection inspection;
  std::error_code error;
  if (!fs::exists(path, error)) return inspection;
  if (!fs::is_directory(path, error)) {
    return Status(Reason::kNotADirectory, path + " is not a directory");
  }
  inspection.has_database = fs::exists(fs::path(path) / "CURRENT", error);

  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, error)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (error) return Status(Reason::kIoError, "cannot list " + path + ": " + error.message());
  std::sort(files.begin(), files.end());

  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const uint64_t size = fs::file_size(file, error);
    if (error || size == 0 || name == "LOCK") continue;      // LOCK is always empty
    if (name.starts_with(kAuditKeyCheckFileName)) continue;  // and its temporary copy
    CASECOORD_RETURN_IF_ERROR(InspectDataFile(path, file, size, keyring, inspection));
  }
  return inspection;
}

}  // namespace casecoord::storage
