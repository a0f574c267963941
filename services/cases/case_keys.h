// Per-case data keys and sealed values for the personal data in case records (names, birth dates,
// addresses, free-text notes).
//
// Each case has its own random 256-bit data key (CaseKey). It is stored beside the case only in
// wrapped form (CaseKeyring::NewKey / Wrap), so deleting the wrapped key makes every value sealed
// under it unreadable, even in backups and old SST files (crypto-shredding).
//
// Every personal value is sealed with AES-256-GCM under the case key, with associated data naming
// the record and field it belongs to (Seal's `context`). A sealed value copied into another record
// or field therefore fails to open instead of silently showing one person's data as another's.
//
// Wrapped key format, version 1 (77 bytes):
//   [0]       version, 0x01
//   [1,17)    id of the wrapping key-encryption key (KEK): 16 lowercase ASCII hex characters,
//             storage::KeyEncryptionKey::id()
//   [17,29)   random 96-bit GCM nonce
//   [29,61)   the data key, AES-256-GCM encrypted
//   [61,77)   GCM tag
//   AAD = bytes [0,17) || "case-key"
// The GCM key is not the KEK itself but HKDF-SHA256(ikm = KEK bytes, no salt,
// info = "casecoord case-key wrapping v1"), so the KEK is never used directly for two purposes
// (it also wraps the RocksDB file keys).
//
// Sealed value format, version 1 (29 bytes + plaintext size):
//   [0]       version, 0x01
//   [1,13)    random 96-bit GCM nonce
//   [13,n-16) ciphertext, as long as the plaintext
//   [n-16,n)  GCM tag
//   AAD = version byte || context
#pragma once

#include <openssl/crypto.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "services/common/status.h"
#include "services/storage/encryption.h"

namespace casecoord::cases {

inline constexpr size_t kCaseKeyBytes = 32;
inline constexpr uint8_t kWrappedCaseKeyVersion = 1;
inline constexpr size_t kWrappedCaseKeySize = 1 + 16 + 12 + kCaseKeyBytes + 16;
inline constexpr uint8_t kSealVersion = 1;
// Size of a sealed value minus the size of its plaintext.
inline constexpr size_t kSealOverhead = 1 + 12 + 16;

// A case's 256-bit data key, in plaintext. Obtain one from CaseKeyring; hold it only while
// sealing or opening values of that case.
//
// Move-only so that key material is not copied by accident; the bytes are wiped when the object is
// destroyed and the moved-from object is wiped as well. It cannot be streamed (operator<< is
// deleted) so it cannot end up in a log line.
// Thread safety: a const CaseKey may be used from several threads at once.
class CaseKey {
 public:
  CaseKey(CaseKey&& other) noexcept;
  CaseKey& operator=(CaseKey&& other) noexcept;
  CaseKey(const CaseKey&) = delete;
  CaseKey& operator=(const CaseKey&) = delete;
  ~CaseKey();

  // The 32 key bytes, for the cipher code in case_keys.cc and for tests. Never log or persist them
  // unwrapped.
  const uint8_t* bytes() const { return key_.data(); }

  friend std::ostream& operator<<(std::ostream& out, const CaseKey& key) = delete;

 private:
  friend class CaseKeyring;
  CaseKey() = default;

