// Instruments for /metrics and their rendering in the Prometheus text exposition format (0.0.4).
//
// Components own their instruments (a Histogram, a LabeledCounters) as plain members and update
// them on their hot paths without locks where possible; the server registers collectors that read
// them at scrape time and write whole metric families. Labels carry names of methods, codes and
// states, never a user's or a household's data.
//
// Thread safety: Histogram, LabeledCounters and LabeledHistograms may be updated and read from any
// thread. An ExpositionWriter belongs to one scrape. Registry::Add must happen before the first
// Render; Render may run on any thread, concurrently with updates.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace casecoord::metrics {

// Upper bounds for latencies in seconds: 0.5 ms to 10 s.
std::vector<double> LatencyBuckets();
// Upper bounds for counts of things per event (entries per fsync group): 1 to 1024.
std::vector<double> CountBuckets();

// A cumulative histogram with fixed upper bounds (plus +Inf); Observe is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  // Counts read bucket by bucket while others may observe: each bucket is exact, the whole is
  // within the observations that raced with the read, and cumulative counts never decrease.
  Snapshot Read() const;

 private:
  const std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;  // non-cumulative; last one is +Inf
  std::atomic<double> sum_{0};
};

using LabelValues = std::vector<std::string>;

// Counters keyed by label values, created on first use. The caller bounds the label values (known
// methods and codes), so the set cannot grow without bound.
class LabeledCounters {
 public:
  void Add(const LabelValues& labels, double amount = 1);
  std::map<LabelValues, double> Read() const;

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, double> values_;
};

// Histograms keyed by label values, created on first use (bounded by the caller, as above).
class LabeledHistograms {
 public:
  explicit LabeledHistograms(std::vector<double> upper_bounds)
      : upper_bounds_(std::move(upper_bounds)) {}
  void Observe(const LabelValues& labels, double value);
  std::vector<std::pair<LabelValues, Histogram::Snapshot>> Read() const;

 private:
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Histogram>> histograms_;
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// Builds one scrape's text. Each family is announced once (HELP and TYPE) and its samples follow
// it; label values are escaped as the format requires.
class ExpositionWriter {
 public:
  // type: "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  // NAME_bucket{...,le="..."}, NAME_sum and NAME_count of one histogram.
  void HistogramSamples(std::string_view name, const Labels& labels,
                        const Histogram::Snapshot& snapshot);
  // A family of one unlabelled gauge or counter.
  void Single(std::string_view name, std::string_view type, std::string_view help, double value);
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

// Labels from names and values of the same length.
Labels Zip(const std::vector<std::string>& names, const LabelValues& values);

class Registry {
 public:
  using Collector = std::function<void(ExpositionWriter&)>;
  void Add(Collector collector) { collectors_.push_back(std::move(collector)); }
  // The text of every collector, in the order they were added.
  std::string Render() const;

 private:
  std::vector<Collector> collectors_;
};

}  // namespace casecoord::metrics
