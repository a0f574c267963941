// The sign-in routes of the HTTP listener, JSON in and out, for the web console:
//
//   POST /auth/sign-in   {"userId", "password", "code"}  → {"userId", "sessionId"} and the
//                        session cookie; or, after a temporary password, {"enrollment": {"token",
//                        "newPasswordRequired", "otpauthUri", "secret", "qrSvg"}} and no cookie
//   POST /auth/enroll    {"token", "newPassword", "code"} → {"userId", "sessionId"} + cookie
//   POST /auth/sign-out  ends the cookie's session and clears the cookie
//   POST /auth/session   {"userId", "sessionId"} of the cookie's live session, else 401
//
// Every route requires Content-Type: application/json and Connect-Protocol-Version: 1, which a
// cross-site form cannot send (no login CSRF). Failures are Connect error JSON (401
// SIGN_IN_FAILED, the same for every wrong credential). The cookie is
// `__Host-casecoord=<secret>; HttpOnly; Secure; SameSite=Strict; Path=/`.
//
// Thread safety: the routes may run concurrently; `sign_in` and `gateway` must outlive them.
#pragma once

#include <httplib.h>

#include "services/auth/rate_limiter.h"
#include "services/auth/sign_in.h"
#include "services/http/connect_gateway.h"
#include "services/http/http_server.h"

namespace casecoord::http {

// Adds the routes to `server`. `attempts` bounds sign-in and enrolment attempts per client address
// (429 RATE_LIMITED with RetryInfo beyond it), so that a flood of guesses cannot keep the argon2id
// verifications, and with them everyone's sign-in, busy.
void AddSignInRoutes(httplib::SSLServer& server, auth::SignIn& sign_in,
                     const ConnectGateway& gateway, auth::RateLimiter& attempts);

// Authenticates cookie calls with `sign_in`.
class SignInSessions : public SessionAuthenticator {
 public:
  explicit SignInSessions(auth::SignIn& sign_in) : sign_in_(sign_in) {}
  std::optional<auth::CallOrigin> Authenticate(std::string_view cookie_value) override {
    return sign_in_.Authenticate(cookie_value);
  }

 private:
  auth::SignIn& sign_in_;
};

}  // namespace casecoord::http
