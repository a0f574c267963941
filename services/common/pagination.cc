#include "services/common/pagination.h"

#include <openssl/evp.h>

namespace casecoord {
namespace {

constexpr char kTokenVersion = '1';

std::string FingerprintDigest(std::string_view fingerprint) {
  unsigned char digest[32];
  unsigned int size = 0;
  EVP_Digest(fingerprint.data(), fingerprint.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), 8);
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
  *bytes = std::move(out);
  return true;
}

}  // namespace

Result<PageRequest> ParsePageRequest(int32_t page_size, std::string_view page_token,
                                     std::string_view fingerprint) {
  if (page_size < 0) return Status::InvalidArgument("page_size", "must not be negative");
  PageRequest request;
  request.size = page_size == 0 ? kDefaultPageSize : std::min(page_size, kMaxPageSize);
  if (page_token.empty()) return request;

  std::string bytes;
  const std::string digest = FingerprintDigest(fingerprint);
  if (!Base64UrlDecode(page_token, &bytes) || bytes.size() < 1 + digest.size() ||
      bytes[0] != kTokenVersion) {
    return Status::InvalidArgument("page_token", "not a page token issued by this server");
  }
  if (bytes.compare(1, digest.size(), digest) != 0) {
    return Status::InvalidArgument("page_token", "issued for a request with different parameters");
  }
  request.after_key = bytes.substr(1 + digest.size());
  return request;
}

std::string MakePageToken(std::string_view last_key, std::string_view fingerprint) {
  std::string bytes(1, kTokenVersion);
  bytes += FingerprintDigest(fingerprint);
  bytes += last_key;
  return Base64UrlEncode(bytes);
}

}  // namespace casecoord
