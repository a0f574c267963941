// Follows work lists for the WatchDueItems streams with one thread, so that a stream learns what
// fell due without a thread of its own and without anyone writing to it.
//
// Why polling: items fall due because the day changes (by the injectable clock) as much as because
// someone writes, and the writers (checks, minutes, plans) only prepare batches that others commit;
// a commit-time notification would have to be threaded through every store. Reading an owner's
// items due now is one short range read of the work list index (services/worklist), so the thread
// reads each followed owner once per interval, however many streams follow it, and hands the
// snapshot to each of them; SentItems tells a stream which of them it has not sent. With nothing
// followed the thread sleeps until something is.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "casecoord/v1/monitoring.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::monitoring {

// A stream follows at most this many of an owner's items due now (the soonest).
inline constexpr int kMaxWatchedItems = 10000;

// What one stream has sent: the due day of each subject it sent, while the subject stays due.
// Not thread-safe (each stream guards its own).
class SentItems {
 public:
  // The items of `due_now` (an owner's items due now) not yet sent with their current due date;
  // records them as sent and forgets the subjects no longer in `due_now`, so that an item that
  // leaves the list (a check recorded) and comes back (falls due again) is sent again.
  std::vector<v1::DueItem> Update(const std::vector<v1::DueItem>& due_now);

 private:
  std::map<std::string, int> sent_;  // subject -> DayNumber of the due date sent
};

struct DueWatcherOptions {
  // How often each followed owner's list is read (setting due-watch-interval-ms). An item that
  // falls due reaches its streams within about this long.
  std::chrono::milliseconds interval{1000};
  int max_items = kMaxWatchedItems;
};

class DueWatcher {
 public:
  // A stream, as the watcher sees it. Calls come from the watcher's thread (Offer) or from the
  // thread calling Stop (Stopped), never two at once for one subscriber.
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // The owner's items due now (due on or before today), soonest first, at most max_items.
    // Returns false once the stream has ended: the watcher then forgets the subscriber.
    virtual bool Offer(const std::vector<v1::DueItem>& due_now) = 0;
    // The watcher is stopping (server shutdown): end the stream. Not called after Offer returned
    // false.
    virtual void Stopped() = 0;
  };

  // `storage` and `clock` must outlive the watcher. The thread starts at once.
  DueWatcher(const storage::Storage& storage, const Clock& clock, DueWatcherOptions options = {});
  // Stop().
  ~DueWatcher();
  DueWatcher(const DueWatcher&) = delete;
  DueWatcher& operator=(const DueWatcher&) = delete;

  // The items of `owner` due now ("today" by the clock), soonest first, at most max_items.
  Result<std::vector<v1::DueItem>> DueNow(const std::string& owner) const;

  // Follows `owner` for `subscriber` from the next interval on, until Offer returns false or the
  // watcher stops. False (and the subscriber is never called) if the watcher has stopped.
  bool Add(const std::string& owner, std::shared_ptr<Subscriber> subscriber);

  // Stops the thread, then calls Stopped() on every subscriber still followed. Add() fails from
  // the moment Stop() is called. Idempotent.
  void Stop();

  // Subscribers followed now (a stream that ended is forgotten at the next interval).
  size_t subscriber_count() const;

 private:
  void Run();
  // One interval's work: read each followed owner once and offer the snapshot to its streams.
  void PollOnce();

  const storage::Storage& storage_;
  const Clock& clock_;
  const DueWatcherOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<std::pair<std::string, std::shared_ptr<Subscriber>>> subscribers_;
  std::thread thread_;
};

}  // namespace casecoord::monitoring
