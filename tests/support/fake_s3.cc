#include "tests/support/fake_s3.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

namespace casecoord::testing {
namespace {

constexpr long kMaxSkewSeconds = 15L * 60;
constexpr std::string_view kTokenMarker = "page+/=";  // makes a client encode its token

// ---- The fake's own SigV4 primitives (EVP_Q_*; not services/backup's code) ---------------------

std::string ToHex(std::string_view bytes) {
  std::string out;
  for (unsigned char byte : bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int high = nibble(hex[i]);
    int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

std::string Digest(const char* algorithm, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t size = 0;
  if (EVP_Q_digest(nullptr, algorithm, nullptr, data.data(), data.size(), out, &size) != 1) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string Mac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t size = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof(out),
                &size) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<char*>(out), size);
}

// RFC 3986 unreserved characters stay; everything else is %XX (upper case).
std::string Encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kDigits[] = "0123456789ABCDEF";
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::optional<std::string> Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    std::string pair(text.substr(i + 1, 2));
    std::transform(pair.begin(), pair.end(), pair.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto byte = FromHex(pair);
    if (!byte) return std::nullopt;
    out += *byte;
    i += 2;
  }
  return out;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string CollapseSpaces(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// ---- Requests and answers ----------------------------------------------------------------------

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error_code;
};

Reply ErrorReply(int status, std::string code, std::string_view message) {
  Reply reply;
  reply.status = status;
  reply.content_type = "application/xml";
  reply.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code +
               "</Code><Message>" + XmlEscape(message) +
               "</Message><RequestId>FAKES3</RequestId></Error>";
  reply.error_code = std::move(code);
  return reply;
}

struct Parsed {
  std::string path;                                        // decoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded
};

std::optional<Parsed> ParseTarget(const std::string& target) {
  size_t mark = target.find('?');
  auto path = Decode(std::string_view(target).substr(0, mark));
  if (!path) return std::nullopt;
  Parsed parsed{*path, {}};
  if (mark == std::string::npos || mark + 1 == target.size()) return parsed;
  for (const auto& part : Split(std::string_view(target).substr(mark + 1), '&')) {
    size_t equals = part.find('=');
    auto name = Decode(part.substr(0, equals));
    auto value = Decode(equals == std::string::npos ? "" : part.substr(equals + 1));
    if (!name || !value) return std::nullopt;
    parsed.query.emplace_back(*name, *value);
  }
  return parsed;
}

std::optional<std::string> QueryValue(const Parsed& parsed, std::string_view name) {
  for (const auto& [key, value] : parsed.query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<std::time_t> ParseAmzDate(const std::string& text) {
  std::tm parts{};
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  const char* end = strptime(text.c_str(), "%Y%m%dT%H%M%SZ", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return timegm(&parts);
}

struct Authorization {
  std::string access_key_id;
  std::string date;
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signature;
};

std::optional<Authorization> ParseAuthorization(const std::string& header) {
  const std::string algorithm = "AWS4-HMAC-SHA256 ";
  if (header.compare(0, algorithm.size(), algorithm) != 0) return std::nullopt;
  Authorization parsed;
  for (std::string part : Split(std::string_view(header).substr(algorithm.size()), ',')) {
    part.erase(0, part.find_first_not_of(' '));
    size_t equals = part.find('=');
    if (equals == std::string::npos) return std::nullopt;
    std::string name = part.substr(0, equals);
    std::string value = part.substr(equals + 1);
    if (name == "Credential") {
      auto scope = Split(value, '/');
      if (scope.size() != 5 || scope[4] != "aws4_request") return std::nullopt;
      parsed.access_key_id = scope[0];
      parsed.date = scope[1];
      parsed.region = scope[2];
      parsed.service = scope[3];
    } else if (name == "SignedHeaders") {
      parsed.signed_headers = Split(value, ';');
    } else if (name == "Signature") {
      parsed.signature = value;
    }
  }
  if (parsed.access_key_id.empty() || parsed.signed_headers.empty() || parsed.signature.empty()) {
    return std::nullopt;
  }
  return parsed;
}

}  // namespace

class FakeS3::Impl {
 public:
  explicit Impl(const FakeS3Options& options)
      : options(options), max_keys_per_page(options.max_keys_per_page) {}

  void Handle(const httplib::Request& request, httplib::Response& response);

  const FakeS3Options options;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listener_returned{false};

  mutable std::mutex mutex;
  std::map<std::string, FakeS3Object> objects;
  std::vector<FakeS3Request> log;
  int requests_before_failures = 0;
  int failures_to_inject = 0;
  std::chrono::seconds clock_offset{0};
  size_t max_keys_per_page;

 private:
  Reply Dispatch(const httplib::Request& request, const Parsed& parsed, std::string& key);
  std::optional<Reply> Authenticate(const httplib::Request& request, const Parsed& parsed);
  std::optional<Reply> CheckPayload(const httplib::Request& request);
  std::string CanonicalRequest(const httplib::Request& request, const Parsed& parsed,
                               const Authorization& authorization) const;
  Reply ObjectRequest(const httplib::Request& request, const std::string& key);
  Reply ListObjects(const Parsed& parsed);
};

std::optional<Reply> FakeS3::Impl::CheckPayload(const httplib::Request& request) {
  const std::string claimed = request.get_header_value("x-amz-content-sha256");
  if (claimed.empty()) {
    return ErrorReply(400, "InvalidRequest", "Missing required header x-amz-content-sha256");
  }
  if (claimed == "UNSIGNED-PAYLOAD" || claimed.rfind("STREAMING-", 0) == 0) {
    return ErrorReply(400, "InvalidRequest", "This fake requires the payload's real SHA-256");
  }
  if (claimed != ToHex(Digest("SHA256", request.body))) {
    return ErrorReply(400, "XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not match what was "
                      "computed.");
  }
  return std::nullopt;
}

std::string FakeS3::Impl::CanonicalRequest(const httplib::Request& request, const Parsed& parsed,
                                           const Authorization& authorization) const {
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [name, value] : parsed.query) {
    query.emplace_back(Encode(name, false), Encode(value, false));
  }
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [name, value] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    canonical_query.append(name).append("=").append(value);
  }
  std::string canonical_headers;
  for (const auto& name : authorization.signed_headers) {
    std::string values;
    auto range = request.headers.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) {
      values += (values.empty() ? "" : ",") + CollapseSpaces(it->second);
    }
    canonical_headers.append(name).append(":").append(values).append("\n");
  }
  std::string signed_list;
  for (const auto& name : authorization.signed_headers) {
    signed_list += (signed_list.empty() ? "" : ";") + name;
  }
  return request.method + "\n" + Encode(parsed.path, true) + "\n" + canonical_query + "\n" +
         canonical_headers + "\n" + signed_list + "\n" +
         request.get_header_value("x-amz-content-sha256");
}

std::optional<Reply> FakeS3::Impl::Authenticate(const httplib::Request& request,
                                                const Parsed& parsed) {
  auto authorization = ParseAuthorization(request.get_header_value("Authorization"));
  if (!authorization) return ErrorReply(403, "AccessDenied", "Missing or malformed Authorization");
  if (authorization->access_key_id != options.access_key_id) {
    return ErrorReply(403, "InvalidAccessKeyId", "The AWS Access Key Id does not exist");
  }
  if (authorization->region != options.region || authorization->service != "s3") {
    return ErrorReply(400, "AuthorizationHeaderMalformed", "Wrong region or service in scope");
  }
  const std::string amz_date = request.get_header_value("x-amz-date");
  auto when = ParseAmzDate(amz_date);
  if (!when || authorization->date != amz_date.substr(0, 8)) {
    return ErrorReply(403, "AccessDenied", "Missing or malformed x-amz-date");
  }
  const std::time_t now = std::time(nullptr) + clock_offset.count();
  if (std::labs(static_cast<long>(now - *when)) > kMaxSkewSeconds) {
    return ErrorReply(403, "RequestTimeTooSkewed",
                      "The difference between the request time and the current time is too "
                      "large.");
  }
  std::set<std::string> signed_names(authorization->signed_headers.begin(),
                                     authorization->signed_headers.end());
  for (const auto& [name, value] : request.headers) {
    const std::string lower = Lower(name);
    if ((lower.rfind("x-amz-", 0) == 0 || lower == "host") && signed_names.count(lower) == 0) {
      return ErrorReply(403, "AccessDenied",
                        "There were headers present in the request which were not signed");
    }
  }
  if (auto refused = CheckPayload(request)) return refused;

  const std::string scope = authorization->date + "/" + options.region + "/s3/aws4_request";
  const std::string string_to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" +
      ToHex(Digest("SHA256", CanonicalRequest(request, parsed, *authorization)));
  std::string key = Mac("AWS4" + options.secret_access_key, authorization->date);
  key = Mac(key, options.region);
  key = Mac(key, "s3");
  key = Mac(key, "aws4_request");
  const std::string expected = ToHex(Mac(key, string_to_sign));
  if (expected.size() != authorization->signature.size() ||
      CRYPTO_memcmp(expected.data(), authorization->signature.data(), expected.size()) != 0) {
    return ErrorReply(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your key and signing method.");
  }
  return std::nullopt;
}

Reply FakeS3::Impl::ObjectRequest(const httplib::Request& request, const std::string& key) {
  Reply reply;
  if (request.method == "PUT") {
    FakeS3Object object{request.body, {}};
    for (const auto& [name, value] : request.headers) {
      std::string lower = Lower(name);
      if (lower.rfind("x-amz-meta-", 0) == 0) object.metadata[lower] = value;
    }
    reply.headers.emplace_back("ETag", "\"" + ToHex(Digest("MD5", request.body)) + "\"");
    objects[key] = std::move(object);
    return reply;
  }
  if (request.method == "DELETE") {
    objects.erase(key);
    reply.status = 204;
    return reply;
  }
  auto found = objects.find(key);
  if (found == objects.end()) {
    return ErrorReply(404, "NoSuchKey", "The specified key does not exist.");
  }
  reply.body = found->second.bytes;
  reply.content_type = "application/octet-stream";
  reply.headers.emplace_back("ETag", "\"" + ToHex(Digest("MD5", reply.body)) + "\"");
  for (const auto& header : found->second.metadata) reply.headers.push_back(header);
  return reply;
}

Reply FakeS3::Impl::ListObjects(const Parsed& parsed) {
  if (QueryValue(parsed, "list-type") != "2") {
    return ErrorReply(400, "InvalidArgument", "This fake serves ListObjectsV2 only");
  }
  const std::string prefix = QueryValue(parsed, "prefix").value_or("");
  size_t max_keys = max_keys_per_page;
  if (auto asked = QueryValue(parsed, "max-keys")) {
    char* end = nullptr;
    unsigned long value = std::strtoul(asked->c_str(), &end, 10);
    if (asked->empty() || *end != '\0') return ErrorReply(400, "InvalidArgument", "max-keys");
    max_keys = std::min<size_t>(max_keys, value);
  }
  std::string after;
  const auto token = QueryValue(parsed, "continuation-token");
  if (token) {
    auto last = token->rfind(kTokenMarker, 0) == 0
                    ? FromHex(std::string_view(*token).substr(kTokenMarker.size()))
                    : std::nullopt;
    if (!last) return ErrorReply(400, "InvalidArgument", "The continuation token is not valid.");
    after = *last;
  }
  std::string contents;
  size_t count = 0;
  std::string last_key;
  bool truncated = false;
  for (auto it = token ? objects.upper_bound(after) : objects.lower_bound(prefix);
       it != objects.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (count == max_keys) {
      truncated = true;
      break;
    }
    contents += "<Contents><Key>" + XmlEscape(it->first) +
                "</Key><LastModified>2024-05-24T00:00:00.000Z</LastModified><ETag>&quot;" +
                ToHex(Digest("MD5", it->second.bytes)) + "&quot;</ETag><Size>" +
                std::to_string(it->second.bytes.size()) +
                "</Size><StorageClass>STANDARD</StorageClass></Contents>";
    last_key = it->first;
    ++count;
  }
  Reply reply;
  reply.content_type = "application/xml";
  reply.body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
      XmlEscape(options.bucket) + "</Name><Prefix>" + XmlEscape(prefix) + "</Prefix><KeyCount>" +
      std::to_string(count) + "</KeyCount><MaxKeys>" + std::to_string(max_keys) +
      "</MaxKeys><IsTruncated>" + (truncated ? "true" : "false") + "</IsTruncated>" +
      (token ? "<ContinuationToken>" + XmlEscape(*token) + "</ContinuationToken>" : "") +
      (truncated ? "<NextContinuationToken>" + XmlEscape(std::string(kTokenMarker)) +
                       ToHex(last_key) + "</NextContinuationToken>"
                 : "") +
      contents + "</ListBucketResult>";
  return reply;
}

Reply FakeS3::Impl::Dispatch(const httplib::Request& request, const Parsed& parsed,
                             std::string& key) {
  if (requests_before_failures > 0) {
    --requests_before_failures;
  } else if (failures_to_inject > 0) {
    --failures_to_inject;
    return ErrorReply(500, "InternalError", "We encountered an internal error. Please try again.");
  }
  const std::string bucket_path = "/" + options.bucket;
  if (parsed.path.compare(0, bucket_path.size(), bucket_path) != 0 ||
      (parsed.path.size() > bucket_path.size() && parsed.path[bucket_path.size()] != '/')) {
    return ErrorReply(404, "NoSuchBucket", "The specified bucket does not exist");
  }
  key =
      parsed.path.size() > bucket_path.size() + 1 ? parsed.path.substr(bucket_path.size() + 1) : "";
  if (auto refused = Authenticate(request, parsed)) return *refused;
  if (!key.empty()) return ObjectRequest(request, key);
  if (request.method == "GET") return ListObjects(parsed);
  return ErrorReply(405, "MethodNotAllowed", "The specified method is not allowed");
}

void FakeS3::Impl::Handle(const httplib::Request& request, httplib::Response& response) {
  FakeS3Request entry;
  entry.method = request.method;
  size_t mark = request.target.find('?');
  entry.query = mark == std::string::npos ? "" : request.target.substr(mark + 1);
  Reply reply;
  std::lock_guard<std::mutex> lock(mutex);
  auto parsed = ParseTarget(request.target);
  if (!parsed) {
    reply = ErrorReply(400, "InvalidURI", "Couldn't parse the specified URI.");
  } else {
    reply = Dispatch(request, *parsed, entry.key);
  }
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) response.set_header(name, value);
  if (!reply.body.empty() || !reply.content_type.empty()) {
    response.set_content(
        reply.body, reply.content_type.empty() ? "application/octet-stream" : reply.content_type);
  }
  entry.status = reply.status;
  entry.error_code = reply.error_code;
  log.push_back(std::move(entry));
}

FakeS3::FakeS3(FakeS3Options options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

std::unique_ptr<FakeS3> FakeS3::Start(FakeS3Options options) {
  std::unique_ptr<FakeS3> fake(new FakeS3(std::move(options)));
  Impl* impl = fake->impl_.get();
  auto handler = [impl](const httplib::Request& request, httplib::Response& response) {
    impl->Handle(request, response);
  };
  impl->server.Get(".*", handler);
  impl->server.Put(".*", handler);
  impl->server.Delete(".*", handler);
  // Headers and body go out in separate writes: without this, Nagle's algorithm and the client's
  // delayed ACK add 40 ms to each answer.
  impl->server.set_tcp_nodelay(true);
  fake->port_ = impl->server.bind_to_any_port("127.0.0.1");
  if (fake->port_ <= 0) {
    ADD_FAILURE() << "fake S3: cannot bind a port on 127.0.0.1";
    return nullptr;
  }
  impl->thread = std::thread([impl] {
    impl->server.listen_after_bind();
    impl->listener_returned = true;
  });
  // Clients could connect already (the socket listens, so they would wait in the backlog), but
  // httplib's stop() does nothing before the accept loop has started: wait for it, so that the
  // destructor cannot miss it.
  while (!impl->server.is_running() && !impl->listener_returned) std::this_thread::yield();
  return fake;
}

FakeS3::~FakeS3() {
  if (impl_->thread.joinable()) {
    impl_->server.stop();
    impl_->thread.join();
  }
}

std::string FakeS3::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeS3::WriteCredentialsFile(const std::string& path,
                                  const std::optional<std::string>& secret) const {
  const std::string text = "# fake S3 test credentials\naccess-key-id = " + options_.access_key_id +
                           "\nsecret-access-key = " + secret.value_or(options_.secret_access_key) +
                           "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

std::vector<FakeS3Request> FakeS3::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->log;
}

void FakeS3::ClearRequests() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->log.clear();
}

size_t FakeS3::CountRefusals(std::string_view code) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return static_cast<size_t>(std::count_if(impl_->log.begin(), impl_->log.end(),
                                           [code](const auto& r) { return r.error_code == code; }));
}

void FakeS3::FailNextRequests(int count, int after) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->requests_before_failures = after;
  impl_->failures_to_inject = count;
}

void FakeS3::StoreObject(const std::string& key, std::string bytes) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->objects[key] = FakeS3Object{std::move(bytes), {}};
}

void FakeS3::SetClockOffset(std::chrono::seconds offset) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->clock_offset = offset;
}

void FakeS3::SetMaxKeysPerPage(size_t max_keys) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->max_keys_per_page = max_keys;
}

std::map<std::string, FakeS3Object> FakeS3::objects() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->objects;
}

std::optional<FakeS3Object> FakeS3::object(const std::string& key) const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto found = impl_->objects.find(key);
  if (found == impl_->objects.end()) return std::nullopt;
  return found->second;
}

bool FakeS3::CorruptObject(const std::string& key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  auto found = impl_->objects.find(key);
  if (found == impl_->objects.end()) return false;
  std::string& bytes = found->second.bytes;
  if (bytes.empty()) {
    bytes = "x";
  } else {
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  }
  return true;
}

}  // namespace casecoord::testing
