#include "services/auth/sign_in.h"

#include <google/protobuf/util/time_util.h>

#include "services/auth/random_token.h"
#include "services/auth/totp.h"
#include "services/common/resource_names.h"
#include "services/storage/key_spaces.h"

namespace casecoord::auth {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kSignInMethod[] = "http/SignIn";
constexpr char kEnrollMethod[] = "http/Enroll";
constexpr char kSignOutMethod[] = "http/SignOut";
constexpr char kSessionEndedMethod[] = "http/SessionEnded";
constexpr size_t kMaxClientNoteBytes = 200;
// What the trail records of a user id somebody typed (no valid id is longer).
constexpr size_t kMaxClaimedUserBytes = 64;

std::string CredentialKey(const std::string& user_id) {
  return storage::key_spaces::kUserCredential.Key(user_id);
}

AuditRecord SignInRecord(std::string_view user_id, std::string_view method, std::string outcome,
                         std::string legal_basis, std::string session_id) {
  AuditRecord record;
  record.user_id = std::string(user_id.substr(0, kMaxClaimedUserBytes));
  record.method = std::string(method);
  record.resource = std::string(kUserPrefix) + record.user_id;
  record.outcome = std::move(outcome);
  record.legal_basis = std::move(legal_basis);
  record.channel = kChannelHttp;
  record.session_id = std::move(session_id);
  return record;
}

// A 20-character temporary password of letters and digits without look-alikes (0/O, 1/l/I).
Result<std::string> GeneratePassword() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  auto bytes = RandomBytes(20);
  if (!bytes.ok()) return bytes.status();
  std::string password;
  for (unsigned char byte : *bytes) password.push_back(kAlphabet[byte % (sizeof(kAlphabet) - 1)]);
  return password;
}

}  // namespace

SignIn::SignIn(storage::Storage& storage, AuditLog& audit, const UserRegistry& users,
               const Clock& clock, SignInOptions options)
    : storage_(storage),
      audit_(audit),
      users_(users),
      clock_(clock),
      options_(std::move(options)),
      failures_(clock, options_.lockout),
      sessions_(clock, options_.sessions, [this](const Session& session, EndCause cause) {
        AuditSessionEnd(session, cause);
      }) {}

Result<std::optional<v1::UserCredential>> SignIn::LoadCredential(const std::string& user_id) const {
  auto stored = storage_.Get(ColumnFamily::kRecords, CredentialKey(user_id));
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<v1::UserCredential>();
  v1::UserCredential credential;
  if (!credential.ParseFromString(**stored)) {
    return Status(Reason::kCredentialCorrupt,
                  "the sign-in record of " + user_id + " is unreadable");
  }
  return std::optional<v1::UserCredential>(std::move(credential));
}

void SignIn::PutCredential(const std::string& user_id, const v1::UserCredential& credential,
                           storage::WriteBatch* batch) const {
  batch->Put(ColumnFamily::kRecords, CredentialKey(user_id), credential.SerializeAsString());
}

bool SignIn::Verify(const std::string& hash, std::string_view password) {
  {
    std::unique_lock<std::mutex> lock(verify_mutex_);
    verify_slot_.wait(lock, [&] { return verifying_ < options_.max_concurrent_verifications; });
    ++verifying_;
  }
  bool verified = false;
  if (hash.empty()) {
    VerifyAgainstDummy(password);
  } else {
    verified = VerifyPassword(hash, password);
  }
  {
    std::lock_guard<std::mutex> lock(verify_mutex_);
    --verifying_;
  }
  verify_slot_.notify_one();
  return verified;
}

Status SignIn::Refuse(std::string_view user_id, std::string_view what) {
  std::string legal_basis(what);
  if (users_.FindActive(std::string(user_id.substr(0, kMaxClaimedUserBytes))) &&
      failures_.RecordFailure(user_id) == LockState::kLockedNow) {
    legal_basis += "; account locked";
  }
  Status audited = audit_.Append(
      SignInRecord(user_id, kSignInMethod, "UNAUTHENTICATED", legal_basis, ""), nullptr);
  if (!audited.ok()) return Status(Reason::kAuditUnavailable, audited.message());
  return Status(Reason::kSignInFailed, "the user id, password or code is not right");
}

