// How caseserver sets up sign-in for people from its settings, and the development users'
// credentials for `make run`.
#pragma once

#include "services/auth/sign_in.h"
#include "services/server/config.h"

namespace casecoord::server {

auth::SignInOptions SignInOptionsOf(const ServerConfig& config);

// With demo-users in development mode: gives each demo user without credentials the password
// "{user}-dev-password" and a TOTP secret derived from its id (not secret: development only),
// and logs both, with the otpauth:// URI, so that a developer can sign in to the console.
Status SeedDemoSignIn(const ServerConfig& config, auth::SignIn& sign_in);

}  // namespace casecoord::server
