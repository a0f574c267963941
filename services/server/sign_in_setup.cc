#include "services/server/sign_in_setup.h"

#include <openssl/sha.h>

#include "services/auth/totp.h"
#include "services/common/log.h"

namespace casecoord::server {

auth::SignInOptions SignInOptionsOf(const ServerConfig& config) {
  auth::SignInOptions options;
  options.sessions.idle_timeout = std::chrono::minutes(config.session_idle_minutes);
  options.sessions.absolute_timeout = std::chrono::hours(config.session_absolute_hours);
  options.lockout.max_failures = config.sign_in_max_failures;
  options.lockout.lock_duration = std::chrono::minutes(config.sign_in_lock_minutes);
  options.issuer = config.municipality.empty() ? "casecoord" : "casecoord " + config.municipality;
  return options;
}

Status SeedDemoSignIn(const ServerConfig& config, auth::SignIn& sign_in) {
  if (!config.demo_users || config.mode != Mode::kDevelopment) return Status::Ok();
  for (const char* user :
       {"coordinator", "agency-staff", "adviser", "planner", "auditor", "admin"}) {
    const std::string label = std::string("casecoord-development-totp:") + user;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(label.data()), label.size(), digest);
    const std::string secret(reinterpret_cast<const char*>(digest), 20);
    const std::string password = std::string(user) + "-dev-password";
    auto seeded = sign_in.SeedCredential(user, password, secret);
    if (!seeded.ok()) return seeded.status();
    log::Info("development sign-in (never for real data)",
              {{"user", user},
               {"password", password},
               {"totp_secret", auth::Base32(secret)},
               {"newly_set", *seeded ? "true" : "false"}});
  }
  return Status::Ok();
}

}  // namespace casecoord::server
