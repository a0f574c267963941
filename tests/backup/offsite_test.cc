#include "services/backup/offsite.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "services/backup/s3_store.h"
#include "services/storage/backup.h"
#include "services/storage/storage.h"
#include "tests/support/fake_s3.h"
#include "tests/support/temp_dir.h"

namespace casecoord::backup {
namespace {

namespace fs = std::filesystem;
using testing::FakeS3;
using testing::TempDir;

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

void WriteFile(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// Every regular file under `dir`, relative name -> bytes.
std::map<std::string, std::string> FilesUnder(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& name : testing::ListFiles(dir)) files[name] = ReadFile(fs::path(dir) / name);
  return files;
}

bool IsMeta(const std::string& name) { return name.rfind("meta/", 0) == 0; }

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// ---- AWS Signature Version 4 against AWS's published examples ---------------------------------

// The examples of "Signature Calculations for the Authorization Header: Transferring Payload in a
// Single Chunk" (Amazon S3 API reference, sig-v4-header-based-auth.html): bucket examplebucket,
// us-east-1, 2013-05-24T00:00:00Z, the documentation's example key pair.
const S3Credentials kS3ExampleKeys("AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

TEST(SigV4Test, MatchesAwsS3GetObjectExample) {
  SigV4Request request;
  request.method = "GET";
  request.canonical_uri = "/test.txt";
  request.payload_sha256 = kEmptySha256;
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Range", "bytes=0-9"},
                     {"x-amz-content-sha256", kEmptySha256},
                     {"x-amz-date", "20130524T000000Z"}};
  SigV4Signature signed_request =
      SignV4(request, kS3ExampleKeys, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:" +
                kEmptySha256 + "\nx-amz-date:20130524T000000Z\n\n" +
                "host;range;x-amz-content-sha256;x-amz-date\n" + kEmptySha256);
  EXPECT_EQ(signed_request.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signed_request.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(signed_request.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, MatchesAwsS3PutObjectExampleWithAnEncodedKeyAndARealPayloadHash) {
  const std::string payload = "Welcome to Amazon S3.";
  ASSERT_EQ(Sha256Hex(payload), "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  SigV4Request request;
  request.method = "PUT";
  request.canonical_uri = "/" + UriEncode("test$file.text", false);
  request.payload_sha256 = Sha256Hex(payload);
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                     {"x-amz-content-sha256", Sha256Hex(payload)}};
  SigV4Signature signed_request =
      SignV4(request, kS3ExampleKeys, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_TRUE(StartsWith(signed_request.canonical_request, "PUT\n/test%24file.text\n\n"))
      << signed_request.canonical_request;
  EXPECT_EQ(signed_request.string_to_sign.substr(signed_request.string_to_sign.rfind('\n') + 1),
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(signed_request.signed_headers,
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(signed_request.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, MatchesAwsS3ListObjectsExampleWithAQuery) {
  SigV4Request request;
  request.method = "GET";
  request.canonical_uri = "/";
  request.query = {{"prefix", "J"}, {"max-keys", "2"}};  // sorted by the signer
  request.payload_sha256 = kEmptySha256;
  request.headers = {{"host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-content-sha256", kEmptySha256},
                     {"x-amz-date", "20130524T000000Z"}};
  SigV4Signature signed_request =
      SignV4(request, kS3ExampleKeys, "us-east-1", "s3", "20130524T000000Z");
  EXPECT_TRUE(StartsWith(signed_request.canonical_request, "GET\n/\nmax-keys=2&prefix=J\n"))
      << signed_request.canonical_request;
  EXPECT_EQ(signed_request.signature,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// "get-vanilla" of the AWS Signature Version 4 test suite: service "service", 2015-08-30T12:36:00Z,
// the suite's example key pair, no payload header.
TEST(SigV4Test, MatchesAwsTestSuiteGetVanilla) {
  SigV4Request request;
  request.method = "GET";
  request.canonical_uri = "/";
  request.payload_sha256 = kEmptySha256;
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  SigV4Signature signed_request =
      SignV4(request, S3Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
             "us-east-1", "service", "20150830T123600Z");
  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                kEmptySha256);
  EXPECT_EQ(signed_request.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, UriEncodeKeepsOnlyUnreservedCharactersAndOptionallySlashes) {
  EXPECT_EQ(UriEncode("notes/a file~1+2$=.txt", false), "notes/a%20file~1%2B2%24%3D.txt");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("相談", false), "%E7%9B%B8%E8%AB%87");
  EXPECT_EQ(CanonicalQuery({{"b", "x y"}, {"a", "/=+"}, {"a", ""}}), "a=&a=%2F%3D%2B&b=x%20y");
}

// ---- ListObjectsV2 answers ---------------------------------------------------------------------

TEST(ListObjectsTest, ReadsKeysSizesAndTheContinuationToken) {
  auto page = ParseListObjectsV2(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
      "<IsTruncated>true</IsTruncated><NextContinuationToken>1/a+b=</NextContinuationToken>"
      "<Contents><Key>p/a &amp; b</Key><Size>12</Size></Contents>"
      "<Contents><Key>p/meta/1</Key><Size>0</Size></Contents></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1/a+b=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].name, "p/a & b");
  EXPECT_EQ(page->objects[0].size_bytes, 12u);
  EXPECT_EQ(page->objects[1].name, "p/meta/1");
}

TEST(ListObjectsTest, RefusesWhatIsNotAListingWithoutThrowing) {
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
      "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><ListBucketResult><Contents><Key>&b;</Key>"
      "<Size>1</Size></Contents></ListBucketResult>";
  for (const std::string& xml :
       {std::string(""), std::string("<ListBucketResult><Contents><Key>x</Key>"),
        std::string("<Error><Code>AccessDenied</Code></Error>"), laughs,
        std::string("<ListBucketResult><Contents><Key>x</Key><Size>-1</Size></Contents>"
                    "</ListBucketResult>"),
        std::string("<ListBucketResult><Contents><Key>x</Key></Contents></ListBucketResult>"),
        std::string("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"),
        std::string(200, '<')}) {
    auto page = ParseListObjectsV2(xml);
    EXPECT_TRUE(page.status().Is(Reason::kOffsiteRefused)) << xml;
  }
}

// ---- The S3 store against the fake -------------------------------------------------------------

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = FakeS3::Start();
    ASSERT_NE(fake_, nullptr);
    fake_->WriteCredentialsFile(dir_.Sub("credentials"));
  }

  OffsiteSettings Settings(const std::string& prefix = "casecoord/prod") const {
    OffsiteSettings settings;
    settings.target = "s3://" + fake_->options().bucket + (prefix.empty() ? "" : "/" + prefix);
    settings.endpoint = fake_->endpoint();
    settings.region = fake_->options().region;
    settings.credentials_file = dir_.Sub("credentials");
    settings.timeout_ms = 5000;
    return settings;
  }

  std::unique_ptr<OffsiteStore> Open(const OffsiteSettings& settings) {
    auto store = OpenOffsiteStore(settings);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  size_t CountRequests(const std::string& method) const {
    auto log = fake_->requests();
    return static_cast<size_t>(
        std::count_if(log.begin(), log.end(), [&](const auto& r) { return r.method == method; }));
  }

  TempDir dir_;
  std::unique_ptr<FakeS3> fake_;
};

TEST_F(S3StoreTest, PutGetListDeleteRoundTripWithNamesThatNeedEncoding) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), "s3://casecoord-offsite/casecoord/prod at " + fake_->endpoint());
  const std::string odd_name = "notes/a file~1+(x)$.txt";
  WriteFile(dir_.Sub("one"), "first object bytes");
  WriteFile(dir_.Sub("empty"), "");
  ASSERT_TRUE(store->Put(odd_name, dir_.Sub("one")).ok());
  ASSERT_TRUE(store->Put("meta/1", dir_.Sub("empty")).ok());
  EXPECT_EQ(fake_->CountRefusals("SignatureDoesNotMatch"), 0u);

  auto stored = fake_->object("casecoord/prod/" + odd_name);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->bytes, "first object bytes");
  EXPECT_EQ(stored->metadata["x-amz-meta-content-sha256"], Sha256Hex("first object bytes"));

  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "meta/1");
  EXPECT_EQ((*listed)[0].size_bytes, 0u);
  EXPECT_EQ((*listed)[1].name, odd_name);
  EXPECT_EQ((*listed)[1].size_bytes, 18u);
  auto notes = store->List("notes/");
  ASSERT_TRUE(notes.ok());
  ASSERT_EQ(notes->size(), 1u);

  ASSERT_TRUE(store->Get(odd_name, dir_.Sub("back")).ok());
  EXPECT_EQ(ReadFile(dir_.Sub("back")), "first object bytes");
  ASSERT_TRUE(store->Get("meta/1", dir_.Sub("back-empty")).ok());
  EXPECT_TRUE(fs::exists(dir_.Sub("back-empty")));

  ASSERT_TRUE(store->Delete(odd_name).ok());
  EXPECT_FALSE(fake_->object("casecoord/prod/" + odd_name).has_value());
  EXPECT_TRUE(store->Delete(odd_name).ok());  // already gone

  Status missing = store->Get(odd_name, dir_.Sub("missing"));
  EXPECT_TRUE(missing.Is(Reason::kOffsiteObjectNotFound)) << missing.ToString();
  EXPECT_FALSE(fs::exists(dir_.Sub("missing")));
  EXPECT_EQ(testing::ListFiles(dir_.path()).size(), 5u);  // no staging file left behind
  EXPECT_EQ(fake_->CountRefusals("SignatureDoesNotMatch"), 0u);
}

TEST_F(S3StoreTest, AWrongSecretIsRefusedAndNeverAppearsInTheMessage) {
  const std::string wrong_secret = "wrongSecret/Key+0000000000000000000000000";
  fake_->WriteCredentialsFile(dir_.Sub("wrong"), wrong_secret);
  OffsiteSettings settings = Settings();
  settings.credentials_file = dir_.Sub("wrong");
  auto store = Open(settings);
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("file"), "bytes");

  Status put = store->Put("shared_checksum/1.sst", dir_.Sub("file"));
  EXPECT_TRUE(put.Is(Reason::kOffsiteRefused)) << put.ToString();
  EXPECT_NE(put.message().find("SignatureDoesNotMatch"), std::string::npos) << put.message();
  auto listed = store->List("");
  EXPECT_TRUE(listed.status().Is(Reason::kOffsiteRefused));
  EXPECT_EQ(fake_->CountRefusals("SignatureDoesNotMatch"), 2u);
  EXPECT_TRUE(fake_->objects().empty());
  for (const Status& status : {put, listed.status()}) {
    EXPECT_EQ(status.message().find(wrong_secret), std::string::npos);
    EXPECT_EQ(status.message().find("Signature="), std::string::npos);
    EXPECT_EQ(status.message().find("Authorization"), std::string::npos);
  }
}

TEST_F(S3StoreTest, AClosedPortIsUnavailable) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(listener);  // bound but never listening, then closed: connections are refused

  OffsiteSettings settings = Settings();
  settings.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  auto store = Open(settings);
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("file"), "bytes");
  Status put = store->Put("a", dir_.Sub("file"));
  EXPECT_TRUE(put.Is(Reason::kOffsiteUnavailable)) << put.ToString();
  EXPECT_TRUE(store->List("").status().Is(Reason::kOffsiteUnavailable));
}

TEST_F(S3StoreTest, AServerErrorIsUnavailableAndTheNextRequestSucceeds) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("file"), "bytes");
  fake_->FailNextRequests(1);
  Status put = store->Put("a", dir_.Sub("file"));
  EXPECT_TRUE(put.Is(Reason::kOffsiteUnavailable)) << put.ToString();
  EXPECT_NE(put.message().find("InternalError"), std::string::npos);
  EXPECT_TRUE(store->Put("a", dir_.Sub("file")).ok());
  EXPECT_TRUE(fake_->object("casecoord/prod/a").has_value());
}

