// Runs a unary handler's blocking work on the worker pool and finishes the reactor from there, so
// that gRPC's callback threads never wait on storage.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>

#include "services/common/grpc_errors.h"
#include "services/common/worker_pool.h"

namespace casecoord {

// `work` runs on a worker thread and returns the call's outcome. If the pool refuses the work
// (queue full or shutting down) the call ends with RESOURCE_EXHAUSTED or UNAVAILABLE at once; a
// call whose deadline passed or that the client cancelled while queued is not run.
inline grpc::ServerUnaryReactor* RunOnWorkers(WorkerPool& pool,
                                              grpc::CallbackServerContext* context,
                                              std::function<Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool.Submit([reactor, context, work = std::move(work)] {
    if (context->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
      return;
    }
    reactor->Finish(ToGrpcStatus(work()));
  });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(Status(StatusCode::kResourceExhausted, "SERVER_BUSY",
                                        "the server's work queue is full or shutting down")));
  }
  return reactor;
}

}  // namespace casecoord
