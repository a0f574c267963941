#include "services/auth/totp.h"

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <qrencode.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "services/auth/random_token.h"

namespace casecoord::auth {
namespace {

constexpr size_t kTotpSecretBytes = 20;
constexpr int kQuietZoneModules = 4;

// liboath wants oath_init() before use; it is idempotent but not documented as thread-safe, hence
// once per process through a static's thread-safe initialisation.
bool OathReady() {
  static const bool ready = oath_init() == OATH_OK;
  return ready;
}

bool IsSixDigits(std::string_view code) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The code of `secret` for time step `step`; "" if liboath fails.
std::string CodeAtStep(std::string_view secret, int64_t step) {
  if (!OathReady()) return "";
  char code[kTotpDigits + 1] = {};
  const int rc =
      oath_totp_generate(secret.data(), secret.size(), static_cast<time_t>(step * kTotpStepSeconds),
                         kTotpStepSeconds, OATH_TOTP_DEFAULT_START_TIME, kTotpDigits, code);
  return rc == OATH_OK ? std::string(code, kTotpDigits) : std::string();
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (IsUnreserved(c)) {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 0x0F]);
    }
  }
  return encoded;
}

struct QrCodeDeleter {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> NewTotpSecret() { return RandomBytes(kTotpSecretBytes); }

std::string Base32(std::string_view bytes) {
  if (bytes.empty() || !OathReady()) return "";
  char* out = nullptr;
  size_t out_size = 0;
  if (oath_base32_encode(bytes.data(), bytes.size(), &out, &out_size) != OATH_OK) return "";
  std::string text(out, out_size);
  free(out);  // NOLINT(cppcoreguidelines-no-malloc): liboath allocates with malloc
  const size_t padding = text.find('=');
  if (padding != std::string::npos) text.resize(padding);
  return text;
}

std::optional<std::string> FromBase32(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string bytes;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return bytes;
}

std::string OtpAuthUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  const std::string encoded_issuer = PercentEncode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + PercentEncode(account) +
         "?secret=" + Base32(secret) + "&issuer=" + encoded_issuer +
         "&algorithm=SHA1&digits=6&period=30";
}

int64_t TotpStep(std::chrono::system_clock::time_point at) {
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  // Floor division, so that a time before the epoch does not share step 0.
  return seconds >= 0 ? seconds / kTotpStepSeconds
                      : (seconds - kTotpStepSeconds + 1) / kTotpStepSeconds;
}

std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code,
                                 std::chrono::system_clock::time_point now,
                                 int64_t last_used_step) {
  if (!IsSixDigits(code) || secret.empty()) return std::nullopt;
  const int64_t current = TotpStep(now);
  std::optional<int64_t> matched;
  // Every step of the window is computed and compared, matched or not, so that the time taken
  // says nothing about which step (if any) matched.
  for (int64_t step = current - 1; step <= current + 1; ++step) {
    const std::string expected = CodeAtStep(secret, step);
    const bool equal = expected.size() == code.size() &&
                       CRYPTO_memcmp(expected.data(), code.data(), code.size()) == 0;
    if (equal && step > last_used_step && step >= 0 && !matched) matched = step;
  }
  return matched;
}

std::string TotpCode(std::string_view secret, std::chrono::system_clock::time_point at) {
  return CodeAtStep(secret, TotpStep(at));
}

std::string QrSvg(std::string_view text) {
  if (text.empty() || text.size() > 4096) return "";
  std::unique_ptr<QRcode, QrCodeDeleter> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  if (code == nullptr || code->width <= 0) return "";
  const int width = code->width;
  const int size = width + 2 * kQuietZoneModules;
  std::string path;
  // One horizontal run of dark modules per path segment: a fraction of the size of one square
  // per module. The lowest bit of each data byte is the module's colour.
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      if ((code->data[y * width + x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (code->data[y * width + x + run] & 1) != 0) ++run;
      path += "M" + std::to_string(x + kQuietZoneModules) + " " +
              std::to_string(y + kQuietZoneModules) + "h" + std::to_string(run) + "v1h-" +
              std::to_string(run) + "z";
      x += run;
    }
  }
  const std::string extent = std::to_string(size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + extent + " " + extent +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + extent + "\" height=\"" + extent +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"" + path + "\"/></svg>\n";
}

}  // namespace casecoord::auth