TEST_F(S3StoreTest, AClockOffByMoreThanFifteenMinutesIsRefusedWithAHint) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  fake_->SetClockOffset(std::chrono::minutes(20));
  auto listed = store->List("");
  EXPECT_TRUE(listed.status().Is(Reason::kOffsiteRefused)) << listed.status().ToString();
  EXPECT_NE(listed.status().message().find("clock"), std::string::npos);
  EXPECT_EQ(fake_->CountRefusals("RequestTimeTooSkewed"), 1u);
  fake_->SetClockOffset(std::chrono::minutes(14));
  EXPECT_TRUE(store->List("").ok());
}

TEST_F(S3StoreTest, ACorruptedObjectIsDetectedAndLeavesNoFile) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("file"), "the original bytes of a table file");
  ASSERT_TRUE(store->Put("shared_checksum/7.sst", dir_.Sub("file")).ok());
  ASSERT_TRUE(fake_->CorruptObject("casecoord/prod/shared_checksum/7.sst"));
  Status get = store->Get("shared_checksum/7.sst", dir_.Sub("fetched"));
  EXPECT_TRUE(get.Is(Reason::kOffsiteCopyCorrupt)) << get.ToString();
  EXPECT_FALSE(fs::exists(dir_.Sub("fetched")));

  // An object stored by another tool has no recorded digest and is taken as it is.
  fake_->StoreObject("casecoord/prod/other", "from elsewhere");
  ASSERT_TRUE(store->Get("other", dir_.Sub("other")).ok());
  EXPECT_EQ(ReadFile(dir_.Sub("other")), "from elsewhere");
}