Result<SignInResult> SignIn::Start(std::string_view user_id, std::string_view password,
                                   std::string_view code, std::string_view client_note) {
  const std::string id(user_id.substr(0, kMaxClaimedUserBytes));
  const bool active = users_.FindActive(id).has_value();
  std::optional<v1::UserCredential> credential;
  if (active) {
    auto loaded = LoadCredential(id);
    if (!loaded.ok()) return loaded.status();
    credential = std::move(loaded).value();
  }
  // The same work whatever is wrong: one verification, then the refusal's audit entry.
  const bool password_right = Verify(credential ? credential->password_hash() : "", password);
  if (!active || !credential) return Refuse(user_id, "unknown user or no password");
  if (failures_.Locked(id)) return Refuse(user_id, "account locked");
  if (!password_right) return Refuse(user_id, "wrong password");
  SignInResult result;
  if (credential->must_change_password() || credential->totp_secret().empty()) {
    auto enrollment = OfferEnrollment(id, *credential);
    if (!enrollment.ok()) return enrollment.status();
    failures_.RecordSuccess(id);
    result.enrollment = std::move(enrollment).value();
    return result;
  }
  const std::optional<int64_t> step =
      MatchTotp(credential->totp_secret(), code, clock_.Now(), credential->last_totp_step());
  if (!step) return Refuse(user_id, code.empty() ? "no code" : "wrong code");
  credential->set_last_totp_step(*step);
  storage::WriteBatch batch(storage_);
  PutCredential(id, *credential, &batch);
  auto session = OpenSession(id, client_note, &batch, kSignInMethod);
  if (!session.ok()) return session.status();
  failures_.RecordSuccess(id);
  result.session = std::move(session).value();
  return result;
}

Result<Enrollment> SignIn::OfferEnrollment(const std::string& user_id,
                                           const v1::UserCredential& credential) {
  auto token = RandomBytes(32);
  if (!token.ok()) return token.status();
  PendingEnrollment pending{user_id, credential.totp_secret(), credential.password_hash(),
                            clock_.Now() + options_.enrollment_ttl};
  if (pending.totp_secret.empty()) {
    auto secret = NewTotpSecret();
    if (!secret.ok()) return secret.status();
    pending.totp_secret = std::move(secret).value();
  }
  Enrollment enrollment;
  enrollment.token = Base64Url(*token);
  enrollment.new_password_required = credential.must_change_password();
  enrollment.secret_base32 = Base32(pending.totp_secret);
  enrollment.otpauth_uri = OtpAuthUri(options_.issuer, user_id, pending.totp_secret);
  enrollment.qr_svg = QrSvg(enrollment.otpauth_uri);
  std::lock_guard<std::mutex> lock(enrollments_mutex_);
  enrollments_[enrollment.token] = std::move(pending);
  return enrollment;
}

Result<SessionTable::Created> SignIn::Enroll(std::string_view token, std::string_view new_password,
                                             std::string_view code, std::string_view client_note,
                                             std::string* enrolled_user) {
  PendingEnrollment pending;
  {
    std::lock_guard<std::mutex> lock(enrollments_mutex_);
    auto it = enrollments_.find(std::string(token));
    if (it == enrollments_.end() || it->second.expires < clock_.Now()) {
      if (it != enrollments_.end()) enrollments_.erase(it);
      return Status(Reason::kSignInFailed, "the enrolment expired; sign in again");
    }
    pending = it->second;
  }
  const std::string& user_id = pending.user_id;
  CASECOORD_RETURN_IF_ERROR(CheckPasswordRules(new_password, user_id));
  if (Verify(pending.old_password_hash, new_password)) {
    return Status::InvalidArgument("new_password", "must differ from the temporary password");
  }
  const std::optional<int64_t> step = MatchTotp(pending.totp_secret, code, clock_.Now(), 0);
  if (!step) return Refuse(user_id, "wrong code at enrolment");
  auto hash = HashPassword(new_password, options_.password);
  if (!hash.ok()) return hash.status();
  {
    std::lock_guard<std::mutex> lock(enrollments_mutex_);
    if (enrollments_.erase(std::string(token)) == 0) {
      return Status(Reason::kSignInFailed, "the enrolment was used already; sign in again");
    }
  }
  v1::UserCredential credential;
  credential.set_password_hash(*hash);
  credential.set_totp_secret(pending.totp_secret);
  credential.set_last_totp_step(*step);
  *credential.mutable_password_time() =
      TimeUtil::TimeTToTimestamp(std::chrono::system_clock::to_time_t(clock_.Now()));
  storage::WriteBatch batch(storage_);
  PutCredential(user_id, credential, &batch);
  *enrolled_user = user_id;
  return OpenSession(user_id, client_note, &batch, kEnrollMethod);
}

