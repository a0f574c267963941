// Internal to casecoord_backup: what the S3 transport (s3_store.cc) shares with the parts that
// need no network (s3_protocol.cc): text helpers for headers and messages, and the error document.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace casecoord::backup {

// The largest answer body read: a ListObjectsV2 page of 1,000 keys is a few hundred KiB, an error
// document a few hundred bytes.
inline constexpr size_t kMaxS3AnswerBytes = size_t{8} << 20;

// Overwrites `secret` (its whole size) so that no copy of a key outlives its use.
void Wipe(std::string& secret);

// ASCII lower case of `text`; other bytes unchanged.
std::string Lowercase(std::string_view text);

// `text` without leading and trailing ASCII white space (space, tab, CR, LF).
std::string_view Trim(std::string_view text);

// Whether `text` starts with `prefix`, ASCII letters compared without case.
bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix);

// A server's text in one of our messages: at most 300 bytes, control characters made spaces.
std::string Sanitized(std::string_view text);

// Now as SigV4's x-amz-date (YYYYMMDDTHHMMSSZ, UTC).
std::string AmzDateNow();

// The Code and Message of an S3 <Error> document; both empty when `body` is not one (a proxy's
// HTML page, nothing at all).
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view body);

}  // namespace casecoord::backup