TEST_F(S3StoreTest, ListFollowsContinuationTokensAcrossPages) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  fake_->SetMaxKeysPerPage(3);
  WriteFile(dir_.Sub("file"), "x");
  std::vector<std::string> names;
  names.reserve(11);
  for (int i = 0; i < 10; ++i) names.push_back("shared_checksum/" + std::to_string(100 + i));
  names.emplace_back("meta/1");
  for (const auto& name : names) ASSERT_TRUE(store->Put(name, dir_.Sub("file")).ok());
  // Outside the store's prefix: never listed.
  fake_->StoreObject("casecoord/prodother/x", "y");
  fake_->StoreObject("elsewhere", "y");
  fake_->ClearRequests();

  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  std::vector<std::string> listed_names;
  for (const auto& object : *listed) listed_names.push_back(object.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(listed_names, names);
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 4u);  // 11 keys, 3 a page
  EXPECT_EQ(log[0].query.find("continuation-token"), std::string::npos);
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_NE(log[i].query.find("continuation-token=page%2B%2F%3D"), std::string::npos)
        << log[i].query;
  }
  EXPECT_EQ(fake_->CountRefusals("SignatureDoesNotMatch"), 0u);

  auto shared = store->List("shared_checksum/10");
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(shared->size(), 10u);
}

