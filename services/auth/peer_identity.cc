#include "services/auth/peer_identity.h"

#include <grpc/grpc_security_constants.h>

namespace casecoord::auth {
namespace {

bool ValidUserId(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> UserIdFromAuthContext(const grpc::AuthContext& context) {
  if (!context.IsPeerAuthenticated()) return std::nullopt;
  // The TLS handshake already extracted the certificate's URI SANs into "peer_uri"; parsing the PEM
  // again on every call cost more than the rest of the call (docs/performance.md).
  std::optional<std::string> user;
  int matches = 0;
  for (const auto& value : context.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    std::string_view uri(value.data(), value.size());
    if (uri.substr(0, kUserUriPrefix.size()) != kUserUriPrefix) continue;
    ++matches;
    std::string_view id = uri.substr(kUserUriPrefix.size());
    if (ValidUserId(id)) user = std::string(id);
  }
  if (matches != 1) return std::nullopt;  // ambiguous certificates identify nobody
  return user;
}

}  // namespace casecoord::auth
