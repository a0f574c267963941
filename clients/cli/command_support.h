// What every casectl command shares: the global options, call contexts, errors and output helpers.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "casecoord/v1/common.pb.h"
#include "clients/cli/client.h"

namespace casecoord::cli {

// Exit statuses of casectl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the call failed
inline constexpr int kExitUsage = 2;   // bad usage or connection options

struct GlobalOptions {
  client::ConnectionOptions connection;
  std::string user;
  std::string pki_dir = "var/dev/pki";
  bool json = false;
  int timeout_seconds = 30;
};

// A context whose deadline is options.timeout_seconds from now.
std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options);

// Prints the error (DescribeGrpcError) on stderr; returns kExitFailed.
int ReportError(const grpc::Status& status);

// A call the server's rate limiter refused (RESOURCE_EXHAUSTED with google.rpc.RetryInfo) did
// nothing, so casectl makes it again after the delay the server names: at most
// kMaxRateLimitRetries more times, and only for a delay of at most kMaxRetryWait (a longer one is
// reported as the error).
inline constexpr int kMaxRateLimitRetries = 3;
inline constexpr std::chrono::seconds kMaxRetryWait{30};

// The delay to wait before making a call again, when `status` is a refusal that names one
// (RetryInfo) within kMaxRetryWait; nullopt otherwise.
std::optional<std::chrono::milliseconds> RateLimitRetryDelay(const grpc::Status& status);

// Says on stderr that the server asked to wait `delay` (retry `retry` of kMaxRateLimitRetries),
// then waits.
void WaitToRetry(std::chrono::milliseconds delay, int retry);

// Makes `call(context)` with a fresh NewContext, again (with a new context) after a rate-limit
// refusal as described above; returns the status of the last attempt.
template <typename MakeCall>
grpc::Status CallWithRetry(const GlobalOptions& options, MakeCall&& call) {
  for (int retry = 1;; ++retry) {
    auto context = NewContext(options);
    grpc::Status status = call(context.get());
    const auto delay = RateLimitRetryDelay(status);
    if (!delay || retry > kMaxRateLimitRetries) return status;
    WaitToRetry(*delay, retry);
  }
}

// Fetches a List RPC's pages into `all`, starting from `request` (and its page_token). Each page
// is merged into `all` (repeated fields appended), and `all` ends with the last page's
// next_page_token: empty once the listing is complete, else where a later --page-token goes on.
// `call(context, request, page)` makes one call, e.g. std::bind_front(&v1::Cases::Stub::ListCases,
// stub); every call gets its own NewContext, so the timeout is per page, not for the whole listing
// (and a page refused by the rate limiter is fetched again: CallWithRetry).
// Only the first page is fetched unless `all_pages`; `enough`, if given, stops the fetch once it
// holds for `all` (a --limit). Returns the status of the first failed call, with `all` holding the
// pages before it, else OK.
template <typename Call, typename Request, typename Response>
grpc::Status FetchPages(
    const GlobalOptions& options, Call call, Request request, Response* all, bool all_pages,
    // type_identity_t: Response comes from `all` alone, so that a lambda can be passed here.
    const std::type_identity_t<std::function<bool(const Response&)>>& enough = nullptr) {
  while (true) {
    Response page;
    grpc::Status status = CallWithRetry(options, [&](grpc::ClientContext* context) {
      page.Clear();
      return call(context, request, &page);
    });
    if (!status.ok()) return status;
    all->MergeFrom(page);
    // MergeFrom leaves the previous token when this page's is empty (an empty string is unset).
    all->set_next_page_token(page.next_page_token());
    if (!all_pages || page.next_page_token().empty() || (enough && enough(*all))) {
      return grpc::Status::OK;
    }
    request.set_page_token(page.next_page_token());
  }
}

// Prints "エラー / error: message" on stderr; returns kExitUsage.
int UsageError(const std::string& message);

// The message as the API's JSON (proto field names), on standard output.
void PrintJson(const google::protobuf::Message& message);

// "2026-11-22 09:00:00" in the local time zone.
std::string LocalTime(const google::protobuf::Timestamp& timestamp);

// "512 B", "3.8 MiB".
std::string HumanBytes(int64_t bytes);

// "-" for an empty text.
std::string OrDash(const std::string& text);

// The label people read for an enum value; "-" for the unspecified (zero) value.
std::string EnumText(const google::protobuf::EnumDescriptor& type, int number);

// "支援調整中 (COORDINATING)": label and value name (label alone if equal); else EnumText.
std::string EnumTextWithName(const google::protobuf::EnumDescriptor& type, int number);

// The JST day of a timestamp, "2025-04-01".
std::string JstDate(const google::protobuf::Timestamp& timestamp);

// "令和6年度 (2024)": the era label given, or the one computed from the year.
std::string FiscalYearText(const v1::FiscalYear& fiscal_year);

// Writes `path` atomically: the bytes go to a temporary file beside it, which replaces `path` only
// once complete and synced; on failure or destruction before Commit() it is removed. The file gets
// the ordinary mode of a new file (0666 less the umask), or with `owner_only` is the owner's only
// (0600, as mkstemp makes it: a meeting's record is confidential).
class AtomicFile {
 public:
  explicit AtomicFile(bool owner_only = false) : owner_only_(owner_only) {}
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Creates the temporary file beside `path`.
  bool Open(const std::string& path, std::string* error);
  bool Write(const std::string& bytes, std::string* error);
  // Syncs the temporary file and renames it to `path`.
  bool Commit(std::string* error);

 private:
  bool owner_only_;
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

// The items (strings) with `separator` between them; "" for none.
template <typename Container>
std::string Join(const Container& items, const std::string& separator) {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += separator;
    out += item;
    first = false;
  }
  return out;
}

// `text` safe for a terminal: control characters (which could move the cursor or recolour the
// screen) become spaces; line breaks are kept when `keep_lines`, else they become spaces too.
std::string Printable(const std::string& text, bool keep_lines);

// `text` cut to at most `columns` terminal columns (full-width characters count two), "..."
// marking the cut.
std::string Truncate(const std::string& text, size_t columns);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsUtf8(std::string_view text);

// Reads the UTF-8 text file `path` ("-": standard input) given for flag `option` into `text`: a
// BOM is dropped and CRLF becomes LF. False with `error` set (Japanese, then English) when it
// cannot be read, is over 1 MiB, or is not UTF-8.
bool ReadTextFile(const std::string& option, const std::string& path, std::string* text,
                  std::string* error);

// request_id of the creating RPCs (CreateCaseRequest and the like): 1 to 64 printable ASCII
// characters.
inline constexpr size_t kMaxRequestIdLength = 64;

// A random (version 4) UUID from the system's random device, for request_id; nullopt when there
// is none.
std::optional<std::string> NewRequestId();

// Whether `id` is a request_id the server accepts (1 to kMaxRequestIdLength printable ASCII).
bool IsRequestId(const std::string& id);

// "alice" and "users/alice" both name users/alice; UserId gives "alice" for either.
std::string UserName(const std::string& id);
std::string UserId(const std::string& id);

}  // namespace casecoord::cli