TEST_F(S3StoreTest, NamesThatCouldEscapeAreRefusedBeforeAnyRequest) {
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("file"), "x");
  for (const std::string name : {"", "/abs", "a//b", "../x", "a/./b", "a/..", "a\nb", "a/"}) {
    EXPECT_TRUE(store->Put(name, dir_.Sub("file")).Is(Reason::kInvalidField)) << name;
    EXPECT_TRUE(store->Get(name, dir_.Sub("out")).Is(Reason::kInvalidField)) << name;
    EXPECT_TRUE(store->Delete(name).Is(Reason::kInvalidField)) << name;
  }
  EXPECT_TRUE(fake_->requests().empty());
}

// The fake's own verification refuses what a lenient server would accept, so that the tests
// above prove the client right. Requests signed with the production signer, sent with httplib.
TEST_F(S3StoreTest, TheFakeRefusesTamperedUnsignedAndUnsignedHeaderRequests) {
  const S3Credentials keys(fake_->options().access_key_id, fake_->options().secret_access_key);
  const std::string host = "127.0.0.1:" + std::to_string(fake_->port());
  auto send_put = [&](const std::string& signed_body, const std::string& sent_body,
                      const std::string& payload_header, bool extra_unsigned_header) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char amz_date[17];
    std::strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &utc);
    SigV4Request request;
    request.method = "PUT";
    request.canonical_uri = "/" + fake_->options().bucket + "/k";
    request.payload_sha256 = payload_header.empty() ? Sha256Hex(signed_body) : payload_header;
    request.headers = {
        {"host", host}, {"x-amz-content-sha256", request.payload_sha256}, {"x-amz-date", amz_date}};
    SigV4Signature signature = SignV4(request, keys, fake_->options().region, "s3", amz_date);
    httplib::Headers headers = {{"Host", host},
                                {"x-amz-content-sha256", request.payload_sha256},
                                {"x-amz-date", amz_date},
                                {"Authorization", signature.authorization}};
    if (extra_unsigned_header) headers.emplace("x-amz-meta-unsigned", "1");
    httplib::Client client("127.0.0.1", fake_->port());
    auto result =
        client.Put(request.canonical_uri.c_str(), headers, sent_body, "application/octet-stream");
    return result ? result->status : -1;
  };
  EXPECT_EQ(send_put("body", "body", "", false), 200);
  EXPECT_EQ(send_put("body", "tampered", "", false), 400);
  EXPECT_EQ(fake_->CountRefusals("XAmzContentSHA256Mismatch"), 1u);
  EXPECT_EQ(send_put("body", "body", "UNSIGNED-PAYLOAD", false), 400);
  EXPECT_EQ(fake_->CountRefusals("InvalidRequest"), 1u);
  EXPECT_EQ(send_put("body", "body", "", true), 403);
  EXPECT_EQ(fake_->CountRefusals("AccessDenied"), 1u);
  EXPECT_EQ(fake_->object("k")->bytes, "body");
}

