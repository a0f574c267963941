#include "clients/cli/command_support.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <cstdio>
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

}  // namespace casecoord::cli
