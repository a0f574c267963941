#include "services/monitoring/due_watcher.h"

#include <algorithm>

#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/worklist/due_index.h"

namespace casecoord::monitoring {

std::vector<v1::DueItem> SentItems::Update(const std::vector<v1::DueItem>& due_now) {
  std::vector<v1::DueItem> fresh;
  std::map<std::string, int> now;
  for (const auto& item : due_now) {
    const int day = worklist::DayNumber(item.due_date());
    auto it = sent_.find(item.subject());
    if (it == sent_.end() || it->second != day) fresh.push_back(item);
    now.emplace(item.subject(), day);
  }
  sent_ = std::move(now);
  return fresh;
}

DueWatcher::DueWatcher(const storage::Storage& storage, const Clock& clock,
                       DueWatcherOptions options)
    : storage_(storage), clock_(clock), options_(options), thread_([this] { Run(); }) {}

DueWatcher::~DueWatcher() { Stop(); }

Result<std::vector<v1::DueItem>> DueWatcher::DueNow(const std::string& owner) const {
  const v1::Date today = JstToday(clock_);
  auto page = worklist::ListDue(storage_, owner, today, today, "", options_.max_items);
  if (!page.ok()) return page.status();
  return std::move(page->items);
}

bool DueWatcher::Add(const std::string& owner, std::shared_ptr<Subscriber> subscriber) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return false;
    subscribers_.emplace_back(owner, std::move(subscriber));
  }
  wake_.notify_one();
  return true;
}

void DueWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  // The thread is gone, so no Offer can run while the streams end.
  std::vector<std::pair<std::string, std::shared_ptr<Subscriber>>> remaining;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    remaining.swap(subscribers_);
  }
  for (auto& [owner, subscriber] : remaining) subscriber->Stopped();
}

size_t DueWatcher::subscriber_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return subscribers_.size();
}

void DueWatcher::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (subscribers_.empty()) {
      wake_.wait(lock, [this] { return stopping_ || !subscribers_.empty(); });
    } else {
      wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
    }
    if (stopping_) break;
    lock.unlock();
    PollOnce();
    lock.lock();
  }
}

void DueWatcher::PollOnce() {
  std::vector<std::pair<std::string, std::shared_ptr<Subscriber>>> followed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    followed = subscribers_;
  }
  std::sort(followed.begin(), followed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Subscriber*> ended;
  for (size_t begin = 0; begin < followed.size();) {
    size_t end = begin;
    while (end < followed.size() && followed[end].first == followed[begin].first) ++end;
    auto due_now = DueNow(followed[begin].first);
    if (!due_now.ok()) {
      // The streams stay; the next interval reads again.
      log::Warning("work list not readable for a watch",
                   {{"owner", followed[begin].first}, {"error", due_now.status().ToString()}});
    } else {
      for (size_t i = begin; i < end; ++i) {
        if (!followed[i].second->Offer(*due_now)) ended.push_back(followed[i].second.get());
      }
    }
    begin = end;
  }
  if (ended.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase_if(subscribers_, [&ended](const auto& entry) {
    return std::find(ended.begin(), ended.end(), entry.second.get()) != ended.end();
  });
}

}  // namespace casecoord::monitoring