// ---- Opening a store: settings and the credentials file ---------------------------------------

TEST_F(S3StoreTest, MalformedSettingsNameTheSetting) {
  auto field_of = [](const OffsiteSettings& settings) {
    auto store = OpenOffsiteStore(settings);
    EXPECT_FALSE(store.ok());
    return store.ok() || store.status().field_violations().empty()
               ? std::string()
               : store.status().field_violations().front().field;
  };
  auto with = [this](auto change) {
    OffsiteSettings settings = Settings();
    change(settings);
    return settings;
  };
  EXPECT_EQ(field_of(with([](auto& s) { s.target = ""; })), "offsite-target");
  EXPECT_EQ(field_of(with([](auto& s) { s.target = "relative/dir"; })), "offsite-target");
  EXPECT_EQ(field_of(with([](auto& s) { s.target = "s3://"; })), "offsite-target");
  EXPECT_EQ(field_of(with([](auto& s) { s.target = "s3://Upper_Case"; })), "offsite-target");
  EXPECT_EQ(field_of(with([](auto& s) { s.target = "s3://bucket/a/../b"; })), "offsite-target");
  EXPECT_EQ(field_of(with([](auto& s) { s.endpoint = ""; })), "offsite-endpoint");
  EXPECT_EQ(field_of(with([](auto& s) { s.endpoint = "ftp://host"; })), "offsite-endpoint");
  EXPECT_EQ(field_of(with([](auto& s) { s.endpoint = "https://host/path"; })), "offsite-endpoint");
  EXPECT_EQ(field_of(with([](auto& s) { s.endpoint = "https://user:pw@host"; })),
            "offsite-endpoint");
  EXPECT_EQ(field_of(with([](auto& s) { s.region = "Tokyo 1"; })), "offsite-region");
  EXPECT_EQ(field_of(with([](auto& s) { s.credentials_file = ""; })), "offsite-credentials-file");
  EXPECT_TRUE(OpenOffsiteStore(with([](auto& s) { s.endpoint = "https://s3.example.jp/"; })).ok());
  EXPECT_TRUE(fake_->requests().empty());  // opening contacts nothing
}

TEST_F(S3StoreTest, ACredentialsFileReadableByOthersIsRefused) {
  const std::string path = dir_.Sub("credentials");
  for (mode_t mode : {0640, 0604, 0660, 0602}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto store = OpenOffsiteStore(Settings());
    EXPECT_TRUE(store.status().Is(Reason::kKeyFilePermissions)) << store.status().ToString();
  }
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(OpenOffsiteStore(Settings()).ok());
}

TEST_F(S3StoreTest, AMissingOrMalformedCredentialsFileIsRefusedWithoutShowingValues) {
  OffsiteSettings settings = Settings();
  settings.credentials_file = dir_.Sub("absent");
  EXPECT_TRUE(OpenOffsiteStore(settings).status().Is(Reason::kKeyFileUnreadable));

  const std::string secret = "s3cr3tValueThatMustNotLeak0000000000000";
  for (const std::string& text :
       {std::string("access-key-id = AKIA1\n"),                           // no secret
        "access-key-id = AKIA1\nsecret-access-key = " + secret + " x\n",  // space in a value
        "access-key-id = AKIA1\n" + secret + "\n",                        // no '='
        "access-key-id = AKIA1\nsecret-key = " + secret + "\n",           // unknown name
        "access-key-id = A\naccess-key-id = B\nsecret-access-key = " + secret + "\n",
        std::string(5000, '#')}) {
    const std::string path = dir_.Sub("malformed");
    fs::remove(path);
    WriteFile(path, text);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    settings.credentials_file = path;
    auto store = OpenOffsiteStore(settings);
    EXPECT_TRUE(store.status().Is(Reason::kKeyFileMalformed)) << store.status().ToString();
    EXPECT_EQ(store.status().message().find(secret), std::string::npos);
  }
  WriteFile(dir_.Sub("good"),
            "# comment\n\n  access-key-id=AKIA1  \r\nsecret-access-key =" + secret + "\n");
  ASSERT_EQ(::chmod(dir_.Sub("good").c_str(), 0600), 0);
  auto credentials = LoadS3Credentials(dir_.Sub("good"));
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "AKIA1");
  EXPECT_EQ(credentials->secret_access_key, secret);
}

