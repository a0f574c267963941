// The second factor of browser sign-in (issue 17): RFC 6238 time-based one-time codes (HMAC-SHA-1,
// 30-second steps, 6 digits: what every authenticator app does by default) through liboath, the
// otpauth:// enrolment URI, and that URI as a QR code in SVG for the console.
//
// Secrets are raw bytes (20 from NewTotpSecret); only Base32 and OtpAuthUri turn them into text.
// The caller stores the secret (encrypted, with the user record) and the last step a code was
// accepted for, which MatchTotp needs to refuse a replay.
//
// Thread safety: every function may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "services/common/status.h"

namespace casecoord::auth {

inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpStepSeconds = 30;

// 20 random bytes (the HMAC-SHA-1 block-size recommendation of RFC 4226) from OpenSSL's
// generator; INTERNAL "RANDOM_FAILURE" if it fails.
Result<std::string> NewTotpSecret();

// RFC 4648 base32 of `bytes`, upper case, without '=' padding (the form authenticator apps read).
std::string Base32(std::string_view bytes);
// The bytes of an RFC 4648 base32 text (upper case, padding optional); nullopt if malformed.
std::optional<std::string> FromBase32(std::string_view text);

// "otpauth://totp/<issuer>:<account>?secret=<Base32(secret)>&issuer=<issuer>&algorithm=SHA1&
// digits=6&period=30", with issuer and account percent-encoded as UTF-8 (RFC 3986: everything but
// unreserved characters), so that Japanese names and ':' or '&' in them survive.
std::string OtpAuthUri(std::string_view issuer, std::string_view account, std::string_view secret);

// The time step `code` is valid for, if it is exactly 6 ASCII digits matching `secret` at the
// step of `now` or one step either side, and that step is after `last_used_step` (pass -1 when no
// code was ever accepted). nullopt for a wrong or malformed code and for a replay: the caller
// stores the returned step as the new last_used_step. Codes are compared in constant time.
std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code,
                                 std::chrono::system_clock::time_point now, int64_t last_used_step);

// The 6-digit code of `secret` at `at` (for tests and development tooling); "" if liboath fails.
std::string TotpCode(std::string_view secret, std::chrono::system_clock::time_point at);

// The RFC 6238 time step of `at`: whole 30-second periods since the Unix epoch.
int64_t TotpStep(std::chrono::system_clock::time_point at);

// `text` as a QR code (libqrencode, error correction level M, 8-bit mode) in a standalone SVG
// document: a white background and one path of the dark modules, a quiet zone of 4 modules, a
// viewBox in module units and no size (the page sizes it), no script, no external reference.
// "" when `text` is empty or too long for a QR code.
std::string QrSvg(std::string_view text);

}  // namespace casecoord::auth
