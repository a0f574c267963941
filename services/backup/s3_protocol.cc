// The parts of the S3 client that need no network (s3_store.h): AWS Signature Version 4, the
// XML answers (expat), the credentials file, and the text helpers the transport shares.
#include "services/backup/s3_protocol.h"

#include <expat.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

#include "services/backup/local_files.h"
#include "services/backup/s3_store.h"
#include "services/common/text.h"

namespace casecoord::backup {
namespace {

constexpr size_t kMaxCredentialsFileBytes = 4096;
constexpr int kMaxXmlDepth = 16;
constexpr size_t kMaxMessageChars = 300;

// Raw HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
  return std::string(reinterpret_cast<const char*>(mac.data()), size);
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

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

// Printable ASCII without spaces: what may go into a header without changing its meaning.
bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
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
  if (xml.size() > kMaxS3AnswerBytes) return "the document is too large";
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    if (!context.failure.empty()) return context.failure;
    return std::string("line ") + std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
           XML_ErrorString(XML_GetErrorCode(parser.get()));
  }
  return context.failure;
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

void Wipe(std::string& secret) { OPENSSL_cleanse(secret.data(), secret.size()); }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), AsciiLower);
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (AsciiLower(text[i]) != AsciiLower(prefix[i])) return false;
  }
  return true;
}

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

}  // namespace casecoord::backup
