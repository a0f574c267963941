// Clang thread-safety annotations (-Wthread-safety, checked by `make lint`) and a mutex that
// carries them.
//
// libstdc++'s std::mutex is not annotated, so a member GUARDED_BY a std::mutex cannot be checked;
// Mutex and MutexLock below wrap std::mutex and std::unique_lock with the annotations, in the
// manner of leveldb's port::Mutex. On GCC every macro expands to nothing and Mutex costs what
// std::mutex costs.
//
// The macros are prefixed CASECOORD_ because abseil (included through gRPC's headers) defines the
// unprefixed legacy names (GUARDED_BY, ...) itself. Meaning, per clang's ThreadSafetyAnalysis:
//   CASECOORD_GUARDED_BY(mu)   the member is read and written only while mu is held;
//   CASECOORD_REQUIRES(mu)     callers must hold mu;
//   CASECOORD_EXCLUDES(mu)     callers must not hold mu (the function takes it);
//   CASECOORD_ACQUIRE/RELEASE  the function takes/releases the capability and returns holding it
//                              or not.
//
// Thread safety: Mutex is a mutex; a MutexLock belongs to the thread that created it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

#if defined(__clang__)
#define CASECOORD_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CASECOORD_THREAD_ANNOTATION(x)
#endif

#define CASECOORD_CAPABILITY(name) CASECOORD_THREAD_ANNOTATION(capability(name))
#define CASECOORD_SCOPED_CAPABILITY CASECOORD_THREAD_ANNOTATION(scoped_lockable)
#define CASECOORD_GUARDED_BY(x) CASECOORD_THREAD_ANNOTATION(guarded_by(x))
#define CASECOORD_PT_GUARDED_BY(x) CASECOORD_THREAD_ANNOTATION(pt_guarded_by(x))
#define CASECOORD_ACQUIRED_BEFORE(...) CASECOORD_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define CASECOORD_ACQUIRED_AFTER(...) CASECOORD_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define CASECOORD_REQUIRES(...) CASECOORD_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define CASECOORD_REQUIRES_SHARED(...) \
  CASECOORD_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define CASECOORD_ACQUIRE(...) CASECOORD_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define CASECOORD_ACQUIRE_SHARED(...) \
  CASECOORD_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define CASECOORD_RELEASE(...) CASECOORD_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define CASECOORD_RELEASE_SHARED(...) \
  CASECOORD_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define CASECOORD_TRY_ACQUIRE(...) CASECOORD_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define CASECOORD_EXCLUDES(...) CASECOORD_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define CASECOORD_ASSERT_CAPABILITY(x) CASECOORD_THREAD_ANNOTATION(assert_capability(x))
#define CASECOORD_RETURN_CAPABILITY(x) CASECOORD_THREAD_ANNOTATION(lock_returned(x))
#define CASECOORD_NO_THREAD_SAFETY_ANALYSIS CASECOORD_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace casecoord {

// A std::mutex the analysis knows about. Not recursive.
class CASECOORD_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // The bodies call the unannotated std::mutex, hence no analysis inside them.
  void Lock() CASECOORD_ACQUIRE() CASECOORD_NO_THREAD_SAFETY_ANALYSIS { mutex_.lock(); }
  void Unlock() CASECOORD_RELEASE() CASECOORD_NO_THREAD_SAFETY_ANALYSIS { mutex_.unlock(); }
  // Tells the analysis that the caller holds the mutex where it cannot see it (in a predicate
  // that MutexLock::Wait calls with the mutex held). Checks nothing at run time.
  void AssertHeld() const CASECOORD_ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mutex_;
};

// Holds a Mutex for its scope, like std::unique_lock: it can be released and taken again, and a
// condition variable can wait on it.
class CASECOORD_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) CASECOORD_ACQUIRE(mutex) CASECOORD_NO_THREAD_SAFETY_ANALYSIS
      : lock_(mutex.mutex_) {}
  ~MutexLock() CASECOORD_RELEASE() CASECOORD_NO_THREAD_SAFETY_ANALYSIS {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() CASECOORD_RELEASE() CASECOORD_NO_THREAD_SAFETY_ANALYSIS { lock_.unlock(); }
  void Lock() CASECOORD_ACQUIRE() CASECOORD_NO_THREAD_SAFETY_ANALYSIS { lock_.lock(); }

  // std::condition_variable::wait(lock, ready). `ready` runs with the mutex held; it tells the
  // analysis so with Mutex::AssertHeld().
  template <typename Predicate>
  void Wait(std::condition_variable& condition, Predicate ready) {
    condition.wait(lock_, std::move(ready));
  }
  // std::condition_variable::wait_for(lock, timeout, ready): ready() as of the return.
  template <typename Rep, typename Period, typename Predicate>
  bool WaitFor(std::condition_variable& condition, std::chrono::duration<Rep, Period> timeout,
               Predicate ready) {
    return condition.wait_for(lock_, timeout, std::move(ready));
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace casecoord
