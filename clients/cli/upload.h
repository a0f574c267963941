// Client-streaming file uploads (agency import, case import): the checks before the call, the
// chunks with a progress bar, and the table of problems the server reports.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iostream>
#include <istream>
#include <optional>
#include <string>

#include "casecoord/v1/directory.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/command_support.h"
#include "clients/cli/progress.h"
#include "clients/cli/render.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace casecoord::cli {

// Files go up in chunks of this size.
constexpr size_t kUploadChunkBytes = size_t{256} * 1024;
// The most an import RPC accepts in all.
constexpr int64_t kUploadMaxBytes = 64LL * 1024 * 1024;

// kExitOk when `file` is a readable regular file of at most kUploadMaxBytes, its size in
// `*bytes`; otherwise kExitUsage after saying why (UsageError).
int CheckUploadFile(const std::string& file, int64_t* bytes);

// Sends `in` (of `expected` bytes, as measured) in chunks through `writer`, `options` on the first
// message; false when reading the file failed (the caller cancels the call). Stops early when the
// server ends the call (Finish() then says why).
template <typename Request, typename Options>
bool SendInChunks(std::istream& in, int64_t expected, const Options& options,
                  grpc::ClientWriter<Request>* writer, Progress* progress) {
  Request request;
  *request.mutable_options() = options;
  std::string buffer(kUploadChunkBytes, '\0');
  int64_t sent = 0;
  for (bool first = true;; first = false) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto length = static_cast<size_t>(in.gcount());
    if (in.bad()) return false;
    if (length == 0 && !first) break;
    request.set_chunk(buffer.data(), length);
    if (!writer->Write(request)) break;
    sent += static_cast<int64_t>(length);
    if (sent > expected) progress->set_total(sent);  // the file grew since it was measured
    progress->Update(sent);
    request.clear_options();
    if (length < buffer.size()) break;
  }
  return true;
}

// Uploads `file` (`bytes` long, as CheckUploadFile measured) through the call `writer` belongs to
// (`call` is its context) with a progress bar, and returns how the call ended; nullopt, after
// saying so on stderr, when the file could not be read (the call is then cancelled).
template <typename Request, typename Options>
std::optional<grpc::Status> UploadFile(const std::string& file, int64_t bytes,
                                       const Options& options, grpc::ClientContext* call,
                                       grpc::ClientWriter<Request>* writer) {
  std::ifstream in(file, std::ios::binary);
  Progress progress("送信 / sending", bytes);
  const bool read_failed = !in || !SendInChunks(in, bytes, options, writer, &progress);
  if (read_failed) call->TryCancel();
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  progress.Finish();
  if (read_failed) {
    std::cerr << "エラー / error: cannot read " << file << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  return status;
}

// The problems as a table (行, 列, 列名, 問題) under a heading, nothing when there are none.
void PrintImportProblems(const google::protobuf::RepeatedPtrField<v1::ImportProblem>& problems);

// The 反映 / applied field of an import's report: yes, no, or no because it was a dry run.
std::string ImportAppliedText(bool applied, bool validate_only);

// An import call from start to end, for every import command: `open(call, &response)` starts the
// client-streaming RPC (a stub's ImportX), `file` goes up with its `options`, and the response is
// printed (`print_counts` shows the command's own counts to people; --json prints it whole), then
// the problems and, when nothing was applied because of them, a line saying so with
// `partial_hint` (how --allow-partial would have helped). kExitFailed in that case and on any
// failed call, kExitOk otherwise.
template <typename Response, typename Options, typename Open, typename PrintCounts>
int RunImport(const Context& context, const std::string& file, int64_t bytes,
              const Options& options, Open open, PrintCounts print_counts,
              const char* partial_hint) {
  Response response;
  auto call = NewContext(context.options);
  auto writer = open(call.get(), &response);
  const auto status = UploadFile(file, bytes, options, call.get(), writer.get());
  if (!status) return kExitFailed;
  if (!status->ok()) return ReportError(*status);
  const bool failed = !response.applied() && !response.problems().empty();
  PrintResult(context, response, [&] {
    print_counts(response);
    PrintImportProblems(response.problems());
    if (failed) {
      std::cerr << "取り込みませんでした / nothing was imported"
                << (options.allow_partial() || options.validate_only() ? "" : partial_hint) << "\n";
    }
  });
  return failed ? kExitFailed : kExitOk;
}

}  // namespace casecoord::cli
