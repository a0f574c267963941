#include "services/auth/peer_identity.h"

#include <grpc/grpc_security_constants.h>
#include <openssl/x509v3.h>

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

// Collects the user a certificate's URI names say, over every URI (`Next` gives one per call,
// nullopt at the end): exactly one URI in our scheme, with a valid id, identifies a user.
template <typename NextUri>
std::optional<std::string> UserFromUris(NextUri next) {
  std::optional<std::string> user;
  int matches = 0;
  while (std::optional<std::string_view> uri = next()) {
    if (uri->substr(0, kUserUriPrefix.size()) != kUserUriPrefix) continue;
    ++matches;
    std::string_view id = uri->substr(kUserUriPrefix.size());
    if (ValidUserId(id)) user = std::string(id);
  }
  if (matches != 1) return std::nullopt;  // ambiguous certificates identify nobody
  return user;
}

}  // namespace

std::optional<std::string> UserIdFromAuthContext(const grpc::AuthContext& context) {
  if (!context.IsPeerAuthenticated()) return std::nullopt;
  // The TLS handshake already extracted the certificate's URI SANs into "peer_uri"; parsing the PEM
  // again on every call cost more than the rest of the call (docs/performance.md).
  const auto values = context.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME);
  size_t next = 0;
  return UserFromUris([&]() -> std::optional<std::string_view> {
    if (next == values.size()) return std::nullopt;
    const auto& value = values[next++];
    return std::string_view(value.data(), value.size());
  });
}

std::optional<std::string> UserIdFromCertificate(X509* certificate) {
  if (certificate == nullptr) return std::nullopt;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return std::nullopt;
  int next = 0;
  std::optional<std::string> user = UserFromUris([&]() -> std::optional<std::string_view> {
    while (next < sk_GENERAL_NAME_num(names)) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, next++);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      return std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                              static_cast<size_t>(ASN1_STRING_length(uri)));
    }
    return std::nullopt;
  });
  GENERAL_NAMES_free(names);
  return user;
}

}  // namespace casecoord::auth
