// Sign-in for people: a password (argon2id) and a TOTP second factor, then a server-side session
// (sessions.h) whose secret the HTTP listener puts in the `__Host-casecoord` cookie.
//
// Credentials are stored beside the user record ("user-credential"/{user_id}, identity.proto
// UserCredential) in the encrypted database. An admin gives a user a temporary password
// (PrepareResetPassword); the next sign-in with it returns an Enrollment instead of a session: the
// user chooses a new password and enrols a new TOTP secret (an otpauth:// URI, also as a QR code
// SVG), confirmed by a first code, and only then gets a session.
//
// Rules:
//   - An unknown user, a wrong password, a wrong or missing code, a locked account and a user
//     without credentials all get the same answer (UNAUTHENTICATED SIGN_IN_FAILED, same message)
//     after the same work: one argon2id verification (against a dummy hash when there is no real
//     one) and one audit entry.
//   - lockout.max_failures failures in a row lock the account for lockout.lock_duration (the
//     failure that locks is audited as such); an admin may unlock; a success resets the count.
//   - A TOTP code is accepted within one 30-second step of now, and never twice (the last step
//     accepted is stored with the sign-in's audit entry).
//   - Sessions end on sign-out, idle or absolute expiry, revocation, and when the user is disabled
//     or its credentials are reset; each end is audited (method "http/SessionEnded", the cause as
//     legal basis).
// At most `max_concurrent_verifications` argon2id verifications (64 MiB each) run at once; more
// wait their turn.
//
// Thread safety: every method may be called concurrently.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "casecoord/v1/identity.pb.h"
#include "services/auth/audit_log.h"
#include "services/auth/call_origin.h"
#include "services/auth/password.h"
#include "services/auth/sessions.h"
#include "services/auth/sign_in_guard.h"
#include "services/auth/user_registry.h"
#include "services/common/clock.h"
#include "services/storage/storage.h"

namespace casecoord::auth {

struct SignInOptions {
  SessionTable::Options sessions;
  FailureTracker::Options lockout;
  PasswordParams password = PasswordParams{};
  // The issuer the authenticator app shows ("casecoord 開発市").
  std::string issuer = "casecoord";
  int max_concurrent_verifications = 2;
  // How long an enrolment offered after a correct temporary password stays usable.
  std::chrono::seconds enrollment_ttl = std::chrono::minutes(10);
};

// What a correct temporary password leads to: the user must choose a new password and enrol the
// second factor with `token` (Enroll) before getting a session.
struct Enrollment {
  std::string token;  // single use, expires after enrollment_ttl
  bool new_password_required = true;
  std::string otpauth_uri;    // the secret for the authenticator app
  std::string secret_base32;  // the same secret typed by hand
  std::string qr_svg;         // the URI as a QR code
};

struct SignInResult {
  // Exactly one is set.
  std::optional<SessionTable::Created> session;
  std::optional<Enrollment> enrollment;
};

class SignIn {
 public:
  // All must outlive the SignIn.
  SignIn(storage::Storage& storage, AuditLog& audit, const UserRegistry& users, const Clock& clock,
         SignInOptions options);

  // Checks `password` and, once enrolled, `code` for `user_id`. `client_note` (the User-Agent) is
  // kept with the session, cut to 200 bytes.
  Result<SignInResult> Start(std::string_view user_id, std::string_view password,
                             std::string_view code, std::string_view client_note);
  // Completes an enrolment: the new password (checked by CheckPasswordRules; must differ from the
  // temporary one) and the first code of the new secret. INVALID_ARGUMENT for a password the rules
  // refuse, UNAUTHENTICATED SIGN_IN_FAILED for an unknown or expired token or a wrong code.
  // *user_id is set to the enrolled user.
  Result<SessionTable::Created> Enroll(std::string_view token, std::string_view new_password,
                                       std::string_view code, std::string_view client_note,
                                       std::string* user_id);
  // Ends the session of the cookie `secret`; false if there was none.
  bool SignOut(std::string_view secret);
  // The call origin of the session whose cookie is `secret` (channel "http", its session id), if
  // it is live and its user still active.
  std::optional<CallOrigin> Authenticate(std::string_view secret);

  // Admin operations, prepared into `batch` (committed with the caller's audit entry); call
  // CredentialsChanged(user_id) once it is durable. NOT_FOUND for an unknown user.
  // Returns the temporary password (the one given, or a generated one).
  Result<std::string> PrepareResetPassword(const std::string& user_id,
                                           std::string_view temporary_password,
                                           storage::WriteBatch* batch);
  Status PrepareResetSecondFactor(const std::string& user_id, storage::WriteBatch* batch);
  // Ends the user's sessions (kUserChanged) and lifts any lock.
  void CredentialsChanged(const std::string& user_id);
  // Ends the user's sessions (a disabled user): kUserChanged.
  void EndSessionsOf(const std::string& user_id);
  bool Unlock(const std::string& user_id) { return failures_.Unlock(user_id); }
  std::optional<std::chrono::system_clock::time_point> LockedUntil(
      const std::string& user_id) const {
    return failures_.LockedUntil(user_id);
  }

  SessionTable& sessions() { return sessions_; }
  // The registry's record of `user_id` (what the console shows of the signed-in user).
  std::optional<v1::User> FindUser(const std::string& user_id) const {
    return users_.Find(user_id);
  }
  const SignInOptions& options() const { return options_; }
  // Ends expired sessions and enrolments (audited); the server calls it every minute.
  void Sweep();

  // For development data (`make run`'s demo users): stores a password and an enrolled secret
  // unless the user has credentials already. Returns whether it stored them.
  Result<bool> SeedCredential(const std::string& user_id, std::string_view password,
                              std::string_view totp_secret);

 private:
  struct PendingEnrollment {
    std::string user_id;
    std::string totp_secret;
    std::string old_password_hash;
    std::chrono::system_clock::time_point expires;
  };

  Result<std::optional<v1::UserCredential>> LoadCredential(const std::string& user_id) const;
  void PutCredential(const std::string& user_id, const v1::UserCredential& credential,
                     storage::WriteBatch* batch) const;
  // One argon2id verification under the concurrency bound; against a dummy when `hash` is empty.
  bool Verify(const std::string& hash, std::string_view password);
  // The uniform refusal, audited (`what` says which check failed, for the trail only).
  Status Refuse(std::string_view user_id, std::string_view what);
  Result<SessionTable::Created> OpenSession(const std::string& user_id,
                                            std::string_view client_note,
                                            storage::WriteBatch* batch, std::string_view method);
  Result<Enrollment> OfferEnrollment(const std::string& user_id,
                                     const v1::UserCredential& credential);
  void AuditSessionEnd(const Session& session, EndCause cause);

  storage::Storage& storage_;
  AuditLog& audit_;
  const UserRegistry& users_;
  const Clock& clock_;
  const SignInOptions options_;
  FailureTracker failures_;
  SessionTable sessions_;

  std::mutex verify_mutex_;
  std::condition_variable verify_slot_;
  int verifying_ = 0;

  std::mutex enrollments_mutex_;
  std::map<std::string, PendingEnrollment> enrollments_;  // by token
};

}  // namespace casecoord::auth
