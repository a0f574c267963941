// Small statistics shared by the benchmarks in bench/.
#pragma once

#include <algorithm>
#include <cmath>
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

}  // namespace casecoord::bench
