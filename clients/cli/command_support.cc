#include "clients/cli/command_support.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>

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

}  // namespace casecoord::cli
