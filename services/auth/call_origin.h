// Where a call came from, as the gatekeeper sees it: the user, the transport and, for a browser,
// the sign-in session. The audit entry of the call records all three.
//
// A gRPC call's user is its TLS peer certificate's (peer_identity.h). The HTTP gateway
// (services/http) authenticates its caller itself (client certificate or session cookie) and then
// runs the method through the same gRPC service over an in-process channel, which has no TLS
// peer; it vouches for the origin it authenticated with a `GatewayVouchers` seal in the call's
// metadata: an HMAC-SHA256 under a key drawn at start-up and never stored or sent anywhere. The
// gatekeeper honours a seal only on a call without a TLS peer, so a network client can neither
// forge one nor have one read.
//
// Thread safety: GatewayVouchers is immutable after construction; all methods may be called
// concurrently.
#pragma once

#include <grpcpp/client_context.h>
#include <grpcpp/server_context.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord::auth {

inline constexpr char kChannelGrpc[] = "grpc";
inline constexpr char kChannelHttp[] = "http";

struct CallOrigin {
  std::optional<std::string> user_id;  // nullopt: nobody was identified
  std::string channel = kChannelGrpc;  // kChannelGrpc or kChannelHttp
  std::string session_id = {};         // the public id of the sign-in session ("" otherwise)
};

class GatewayVouchers {
 public:
  // Draws the key; INTERNAL if the random generator fails.
  static Result<std::unique_ptr<GatewayVouchers>> Create();

  // Seals `origin` (its user may be nullopt: nobody identified) into `context`'s metadata.
  void Attach(const CallOrigin& origin, grpc::ClientContext* context) const;

  // The origin of a call the gRPC server received: over TLS, the peer certificate's user on
  // channel "grpc"; without a TLS peer (the in-process channel), the sealed origin if its MAC
  // verifies; otherwise nobody.
  CallOrigin OriginOf(const grpc::ServerContextBase& context) const;

 private:
  explicit GatewayVouchers(std::string key) : key_(std::move(key)) {}
  std::string Mac(std::string_view text) const;

  std::string key_;
};

// The origin of a call for a server without a gateway (`vouchers` null): the certificate's user.
CallOrigin OriginOf(const grpc::ServerContextBase& context, const GatewayVouchers* vouchers);

}  // namespace casecoord::auth
