// A fixed-size pool of threads for blocking work (RocksDB reads and synced writes), so that gRPC's
// callback reactors never block. Handlers submit a closure and Finish() the reactor from it.
//
// Thread safety: Submit() may be called from any thread. Shutdown() is idempotent; the destructor
// calls it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "services/common/thread_annotations.h"

namespace casecoord {

class WorkerPool {
 public:
  // `threads` >= 1. `max_queued` bounds the backlog; Submit() refuses work beyond it.
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`. Returns false, without running it, if the queue is full or the pool is shut
  // down; the caller then answers RESOURCE_EXHAUSTED or UNAVAILABLE itself.
  bool Submit(std::function<void()> task) CASECOORD_EXCLUDES(mutex_);

  // Stops accepting work, runs every task already queued, and joins the threads.
  void Shutdown() CASECOORD_EXCLUDES(mutex_);

  size_t thread_count() const { return threads_.size(); }

 private:
  void Run();

  const size_t max_queued_;
  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_ CASECOORD_GUARDED_BY(mutex_);
  bool stopping_ CASECOORD_GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace casecoord