// ---- Sync and fetch of real backups ------------------------------------------------------------

class OffsiteSyncTest : public S3StoreTest {
 protected:
  void SetUp() override {
    S3StoreTest::SetUp();
    keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = keyring_;
    auto opened = storage::Storage::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    storage_ = std::move(opened).value();
  }

  void PutRecords(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      storage::WriteBatch batch(*storage_);
      batch.Put(storage::ColumnFamily::kRecords, "cases/" + std::to_string(100000 + i),
                "record " + std::to_string(i) + std::string(200, 'r'));
      ASSERT_TRUE(storage_->Commit(batch).ok());
    }
  }

  uint32_t Backup() {
    auto made = storage::CreateBackup(*storage_, backups());
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->id : 0;
  }

  std::string backups() const { return dir_.Sub("backups"); }

  // The fake's objects under the store's prefix, name -> bytes.
  std::map<std::string, std::string> Remote() const {
    std::map<std::string, std::string> out;
    const std::string prefix = "casecoord/prod/";
    for (const auto& [key, object] : fake_->objects()) {
      if (key.rfind(prefix, 0) == 0) out[key.substr(prefix.size())] = object.bytes;
    }
    return out;
  }

  // The keys of a request log with `method`, in order.
  std::vector<std::string> Keys(const std::string& method) const {
    std::vector<std::string> keys;
    for (const auto& request : fake_->requests()) {
      if (request.method != method || request.key.empty()) continue;  // "": the bucket (a listing)
      keys.push_back(request.key.substr(std::strlen("casecoord/prod/")));
    }
    return keys;
  }

  std::shared_ptr<const storage::Keyring> keyring_;
  std::unique_ptr<storage::Storage> storage_;
};

// The position of the first meta/ name is after every other name.
void ExpectMetaLast(const std::vector<std::string>& names) {
  auto first_meta = std::find_if(names.begin(), names.end(), IsMeta);
  ASSERT_NE(first_meta, names.end());
  EXPECT_TRUE(std::all_of(first_meta, names.end(), IsMeta)) << ::testing::PrintToString(names);
}

TEST_F(OffsiteSyncTest, SyncUploadsEverythingMetaLastThenNothingThenDeletesMetaFirst) {
  PutRecords(0, 100);
  Backup();
  PutRecords(100, 100);
  ASSERT_TRUE(storage_->CompactAll().ok());
  Backup();
  // What RocksDB may leave after a crash: never copied.
  WriteFile(backups() + "/meta/.3.tmp", "unfinished");
  WriteFile(backups() + "/shared_checksum/000099_1_2.sst.tmp", "unfinished");
  WriteFile(backups() + "/private/3.tmp/MANIFEST-000001", "unfinished");
  auto local = FilesUnder(backups());

  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  auto first = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  fs::remove(backups() + "/meta/.3.tmp");
  fs::remove(backups() + "/shared_checksum/000099_1_2.sst.tmp");
  fs::remove_all(backups() + "/private/3.tmp");
  local = FilesUnder(backups());
  EXPECT_EQ(Remote(), local);
  EXPECT_EQ(first->files_uploaded, local.size());
  uint64_t bytes = 0;
  for (const auto& [name, content] : local) bytes += content.size();
  EXPECT_EQ(first->bytes_uploaded, bytes);
  EXPECT_EQ(first->files_deleted, 0u);
  EXPECT_EQ(first->files_unchanged, 0u);
  ExpectMetaLast(Keys("PUT"));
  EXPECT_EQ(std::count_if(local.begin(), local.end(), [](auto& f) { return IsMeta(f.first); }), 2);

  fake_->ClearRequests();
  auto second = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->files_uploaded, 0u);
  EXPECT_EQ(second->files_unchanged, local.size());
  EXPECT_EQ(CountRequests("PUT") + CountRequests("DELETE"), 0u);

  // A third backup, then only it kept: the first two and the files only they used go.
  PutRecords(200, 50);
  ASSERT_TRUE(storage_->CompactAll().ok());
  Backup();
  auto purged = storage::PurgeOldBackups(*storage_, backups(), 1);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  fake_->ClearRequests();
  auto third = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(Remote(), FilesUnder(backups()));
  EXPECT_GE(third->files_deleted, 2u);
  auto deleted = Keys("DELETE");
  ASSERT_EQ(deleted.size(), third->files_deleted);
  // meta/1 and meta/2 before anything else.
  EXPECT_TRUE(IsMeta(deleted[0]) && IsMeta(deleted[1])) << ::testing::PrintToString(deleted);
  EXPECT_TRUE(std::none_of(deleted.begin() + 2, deleted.end(), IsMeta));
  ExpectMetaLast(Keys("PUT"));
}

