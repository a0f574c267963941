#include "services/cases/case_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "services/storage/openssl_util.h"

namespace casecoord::cases {
namespace {

using storage::Aes256Gcm;
using storage::CipherCtx;

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kKekIdBytes = 16;
constexpr char kWrapInfo[] = "casecoord case-key wrapping v1";
constexpr char kSearchInfo[] = "casecoord case-search index v1";
constexpr size_t kSearchHashBytes = 16;
constexpr char kWrapAadLabel[] = "case-key";

// Offsets in the wrapped key format (see case_keys.h).
constexpr size_t kWrapIdOffset = 1;
constexpr size_t kWrapNonceOffset = kWrapIdOffset + kKekIdBytes;
constexpr size_t kWrapCipherOffset = kWrapNonceOffset + kNonceBytes;
constexpr size_t kWrapTagOffset = kWrapCipherOffset + kCaseKeyBytes;
static_assert(kWrapTagOffset + kTagBytes == kWrappedCaseKeySize);
static_assert(1 + kNonceBytes + kTagBytes == kSealOverhead);

// GCM processes at most INT_MAX bytes per EVP call; larger values are fed in pieces.
constexpr size_t kMaxChunk = INT_MAX / 2;

Status SealMismatch(std::string message) {
  return Status(Reason::kSealMismatch, std::move(message));
}

const uint8_t* Bytes(std::string_view view) {
  return reinterpret_cast<const uint8_t*>(view.data());
}

uint8_t* Bytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

struct KdfCtxDeleter {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// HKDF-SHA256 (RFC 5869) with no salt: the KEK is already uniformly random, so extraction needs
// no salt; the info string (kWrapInfo, kSearchInfo) is what separates the uses of the KEK.
template <size_t kInfoSize>
bool DeriveKey(const storage::KeyEncryptionKey& kek, const char (&info)[kInfoSize],
               std::array<uint8_t, kCaseKeyBytes>* out) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter> ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);  // the context holds its own reference
  if (!ctx) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      // OSSL_PARAM takes non-const pointers but only reads input parameters.
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(kek.bytes()),
                                        storage::kKeyBytes),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info),
                                        kInfoSize - 1),
      OSSL_PARAM_construct_end(),
  };
  return EVP_KDF_derive(ctx.get(), out->data(), out->size(), params) == 1;
}

// Associated data of a wrapped key: version, KEK id, and a label that keeps a wrapped key from
// being accepted where some other GCM value under the same wrapping key is expected.
std::string WrapAad(std::string_view header) {
  std::string aad(header);
  aad.append(kWrapAadLabel);
  return aad;
}

bool LooksLikeKekId(std::string_view id) {
  if (id.size() != kKekIdBytes) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Feeds `in` through an initialised GCM context in pieces that fit an int.
bool GcmUpdate(EVP_CIPHER_CTX* ctx, bool encrypt, const uint8_t* in, size_t size, uint8_t* out) {
  while (size > 0) {
    int chunk = static_cast<int>(std::min(size, kMaxChunk));
    int out_len = 0;
    int rc = encrypt ? EVP_EncryptUpdate(ctx, out, &out_len, in, chunk)
                     : EVP_DecryptUpdate(ctx, out, &out_len, in, chunk);
    if (rc != 1 || out_len != chunk) return false;
    in += chunk;
    out += chunk;
    size -= static_cast<size_t>(chunk);
  }
  return true;
}

bool GcmAad(EVP_CIPHER_CTX* ctx, bool encrypt, std::string_view aad) {
  const uint8_t* in = Bytes(aad);
  size_t size = aad.size();
  while (size > 0) {
    int chunk = static_cast<int>(std::min(size, kMaxChunk));
    int out_len = 0;
    int rc = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &out_len, in, chunk)
                     : EVP_DecryptUpdate(ctx, nullptr, &out_len, in, chunk);
    if (rc != 1) return false;
    in += chunk;
    size -= static_cast<size_t>(chunk);
  }
  return true;
}

