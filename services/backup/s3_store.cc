#include "services/backup/s3_store.h"

#include <curl/curl.h>
#include <expat.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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
#include <map>
#include <mutex>

#include "services/backup/local_files.h"
#include "services/common/text.h"

namespace casecoord::backup {
namespace {

constexpr size_t kMaxCredentialsFileBytes = 4096;
// A ListObjectsV2 page of 1,000 keys is a few hundred KiB; an error document a few hundred bytes.
constexpr size_t kMaxAnswerBytes = size_t{8} << 20;
constexpr int kMaxXmlDepth = 16;
constexpr size_t kMaxMessageChars = 300;
constexpr std::string_view kMetaDigestHeader = "x-amz-meta-content-sha256";

// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

void Wipe(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), AsciiLower);
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// SigV4's header value form: trimmed, each inner run of spaces made one space.
std::string NormalizeHeaderValue(std::string_view value) {
  std::string out;
  bool in_space = false;
  for (char c : Trim(value)) {
    if (IsSpace(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(text[i]) != AsciiLower(prefix[i])) return false;
  }
  return true;
}

// Printable ASCII without spaces: what may go into a header without changing its meaning.
bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

// A server's text in one of our messages: bounded, printable, one line.
std::string Sanitized(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kMaxMessageChars)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  return out;
}

std::string AmzDateNow() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  size_t size = std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text.data(), size);
}

// ---- XML (expat) -------------------------------------------------------------------------------

// Calls `on_element_end(path, text)` at the end of each element, with the names from the root
// down to it and the character data directly inside it.
using XmlElementEnd =
    std::function<void(const std::vector<std::string>& path, const std::string& text)>;

struct XmlContext {
  XML_Parser parser = nullptr;
  std::vector<std::string> path;
  std::vector<std::string> text;
  const XmlElementEnd* on_end = nullptr;
  std::string failure;
};

void Fail(XmlContext& context, std::string why) {
  if (context.failure.empty()) context.failure = std::move(why);
  XML_StopParser(context.parser, XML_FALSE);
}

void OnXmlStart(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto& context = *static_cast<XmlContext*>(data);
  if (static_cast<int>(context.path.size()) >= kMaxXmlDepth)
    return Fail(context, "nested too deeply");
  context.path.emplace_back(name);
  context.text.emplace_back();
}

void OnXmlEnd(void* data, const XML_Char* /*name*/) {
  auto& context = *static_cast<XmlContext*>(data);
  // Expat may still report the end of an empty element after a start handler stopped it.
  if (!context.failure.empty() || context.path.empty()) return;
  (*context.on_end)(context.path, context.text.back());
  context.path.pop_back();
  context.text.pop_back();
}

void OnXmlText(void* data, const XML_Char* text, int length) {
  auto& context = *static_cast<XmlContext*>(data);
  if (!context.text.empty()) context.text.back().append(text, static_cast<size_t>(length));
}

// Entity definitions could expand without bound: a document with any DTD is refused.
void OnXmlDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  Fail(*static_cast<XmlContext*>(data), "a document type declaration is not accepted");
}

// Parses `xml`; a description of what is wrong with it, or "" when it parsed.
std::string ParseXml(std::string_view xml, const XmlElementEnd& on_element_end) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), &XML_ParserFree);
  if (!parser) return "cannot create an XML parser";
  XmlContext context;
  context.parser = parser.get();
  context.on_end = &on_element_end;
  XML_SetUserData(parser.get(), &context);
  XML_SetElementHandler(parser.get(), &OnXmlStart, &OnXmlEnd);
  XML_SetCharacterDataHandler(parser.get(), &OnXmlText);
  XML_SetStartDoctypeDeclHandler(parser.get(), &OnXmlDoctype);
  if (xml.size() > kMaxAnswerBytes) return "the document is too large";
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    if (!context.failure.empty()) return context.failure;
    return std::string("line ") + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
           XML_ErrorString(XML_GetErrorCode(parser.get()));
  }
  return context.failure;
}

struct S3Error {
  std::string code;
  std::string message;
};

// The <Error><Code/><Message/></Error> document of a refusal; empty fields when the body is not
// one (a proxy's HTML page, nothing at all).
S3Error ParseS3Error(std::string_view body) {
  S3Error error;
  XmlElementEnd collect = [&error](const std::vector<std::string>& path, const std::string& text) {
    if (path.size() != 2 || path[0] != "Error") return;
    if (path[1] == "Code") error.code = text;
    if (path[1] == "Message") error.message = text;
  };
  if (body.empty() || !ParseXml(body, collect).empty()) return S3Error{};
  return error;
}

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

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() { ::close(fd_); }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
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
  if (transfer.body.size() + bytes > kMaxAnswerBytes) {
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
                                               std::to_string(kMaxAnswerBytes) + " bytes");
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

// Collects a ListObjectsV2 page from the ends of its elements.
struct ListingReader {
  ListPage page;
  OffsiteObject pending;
  bool has_key = false;
  bool has_size = false;
  std::string problem;

  void ElementEnd(const std::vector<std::string>& path, const std::string& text) {
    if (path.size() == 1 && path[0] != "ListBucketResult") problem = "not a ListBucketResult";
    if (path.size() == 2) PageElement(path[1], text);
    if (path.size() == 3 && path[1] == "Contents") ContentsElement(path[2], text);
  }

