#include "services/backup/s3_store.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>

#include "services/backup/local_files.h"
#include "services/backup/s3_protocol.h"
#include "services/common/text.h"

namespace casecoord::backup {
namespace {

constexpr std::string_view kMetaDigestHeader = "x-amz-meta-content-sha256";

// ---- HTTP (libcurl) ----------------------------------------------------------------------------

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct DigestDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// One request's state, shared with curl's callbacks.
struct Transfer {
  CURL* curl = nullptr;
  // Upload: the file's descriptor (-1: no body).
  int upload_fd = -1;
  int upload_errno = 0;
  // Download: where a 2xx answer's body goes (nullptr: into `body`), and its running digest.
  StagedFile* download = nullptr;
  EVP_MD_CTX* download_digest = nullptr;
  Status download_failure;
  // Any other answer's body, bounded.
  std::string body;
  bool body_too_large = false;
  std::string meta_digest;  // x-amz-meta-content-sha256 of the answer
};

// A peer that closes a TLS connection while OpenSSL writes raises SIGPIPE in the writing thread;
// with CURLOPT_NOSIGNAL (needed in a threaded process) curl does not ignore it for us, and the
// default action ends the process. Blocks SIGPIPE in this thread for the transfer and discards
// one raised meanwhile.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &previous_) == 0;
  }
  ~SigpipeBlocked() {
    if (!blocked_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      timespec no_wait{};
      sigtimedwait(&pipe_, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool was_pending_ = false;
  bool blocked_ = false;
};

bool IsSuccess(long status) { return status >= 200 && status < 300; }

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);
  if (transfer.download != nullptr && IsSuccess(status)) {
    transfer.download_failure = transfer.download->Write(data, bytes);
    if (!transfer.download_failure.ok()) return CURL_WRITEFUNC_ERROR;
    EVP_DigestUpdate(transfer.download_digest, data, bytes);
    return bytes;
  }
  if (transfer.body.size() + bytes > kMaxS3AnswerBytes) {
    transfer.body_too_large = true;
    return CURL_WRITEFUNC_ERROR;
  }
  transfer.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  // A new status line ("HTTP/1.1 100 Continue" then the real one) starts a new header block.
  if (StartsWithIgnoringCase(line, "HTTP/")) transfer.meta_digest.clear();
  const std::string prefix = std::string(kMetaDigestHeader) + ":";
  if (StartsWithIgnoringCase(line, prefix)) {
    transfer.meta_digest = std::string(Trim(line.substr(prefix.size())));
  }
  return size * count;
}

size_t OnUpload(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  while (true) {
    ssize_t got = ::read(transfer.upload_fd, buffer, size * count);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) {
      transfer.upload_errno = errno;
      return CURL_READFUNC_ABORT;
    }
  }
}

// Lets curl resend the body when a kept-alive connection turned out to be closed.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto& transfer = *static_cast<Transfer*>(user);
  return ::lseek(transfer.upload_fd, static_cast<off_t>(offset), origin) < 0 ? CURL_SEEKFUNC_FAIL
                                                                             : CURL_SEEKFUNC_OK;
}

// A transport failure: nothing (or not all) was exchanged with the store.
Status TransportFailure(CURLcode code, const Transfer& transfer, const std::string& what,
                        const char* detail) {
  if (!transfer.download_failure.ok()) return transfer.download_failure;
  if (transfer.upload_errno != 0) {
    return Status(Reason::kIoError,
                  what + ": reading the local file: " + std::strerror(transfer.upload_errno));
  }
  if (transfer.body_too_large) {
    return Status(Reason::kOffsiteRefused, what + ": the store's answer is larger than " +
                                               std::to_string(kMaxS3AnswerBytes) + " bytes");
  }
  std::string message = what + ": " + curl_easy_strerror(code);
  if (detail != nullptr && detail[0] != '\0') message += " (" + Sanitized(detail) + ")";
  switch (code) {
    // Settings, not the network: retrying cannot help.
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Status(Reason::kOffsiteRefused, message);
    default:
      return Status(Reason::kOffsiteUnavailable, message);
  }
}