Result<SessionTable::Created> SignIn::OpenSession(const std::string& user_id,
                                                  std::string_view client_note,
                                                  storage::WriteBatch* batch,
                                                  std::string_view method) {
  auto created = sessions_.Create(user_id, std::string(client_note.substr(0, kMaxClientNoteBytes)));
  if (!created.ok()) return created.status();
  Status audited = audit_.Append(
      SignInRecord(user_id, method, "OK", "password+totp", created->session_id), batch);
  if (!audited.ok()) {
    sessions_.Revoke(created->session_id);
    return Status(Reason::kAuditUnavailable, audited.message());
  }
  return created;
}

bool SignIn::SignOut(std::string_view secret) {
  auto session = sessions_.Touch(secret);
  if (!session.ok()) return false;
  return sessions_.SignOut(secret);
}

std::optional<CallOrigin> SignIn::Authenticate(std::string_view secret) {
  auto session = sessions_.Touch(secret);
  if (!session.ok()) return std::nullopt;
  if (!users_.FindActive(session->user_id)) {
    sessions_.RevokeAllOf(session->user_id, EndCause::kUserChanged);
    return std::nullopt;
  }
  return CallOrigin{session->user_id, kChannelHttp, session->session_id};
}

Result<std::string> SignIn::PrepareResetPassword(const std::string& user_id,
                                                 std::string_view temporary_password,
                                                 storage::WriteBatch* batch) {
  std::string password(temporary_password);
  if (password.empty()) {
    auto generated = GeneratePassword();
    if (!generated.ok()) return generated.status();
    password = std::move(generated).value();
  } else {
    Status rules = CheckPasswordRules(password, user_id);
    if (!rules.ok()) {
      return Status::InvalidArgument("temporary_password",
                                     rules.field_violations().empty()
                                         ? rules.message()
                                         : rules.field_violations()[0].description);
    }
  }
  auto hash = HashPassword(password, options_.password);
  if (!hash.ok()) return hash.status();
  v1::UserCredential credential;
  credential.set_password_hash(*hash);
  credential.set_must_change_password(true);
  *credential.mutable_password_time() =
      TimeUtil::TimeTToTimestamp(std::chrono::system_clock::to_time_t(clock_.Now()));
  PutCredential(user_id, credential, batch);
  return password;
}

Status SignIn::PrepareResetSecondFactor(const std::string& user_id, storage::WriteBatch* batch) {
  auto credential = LoadCredential(user_id);
  if (!credential.ok()) return credential.status();
  if (!credential->has_value()) {
    return Status(Reason::kNoPasswordYet, user_id + " has no password yet");
  }
  (*credential)->clear_totp_secret();
  (*credential)->set_last_totp_step(0);
  PutCredential(user_id, **credential, batch);
  return Status::Ok();
}

void SignIn::CredentialsChanged(const std::string& user_id) {
  sessions_.RevokeAllOf(user_id, EndCause::kUserChanged);
  failures_.Unlock(user_id);
  std::lock_guard<std::mutex> lock(enrollments_mutex_);
  std::erase_if(enrollments_, [&](const auto& entry) { return entry.second.user_id == user_id; });
}

void SignIn::EndSessionsOf(const std::string& user_id) {
  sessions_.RevokeAllOf(user_id, EndCause::kUserChanged);
}

void SignIn::Sweep() {
  sessions_.SweepExpired();
  const auto now = clock_.Now();
  std::lock_guard<std::mutex> lock(enrollments_mutex_);
  std::erase_if(enrollments_, [&](const auto& entry) { return entry.second.expires < now; });
}

Result<bool> SignIn::SeedCredential(const std::string& user_id, std::string_view password,
                                    std::string_view totp_secret) {
  auto existing = LoadCredential(user_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return false;
  auto hash = HashPassword(password, options_.password);
  if (!hash.ok()) return hash.status();
  v1::UserCredential credential;
  credential.set_password_hash(*hash);
  credential.set_totp_secret(std::string(totp_secret));
  storage::WriteBatch batch(storage_);
  PutCredential(user_id, credential, &batch);
  AuditRecord record{
      "system", "", "bootstrap", std::string(kUserPrefix) + user_id, "OK", "development sign-in",
      "",       {}};
  CASECOORD_RETURN_IF_ERROR(audit_.Append(record, &batch));
  return true;
}

void SignIn::AuditSessionEnd(const Session& session, EndCause cause) {
  const char* method = cause == EndCause::kSignedOut ? kSignOutMethod : kSessionEndedMethod;
  // Queued, not waited for: sessions end from the audit committer's own thread too (an admin's
  // change ends them once it is durable), where waiting for the committer would never return.
  // An end the trail cannot record still ends the session (it is already gone).
  audit_.AppendAsync(SignInRecord(session.user_id, method, "OK", std::string(EndCauseName(cause)),
                                  session.session_id),
                     nullptr, [](const Status&) {});
}

}  // namespace casecoord::auth
