// Encryption at rest for every file RocksDB writes through our file system.
//
// Each file starts with a 4 KiB header (see FileHeader) holding a random per-file data key, wrapped
// by the key-encryption key (KEK) with AES-256-GCM, and a random IV. The rest of the file is
// AES-256-CTR under the data key, the counter derived from the file offset, so any byte range can
// be read or written independently. RocksDB's built-in CTR provider is never used: its IVs repeat
// and it encrypts 16 bytes per call.
//
// KEK rotation: a Keyring holds the current KEK (for new files) and previous KEKs (for reading
// files written before a rotation). See rotation.h.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/env_encryption.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord::storage {

inline constexpr size_t kFileHeaderSize = 4096;
inline constexpr size_t kKeyBytes = 32;
inline constexpr size_t kIvBytes = 16;
inline constexpr char kHeaderMagic[8] = {'C', 'C', 'E', 'N', 'C', 'R', 'Y', 'P'};

// A 256-bit key-encryption key. The bytes are wiped when the object is destroyed and are never
// logged; id() is a one-way fingerprint safe to print.
class KeyEncryptionKey {
 public:
  // `raw` must be exactly 32 bytes.
  static Result<KeyEncryptionKey> FromBytes(std::string_view raw);
  // Parses 64 hexadecimal characters, surrounding whitespace ignored.
  static Result<KeyEncryptionKey> FromHex(std::string_view hex);
  static KeyEncryptionKey Generate();

  KeyEncryptionKey(const KeyEncryptionKey& other);
  KeyEncryptionKey& operator=(const KeyEncryptionKey& other);
  ~KeyEncryptionKey();

  // 16 lowercase hex characters: the first 8 bytes of SHA-256("casecoord-kek-id" || key).
  const std::string& id() const { return id_; }
  // 16 bytes: HMAC-SHA256(key, "casecoord-kek-check"), truncated. Stored in each file header so
  // that a wrong key is reported as such, not as corruption.
  const std::array<uint8_t, 16>& check() const { return check_; }
  const uint8_t* bytes() const { return key_.data(); }
  std::string ToHex() const;

 private:
  KeyEncryptionKey() = default;
  void Derive();

  std::array<uint8_t, kKeyBytes> key_{};
  std::array<uint8_t, 16> check_{};
  std::string id_;
};

// The KEK used for new files, plus the KEKs still accepted for reading.
// Thread safety: immutable after construction; share it freely.
class Keyring {
 public:
  explicit Keyring(const KeyEncryptionKey& current, std::vector<KeyEncryptionKey> previous = {});

  const KeyEncryptionKey& current() const { return keys_.at(current_id_); }
  // nullptr when no key with that id is configured.
  const KeyEncryptionKey* Find(std::string_view id) const;
  std::vector<std::string> ids() const;

 private:
  std::string current_id_;
  std::map<std::string, KeyEncryptionKey, std::less<>> keys_;
};

// The plaintext header at the start of every encrypted file. Layout (all integers big-endian):
//   [0,8)     magic "CCENCRYP"
//   [8,10)    format version (1)
//   [10,12)   algorithm (1 = AES-256-CTR data, AES-256-GCM key wrap)
//   [12,16)   reserved, zero
//   [16,32)   KEK id, 16 ASCII hex characters
//   [32,48)   KEK check value
//   [48,64)   data IV: the initial CTR counter block
//   [64,76)   GCM nonce for the key wrap
//   [76,108)  wrapped data key
//   [108,124) GCM tag
//   [124,4096) zero
// Bytes [0,64) are the GCM associated data, so the IV, key id and algorithm cannot be altered
// without the unwrap failing.
struct FileHeader {
  static constexpr uint16_t kVersion = 1;
  static constexpr uint16_t kAlgorithmAes256CtrGcmWrap = 1;

  std::string key_id;
  std::array<uint8_t, 16> key_check{};
  std::array<uint8_t, kIvBytes> iv{};
  std::array<uint8_t, 12> wrap_nonce{};
  std::array<uint8_t, kKeyBytes> wrapped_key{};
  std::array<uint8_t, 16> tag{};

  // Creates a header for a new file: random data key, IV and nonce, wrapped under `kek`.
  // `data_key` receives the plaintext data key.
  static FileHeader Create(const KeyEncryptionKey& kek, std::array<uint8_t, kKeyBytes>* data_key);
  void Serialize(char* out) const;  // writes kFileHeaderSize bytes
  // Fails with reason NOT_ENCRYPTED if the magic is absent, BAD_HEADER (DATA_LOSS) for a truncated
  // header, UNSUPPORTED_HEADER (FAILED_PRECONDITION) for a version or algorithm this build does not
  // know.
  static Result<FileHeader> Parse(std::string_view bytes);
  // Unwraps the data key. Fails with WRONG_KEY if the key check does not match `kek`, and
  // HEADER_TAMPERED if GCM authentication fails.
  Status Unwrap(const KeyEncryptionKey& kek, std::array<uint8_t, kKeyBytes>* data_key) const;
};

