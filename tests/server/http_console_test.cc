// The web console's files over the HTTP listener: served from memory, gzip-compressed once for
// clients that accept it, cached for a year when content-hashed, and nothing outside the console
// directory reachable.
#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "tests/support/connect_client.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using http_testing::ExpectSecurityHeaders;
using http_testing::HttpAnswer;

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return "";
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return result == Z_STREAM_END ? out : "";
}

class HttpConsoleTest : public ::testing::Test {
 protected:
  static testing::TestServerOptions Options(const std::string& console_dir) {
    testing::TestServerOptions options;
    options.http = true;
    options.console_dir = console_dir;
    return options;
  }

  HttpConsoleTest() : server_(Options(PrepareConsole(dir_))) {}

  static std::string PrepareConsole(const testing::TempDir& dir) {
    WriteFile(dir.Sub("console/index.html"), "<!doctype html><title>console</title>");
    std::string script;
    for (int i = 0; i < 400; ++i) script += "export const line" + std::to_string(i) + " = 1;\n";
    WriteFile(dir.Sub("console/assets/main-ABC123.js"), script);
    WriteFile(dir.Sub("secret.txt"), "outside the console");
    return dir.Sub("console");
  }

  HttpAnswer Fetch(const std::string& path, const std::string& accept_encoding) {
    auto client = server_.HttpClientWithoutCertificate();
    client->set_decompress(false);
    httplib::Headers headers;
    if (!accept_encoding.empty()) headers.emplace("Accept-Encoding", accept_encoding);
    auto result = client->Get(path, headers);
    HttpAnswer answer;
    if (!result) return answer;
    answer.status = result->status;
    answer.body = result->body;
    answer.content_type = result->get_header_value("Content-Type");
    answer.headers = result->headers;
    return answer;
  }

  static std::string Header(const HttpAnswer& answer, const std::string& name) {
    auto found = answer.headers.find(name);
    return found == answer.headers.end() ? "" : found->second;
  }

  testing::TempDir dir_;
  testing::TestServer server_;
};

TEST_F(HttpConsoleTest, TheIndexIsRevalidatedAndHashedAssetsAreCachedForAYear) {
  const HttpAnswer index = Fetch("/", "");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>console</title>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(index, "Cache-Control"), "no-cache");
  ExpectSecurityHeaders(index, /*api=*/false);

  const HttpAnswer script = Fetch("/assets/main-ABC123.js", "");
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(script, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(script, "Content-Encoding"), "");
  ExpectSecurityHeaders(script, /*api=*/false);
}

TEST_F(HttpConsoleTest, GzipIsServedPrecompressedAndNoOtherCodingIsApplied) {
  const HttpAnswer plain = Fetch("/assets/main-ABC123.js", "");
  ASSERT_EQ(plain.status, 200);

  const HttpAnswer gzipped = Fetch("/assets/main-ABC123.js", "gzip, deflate, br");
  ASSERT_EQ(gzipped.status, 200);
  EXPECT_EQ(Header(gzipped, "Content-Encoding"), "gzip");
  EXPECT_EQ(Header(gzipped, "Vary"), "Accept-Encoding");
  EXPECT_LT(gzipped.body.size(), plain.body.size() / 4);
  EXPECT_EQ(Gunzip(gzipped.body), plain.body);

  // A browser offering only brotli, or refusing gzip, gets the file as it is.
  for (const char* offer : {"br", "gzip;q=0, br", "identity"}) {
    const HttpAnswer answer = Fetch("/assets/main-ABC123.js", offer);
    EXPECT_EQ(Header(answer, "Content-Encoding"), "") << offer;
    EXPECT_EQ(answer.body, plain.body) << offer;
  }
  EXPECT_EQ(Header(Fetch("/assets/main-ABC123.js", "br;q=1, gzip;q=0.5"), "Content-Encoding"),
            "gzip");
}

TEST_F(HttpConsoleTest, NothingOutsideTheConsoleIsReachableAndApiPathsAreNotShadowed) {
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                           "/assets//main-ABC123.js", "/no-such-file.js", "/assets/"}) {
    const HttpAnswer answer = Fetch(path, "");
    EXPECT_EQ(answer.status, 404) << path;
    EXPECT_EQ(answer.body.find("outside the console"), std::string::npos) << path;
  }
  EXPECT_EQ(Fetch("/healthz", "").body, "ok\n");
  EXPECT_EQ(Fetch("/casecoord.v1.Cases/GetCase", "").status, 405);
}

}  // namespace
}  // namespace casecoord