TEST_F(OffsiteSyncTest, AnInterruptedSyncCopiesNoMetaAndTheNextOneGoesOn) {
  PutRecords(0, 100);
  Backup();
  const auto local = FilesUnder(backups());
  ASSERT_GT(local.size(), 4u);
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  fake_->FailNextRequests(1, 4);  // the listing and three uploads succeed, the fourth fails
  auto interrupted = SyncToOffsite(backups(), *store);
  EXPECT_TRUE(interrupted.status().Is(Reason::kOffsiteUnavailable))
      << interrupted.status().ToString();
  auto partial = Remote();
  EXPECT_EQ(partial.size(), 3u);
  for (const auto& [name, bytes] : partial) EXPECT_FALSE(IsMeta(name)) << name;

  auto resumed = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->files_unchanged, 3u);
  EXPECT_EQ(resumed->files_uploaded, local.size() - 3);
  EXPECT_EQ(Remote(), local);
}

TEST_F(OffsiteSyncTest, ADirectoryWithoutABackupNeverEmptiesTheStore) {
  PutRecords(0, 10);
  Backup();
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncToOffsite(backups(), *store).ok());
  const auto remote = Remote();
  fs::create_directories(dir_.Sub("empty-backups"));
  EXPECT_TRUE(
      SyncToOffsite(dir_.Sub("empty-backups"), *store).status().Is(Reason::kBackupNotFound));
  EXPECT_TRUE(SyncToOffsite(dir_.Sub("no-such-dir"), *store).status().Is(Reason::kIoError));
  EXPECT_EQ(Remote(), remote);
}

TEST_F(OffsiteSyncTest, FetchIntoAnEmptyDirectoryThenRestoreGivesTheSameKeys) {
  PutRecords(0, 150);
  Backup();
  PutRecords(150, 50);
  uint32_t newest = Backup();
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(SyncToOffsite(backups(), *store).ok());

  const std::string fetched = dir_.Sub("fetched/backups");  // missing: created
  auto count = FetchFromOffsite(*store, fetched);
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, FilesUnder(backups()).size());
  EXPECT_EQ(FilesUnder(fetched), FilesUnder(backups()));
  // Meta last here too.
  ExpectMetaLast(Keys("GET"));

  auto from_local = storage::RestoreBackup(backups(), newest, dir_.Sub("restored-local"), keyring_);
  auto from_offsite = storage::RestoreBackup(fetched, newest, dir_.Sub("restored"), keyring_);
  ASSERT_TRUE(from_offsite.ok()) << from_offsite.status().ToString();
  ASSERT_TRUE(from_local.ok());
  EXPECT_EQ(*from_offsite, *from_local);
  EXPECT_GE(*from_offsite, 200u);
  storage_.reset();
  storage::StorageOptions options;
  options.path = dir_.Sub("restored");
  options.keyring = keyring_;
  auto restored = storage::Storage::Open(options);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  auto record = (*restored)->Get(storage::ColumnFamily::kRecords, "cases/100199");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ(record->value().substr(0, 10), "record 199");

  auto again = FetchFromOffsite(*store, fetched);
  EXPECT_TRUE(again.status().Is(Reason::kTargetNotEmpty)) << again.status().ToString();
}

TEST_F(OffsiteSyncTest, FetchRefusesAStoreThatListsAnUnsafeName) {
  fake_->StoreObject("casecoord/prod/meta/1", "x");
  fake_->StoreObject("casecoord/prod/../../escape", "x");
  auto store = Open(Settings());
  ASSERT_NE(store, nullptr);
  auto fetched = FetchFromOffsite(*store, dir_.Sub("fetched"));
  EXPECT_TRUE(fetched.status().Is(Reason::kOffsiteCopyCorrupt)) << fetched.status().ToString();
  EXPECT_FALSE(fs::exists(dir_.Sub("fetched")));
  EXPECT_FALSE(fs::exists(dir_.Sub("escape")));
}

// ---- The directory store (same contract) -------------------------------------------------------

