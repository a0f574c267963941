// The S3-compatible off-site store (offsite.h's OffsiteStore over HTTP with libcurl) and the parts
// of it that tests check on their own: AWS Signature Version 4, the credentials file, and the
// ListObjectsV2 answer.
//
// Requests are path-style (ENDPOINT/BUCKET/PREFIX/NAME) and every one is signed with the SHA-256
// of its real payload in x-amz-content-sha256 (never UNSIGNED-PAYLOAD), so a body changed in
// transit is refused by the store. A PUT also records that digest as the object's user metadata
// (x-amz-meta-content-sha256); a GET that finds it checks the downloaded bytes against it.
//
// Each object is sent in one PUT (S3 takes up to 5 GiB that way; backup files are far smaller). A
// store is not retried here: a failure is returned at once, and SyncToOffsite's caller tries again
// later. SIGPIPE is blocked in the calling thread during a transfer.
//
// Secrets: the secret access key is held only in S3Credentials and the signing key derived from
// it; neither, nor an Authorization header, ever appears in a Status message or a log line.
//
// Thread safety: the free functions may be called from any thread. An S3 store is used by one
// thread at a time (offsite.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/backup/offsite.h"
#include "services/common/status.h"

namespace casecoord::backup {

// An access key pair. The destructor wipes the secret from memory.
struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;

  S3Credentials() = default;
  S3Credentials(std::string id, std::string secret)
      : access_key_id(std::move(id)), secret_access_key(std::move(secret)) {}
  S3Credentials(const S3Credentials&) = default;
  S3Credentials(S3Credentials&&) = default;
  S3Credentials& operator=(const S3Credentials&) = default;
  S3Credentials& operator=(S3Credentials&&) = default;
  ~S3Credentials();
};

// Reads a credentials file (offsite.h, OffsiteSettings::credentials_file): lines
// "access-key-id = ..." and "secret-access-key = ...", blank lines and lines starting with '#'
// ignored. KEY_FILE_UNREADABLE if it cannot be opened or is not a regular file,
// KEY_FILE_PERMISSIONS if group or others have any access to it, KEY_FILE_MALFORMED for an unknown
// or repeated name, a missing value or a file over 4 KiB. Messages name the file and the line,
// never a value.
Result<S3Credentials> LoadS3Credentials(const std::string& path);

// Percent-encodes every byte of `text` but the unreserved characters A-Z a-z 0-9 - _ . ~ (and '/'
// unless `encode_slash`), with upper-case hex digits: SigV4's UriEncode.
std::string UriEncode(std::string_view text, bool encode_slash);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// What SigV4 signs of one request.
struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  // The path as sent, already URI-encoded ("/bucket/a%20b~1"); S3 signs it as it is.
  std::string canonical_uri;
  // Query parameters, not encoded ("prefix" -> "a/b"); a parameter without value has "".
  std::vector<std::pair<std::string, std::string>> query;
  // Headers to sign, names in any case; values are trimmed and inner runs of spaces collapsed.
  std::vector<std::pair<std::string, std::string>> headers;
  // Lower-case hex SHA-256 of the payload.
  std::string payload_sha256;
};

// Each step of the signature, so that tests can compare them with published examples.
struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-content-sha256;x-amz-date"
  std::string signature;       // 64 lower-case hex digits
  // "AWS4-HMAC-SHA256 Credential=ID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=...,
  // Signature=..." — a credential: never log it.
  std::string authorization;
};

// Signs `request` for `region` and `service` ("s3") at `amz_date` ("20130524T000000Z", which must
// also be the x-amz-date header among `request.headers` for a server to accept it).
SigV4Signature SignV4(const SigV4Request& request, const S3Credentials& credentials,
                      std::string_view region, std::string_view service, std::string_view amz_date);

// The canonical query string of `query` (each name and value UriEncode'd with '/' encoded, sorted
// by name then value, joined with '&'). Also what the store sends on the request line, so that the
// string signed and the string sent cannot differ.
std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query);

// One page of a ListObjectsV2 answer.
struct ListPage {
  std::vector<OffsiteObject> objects;  // names are the keys as listed, prefix included
  bool truncated = false;
  std::string next_continuation_token;
};

// Parses a ListObjectsV2 answer (<ListBucketResult>). OFFSITE_REFUSED for anything else: XML that
// does not parse, a DTD (entities could expand without bound), another root element, a key
// without a valid size, or a truncated page without a continuation token. Never throws.
Result<ListPage> ParseListObjectsV2(std::string_view xml);

// Where an S3 store sends its requests; validated by OpenOffsiteStore.
struct S3Location {
  std::string endpoint;  // "https://host[:port]", no trailing '/'
  std::string bucket;
  std::string prefix;  // "" or "a/b" (no leading or trailing '/')
  std::string region;
  std::string ca_file;  // "" for the system's CA bundle
  int timeout_ms = 60000;
};

// The store for `location` with `credentials`. Contacts nothing.
std::unique_ptr<OffsiteStore> NewS3Store(S3Location location, S3Credentials credentials);

}  // namespace casecoord::backup
