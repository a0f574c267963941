#include "clients/cli/command_support.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>
#include <thread>

#include "clients/cli/table.h"
#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"

namespace casecoord::cli {

using google::protobuf::util::TimeUtil;

std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(options.timeout_seconds));
  return context;
}

int ReportError(const grpc::Status& status) {
  std::cerr << "エラー / error: " << DescribeGrpcError(status) << "\n";
  return kExitFailed;
}

std::optional<std::chrono::milliseconds> RateLimitRetryDelay(const grpc::Status& status) {
  if (status.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return std::nullopt;
  const auto delay = FromGrpcStatus(status).retry_after();
  if (!delay || *delay > kMaxRetryWait) return std::nullopt;
  return delay;
}

void WaitToRetry(std::chrono::milliseconds delay, int retry) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.1f", static_cast<double>(delay.count()) / 1000);
  std::cerr << "要求が多すぎるため " << seconds << " 秒待って再試行します（" << retry << "/"
            << kMaxRateLimitRetries << "） / rate limited: retrying in " << seconds << " s ("
            << retry << "/" << kMaxRateLimitRetries << ")\n";
  std::this_thread::sleep_for(delay);
}

int UsageError(const std::string& message) {
  std::cerr << "エラー / error: " << message << "\n";
  return kExitUsage;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
}

std::string LocalTime(const google::protobuf::Timestamp& timestamp) {
  std::time_t seconds = TimeUtil::TimestampToTimeT(timestamp);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buffer;
}

std::string OrDash(const std::string& text) { return text.empty() ? "-" : text; }

std::string EnumText(const google::protobuf::EnumDescriptor& type, int number) {
  return number == 0 ? "-" : LabelJa(type, number);
}

std::string EnumTextWithName(const google::protobuf::EnumDescriptor& type, int number) {
  const auto* value = type.FindValueByNumber(number);
  if (number == 0 || value == nullptr) return EnumText(type, number);
  const std::string label = LabelJa(*value);
  return label == value->name() ? label : label + " (" + value->name() + ")";
}

std::string JstDate(const google::protobuf::Timestamp& timestamp) {
  return FormatJstDate(
      std::chrono::system_clock::time_point(std::chrono::seconds(timestamp.seconds())));
}

std::string FiscalYearText(const v1::FiscalYear& fiscal_year) {
  const std::string label = fiscal_year.era_label_ja().empty()
                                ? FiscalYearLabels(fiscal_year.year()).japanese
                                : fiscal_year.era_label_ja();
  return label + " (" + std::to_string(fiscal_year.year()) + ")";
}

namespace {

bool Fail(const std::string& what, std::string* error) {
  *error = what + ": " + std::strerror(errno);
  return false;
}

}  // namespace

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) close(fd_);
  if (!temp_path_.empty()) unlink(temp_path_.c_str());
}

bool AtomicFile::Open(const std::string& path, std::string* error) {
  path_ = path;
  std::string temp = path + ".tmp-XXXXXX";
  fd_ = mkstemp(temp.data());
  if (fd_ < 0) return Fail("cannot create a file beside " + path, error);
  temp_path_ = temp;
  if (owner_only_) return true;
  // mkstemp makes the file private (0600); the result is an ordinary file (0666 less umask).
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd_, 0666 & ~mask) != 0) return Fail("cannot set the mode of " + temp, error);
  return true;
}

bool AtomicFile::Write(const std::string& bytes, std::string* error) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail("cannot write " + temp_path_, error);
    written += static_cast<size_t>(n);
  }
  return true;
}

bool AtomicFile::Commit(std::string* error) {
  if (fsync(fd_) != 0) return Fail("cannot sync " + temp_path_, error);
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return Fail("cannot close " + temp_path_, error);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return Fail("cannot rename " + temp_path_ + " to " + path_, error);
  }
  temp_path_.clear();
  return true;
}

namespace {

// Text files given for sealed fields (notes, minutes) are small; anything larger is a mistake.
constexpr size_t kMaxTextFileBytes = 1 << 20;

}  // namespace

