// Flag parsing, the measuring window and small statistics shared by the benchmarks in bench/.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace casecoord::bench {

// The `fraction` quantile (0.5 = median) of `samples`, which it reorders; NaN when empty.
inline double Percentile(std::vector<float>& samples, double fraction) {
  if (samples.empty()) return NAN;
  size_t index = std::min(samples.size() - 1, static_cast<size_t>(fraction * samples.size()));
  std::nth_element(samples.begin(), samples.begin() + index, samples.end());
  return samples[index];
}

// The median of `values`; NaN when empty.
inline double Median(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// What ParseFlags accepts: "--name value" pairs whose value is a positive number (`numbers`), a
// positive integer (`integers`), or comma-separated positive integers (`lists`).
struct FlagSpec {
  std::map<std::string, double*> numbers;
  std::map<std::string, int*> integers;
  std::map<std::string, std::vector<int>*> lists;
};

// Fills the targets of `spec` from argv; on --help or anything malformed prints `usage` and exits
// with status 2.
inline void ParseFlags(int argc, char** argv, const char* usage, const FlagSpec& spec) {
  auto fail = [usage](const std::string& problem) {
    std::fprintf(stderr, "%s\nusage: %s\n", problem.c_str(), usage);
    std::exit(2);
  };
  auto positive = [&fail](const std::string& name, const std::string& text) {
    char* end = nullptr;
    double number = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(number > 0)) fail("bad value for " + name + ": " + text);
    return number;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--help" || name == "-h") fail("");
    if (i + 1 >= argc) fail("missing value for " + name);
    const std::string value = argv[++i];
    if (auto it = spec.numbers.find(name); it != spec.numbers.end()) {
      *it->second = positive(name, value);
    } else if (auto it = spec.integers.find(name); it != spec.integers.end()) {
      double number = positive(name, value);
      if (number != static_cast<int>(number)) fail("not an integer for " + name + ": " + value);
      *it->second = static_cast<int>(number);
    } else if (auto it = spec.lists.find(name); it != spec.lists.end()) {
      it->second->clear();
      for (size_t start = 0; start <= value.size();) {
        size_t comma = std::min(value.find(',', start), value.size());
        double number = positive(name, value.substr(start, comma - start));
        it->second->push_back(static_cast<int>(number));
        start = comma + 1;
      }
    } else {
      fail("unknown flag " + name);
    }
  }
}

// With the clients already running in `phase` 0 (warm-up): waits `warmup_seconds`, opens the
// measuring window (phase 1) for `seconds`, closes it (phase 2), and returns its true length.
inline double MeasureWindow(std::atomic<int>& phase, double warmup_seconds, double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_seconds));
  auto start = std::chrono::steady_clock::now();
  phase = 1;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  phase = 2;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace casecoord::bench
