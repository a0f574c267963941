#include "services/auth/sign_in.h"

#include <google/protobuf/field_mask.pb.h>
#include <gtest/gtest.h>

#include <thread>

#include "services/auth/totp.h"
#include "tests/support/temp_dir.h"

namespace casecoord::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Cheap parameters: these tests are about the rules, not argon2's cost.
constexpr PasswordParams kTestParams{1, 1024, 1};
constexpr char kUser[] = "coord";
constexpr char kPassword[] = "a long enough passphrase";

class SignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    users_ = std::move(UserRegistry::Open(*storage_, clock_)).value();
    audit_ = std::move(AuditLog::Open(*storage_, std::string(32, 'a'), clock_)).value();
    v1::User user;
    user.set_display_name("coordinator");
    user.add_roles(v1::COORDINATOR);
    storage::WriteBatch batch(*storage_);
    auto created = users_->PrepareCreate(kUser, user, &batch);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(storage_->Commit(batch).ok());
    users_->Publish(*created);
    SignInOptions sign_in_options;
    sign_in_options.password = kTestParams;
    sign_in_ = std::make_unique<SignIn>(*storage_, *audit_, *users_, clock_, sign_in_options);
  }

  // A temporary password, then the enrolment with kPassword: the user's TOTP secret.
  std::string Enrol() {
    storage::WriteBatch batch(*storage_);
    auto temporary = sign_in_->PrepareResetPassword(kUser, "", &batch);
    EXPECT_TRUE(temporary.ok()) << temporary.status().ToString();
    EXPECT_TRUE(storage_->Commit(batch).ok());
    sign_in_->CredentialsChanged(kUser);
    auto started = sign_in_->Start(kUser, *temporary, "", "test");
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_FALSE(started->session.has_value());
    const Enrollment& enrollment = *started->enrollment;
    EXPECT_TRUE(enrollment.new_password_required);
    EXPECT_TRUE(enrollment.otpauth_uri.starts_with("otpauth://totp/"));
    EXPECT_TRUE(enrollment.qr_svg.starts_with("<svg"));
    const std::string secret = SecretOf(enrollment.secret_base32);
    std::string enrolled;
    auto session = sign_in_->Enroll(enrollment.token, kPassword, TotpCode(secret, clock_.Now()),
                                    "test", &enrolled);
    EXPECT_TRUE(session.ok()) << session.status().ToString();
    EXPECT_EQ(enrolled, kUser);
    return secret;
  }

  static std::string SecretOf(const std::string& base32) {
    std::optional<std::string> bytes = FromBase32(base32);
    EXPECT_TRUE(bytes.has_value()) << base32;
    return bytes.value_or("");
  }

  Result<SignInResult> SignInNow(const std::string& secret, std::string_view password = kPassword) {
    return sign_in_->Start(kUser, password, TotpCode(secret, clock_.Now()), "test");
  }

  // Method, outcome and legal basis of the trail's entries for users/coord, oldest first.
  std::vector<std::string> Trail() {
    AuditQuery query;
    query.resource = "users/coord";
    query.limit = 1000;
    std::vector<std::string> lines;
    auto page = audit_->List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& entry : page->entries) {
      lines.push_back(entry.method() + " " + entry.outcome() + " " + entry.legal_basis());
    }
    return lines;
  }

  // The last entry of the trail once a session's end is in it: ends are audited asynchronously
  // (they may come from the audit committer's own thread), so the entry may follow the end.
  std::string LastEndInTrail() {
    for (int attempt = 0; attempt < 200; ++attempt) {
      const std::vector<std::string> trail = Trail();
      if (!trail.empty() && (trail.back().starts_with("http/SessionEnded") ||
                             trail.back().starts_with("http/SignOut"))) {
        return trail.back();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Trail().back();
  }

  testing::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(hours(24 * 20000))};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<UserRegistry> users_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<SignIn> sign_in_;
};

