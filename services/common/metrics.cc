#include "services/common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace casecoord::metrics {
namespace {

// Shortest text that reads back as the same double; integers without a fraction.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  return buffer;
}

void AppendEscaped(std::string& out, std::string_view value, bool quote_too) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote_too && c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

void AppendLabels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out.push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out.push_back(',');
    first = false;
    out += name;
    out += "=\"";
    AppendEscaped(out, value, true);
    out.push_back('"');
  }
  out.push_back('}');
}

}  // namespace

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> CountBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}; }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<uint64_t>[upper_bounds_.size() + 1]) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i].store(0);
}

void Histogram::Observe(double value) {
  const auto bound = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  bucket_counts_[bound - upper_bounds_.begin()].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative_counts.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

void LabeledCounters::Add(const LabelValues& labels, double amount) {
  std::lock_guard<std::mutex> lock(mutex_);
  values_[labels] += amount;
}

std::map<LabelValues, double> LabeledCounters::Read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return values_;
}

void LabeledHistograms::Observe(const LabelValues& labels, double value) {
  Histogram* histogram = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = histograms_[labels];
    if (!slot) slot = std::make_unique<Histogram>(upper_bounds_);
    histogram = slot.get();
  }
  // Histograms are never removed, so the pointer stays valid outside the lock.
  histogram->Observe(value);
}

std::vector<std::pair<LabelValues, Histogram::Snapshot>> LabeledHistograms::Read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<LabelValues, Histogram::Snapshot>> out;
  out.reserve(histograms_.size());
  for (const auto& [labels, histogram] : histograms_) out.emplace_back(labels, histogram->Read());
  return out;
}

void ExpositionWriter::Family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_.push_back(' ');
  AppendEscaped(text_, help, false);
  text_ += "\n# TYPE ";
  text_ += name;
  text_.push_back(' ');
  text_ += type;
  text_.push_back('\n');
}

void ExpositionWriter::Sample(std::string_view name, const Labels& labels, double value) {
  text_ += name;
  AppendLabels(text_, labels);
  text_.push_back(' ');
  text_ += FormatValue(value);
  text_.push_back('\n');
}

void ExpositionWriter::HistogramSamples(std::string_view name, const Labels& labels,
                                        const Histogram::Snapshot& snapshot) {
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i < snapshot.cumulative_counts.size(); ++i) {
    Labels with_bound = labels;
    with_bound.emplace_back("le", i < snapshot.upper_bounds.size()
                                      ? FormatValue(snapshot.upper_bounds[i])
                                      : std::string("+Inf"));
    Sample(bucket, with_bound, static_cast<double>(snapshot.cumulative_counts[i]));
  }
  Sample(std::string(name) + "_sum", labels, snapshot.sum);
  Sample(std::string(name) + "_count", labels, static_cast<double>(snapshot.count));
}

void ExpositionWriter::Single(std::string_view name, std::string_view type, std::string_view help,
                              double value) {
  Family(name, type, help);
  Sample(name, {}, value);
}

Labels Zip(const std::vector<std::string>& names, const LabelValues& values) {
  Labels labels;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    labels.emplace_back(names[i], values[i]);
  }
  return labels;
}

std::string Registry::Render() const {
  ExpositionWriter writer;
  for (const auto& collector : collectors_) collector(writer);
  return writer.Take();
}

}  // namespace casecoord::metrics