// AES-256-GCM encryption of `size` bytes at `in` into `out` (same size), tag into `tag`.
bool GcmEncrypt(const uint8_t* key, const uint8_t* nonce, std::string_view aad, const uint8_t* in,
                size_t size, uint8_t* out, uint8_t* tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int out_len = 0;
  return ctx && EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key, nonce, nullptr) == 1 &&
         GcmAad(ctx.get(), true, aad) && GcmUpdate(ctx.get(), true, in, size, out) &&
         EVP_EncryptFinal_ex(ctx.get(), out + size, &out_len) == 1 && out_len == 0 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag) == 1;
}

// AES-256-GCM decryption; false if authentication fails. `out` then holds unauthenticated bytes
// which the caller must wipe and discard.
bool GcmDecrypt(const uint8_t* key, const uint8_t* nonce, std::string_view aad, const uint8_t* in,
                size_t size, const uint8_t* tag, uint8_t* out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::array<uint8_t, kTagBytes> tag_copy{};  // SET_TAG takes a non-const pointer
  std::memcpy(tag_copy.data(), tag, kTagBytes);
  int out_len = 0;
  return ctx && EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key, nonce, nullptr) == 1 &&
         GcmAad(ctx.get(), false, aad) && GcmUpdate(ctx.get(), false, in, size, out) &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag_copy.data()) == 1 &&
         EVP_DecryptFinal_ex(ctx.get(), out + size, &out_len) == 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// CaseKey

CaseKey::CaseKey(CaseKey&& other) noexcept : key_(other.key_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
}

CaseKey& CaseKey::operator=(CaseKey&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
  }
  return *this;
}

CaseKey::~CaseKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

// ---------------------------------------------------------------------------------------------
// CaseKeyring

CaseKeyring::CaseKeyring(const std::shared_ptr<const storage::Keyring>& keyring)
    : current_id_(keyring->current().id()) {
  for (const std::string& id : keyring->ids()) {
    const storage::KeyEncryptionKey* kek = keyring->Find(id);
    if (!DeriveKey(*kek, kWrapInfo, &wrapping_keys_[id].bytes)) {
      // OpenSSL 3 ships HKDF in its default and FIPS providers; without it no case key is usable.
      std::abort();
    }
  }
  if (!DeriveKey(keyring->current(), kSearchInfo, &search_key_.bytes)) std::abort();
}

CaseKeyring::~CaseKeyring() = default;

std::string CaseKeyring::SearchHash(std::string_view term) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), search_key_.bytes.data(), static_cast<int>(search_key_.bytes.size()),
       reinterpret_cast<const unsigned char*>(term.data()), term.size(), digest, &size);
  return std::string(reinterpret_cast<const char*>(digest), kSearchHashBytes);
}

Result<std::pair<CaseKey, std::string>> CaseKeyring::NewKey() const {
  CaseKey key;
  CASECOORD_RETURN_IF_ERROR(storage::RandomBytes(key.key_.data(), key.key_.size()));
  Result<std::string> wrapped = Wrap(key);
  if (!wrapped.ok()) return wrapped.status();
  return std::make_pair(std::move(key), std::move(wrapped).value());
}

Result<std::string> CaseKeyring::Wrap(const CaseKey& key) const {
  const WrappingKey& wrapping_key = wrapping_keys_.at(current_id_);
  std::string wrapped(kWrappedCaseKeySize, '\0');
  wrapped[0] = static_cast<char>(kWrappedCaseKeyVersion);
  std::memcpy(wrapped.data() + kWrapIdOffset, current_id_.data(), kKekIdBytes);
  uint8_t* out = Bytes(wrapped);
  CASECOORD_RETURN_IF_ERROR(storage::RandomBytes(out + kWrapNonceOffset, kNonceBytes));
  std::string aad = WrapAad(std::string_view(wrapped).substr(0, kWrapNonceOffset));
  if (!GcmEncrypt(wrapping_key.bytes.data(), out + kWrapNonceOffset, aad, key.bytes(),
                  kCaseKeyBytes, out + kWrapCipherOffset, out + kWrapTagOffset)) {
    // Only a broken OpenSSL gets here; the half-written buffer holds no plaintext key.
    return Status(Reason::kEncryptionFailure, "AES-256-GCM failed while wrapping a case key");
  }
  return wrapped;
}