TEST_F(SignInTest, ATemporaryPasswordLeadsToEnrolmentAndThenToSessions) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));  // the enrolment's code step is spent
  auto signed_in = SignInNow(secret);
  ASSERT_TRUE(signed_in.ok()) << signed_in.status().ToString();
  ASSERT_TRUE(signed_in->session.has_value());
  auto origin = sign_in_->Authenticate(signed_in->session->secret);
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->user_id, kUser);
  EXPECT_EQ(origin->channel, kChannelHttp);
  EXPECT_EQ(origin->session_id, signed_in->session->session_id);
  EXPECT_FALSE(sign_in_->Authenticate(signed_in->session->session_id).has_value())
      << "the public session id is no credential";
}

TEST_F(SignInTest, EveryWrongCredentialGetsTheSameAnswer) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));
  const std::string right_code = TotpCode(secret, clock_.Now());
  const std::string wrong_code = right_code == "000000" ? "111111" : "000000";
  const Status wrong_password =
      sign_in_->Start(kUser, "not the password", right_code, "t").status();
  const Status wrong_code_status = sign_in_->Start(kUser, kPassword, wrong_code, "t").status();
  const Status no_code = sign_in_->Start(kUser, kPassword, "", "t").status();
  const Status unknown_user = sign_in_->Start("nobody", kPassword, right_code, "t").status();
  for (const Status& status : {wrong_password, wrong_code_status, no_code, unknown_user}) {
    EXPECT_TRUE(status.Is(Reason::kSignInFailed)) << status.ToString();
    EXPECT_EQ(status.message(), wrong_password.message());
    EXPECT_EQ(status.code(), StatusCode::kUnauthenticated);
  }
  // The trail tells them apart; the caller cannot.
  const auto trail = Trail();
  EXPECT_EQ(trail.back(), "http/SignIn UNAUTHENTICATED no code");
}

TEST_F(SignInTest, AcodeIsNeverAcceptedTwice) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));
  const std::string code = TotpCode(secret, clock_.Now());
  ASSERT_TRUE(sign_in_->Start(kUser, kPassword, code, "t").ok());
  EXPECT_TRUE(sign_in_->Start(kUser, kPassword, code, "t").status().Is(Reason::kSignInFailed));
}

TEST_F(SignInTest, FiveFailuresLockTheAccountUntilTheLockExpires) {
  const std::string secret = Enrol();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(
        sign_in_->Start(kUser, "wrong password!", "", "t").status().Is(Reason::kSignInFailed));
  }
  EXPECT_EQ(Trail().back(), "http/SignIn UNAUTHENTICATED wrong password; account locked");
  clock_.Advance(seconds(30));
  EXPECT_TRUE(SignInNow(secret).status().Is(Reason::kSignInFailed)) << "locked: even the right one";
  EXPECT_EQ(Trail().back(), "http/SignIn UNAUTHENTICATED account locked");
  clock_.Advance(minutes(15));
  auto after = SignInNow(secret);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->session.has_value());
}

TEST_F(SignInTest, AnAdminUnlockLiftsTheLockAtOnce) {
  const std::string secret = Enrol();
  for (int i = 0; i < 5; ++i) (void)sign_in_->Start(kUser, "wrong password!", "", "t");
  EXPECT_TRUE(sign_in_->LockedUntil(kUser).has_value());
  EXPECT_TRUE(sign_in_->Unlock(kUser));
  clock_.Advance(seconds(30));
  EXPECT_TRUE(SignInNow(secret).ok());
}

TEST_F(SignInTest, SessionsEndWhenIdleAndAtTheirAbsoluteLimit) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));
  auto idle = SignInNow(secret);
  ASSERT_TRUE(idle.ok());
  clock_.Advance(minutes(30));
  EXPECT_TRUE(sign_in_->Authenticate(idle->session->secret).has_value()) << "at exactly 30 min";
  clock_.Advance(minutes(30) + seconds(1));
  EXPECT_FALSE(sign_in_->Authenticate(idle->session->secret).has_value());
  EXPECT_EQ(LastEndInTrail(), "http/SessionEnded OK idle");

  clock_.Advance(seconds(30));
  auto busy = SignInNow(secret);
  ASSERT_TRUE(busy.ok());
  for (int i = 0; i < 12 * 3; ++i) {
    clock_.Advance(minutes(20));
    ASSERT_TRUE(sign_in_->Authenticate(busy->session->secret).has_value()) << i;
  }
  clock_.Advance(seconds(1));
  EXPECT_FALSE(sign_in_->Authenticate(busy->session->secret).has_value());
  EXPECT_EQ(LastEndInTrail(), "http/SessionEnded OK absolute");
}