// AES-256-CTR over whole buffers. The counter for file offset `o` is IV + o/16 (128-bit, big
// endian), and the first o%16 bytes of that block's keystream are skipped, so encrypting a buffer
// in one call or in pieces at their offsets gives identical bytes.
// Thread safety: Encrypt/Decrypt may be called concurrently (RocksDB reads a table file from many
// threads); each call borrows an initialised cipher context from a small pool.
class AesCtrCipherStream : public rocksdb::BlockAccessCipherStream {
 public:
  AesCtrCipherStream(const std::array<uint8_t, kKeyBytes>& key,
                     const std::array<uint8_t, kIvBytes>& iv);
  ~AesCtrCipherStream() override;

  size_t BlockSize() override { return 16; }
  rocksdb::Status Encrypt(uint64_t file_offset, char* data, size_t size) override;
  rocksdb::Status Decrypt(uint64_t file_offset, char* data, size_t size) override;

 protected:
  void AllocateScratch(std::string&) override {}
  rocksdb::Status EncryptBlock(uint64_t block_index, char* data, char* scratch) override;
  rocksdb::Status DecryptBlock(uint64_t block_index, char* data, char* scratch) override;

 private:
  struct ContextPool;
  rocksdb::Status Apply(uint64_t file_offset, char* data, size_t size);

  std::array<uint8_t, kKeyBytes> key_;
  std::array<uint8_t, kIvBytes> iv_;
  std::unique_ptr<ContextPool> contexts_;
};

// The provider our encrypted file system uses: writes FileHeader prefixes with the keyring's
// current KEK and opens files written under any KEK of the keyring.
class EnvelopeEncryptionProvider : public rocksdb::EncryptionProvider {
 public:
  explicit EnvelopeEncryptionProvider(std::shared_ptr<const Keyring> keyring);

  static const char* kClassName() { return "CasecoordEnvelopeAes256Ctr"; }
  const char* Name() const override { return kClassName(); }
  size_t GetPrefixLength() const override { return kFileHeaderSize; }
  rocksdb::Status CreateNewPrefix(const std::string& fname, char* prefix,
                                  size_t prefix_length) const override;
  rocksdb::Status AddCipher(const std::string&, const char*, size_t, bool) override;
  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions& options, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override;

 private:
  std::shared_ptr<const Keyring> keyring_;
};

// An Env whose file system encrypts with `keyring`. The Env owns what it needs.
std::unique_ptr<rocksdb::Env> NewEncryptedEnv(std::shared_ptr<const Keyring> keyring);

// The one file of a data directory that is neither RocksDB's nor encrypted: the audit key's check
// value (services/auth/audit_log.h), a MAC that tells nothing about the key. Inspection skips it
// and any file whose name starts with it (its temporary copy while it is written).
inline constexpr char kAuditKeyCheckFileName[] = "AUDIT-KEY-CHECK";

// What a data directory holds, found without opening it and without modifying anything.
struct DirectoryInspection {
  bool has_database = false;  // a CURRENT file exists
  bool encrypted = false;     // files carry our header
  // Number of files per KEK id.
  std::map<std::string, int> files_per_key_id;
  // WAL files shorter than the header: a crash while the header was written. They can hold no
  // record (records follow the whole header) and are emptied before opening.
  std::vector<std::string> torn_wal_files;
  // WAL files whose every byte is zero: created, but lost to a power failure before anything in
  // them was synced (a sync would have made the header durable with the records), so they held
  // nothing acknowledged. They are emptied before opening.
  std::vector<std::string> unwritten_wal_files;
};

// Checks a data directory before RocksDB opens it (Debian's RocksDB asserts, and would abort, on a
// plaintext file read through the encrypted file system). With a keyring: every file but WAL files
// that are torn or all zero (above) must be ours and under a configured KEK (reasons
// PLAINTEXT_DATABASE, WRONG_KEY, HEADER_TAMPERED, TRUNCATED_FILE; WAL_HEADER_LOST for a WAL whose
// header is zero but whose body is not, which is refused rather than guessed at). Without one (a
// plaintext open): no file may carry our header (reason ENCRYPTED_DATABASE).
Result<DirectoryInspection> InspectDataDirectory(const std::string& path, const Keyring* keyring);

// Checks, without decrypting anything but the header, that the file at `path` carries our header
// under a KEK of `keyring` that authenticates it. Returns its key id; fails with reasons
// NOT_ENCRYPTED, TRUNCATED_FILE, BAD_HEADER, WRONG_KEY (a key id that is not configured, or a key
// whose check value differs) or HEADER_TAMPERED. Messages name the file and the key ids.
Result<std::string> CheckFileKey(const std::string& path, const Keyring& keyring);

// Reads and parses the header of one file (for rotation reports and tests).
Result<FileHeader> ReadFileHeader(const std::string& file_path);

}  // namespace casecoord::storage