  std::array<uint8_t, kCaseKeyBytes> key_{};
};

// Creates, wraps and unwraps case keys with the server's key-encryption keys.
//
// The wrapping keys for every KEK of the keyring are derived once, in the constructor; a keyring
// change (KEK rotation) means constructing a new CaseKeyring. Keys wrapped under any KEK of the
// keyring, current or previous, can be unwrapped, so old cases stay readable after a rotation;
// NeedsRewrap tells which wrapped keys a rotation step should re-wrap under the current KEK.
//
// Errors: Unwrap fails with FAILED_PRECONDITION "CASE_KEY_UNKNOWN_KEK" when the wrapped key names a
// KEK the keyring does not hold (the wrong key configured, or a previous KEK dropped too early),
// and with DATA_LOSS "SEAL_MISMATCH" when the wrapped key is malformed, of an unknown version, or
// fails authentication. NewKey and Wrap fail with INTERNAL "RANDOM_FAILURE" if the random number
// generator fails (and INTERNAL "ENCRYPTION_FAILURE" if OpenSSL's AES-GCM does). The constructor
// aborts the process if OpenSSL cannot derive keys at all (HKDF-SHA256 unavailable): no case data
// could be read or written safely.
//
// Thread safety: immutable after construction; all methods may be called concurrently.
class CaseKeyring {
 public:
  // `keyring` must not be null. It is only read during construction.
  explicit CaseKeyring(const std::shared_ptr<const storage::Keyring>& keyring);
  CaseKeyring(const CaseKeyring&) = delete;
  CaseKeyring& operator=(const CaseKeyring&) = delete;
  ~CaseKeyring();

  // A new random data key for a case, and its wrapped form (under the current KEK) to store
  // beside the case.
  Result<std::pair<CaseKey, std::string>> NewKey() const;

  // Wraps `key` under the current KEK with a fresh nonce; for re-wrapping after a rotation.
  Result<std::string> Wrap(const CaseKey& key) const;

  // The data key inside `wrapped`. See the class comment for errors.
  Result<CaseKey> Unwrap(std::string_view wrapped) const;

  // True if `wrapped` is a well-formed wrapped key whose KEK is not the current one, i.e. it
  // should be unwrapped and wrapped again. False for keys under the current KEK and for malformed
  // input (which Unwrap reports). Does not authenticate `wrapped`.
  bool NeedsRewrap(std::string_view wrapped) const;

  // Id of the KEK that new keys are wrapped under.
  const std::string& current_kek_id() const { return current_id_; }

  // The keyed hash under which the household search index (case_search.h) stores a normalised
  // term: the first 16 bytes of HMAC-SHA256 under HKDF-SHA256(current KEK, no salt,
  // info = "casecoord case-search index v1"). The KEK lives outside the database, so a stolen
  // database alone cannot test guessed names against the index; whoever holds the KEK can open
  // the sealed records anyway, so the index adds nothing to what the KEK already gives. A KEK
  // rotation changes every hash: the index records the KEK it was built under and is rebuilt at
  // start-up (CaseMaintenance::RebuildIndexesIfStale).
  std::string SearchHash(std::string_view term) const;

 private:
  // HKDF output for one KEK. Wiped on destruction.
  struct WrappingKey {
    WrappingKey() = default;
    WrappingKey(const WrappingKey&) = delete;
    WrappingKey& operator=(const WrappingKey&) = delete;
    ~WrappingKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
    std::array<uint8_t, kCaseKeyBytes> bytes{};
  };

  std::string current_id_;
  std::map<std::string, WrappingKey, std::less<>> wrapping_keys_;
  WrappingKey search_key_;  // not a wrapping key, but wiped the same way
};

// Seals `plaintext` under a case key: AES-256-GCM with a random 96-bit nonce, returned in the
// sealed value format above. `context` must name the value's place completely and uniquely — the
// record's full name and the field, e.g. "cases/42#personal" — because Open succeeds only with
// the same context: that is what stops a sealed value from being moved to another record or field.
// Aborts the process if the random number generator fails (a repeated nonce would be unsafe, and
// there is no way to seal without one).
// Random nonces allow about 2^32 seals per case key before the nonce-collision risk matters; a
// case is far below that.
// Thread safety: safe to call concurrently, also with the same key.
std::string Seal(const CaseKey& key, std::string_view context, std::string_view plaintext);

// Opens a value made by Seal. Fails with DATA_LOSS "SEAL_MISMATCH" if the key or the context
// differ from those used to seal, if any byte was altered, or if `sealed` is too short or of an
// unknown version. Never returns partial plaintext.
// Thread safety: safe to call concurrently, also with the same key.
Result<std::string> Open(const CaseKey& key, std::string_view context, std::string_view sealed);

}  // namespace casecoord::cases