  void PageElement(const std::string& name, const std::string& text) {
    if (name == "IsTruncated") page.truncated = text == "true";
    if (name == "NextContinuationToken") page.next_continuation_token = text;
    if (name != "Contents") return;
    if (!has_key || !has_size) problem = "an entry without a key or a valid size";
    page.objects.push_back(std::move(pending));
    pending = OffsiteObject{};
    has_key = has_size = false;
  }

  void ContentsElement(const std::string& name, const std::string& text) {
    if (name == "Key") {
      pending.name = text;
      has_key = true;
    }
    if (name == "Size") {
      auto size = ParseDecimalInt(text, 0, INT64_MAX);
      if (size) pending.size_bytes = static_cast<uint64_t>(*size);
      has_size = size.has_value();
    }
  }
};

// ---- Credentials file --------------------------------------------------------------------------

Status ParseCredentialLine(std::string_view line, size_t number, const std::string& path,
                           S3Credentials& credentials) {
  auto malformed = [&](const std::string& why) {
    return Status(Reason::kKeyFileMalformed,
                  "credentials file " + path + " line " + std::to_string(number) + ": " + why);
  };
  size_t equals = line.find('=');
  if (equals == std::string_view::npos) return malformed("expected NAME = VALUE");
  std::string_view name = Trim(line.substr(0, equals));
  std::string_view value = Trim(line.substr(equals + 1));
  std::string* field = nullptr;
  if (name == "access-key-id") field = &credentials.access_key_id;
  if (name == "secret-access-key") field = &credentials.secret_access_key;
  if (field == nullptr) {
    return malformed("unknown setting (expected access-key-id or secret-access-key)");
  }
  if (!field->empty()) return malformed("the setting is given twice");
  if (!IsToken(value)) return malformed("the value must be printable ASCII without spaces");
  field->assign(value);
  return Status::Ok();
}

Result<S3Credentials> ParseCredentials(std::string_view text, const std::string& path) {
  S3Credentials credentials;
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    CASECOORD_RETURN_IF_ERROR(ParseCredentialLine(line, number, path, credentials));
  }
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status(
        Reason::kKeyFileMalformed,
        "credentials file " + path + " must set both access-key-id and secret-access-key");
  }
  return credentials;
}

}  // namespace

S3Credentials::~S3Credentials() { Wipe(secret_access_key); }

Result<S3Credentials> LoadS3Credentials(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(Reason::kKeyFileUnreadable,
                  "cannot open credentials file " + path + ": " + std::strerror(errno));
  }
  FdCloser closer(fd);
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status(Reason::kKeyFileUnreadable,
                  "credentials file " + path + " is not a regular file");
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status(Reason::kKeyFilePermissions, "credentials file " + path +
                                                   " is accessible by group or others; run: "
                                                   "chmod 600 " +
                                                   path);
  }
  std::string text(kMaxCredentialsFileBytes + 1, '\0');
  size_t used = 0;
  while (used < text.size()) {
    ssize_t got = ::read(fd, text.data() + used, text.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      Wipe(text);
      return Status(Reason::kKeyFileUnreadable, "cannot read credentials file " + path);
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  if (used > kMaxCredentialsFileBytes) {
    Wipe(text);
    return Status(Reason::kKeyFileMalformed, "credentials file " + path + " is over 4 KiB");
  }
  auto credentials = ParseCredentials(std::string_view(text.data(), used), path);
  Wipe(text);
  return credentials;
}

std::string UriEncode(std::string_view text, bool encode_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0xf]);
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, true), UriEncode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

SigV4Signature SignV4(const SigV4Request& request, const S3Credentials& credentials,
                      std::string_view region, std::string_view service,
                      std::string_view amz_date) {
  // Header names sorted; values of a repeated header joined with ',' in the order given.
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto [it, inserted] = headers.emplace(Lowercase(name), NormalizeHeaderValue(value));
    if (!inserted) it->second += "," + NormalizeHeaderValue(value);
  }
  SigV4Signature out;
  std::string canonical_headers;
  for (const auto& [name, value] : headers) {
    canonical_headers.append(name).append(":").append(value).append("\n");
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  out.canonical_request = request.method + "\n" + request.canonical_uri + "\n" +
                          CanonicalQuery(request.query) + "\n" + canonical_headers + "\n" +
                          out.signed_headers + "\n" + request.payload_sha256;
  const std::string date(amz_date.substr(0, 8));
  const std::string scope =
      date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
  out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" +
                       Sha256Hex(out.canonical_request);

  std::string key = "AWS4" + credentials.secret_access_key;
  for (std::string_view part :
       {std::string_view(date), region, service, std::string_view("aws4_request")}) {
    std::string next = HmacSha256(key, part);
    Wipe(key);
    key = std::move(next);
  }
  std::string mac = HmacSha256(key, out.string_to_sign);
  Wipe(key);
  out.signature = LowerHex(mac);
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" + scope +
                      ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;
  return out;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  ListingReader reader;
  XmlElementEnd collect = [&reader](const std::vector<std::string>& path, const std::string& text) {
    reader.ElementEnd(path, text);
  };
  std::string error = ParseXml(xml, collect);
  if (error.empty()) error = reader.problem;
  if (error.empty() && reader.page.truncated && reader.page.next_continuation_token.empty()) {
    error = "a truncated page without a continuation token";
  }
  if (!error.empty()) {
    return Status(Reason::kOffsiteRefused, "unreadable object listing: " + Sanitized(error));
  }
  return std::move(reader.page);
}

std::unique_ptr<OffsiteStore> NewS3Store(S3Location location, S3Credentials credentials) {
  return std::make_unique<S3Store>(std::move(location), std::move(credentials));
}

}  // namespace casecoord::backup
