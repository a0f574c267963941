// Small OpenSSL helpers shared by the code that encrypts with AES-256-GCM (file headers in
// encryption.cc, per-case data keys in services/cases). Internal to the services; not an API for
// clients.
//
// Thread safety: every function may be called concurrently. A CipherCtx belongs to one thread at a
// time.
#pragma once

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "services/common/status.h"

namespace casecoord::storage {

// Fetched once per process: fetching a cipher is a provider lookup we do not want per call. Never
// freed (it lives as long as the process). nullptr only if no provider offers AES-256-GCM, in which
// case every EVP_*Init call with it fails.
inline const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
// Owns an EVP_CIPHER_CTX; EVP_CIPHER_CTX_free also wipes the key schedule it holds.
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Fills `out` from OpenSSL's CSPRNG. Fails with INTERNAL "RANDOM_FAILURE" if the generator cannot
// produce output; callers must then not use `out`.
inline Status RandomBytes(uint8_t* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    return Status(Reason::kRandomFailure, "the random number generator failed");
  }
  return Status::Ok();
}

}  // namespace casecoord::storage