class DirectoryStoreTest : public OffsiteSyncTest {
 protected:
  std::unique_ptr<OffsiteStore> OpenDirectory() {
    fs::create_directories(share());
    OffsiteSettings settings;
    settings.target = share() + "/";
    return Open(settings);
  }
  std::string share() const { return dir_.Sub("share/casecoord"); }
};

TEST_F(DirectoryStoreTest, PutGetListDeleteWithStagingFilesOutOfSight) {
  auto store = OpenDirectory();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Describe(), share());
  const std::string odd_name = "notes/a file~1.txt";
  WriteFile(dir_.Sub("one"), "first");
  ASSERT_TRUE(store->Put(odd_name, dir_.Sub("one")).ok());
  ASSERT_TRUE(store->Put("private/3/MANIFEST-000001", dir_.Sub("one")).ok());
  EXPECT_EQ(ReadFile(share() + "/" + odd_name), "first");
  // What an interrupted Put leaves: not an object.
  WriteFile(share() + "/notes/b.tmp-Ab12Cd", "partial");

  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, odd_name);
  EXPECT_EQ((*listed)[0].size_bytes, 5u);
  EXPECT_EQ((*listed)[1].name, "private/3/MANIFEST-000001");
  EXPECT_EQ(store->List("private/")->size(), 1u);

  ASSERT_TRUE(store->Get(odd_name, dir_.Sub("back")).ok());
  EXPECT_EQ(ReadFile(dir_.Sub("back")), "first");
  EXPECT_TRUE(store->Get("nothing", dir_.Sub("none")).Is(Reason::kOffsiteObjectNotFound));
  EXPECT_FALSE(fs::exists(dir_.Sub("none")));

  ASSERT_TRUE(store->Delete("private/3/MANIFEST-000001").ok());
  EXPECT_FALSE(fs::exists(share() + "/private"));  // emptied directories go too
  EXPECT_TRUE(store->Delete("private/3/MANIFEST-000001").ok());
  EXPECT_TRUE(fs::exists(share()));

  for (const std::string name : {"../escape", "a/../../escape", "/etc/passwd"}) {
    EXPECT_TRUE(store->Put(name, dir_.Sub("one")).Is(Reason::kInvalidField)) << name;
  }
  EXPECT_FALSE(fs::exists(dir_.Sub("share/escape")));
  EXPECT_TRUE(store->Put("x", dir_.Sub("no-such-file")).Is(Reason::kIoError));
}

TEST_F(DirectoryStoreTest, AMissingShareIsUnavailableAndNeverCreated) {
  OffsiteSettings settings;
  settings.target = dir_.Sub("unmounted/casecoord");
  auto store = Open(settings);  // opening contacts nothing
  ASSERT_NE(store, nullptr);
  WriteFile(dir_.Sub("one"), "x");
  EXPECT_TRUE(store->Put("a", dir_.Sub("one")).Is(Reason::kOffsiteUnavailable));
  EXPECT_TRUE(store->List("").status().Is(Reason::kOffsiteUnavailable));
  EXPECT_FALSE(fs::exists(dir_.Sub("unmounted")));
}

TEST_F(DirectoryStoreTest, SyncThenFetchThenRestore) {
  PutRecords(0, 120);
  uint32_t id = Backup();
  auto store = OpenDirectory();
  ASSERT_NE(store, nullptr);
  auto synced = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  EXPECT_EQ(FilesUnder(share()), FilesUnder(backups()));
  auto again = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->files_uploaded, 0u);

  auto fetched = FetchFromOffsite(*store, dir_.Sub("fetched"));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(FilesUnder(dir_.Sub("fetched")), FilesUnder(backups()));
  auto restored = storage::RestoreBackup(dir_.Sub("fetched"), id, dir_.Sub("restored"), keyring_);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_GE(*restored, 120u);

  // Only the newest of two backups kept: the share follows.
  PutRecords(120, 30);
  ASSERT_TRUE(storage_->CompactAll().ok());
  Backup();
  ASSERT_TRUE(storage::PurgeOldBackups(*storage_, backups(), 1).ok());
  auto pruned = SyncToOffsite(backups(), *store);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_GE(pruned->files_deleted, 1u);
  EXPECT_EQ(FilesUnder(share()), FilesUnder(backups()));
  EXPECT_FALSE(fs::exists(share() + "/meta/" + std::to_string(id)));
}

}  // namespace
}  // namespace casecoord::backup