TEST_F(SignInTest, RevocationSignOutAndADisabledUserEndSessions) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));
  auto first = SignInNow(secret);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(sign_in_->sessions().Revoke(first->session->session_id));
  EXPECT_FALSE(sign_in_->Authenticate(first->session->secret).has_value());
  EXPECT_EQ(LastEndInTrail(), "http/SessionEnded OK revoked");

  clock_.Advance(seconds(30));
  auto second = SignInNow(secret);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(sign_in_->SignOut(second->session->secret));
  EXPECT_FALSE(sign_in_->Authenticate(second->session->secret).has_value());
  EXPECT_EQ(LastEndInTrail(), "http/SignOut OK signed_out");

  clock_.Advance(seconds(30));
  auto third = SignInNow(secret);
  ASSERT_TRUE(third.ok());
  v1::User patch;
  patch.set_name("users/coord");
  patch.set_state(v1::User::DISABLED);
  v1::FieldMask mask;
  mask.add_paths("state");
  storage::WriteBatch batch(*storage_);
  auto disabled = users_->PrepareUpdate(patch, mask, &batch);
  ASSERT_TRUE(disabled.ok()) << disabled.status().ToString();
  ASSERT_TRUE(storage_->Commit(batch).ok());
  users_->Publish(*disabled);
  sign_in_->EndSessionsOf(kUser);
  EXPECT_FALSE(sign_in_->Authenticate(third->session->secret).has_value());
  EXPECT_EQ(LastEndInTrail(), "http/SessionEnded OK user_changed");
  EXPECT_TRUE(sign_in_->sessions().ListOf(kUser).empty());
}

TEST_F(SignInTest, ResettingTheSecondFactorEndsSessionsAndEnrolsANewSecret) {
  const std::string secret = Enrol();
  clock_.Advance(seconds(30));
  auto before = SignInNow(secret);
  ASSERT_TRUE(before.ok());
  storage::WriteBatch batch(*storage_);
  ASSERT_TRUE(sign_in_->PrepareResetSecondFactor(kUser, &batch).ok());
  ASSERT_TRUE(storage_->Commit(batch).ok());
  sign_in_->CredentialsChanged(kUser);
  EXPECT_FALSE(sign_in_->Authenticate(before->session->secret).has_value());
  auto started = sign_in_->Start(kUser, kPassword, "", "t");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE(started->enrollment.has_value());
  EXPECT_FALSE(started->enrollment->new_password_required);
  EXPECT_NE(SecretOf(started->enrollment->secret_base32), secret);
}

TEST_F(SignInTest, EnrolmentRefusesAWeakOrUnchangedPasswordAndExpires) {
  storage::WriteBatch batch(*storage_);
  auto temporary = sign_in_->PrepareResetPassword(kUser, "temporary password 1", &batch);
  ASSERT_TRUE(temporary.ok());
  ASSERT_TRUE(storage_->Commit(batch).ok());
  auto started = sign_in_->Start(kUser, "temporary password 1", "", "t");
  ASSERT_TRUE(started.ok() && started->enrollment.has_value());
  const std::string secret = SecretOf(started->enrollment->secret_base32);
  std::string user;
  const std::string code = TotpCode(secret, clock_.Now());
  EXPECT_EQ(sign_in_->Enroll(started->enrollment->token, "short", code, "t", &user).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(sign_in_->Enroll(started->enrollment->token, "temporary password 1", code, "t", &user)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  clock_.Advance(minutes(11));
  EXPECT_TRUE(sign_in_
                  ->Enroll(started->enrollment->token, kPassword, TotpCode(secret, clock_.Now()),
                           "t", &user)
                  .status()
                  .Is(Reason::kSignInFailed));
}

}  // namespace
}  // namespace casecoord::auth
