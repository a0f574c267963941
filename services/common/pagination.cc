#include "services/common/pagination.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <mutex>

#include "services/common/text.h"

namespace casecoord {
namespace {

constexpr char kTokenVersion = '2';
constexpr size_t kMacBytes = 16;

class TokenKey {
 public:
  TokenKey() : key_(32, '\0') {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), 32) != 1) {
      // Without randomness no key is secret; a constant key would let anyone forge tokens, so
      // leave tokens unverifiable (every one is refused) rather than guessable.
      key_.clear();
    }
  }
  void Set(std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    key_ = std::string(key);
  }
  // MAC over version || len(fingerprint) || fingerprint || last_key; empty when there is no key.
  std::string Mac(std::string_view fingerprint, std::string_view last_key) {
    std::string message(1, kTokenVersion);
    const uint64_t length = fingerprint.size();
    for (int shift = 56; shift >= 0; shift -= 8) message.push_back(char(length >> shift));
    message.append(fingerprint);
    message.append(last_key);
    std::lock_guard<std::mutex> lock(mutex_);
    if (key_.empty()) return "";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size);
    return std::string(reinterpret_cast<char*>(digest), kMacBytes);
  }

 private:
  std::mutex mutex_;
  std::string key_;
};

TokenKey& Key() {
  static TokenKey* key = new TokenKey();  // never destroyed: used until the process exits
  return *key;
}

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()));
  out.resize(size);
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* bytes) {
  if (text.size() % 4 == 1) return false;  // no byte string encodes to this length
  std::string padded(text);
  for (auto& c : padded) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (c == '+' || c == '/' || c == '=')
      return false;
  }
  while (padded.size() % 4 != 0) padded.push_back('=');
  std::string out(padded.size(), '\0');
  int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(padded.data()),
                             static_cast<int>(padded.size()));
  if (size < 0) return false;
  // EVP_DecodeBlock counts the '=' padding as zero bytes; drop them.
  size_t padding = padded.size() - text.size();
  if (padding > static_cast<size_t>(size)) return false;
  out.resize(static_cast<size_t>(size) - padding);
  // EVP_DecodeBlock ignores the unused low bits of the last character, so "Mo" and "Mg" decode
  // alike; accept only the one text we issue, so that no two token texts name one position.
  if (Base64UrlEncode(out) != text) return false;
  *bytes = std::move(out);
  return true;
}

}  // namespace

Result<uint64_t> PageRequest::AfterNumber() const {
  if (after_key.empty()) return uint64_t{0};
  auto number = ParseDecimalId(after_key);
  if (!number) return Status::InvalidArgument("page_token", "not a position of this list");
  return *number;
}

void SetPageTokenKey(std::string_view key) { Key().Set(key); }

Result<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                     std::string_view fingerprint) {
  if (page_size < 0) return Status::InvalidArgument("page_size", "must not be negative");
  PageRequest request;
  request.size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  if (page_token.empty()) return request;

  const Status foreign = Status::InvalidArgument(
      "page_token", "not a page token issued by this server (or issued before a key change)");
  std::string bytes;
  if (page_token.size() > kMaxPageTokenBytes || !Base64UrlDecode(page_token, &bytes) ||
      bytes.size() < 1 + kMacBytes || bytes[0] != kTokenVersion) {
    return foreign;
  }
  const std::string_view mac = std::string_view(bytes).substr(1, kMacBytes);
  const std::string_view last_key = std::string_view(bytes).substr(1 + kMacBytes);
  const std::string expected = Key().Mac(fingerprint, last_key);
  if (expected.size() != mac.size() ||
      CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0) {
    // One answer for forged, altered and replayed-with-other-parameters tokens: telling them apart
    // would help a forger.
    return Status::InvalidArgument(
        "page_token",
        "not a page token issued by this server for these parameters (filter, parent, order)");
  }
  request.after_key = std::string(last_key);
  return request;
}

std::string MakePageToken(std::string_view last_key, std::string_view fingerprint) {
  std::string bytes(1, kTokenVersion);
  bytes += Key().Mac(fingerprint, last_key);
  bytes += last_key;
  return Base64UrlEncode(bytes);
}

}  // namespace casecoord