// The reason for a non-2xx answer: the store is down or busy (5xx, 429 SlowDown, 408), or refuses.
Status AnswerFailure(long status, const std::string& body, const std::string& what) {
  S3Error error = ParseS3Error(body);
  std::string message = what + ": HTTP " + std::to_string(status);
  if (!error.code.empty()) message += " " + Sanitized(error.code);
  if (!error.message.empty()) message += ": " + Sanitized(error.message);
  if (error.code == "RequestTimeTooSkewed") {
    message += " (this machine's clock is more than 15 minutes off; check NTP)";
  }
  if (status >= 500 || status == 429 || status == 408) {
    return Status(Reason::kOffsiteUnavailable, message);
  }
  if (status == 404 && error.code == "NoSuchKey") {
    return Status(Reason::kOffsiteObjectNotFound, message);
  }
  return Status(Reason::kOffsiteRefused, message);
}

struct Request {
  const char* method = "GET";
  std::string key;  // object key, prefix included; "" for the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  std::string payload_sha256;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // signed, sent as they are
  int upload_fd = -1;
  uint64_t upload_size = 0;
  StagedFile* download = nullptr;
  EVP_MD_CTX* download_digest = nullptr;
};

struct Answer {
  long status = 0;
  std::string body;
  std::string meta_digest;
};

class S3Store final : public OffsiteStore {
 public:
  S3Store(S3Location location, S3Credentials credentials)
      : location_(std::move(location)),
        credentials_(std::move(credentials)),
        host_(location_.endpoint.substr(location_.endpoint.find("://") + 3)) {}

  std::string Describe() const override {
    return "s3://" + location_.bucket + (location_.prefix.empty() ? "" : "/" + location_.prefix) +
           " at " + location_.endpoint;
  }

  Status Put(std::string_view name, const std::string& local_path) override;
  Status Get(std::string_view name, const std::string& local_path) override;
  Result<std::vector<OffsiteObject>> List(std::string_view prefix) override;
  Status Delete(std::string_view name) override;

 private:
  std::string KeyOf(std::string_view name) const {
    return location_.prefix.empty() ? std::string(name)
                                    : location_.prefix + "/" + std::string(name);
  }
  std::string WhatOf(const char* method, std::string_view name) const {
    return std::string(method) + " " + std::string(name) + " in " + Describe();
  }
  // Sends `request`; a transport failure as a Status, any HTTP answer as an Answer.
  Result<Answer> Send(const Request& request, const std::string& what);
  Status Configure(CURL* curl, const std::string& url, const Request& request, Transfer& transfer,
                   curl_slist* headers);
  curl_slist* SignedHeaders(const Request& request, const std::string& canonical_uri);
  Result<ListPage> ListPageAfter(const std::string& prefix, const std::string& token);

  const S3Location location_;
  const S3Credentials credentials_;
  const std::string host_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::array<char, CURL_ERROR_SIZE> curl_error_{};
};

curl_slist* S3Store::SignedHeaders(const Request& request, const std::string& canonical_uri) {
  const std::string amz_date = AmzDateNow();
  SigV4Request signing;
  signing.method = request.method;
  signing.canonical_uri = canonical_uri;
  signing.query = request.query;
  signing.payload_sha256 = request.payload_sha256;
  signing.headers = {
      {"host", host_}, {"x-amz-content-sha256", request.payload_sha256}, {"x-amz-date", amz_date}};
  for (const auto& header : request.extra_headers) signing.headers.push_back(header);
  SigV4Signature signature = SignV4(signing, credentials_, location_.region, "s3", amz_date);

  curl_slist* list = nullptr;
  auto add = [&list](const std::string& line) {
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (grown != nullptr) list = grown;
    return grown != nullptr;
  };
  bool added = true;
  for (const auto& [name, value] : signing.headers) {
    added = add((name == "host" ? std::string("Host") : name) + ": " + value) && added;
  }
  added = add("Authorization: " + signature.authorization) && added;
  Wipe(signature.authorization);
  // No "Expect: 100-continue" round trip: bodies are small enough to send at once.
  added = add("Expect:") && added;
  if (!added) {
    curl_slist_free_all(list);
    return nullptr;
  }
  return list;
}