// `text` safe for a terminal: control characters (which could move the cursor or recolour the
// screen) become spaces; line breaks are kept when `keep_lines`, else they become spaces too.
std::string Printable(const std::string& text, bool keep_lines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n' && keep_lines) {
      out += '\n';
    } else if (c < 0x20 || c == 0x7F) {
      out += ' ';
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// `text` cut to at most `columns` terminal columns, "..." marking the cut.
std::string Truncate(const std::string& text, size_t columns) {
  if (DisplayWidth(text) <= columns) return text;
  constexpr std::string_view kEllipsis = "...";
  const size_t room = columns > kEllipsis.size() ? columns - kEllipsis.size() : 0;
  std::string out;
  size_t width = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t next = pos + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    const std::string_view code_point(text.data() + pos, next - pos);
    const size_t code_point_width = DisplayWidth(code_point);
    if (width + code_point_width > room) break;
    out += code_point;
    width += code_point_width;
    pos = next;
  }
  return out + std::string(kEllipsis);
}

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF), which protobuf requires of a string field.
bool IsUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0, min = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t j = 1; j < length; ++j) {
      const auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < min || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// The text of the file at `path`, or of standard input for "-", for the flag `option`: UTF-8
// without a byte order mark, CRLF line ends as LF. Errors name the file but never quote it.
bool ReadTextFile(const std::string& option, const std::string& path, std::string* text,
                  std::string* error) {
  const bool from_stdin = path == "-";
  const std::string where = from_stdin ? "standard input" : "\"" + path + "\"";
  std::FILE* file = stdin;
  if (from_stdin) {
    if (isatty(STDIN_FILENO)) {
      std::cerr << "標準入力から読み取ります (Ctrl-D で終了) / reading standard input (end with "
                   "Ctrl-D)\n";
    }
  } else {
    file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      *error = "ファイルを読めません / " + option + ": cannot open " + where + ": " +
               std::strerror(errno);
      return false;
    }
  }
  errno = 0;
  std::string bytes;
  char buffer[64 * 1024];
  bool too_big = false;
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    bytes.append(buffer, count);
    if (bytes.size() > kMaxTextFileBytes) {
      too_big = true;
      break;
    }
  }
  const bool failed = std::ferror(file) != 0;
  const int read_errno = errno;
  if (!from_stdin) std::fclose(file);
  if (failed) {
    *error = "ファイルを読めません / " + option + ": cannot read " + where + ": " +
             std::strerror(read_errno);
    return false;
  }
  if (too_big) {
    *error = "ファイルが大きすぎます / " + option + ": " + where + " is over " +
             std::to_string(kMaxTextFileBytes / 1024) + " KiB; is it the right file?";
    return false;
  }
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  std::string_view view = bytes;
  if (view.starts_with(kBom)) view.remove_prefix(kBom.size());
  if (!IsUtf8(view)) {
    *error = "文字コードが不正です / " + option + ": " + where +
             " is not UTF-8 text; save it as UTF-8 (Shift_JIS is not accepted)";
    return false;
  }
  text->clear();
  for (size_t i = 0; i < view.size(); ++i) {
    if (view[i] == '\r' && i + 1 < view.size() && view[i + 1] == '\n') continue;
    *text += view[i];
  }
  return true;
}

// A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", from the system's random
// device; nullopt when there is none.
std::optional<std::string> NewRequestId() {
  std::array<uint8_t, 16> bytes{};
  try {
    std::random_device device;
    for (size_t i = 0; i < bytes.size(); i += 4) {
      const uint32_t word = device();
      for (size_t j = 0; j < 4; ++j) bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
    }
  } catch (const std::exception&) {
    return std::nullopt;
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += kHex[bytes[i] >> 4];
    id += kHex[bytes[i] & 0x0F];
  }
  return id;
}

bool IsRequestId(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

std::string UserName(const std::string& id) {
  return id.rfind("users/", 0) == 0 ? id : "users/" + id;
}

std::string UserId(const std::string& id) { return id.rfind("users/", 0) == 0 ? id.substr(6) : id; }

}  // namespace casecoord::cli
