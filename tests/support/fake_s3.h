// A small S3-compatible server for tests: one bucket in memory, served over HTTP on 127.0.0.1 (a
// port the kernel chooses) with cpp-httplib.
//
// It answers PUT, GET, HEAD and DELETE of objects and ListObjectsV2 (GET on the bucket with
// list-type=2, prefix, max-keys, continuation-token) in the shapes S3 uses, errors as S3's
// <Error> document. It is strict where a lenient fake would hide client bugs: every request must
// carry an AWS Signature Version 4 Authorization header, which it verifies with its own
// implementation (written here, independently of services/backup's signer): canonical URI
// rebuilt from the decoded path, every x-amz-* header signed, x-amz-content-sha256 equal to the
// SHA-256 of the body (UNSIGNED-PAYLOAD refused), x-amz-date within 15 minutes of its clock.
// Refusals: 403 InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed, AccessDenied;
// 400 XAmzContentSHA256Mismatch, InvalidRequest, InvalidArgument; 404 NoSuchBucket, NoSuchKey.
//
// Every request is logged (method, key, status, error code), so tests can check what a client
// sent and in which order, and the next N requests can be made to fail with 500 InternalError.
//
// Thread safety: every method may be called from any thread while the server runs.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace casecoord::testing {

struct FakeS3Options {
  std::string bucket = "casecoord-offsite";
  std::string region = "ap-northeast-1";
  std::string access_key_id = "AKIAFAKES3TESTKEY001";
  // Has '/' and '+', like real secrets.
  std::string secret_access_key = "fAkE/s3+SecretKey/0123456789abcdefghijKLMN";
  // The most keys one ListObjectsV2 page holds, whatever the client asks (S3's is 1000).
  size_t max_keys_per_page = 1000;
};

struct FakeS3Request {
  std::string method;
  std::string key;    // decoded object key; "" for a request on the bucket
  std::string query;  // as sent
  int status = 0;
  std::string error_code;  // S3's code of a refusal ("SignatureDoesNotMatch"); "" on success
};

struct FakeS3Object {
  std::string bytes;
  std::map<std::string, std::string> metadata;  // x-amz-meta-* headers, lower-case names
};

class FakeS3 {
 public:
  // Starts serving; nullptr (after a gtest failure) if no port could be bound.
  static std::unique_ptr<FakeS3> Start(FakeS3Options options = {});
  ~FakeS3();
  FakeS3(const FakeS3&) = delete;
  FakeS3& operator=(const FakeS3&) = delete;

  const FakeS3Options& options() const { return options_; }
  int port() const { return port_; }
  // "http://127.0.0.1:PORT", for OffsiteSettings::endpoint.
  std::string endpoint() const;
  // Writes a credentials file with this server's key pair at `path`, mode 0600 (with `secret`
  // instead of the right secret when given).
  void WriteCredentialsFile(const std::string& path,
                            const std::optional<std::string>& secret = std::nullopt) const;

  std::vector<FakeS3Request> requests() const;
  void ClearRequests();
  // How many requests were refused with S3 error `code`.
  size_t CountRefusals(std::string_view code) const;

  // After the next `after` requests, `count` requests are answered 500 InternalError before
  // anything else about them is looked at (they change nothing).
  void FailNextRequests(int count, int after = 0);
  // The server's clock runs `offset` ahead of the real one (negative: behind).
  void SetClockOffset(std::chrono::seconds offset);
  void SetMaxKeysPerPage(size_t max_keys);

  std::map<std::string, FakeS3Object> objects() const;
  std::optional<FakeS3Object> object(const std::string& key) const;
  // Stores an object directly, as another tool might have (no metadata).
  void StoreObject(const std::string& key, std::string bytes);
  // Changes a stored object's bytes behind the client's back (its metadata stays); false if absent.
  bool CorruptObject(const std::string& key);

  class Impl;

 private:
  explicit FakeS3(FakeS3Options options);

  const FakeS3Options options_;
  int port_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace casecoord::testing
