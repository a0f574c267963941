// Who is calling, read only from the TLS peer certificate (never from a request field or metadata).
//
// URI scheme: a client certificate names its user with a subjectAltName URI
//   urn:casecoord:user:<user_id>
// where <user_id> is 1 to 63 characters of lowercase letters, digits, '-' and '_'. A certificate
// with no such URI, or with more than one, identifies nobody.
#pragma once

#include <grpcpp/security/auth_context.h>
#include <openssl/x509.h>

#include <optional>
#include <string>
#include <string_view>

namespace casecoord::auth {

inline constexpr std::string_view kUserUriPrefix = "urn:casecoord:user:";

// The user id from the peer certificate of a call, or nullopt.
std::optional<std::string> UserIdFromAuthContext(const grpc::AuthContext& context);

// The user id a verified certificate names (the same rule, for the HTTP listener, which reads
// the certificate itself), or nullopt.
std::optional<std::string> UserIdFromCertificate(X509* certificate);

}  // namespace casecoord::auth
