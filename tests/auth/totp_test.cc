#include "services/auth/totp.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace casecoord::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr char kRfcSecret[] = "12345678901234567890";  // RFC 6238 appendix B, SHA-1

system_clock::time_point At(int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

TEST(TotpTest, Rfc6238Sha1Vectors) {
  // The RFC's codes have 8 digits; a 6-digit code is the same number modulo 10^6: its last six.
  // The RFC's last vector (20000000000, in 2603) is left out: system_clock counts nanoseconds in
  // 64 bits and ends in 2262.
  const struct {
    int64_t time;
    const char* eight_digits;
  } vectors[] = {{59, "94287082"},
                 {1111111109, "07081804"},
                 {1111111111, "14050471"},
                 {1234567890, "89005924"},
                 {2000000000, "69279037"}};
  for (const auto& vector : vectors) {
    const std::string expected = std::string(vector.eight_digits).substr(2);
    EXPECT_EQ(TotpCode(kRfcSecret, At(vector.time)), expected) << vector.time;
    EXPECT_EQ(MatchTotp(kRfcSecret, expected, At(vector.time), -1),
              std::optional<int64_t>(vector.time / 30))
        << vector.time;
  }
}

TEST(TotpTest, OneStepEitherSideIsAcceptedTwoAreNot) {
  const auto now = At(1111111111);
  const int64_t step = TotpStep(now);
  for (int offset : {-1, 0, 1}) {
    const std::string code = TotpCode(kRfcSecret, now + seconds(30 * offset));
    EXPECT_EQ(MatchTotp(kRfcSecret, code, now, -1), std::optional<int64_t>(step + offset))
        << offset;
  }
  for (int offset : {-3, -2, 2, 3}) {
    const std::string code = TotpCode(kRfcSecret, now + seconds(30 * offset));
    ASSERT_EQ(code.size(), 6u);
    EXPECT_EQ(MatchTotp(kRfcSecret, code, now, -1), std::nullopt) << offset;
  }
}

TEST(TotpTest, ACodeCannotBeReplayed) {
  const auto now = At(1234567890);
  const std::string code = TotpCode(kRfcSecret, now);
  const std::optional<int64_t> first = MatchTotp(kRfcSecret, code, now, -1);
  ASSERT_TRUE(first.has_value());
  // Within the same step and the next one (the code is still in the window), refused.
  EXPECT_EQ(MatchTotp(kRfcSecret, code, now, *first), std::nullopt);
  EXPECT_EQ(MatchTotp(kRfcSecret, code, now + seconds(30), *first), std::nullopt);
  // An earlier step's code after a later one was used: refused as well.
  const std::string previous = TotpCode(kRfcSecret, now - seconds(30));
  EXPECT_EQ(MatchTotp(kRfcSecret, previous, now, *first), std::nullopt);
  // The next step's code is new.
  const std::string next = TotpCode(kRfcSecret, now + seconds(30));
  EXPECT_EQ(MatchTotp(kRfcSecret, next, now + seconds(30), *first),
            std::optional<int64_t>(*first + 1));
}

TEST(TotpTest, MalformedCodesAreRefused) {
  const auto now = At(59);
  ASSERT_EQ(TotpCode(kRfcSecret, now), "287082");
  for (const char* code : {"", "28708", "2870822", "94287082", " 287082", "287082 ", "28708a",
                           "+87082", "２８７０８２"}) {
    EXPECT_EQ(MatchTotp(kRfcSecret, code, now, -1), std::nullopt) << code;
  }
  EXPECT_EQ(MatchTotp(kRfcSecret, std::string_view("287082\0", 7), now, -1), std::nullopt);
  EXPECT_EQ(MatchTotp("another secret", "287082", now, -1), std::nullopt);
  EXPECT_EQ(MatchTotp("", "287082", now, -1), std::nullopt);
}

TEST(TotpTest, NewSecretsAreTwentyRandomBytes) {
  Result<std::string> first = NewTotpSecret();
  Result<std::string> second = NewTotpSecret();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->size(), 20u);
  EXPECT_NE(*first, *second);
  EXPECT_EQ(Base32(*first).size(), 32u);
}