Status S3Store::Configure(CURL* curl, const std::string& url, const Request& request,
                          Transfer& transfer, curl_slist* headers) {
  const long stall_seconds = std::max(1L, static_cast<long>(location_.timeout_ms / 1000));
  bool ok = curl_easy_setopt(curl, CURLOPT_URL, url.c_str()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error_.data()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                             static_cast<long>(location_.timeout_ms)) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, stall_seconds) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer) == CURLE_OK;
  if (ok && !location_.ca_file.empty()) {
    ok = curl_easy_setopt(curl, CURLOPT_CAINFO, location_.ca_file.c_str()) == CURLE_OK;
  }
  if (ok && request.upload_fd >= 0) {
    ok = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
         curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                          static_cast<curl_off_t>(request.upload_size)) == CURLE_OK &&
         curl_easy_setopt(curl, CURLOPT_READFUNCTION, &OnUpload) == CURLE_OK &&
         curl_easy_setopt(curl, CURLOPT_READDATA, &transfer) == CURLE_OK &&
         curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &OnSeek) == CURLE_OK &&
         curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer) == CURLE_OK;
  } else if (ok && std::strcmp(request.method, "GET") != 0) {
    ok = curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method) == CURLE_OK;
  }
  if (!ok) return Status(Reason::kOffsiteRefused, "libcurl refused an option for " + url);
  return Status::Ok();
}

Result<Answer> S3Store::Send(const Request& request, const std::string& what) {
  InitializeCurlOnce();
  if (!curl_) curl_.reset(curl_easy_init());
  if (!curl_) return Status(Reason::kOffsiteUnavailable, what + ": cannot start libcurl");
  CURL* curl = curl_.get();
  // Reset keeps the connection cache, so that a sync reuses one connection.
  curl_easy_reset(curl);
  curl_error_[0] = '\0';

  // The path and query are sent exactly as they are signed.
  const std::string canonical_uri =
      "/" + UriEncode(location_.bucket, true) +
      (request.key.empty() ? "" : "/" + UriEncode(request.key, false));
  const std::string query = CanonicalQuery(request.query);
  const std::string url = location_.endpoint + canonical_uri + (query.empty() ? "" : "?" + query);
  std::unique_ptr<curl_slist, SlistDeleter> headers(SignedHeaders(request, canonical_uri));
  if (!headers) return Status(Reason::kOffsiteUnavailable, what + ": out of memory");
  Transfer transfer;
  transfer.curl = curl;
  transfer.upload_fd = request.upload_fd;
  transfer.download = request.download;
  transfer.download_digest = request.download_digest;
  CASECOORD_RETURN_IF_ERROR(Configure(curl, url, request, transfer, headers.get()));

  CURLcode code = CURLE_OK;
  {
    SigpipeBlocked no_sigpipe;
    code = curl_easy_perform(curl);
  }
  if (code != CURLE_OK) return TransportFailure(code, transfer, what, curl_error_.data());
  Answer answer;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.body = std::move(transfer.body);
  answer.meta_digest = std::move(transfer.meta_digest);
  return answer;
}