Result<CaseKey> CaseKeyring::Unwrap(std::string_view wrapped) const {
  if (wrapped.size() != kWrappedCaseKeySize) {
    return SealMismatch("a wrapped case key must be " + std::to_string(kWrappedCaseKeySize) +
                        " bytes, got " + std::to_string(wrapped.size()));
  }
  if (static_cast<uint8_t>(wrapped[0]) != kWrappedCaseKeyVersion) {
    return SealMismatch("unsupported wrapped case key version " +
                        std::to_string(static_cast<uint8_t>(wrapped[0])));
  }
  std::string_view id = wrapped.substr(kWrapIdOffset, kKekIdBytes);
  if (!LooksLikeKekId(id)) return SealMismatch("the wrapped case key is malformed");
  auto it = wrapping_keys_.find(id);
  if (it == wrapping_keys_.end()) {
    return Status(Reason::kCaseKeyUnknownKek, "the case key is wrapped with key-encryption key " +
                                                  std::string(id) + ", which is not configured");
  }
  CaseKey key;
  const uint8_t* in = Bytes(wrapped);
  std::string aad = WrapAad(wrapped.substr(0, kWrapNonceOffset));
  if (!GcmDecrypt(it->second.bytes.data(), in + kWrapNonceOffset, aad, in + kWrapCipherOffset,
                  kCaseKeyBytes, in + kWrapTagOffset, key.key_.data())) {
    return SealMismatch("the wrapped case key failed authentication (corrupted or altered)");
  }
  return key;
}

bool CaseKeyring::NeedsRewrap(std::string_view wrapped) const {
  if (wrapped.size() != kWrappedCaseKeySize ||
      static_cast<uint8_t>(wrapped[0]) != kWrappedCaseKeyVersion) {
    return false;
  }
  std::string_view id = wrapped.substr(kWrapIdOffset, kKekIdBytes);
  return LooksLikeKekId(id) && id != current_id_;
}

// ---------------------------------------------------------------------------------------------
// Seal / Open

std::string Seal(const CaseKey& key, std::string_view context, std::string_view plaintext) {
  std::string sealed(kSealOverhead + plaintext.size(), '\0');
  uint8_t* out = Bytes(sealed);
  out[0] = kSealVersion;
  if (!storage::RandomBytes(out + 1, kNonceBytes).ok()) {
    std::abort();  // sealing without a fresh nonce could repeat one; refuse to continue
  }
  std::string aad(1, static_cast<char>(kSealVersion));
  aad.append(context);
  if (!GcmEncrypt(key.bytes(), out + 1, aad, Bytes(plaintext), plaintext.size(),
                  out + 1 + kNonceBytes, out + sealed.size() - kTagBytes)) {
    std::abort();  // AES-GCM with valid sizes cannot fail unless OpenSSL is broken
  }
  return sealed;
}

Result<std::string> Open(const CaseKey& key, std::string_view context, std::string_view sealed) {
  if (sealed.size() < kSealOverhead) {
    return SealMismatch("a sealed value must be at least " + std::to_string(kSealOverhead) +
                        " bytes, got " + std::to_string(sealed.size()));
  }
  if (static_cast<uint8_t>(sealed[0]) != kSealVersion) {
    return SealMismatch("unsupported sealed value version " +
                        std::to_string(static_cast<uint8_t>(sealed[0])));
  }
  const uint8_t* in = Bytes(sealed);
  std::string plaintext(sealed.size() - kSealOverhead, '\0');
  std::string aad(1, static_cast<char>(kSealVersion));
  aad.append(context);
  if (!GcmDecrypt(key.bytes(), in + 1, aad, in + 1 + kNonceBytes, plaintext.size(),
                  in + sealed.size() - kTagBytes, Bytes(plaintext))) {
    // Unauthenticated plaintext must not outlive this call, not even in freed memory.
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return SealMismatch(
        "the sealed value does not open with this case key and context (wrong key, moved to "
        "another record or field, or altered)");
  }
  return plaintext;
}

}  // namespace casecoord::cases
