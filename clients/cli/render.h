// What the casectl commands share beyond command_support.h: resource names, days, text for
// people (table cells, field values, dates), free texts given as TEXT or as a file, and printing
// a result either for people or as --json. One definition each, used by every area.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "casecoord/v1/common.pb.h"
#include "clients/cli/command.h"

namespace casecoord::cli {

inline constexpr std::string_view kCasePrefix = "cases/";
inline constexpr std::string_view kAgencyPrefix = "agencies/";
inline constexpr std::string_view kUserPrefix = "users/";
// The server's numeric ids (cases, meetings, dispatches, entries) have at most this many digits.
inline constexpr size_t kMaxIdDigits = 18;

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// `text` without `prefix` when it starts with it.
std::string WithoutPrefix(const std::string& text, std::string_view prefix);

// Whether `text` is a decimal number as the server writes ids: digits, no leading zero.
bool IsIdNumber(std::string_view text);

// The JST day of `instant`.
v1::Date DateOf(std::chrono::system_clock::time_point instant);

// A day flag, "2025-04-01" or "2025/4/1" (trimmed; years 1900 to 9999); with `not_future`, not
// after today (JST). Worked out on the civil calendar: a nanosecond system_clock time point cannot
// hold the years past 2262. False with a "日付の形式が不正です" error naming `option`.
bool ParseDay(const std::string& option, const std::string& text, bool not_future, v1::Date* date,
              std::string* error);

// The civil date written "2025-04-01" or "2025/4/1", as ParseDay reads it; nullopt if it is not.
std::optional<v1::Date> CivilDate(std::string_view text);

// "2025-04-01"; "-" for an unset date (year 0).
std::string DateText(const v1::Date& date);

// LocalTime(time) when `has_time`, else "-".
std::string TimeText(const google::protobuf::Timestamp& time, bool has_time);

// Text from the server as one table cell: a single line (control characters and line breaks
// become spaces), "-" when empty.
std::string Cell(const std::string& text);

// Text from the server as a PrintFields value: as Cell, but line breaks are kept.
std::string FieldText(const std::string& text);

// Reads the file `path` for the flag `file_option` (ReadTextFile). Only one flag of a command may
// read standard input ("-"): `stdin_taken` says whether one already did, and is set by this one.
bool ReadFlagFile(const std::string& file_option, const std::string& path, bool* stdin_taken,
                  std::string* text, std::string* error);

// A free text given as `option` TEXT or as `file_option` PATH (not both), trimmed. `given` is
// nullopt when `option` was not given; `text` is nullopt when neither flag was given.
bool TextFromFlags(const std::string& option, const std::string& file_option,
                   const std::optional<std::string>& given, const std::string& path,
                   bool* stdin_taken, std::optional<std::string>* text, std::string* error);

// TextFromFlags for flags where "" counts as not given: `text` is "" when neither was given.
bool TextOrEmpty(const std::string& option, const std::string& file_option,
                 const std::string& given, const std::string& path, bool* stdin_taken,
                 std::string* text, std::string* error);

// TextOrEmpty for a text the command needs: false with `missing` as the error when neither flag
// gave any.
bool RequiredTextFromFlags(const std::string& option, const std::string& file_option,
                           const std::string& given, const std::string& path, bool* stdin_taken,
                           const std::string& missing, std::string* text, std::string* error);

// --request-id of the creating commands: a new random UUID when `request_id` is empty (then
// `generated` is set, so that Run can show it), else checked. kExitOk, or kExitUsage after
// explaining.
int PrepareRequestId(std::string* request_id, bool* generated);

// PrepareRequestId, then the id set on `request` when it is good.
template <typename Request>
int PrepareRequestId(std::string* request_id, bool* generated, Request* request) {
  const int code = PrepareRequestId(request_id, generated);
  if (code == kExitOk) request->set_request_id(*request_id);
  return code;
}

// kExitOk, or kExitUsage after explaining when --page-size `size` is negative (0 asks for the
// server's default).
int CheckPageSize(int size);

// --page-size N, --page-token T and --all of a listing command.
struct PageFlags {
  explicit PageFlags(int default_size) : size(default_size) {}
  // Adds the three flags; `size_help` describes --page-size ("cases per call (default 100)").
  void Configure(CLI::App& app, const std::string& size_help);
  // Sets page_size and page_token on `request`.
  template <typename Request>
  void ApplyTo(Request* request) const {
    request->set_page_size(size);
    request->set_page_token(token);
  }

  int size;
  std::string token;
  bool all = false;
};

// nullopt for "", else `text`: for text flags where "" means "not given".
std::optional<std::string> NonEmptyText(const std::string& text);

// The result of a command: `message` as JSON under --json, else what `for_people` prints.
// Returns kExitOk.
int PrintResult(const Context& context, const google::protobuf::Message& message,
                const std::function<void()>& for_people);

// Makes one unary call `method` of `stub` with a fresh deadline (CallWithRetry); prints the
// response as PrintResult does (`for_people` shows it) and returns kExitOk, or reports the error
// and returns kExitFailed.
template <typename Stub, typename Request, typename Response>
int CallAndPrint(const Context& context, Stub* stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request, const std::function<void(const Response&)>& for_people) {
  Response response;
  grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
    return (stub->*method)(call, request, &response);
  });
  if (!status.ok()) return ReportError(status);
  return PrintResult(context, response, [&] { for_people(response); });
}

// Fetches the pages of a List call (FetchPages: every page with `all_pages`, else the first) and
// prints them as PrintResult does; a failed call is reported (kExitFailed).
template <typename Stub, typename Request, typename Response>
int ListAndPrint(const Context& context, Stub* stub,
                 grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                 const Request& request, bool all_pages,
                 const std::function<void(const Response&)>& for_people) {
  Response all;
  grpc::Status status =
      FetchPages(context.options, std::bind_front(method, stub), request, &all, all_pages);
  if (!status.ok()) return ReportError(status);
  return PrintResult(context, all, [&] { for_people(all); });
}

// What a creating call with --request-id says when it fails: how to retry with the same id
// without creating twice, "(二重<why>を防ぎます) / to retry without <second>, ...".
struct RetryHint {
  std::string_view why_ja;     // "受付"
  std::string_view second_en;  // "opening a second case"
};

// Prints the retry hint of `hint` for `request_id` on stderr.
void PrintRetryHint(const RetryHint& hint, const std::string& request_id);

// CallAndPrint for a creating call whose request carries `request_id`: a generated id is shown
// before the call (so that it is on the screen whatever happens to the call), and a failure ends
// with how to retry with it.
template <typename Stub, typename Request, typename Response>
int CreateAndPrint(const Context& context, Stub* stub,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, bool generated_id, const RetryHint& hint,
                   const std::function<void(const Response&)>& for_people) {
  if (generated_id) std::cerr << "リクエストID / request id: " << request.request_id() << "\n";
  Response response;
  grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
    return (stub->*method)(call, request, &response);
  });
  if (!status.ok()) {
    ReportError(status);
    PrintRetryHint(hint, request.request_id());
    return kExitFailed;
  }
  return PrintResult(context, response, [&] { for_people(response); });
}

}  // namespace casecoord::cli