Status S3Store::Put(std::string_view name, const std::string& local_path) {
  CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
  const std::string what = WhatOf("PUT", name);
  int fd = ::open(local_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(FileSide::kLocal, errno, "opening " + local_path);
  FdCloser closer(fd);
  CASECOORD_ASSIGN_OR_RETURN(FileDigest digest, DigestFile(fd, local_path));
  if (::lseek(fd, 0, SEEK_SET) != 0) return FileError(FileSide::kLocal, errno, local_path);

  Request request;
  request.method = "PUT";
  request.key = KeyOf(name);
  request.payload_sha256 = digest.sha256;
  request.extra_headers = {{std::string(kMetaDigestHeader), digest.sha256}};
  request.upload_fd = fd;
  request.upload_size = digest.size_bytes;
  CASECOORD_ASSIGN_OR_RETURN(Answer answer, Send(request, what));
  if (!IsSuccess(answer.status)) return AnswerFailure(answer.status, answer.body, what);
  return Status::Ok();
}

Status S3Store::Get(std::string_view name, const std::string& local_path) {
  CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
  const std::string what = WhatOf("GET", name);
  CASECOORD_ASSIGN_OR_RETURN(StagedFile staged, StagedFile::Create(local_path, FileSide::kLocal));
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> digest(EVP_MD_CTX_new());
  if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
    return Status(Reason::kIoError, what + ": cannot start SHA-256");
  }
  Request request;
  request.key = KeyOf(name);
  request.payload_sha256 = Sha256Hex("");
  request.download = &staged;
  request.download_digest = digest.get();
  CASECOORD_ASSIGN_OR_RETURN(Answer answer, Send(request, what));
  if (!IsSuccess(answer.status)) return AnswerFailure(answer.status, answer.body, what);

  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(digest.get(), bytes.data(), &size) != 1) {
    return Status(Reason::kIoError, what + ": cannot finish SHA-256");
  }
  // Objects written by another tool carry no digest; curl has checked their length.
  if (!answer.meta_digest.empty() &&
      Lowercase(answer.meta_digest) !=
          LowerHex(std::string_view(reinterpret_cast<const char*>(bytes.data()), size))) {
    return Status(Reason::kOffsiteCopyCorrupt,
                  what +
                      ": the bytes received do not have the SHA-256 recorded when the object "
                      "was stored");
  }
  return staged.Commit();
}

Result<ListPage> S3Store::ListPageAfter(const std::string& prefix, const std::string& token) {
  Request request;
  request.query = {{"list-type", "2"}, {"prefix", prefix}};
  if (!token.empty()) request.query.emplace_back("continuation-token", token);
  request.payload_sha256 = Sha256Hex("");
  const std::string what = "LIST " + prefix + " in " + Describe();
  CASECOORD_ASSIGN_OR_RETURN(Answer answer, Send(request, what));
  if (!IsSuccess(answer.status)) return AnswerFailure(answer.status, answer.body, what);
  auto page = ParseListObjectsV2(answer.body);
  if (!page.ok()) return page.status().WithMessage(what + ": " + page.status().message());
  return page;
}

Result<std::vector<OffsiteObject>> S3Store::List(std::string_view prefix) {
  const std::string store_prefix = location_.prefix.empty() ? "" : location_.prefix + "/";
  const std::string full_prefix = store_prefix + std::string(prefix);
  std::vector<OffsiteObject> objects;
  std::string token;
  while (true) {
    CASECOORD_ASSIGN_OR_RETURN(ListPage page, ListPageAfter(full_prefix, token));
    for (auto& object : page.objects) {
      if (object.name.compare(0, full_prefix.size(), full_prefix) != 0) {
        return Status(Reason::kOffsiteRefused,
                      Describe() + " listed a key outside the prefix asked for");
      }
      objects.push_back(OffsiteObject{object.name.substr(store_prefix.size()), object.size_bytes});
    }
    if (!page.truncated) break;
    if (page.next_continuation_token == token) {
      return Status(Reason::kOffsiteRefused, Describe() + " repeated a continuation token");
    }
    token = std::move(page.next_continuation_token);
  }
  std::sort(objects.begin(), objects.end(),
            [](const OffsiteObject& a, const OffsiteObject& b) { return a.name < b.name; });
  return objects;
}

Status S3Store::Delete(std::string_view name) {
  CASECOORD_RETURN_IF_ERROR(ValidateObjectName(name));
  const std::string what = WhatOf("DELETE", name);
  Request request;
  request.method = "DELETE";
  request.key = KeyOf(name);
  request.payload_sha256 = Sha256Hex("");
  CASECOORD_ASSIGN_OR_RETURN(Answer answer, Send(request, what));
  if (IsSuccess(answer.status)) return Status::Ok();
  Status failure = AnswerFailure(answer.status, answer.body, what);
  // S3 answers 204 for a missing key; some compatible stores answer 404 NoSuchKey.
  if (failure.Is(Reason::kOffsiteObjectNotFound)) return Status::Ok();
  return failure;
}

}  // namespace

std::unique_ptr<OffsiteStore> NewS3Store(S3Location location, S3Credentials credentials) {
  return std::make_unique<S3Store>(std::move(location), std::move(credentials));
}

}  // namespace casecoord::backup
