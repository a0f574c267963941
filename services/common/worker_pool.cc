#include "services/common/worker_pool.h"

#include "services/common/log.h"

namespace casecoord {

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::Submit(std::function<void()> task) {
  {
    MutexLock lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::Shutdown() {
  {
    MutexLock lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void WorkerPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(mutex_);
      lock.Wait(wake_, [this] {
        mutex_.AssertHeld();
        return stopping_ || !queue_.empty();
      });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    // Tasks are written not to throw (the gatekeeper already catches what handlers throw); a
    // throw that got this far must not take the process, and the pool's thread, with it.
    try {
      task();
    } catch (const std::exception& e) {
      log::Error("worker task threw", {{"exception", std::string(e.what()).substr(0, 200)}});
    } catch (...) {
      log::Error("worker task threw", {{"exception", "not a std::exception"}});
    }
  }
}

}  // namespace casecoord
