#include "services/common/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace casecoord::metrics {
namespace {

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfinityLast) {
  Histogram histogram({0.1, 1, 10});
  for (double value : {0.05, 0.1, 0.5, 1.0, 7.0, 50.0}) histogram.Observe(value);
  const Histogram::Snapshot snapshot = histogram.Read();
  // A value equal to a bound falls in that bound's bucket (le: less than or equal).
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(snapshot.count, 6u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 58.65);
}

TEST(MetricsTest, ConcurrentObservationsAreAllCounted) {
  Histogram histogram(LatencyBuckets());
  LabeledCounters counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        histogram.Observe(0.001 * (i % 7));
        counters.Add({t % 2 == 0 ? "even" : "odd"});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(histogram.Read().count, 40000u);
  const auto values = counters.Read();
  EXPECT_EQ(values.at({"even"}), 20000);
  EXPECT_EQ(values.at({"odd"}), 20000);
}

TEST(MetricsTest, ExpositionAnnouncesEachFamilyOnceAndEscapesLabelValues) {
  LabeledHistograms durations({0.5});
  durations.Observe({"Get"}, 0.25);
  durations.Observe({"Get"}, 2);
  Registry registry;
  registry.Add([](ExpositionWriter& writer) {
    writer.Family("calls_total", "counter", "Calls.\nBy method (help escaped too).");
    writer.Sample("calls_total", {{"method", "a\"b\\c\nd"}}, 3);
    writer.Single("up", "gauge", "Whether it runs.", 1);
  });
  registry.Add([&](ExpositionWriter& writer) {
    writer.Family("duration_seconds", "histogram", "Durations.");
    for (const auto& [labels, snapshot] : durations.Read()) {
      writer.HistogramSamples("duration_seconds", Zip({"method"}, labels), snapshot);
    }
  });
  EXPECT_EQ(registry.Render(),
            "# HELP calls_total Calls.\\nBy method (help escaped too).\n"
            "# TYPE calls_total counter\n"
            "calls_total{method=\"a\\\"b\\\\c\\nd\"} 3\n"
            "# HELP up Whether it runs.\n"
            "# TYPE up gauge\n"
            "up 1\n"
            "# HELP duration_seconds Durations.\n"
            "# TYPE duration_seconds histogram\n"
            "duration_seconds_bucket{method=\"Get\",le=\"0.5\"} 1\n"
            "duration_seconds_bucket{method=\"Get\",le=\"+Inf\"} 2\n"
            "duration_seconds_sum{method=\"Get\"} 2.25\n"
            "duration_seconds_count{method=\"Get\"} 2\n");
}

}  // namespace
}  // namespace casecoord::metrics
