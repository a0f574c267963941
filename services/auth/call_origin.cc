#include "services/auth/call_origin.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "services/auth/peer_identity.h"

namespace casecoord::auth {
namespace {

constexpr char kVoucherKey[] = "casecoord-gateway-origin";
constexpr size_t kKeyBytes = 32;
constexpr size_t kMacHexBytes = 64;

bool HasTlsPeer(const grpc::AuthContext& context) {
  for (const auto& value : context.FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME)) {
    if (std::string_view(value.data(), value.size()) == GRPC_SSL_TRANSPORT_SECURITY_TYPE) {
      return true;
    }
  }
  return false;
}

CallOrigin CertificateOrigin(const grpc::ServerContextBase& context) {
  CallOrigin origin;
  origin.user_id = UserIdFromAuthContext(*context.auth_context());
  return origin;
}

// "user:channel:session" + ":" + the MAC in hex; none of the three contains ':' (user ids and
// session ids are [a-z0-9_-], channels are fixed words).
bool SplitVoucher(std::string_view text, std::string_view parts[4]) {
  for (int i = 0; i < 3; ++i) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return false;
    parts[i] = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  parts[3] = text;
  return true;
}

}  // namespace

Result<std::unique_ptr<GatewayVouchers>> GatewayVouchers::Create() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(kKeyBytes)) != 1) {
    return Status(Reason::kRandomFailure, "no random bytes for the gateway's voucher key");
  }
  return std::unique_ptr<GatewayVouchers>(new GatewayVouchers(std::move(key)));
}

std::string GatewayVouchers::Mac(std::string_view text) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * static_cast<size_t>(length));
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

void GatewayVouchers::Attach(const CallOrigin& origin, grpc::ClientContext* context) const {
  const std::string text =
      origin.user_id.value_or("") + ":" + origin.channel + ":" + origin.session_id;
  context->AddMetadata(kVoucherKey, text + ":" + Mac(text));
}

CallOrigin GatewayVouchers::OriginOf(const grpc::ServerContextBase& context) const {
  if (HasTlsPeer(*context.auth_context())) return CertificateOrigin(context);
  const auto& metadata = context.client_metadata();
  if (metadata.count(kVoucherKey) != 1) return CallOrigin{};
  const auto found = metadata.find(kVoucherKey);
  const std::string_view voucher(found->second.data(), found->second.size());
  std::string_view parts[4];
  if (!SplitVoucher(voucher, parts) || parts[3].size() != kMacHexBytes) return CallOrigin{};
  const std::string_view text = voucher.substr(0, voucher.size() - kMacHexBytes - 1);
  const std::string expected = Mac(text);
  if (CRYPTO_memcmp(expected.data(), parts[3].data(), kMacHexBytes) != 0) return CallOrigin{};
  // An empty user: the gateway identified nobody, and the gatekeeper refuses the call as such.
  CallOrigin origin{std::nullopt, std::string(parts[1]), std::string(parts[2])};
  if (!parts[0].empty()) origin.user_id = std::string(parts[0]);
  return origin;
}

CallOrigin OriginOf(const grpc::ServerContextBase& context, const GatewayVouchers* vouchers) {
  return vouchers != nullptr ? vouchers->OriginOf(context) : CertificateOrigin(context);
}

}  // namespace casecoord::auth