TEST(TotpTest, Base32OfKnownBytes) {
  // RFC 4648 section 10, without the padding.
  EXPECT_EQ(Base32("f"), "MY");
  EXPECT_EQ(Base32("fo"), "MZXQ");
  EXPECT_EQ(Base32("foo"), "MZXW6");
  EXPECT_EQ(Base32("foob"), "MZXW6YQ");
  EXPECT_EQ(Base32("fooba"), "MZXW6YTB");
  EXPECT_EQ(Base32("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(Base32(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(Base32(std::string("\x00\xff", 2)), "AD7Q");
}

TEST(TotpTest, FromBase32UndoesBase32AndRefusesOtherLetters) {
  for (const std::string& bytes :
       std::vector<std::string>{"f", "fooba", "foobar", std::string("\x00\xff", 2)}) {
    EXPECT_EQ(FromBase32(Base32(bytes)), bytes);
  }
  EXPECT_EQ(FromBase32("MZXW6==="), "foo");
  EXPECT_FALSE(FromBase32("mzxw6").has_value()) << "lower case is not RFC 4648 base32";
  EXPECT_FALSE(FromBase32("MZX1").has_value());
}

TEST(TotpTest, OtpAuthUriPercentEncodesAJapaneseIssuerAndAccount) {
  EXPECT_EQ(OtpAuthUri("福岡市", "tanaka.h@example", kRfcSecret),
            "otpauth://totp/%E7%A6%8F%E5%B2%A1%E5%B8%82:tanaka.h%40example"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E7%A6%8F%E5%B2%A1%E5%B8%82"
            "&algorithm=SHA1&digits=6&period=30");
  // Separators inside the names cannot split the label or the query.
  EXPECT_EQ(OtpAuthUri("A:B&C", "x y", "f"),
            "otpauth://totp/A%3AB%26C:x%20y?secret=MY&issuer=A%3AB%26C"
            "&algorithm=SHA1&digits=6&period=30");
}

// Whether `xml` is one element whose tags nest properly, with only whitespace between tags and no
// '<' or '&' inside a tag's attributes: enough for the documents QrSvg writes (no text content, no
// comments), and what an <img> needs (it refuses a broken document).
bool IsWellFormed(const std::string& xml) {
  std::vector<std::string> open;
  int roots = 0;
  size_t at = 0;
  while (at < xml.size()) {
    if (xml[at] != '<') {
      if (xml[at] != ' ' && xml[at] != '\n') return false;
      ++at;
      continue;
    }
    const size_t end = xml.find('>', at);
    if (end == std::string::npos) return false;
    const std::string tag = xml.substr(at + 1, end - at - 1);
    if (tag.empty() || tag.find_first_of("<&") != std::string::npos) return false;
    at = end + 1;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
      continue;
    }
    if (open.empty()) ++roots;
    if (tag.back() == '/') continue;  // self-closing
    open.push_back(tag.substr(0, tag.find(' ')));
  }
  return open.empty() && roots == 1;
}

TEST(TotpTest, QrSvgIsAStandaloneDocument) {
  const std::string svg = QrSvg(OtpAuthUri("福岡市", "tanaka", kRfcSecret));
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("viewBox=\"0 0 "), std::string::npos);
  EXPECT_NE(svg.find("<path "), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find("url("), std::string::npos);
  EXPECT_TRUE(IsWellFormed(svg)) << svg.substr(0, 300);

  // The viewBox is the symbol plus a quiet zone of 4 modules each side; a QR symbol is 21 + 4k
  // modules wide, so the view is 29 + 4k.
  const size_t at = svg.find("viewBox=\"0 0 ") + 13;
  const int extent = std::stoi(svg.substr(at));
  EXPECT_GE(extent, 29);
  EXPECT_EQ((extent - 29) % 4, 0);
}

TEST(TotpTest, QrSvgOfNothingOrTooMuchIsEmpty) {
  EXPECT_EQ(QrSvg(""), "");
  EXPECT_EQ(QrSvg(std::string(3000, 'x')), "");  // over a version 40-M symbol's 2331 bytes
  EXPECT_EQ(QrSvg(std::string(5000, 'x')), "");
}

}  // namespace
}  // namespace casecoord::auth
