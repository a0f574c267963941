#include "clients/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <utility>

namespace casecoord::cli {
namespace {

// The amounts in the unit that suits the total: "2.1/3.8 MiB", or whole bytes under 1 KiB.
std::string Amounts(int64_t done, int64_t total) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  int unit = 0;
  double scale = 1;
  while (unit < 3 && static_cast<double>(total) >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  char buffer[64];
  if (unit == 0) {
    std::snprintf(buffer, sizeof(buffer), "%lld/%lld B", static_cast<long long>(done),
                  static_cast<long long>(total));
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.1f/%.1f %s", static_cast<double>(done) / scale,
                  static_cast<double>(total) / scale, units[unit]);
  }
  return buffer;
}

int PercentOf(int64_t done, int64_t total) {
  if (total <= 0) return 100;
  return static_cast<int>(std::clamp<int64_t>(done * 100 / total, 0, 100));
}

}  // namespace

std::string FormatProgress(int64_t done, int64_t total, int bar_width) {
  const int percent = PercentOf(done, total);
  const int filled = percent * bar_width / 100;
  std::string bar = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]";
  char percent_text[8];
  std::snprintf(percent_text, sizeof(percent_text), "%3d%%", percent);
  return bar + " " + percent_text + " " + Amounts(done, std::max<int64_t>(total, 0));
}

Progress::Progress(std::string label, int64_t total)
    : Progress(std::move(label), total, isatty(STDERR_FILENO) == 1) {}

Progress::Progress(std::string label, int64_t total, bool terminal)
    : label_(std::move(label)), total_(total), terminal_(terminal) {}

int Progress::Percent(int64_t done) const { return PercentOf(done, total_); }

void Progress::Update(int64_t done) {
  if (finished_) return;
  done_ = done;
  const int percent = Percent(done);
  if (terminal_) {
    if (percent == shown_percent_) return;
    shown_percent_ = percent;
    std::cerr << "\r" << label_ << " " << FormatProgress(done, total_) << std::flush;
    return;
  }
  const int milestone = percent / 25 * 25;
  if (milestone <= shown_percent_ || milestone == 0) return;
  shown_percent_ = milestone;
  std::cerr << label_ << " " << FormatProgress(done, total_) << "\n";
}

void Progress::Finish() {
  if (finished_) return;
  Update(done_);
  finished_ = true;
  if (terminal_ && shown_percent_ >= 0) std::cerr << "\n";
}

}  // namespace casecoord::cli
