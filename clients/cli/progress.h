// A progress bar on stderr for transfers whose size is known (casectl agency import/export).
#pragma once

#include <cstdint>
#include <string>

namespace casecoord::cli {

// "[#########.......]  56% 2.1/3.8 MiB": a bar of `bar_width` cells, the percentage and the
// amounts in the unit that suits `total` (B, KiB, MiB, GiB). A zero total counts as complete.
std::string FormatProgress(int64_t done, int64_t total, int bar_width = 20);

// Reports progress on stderr. On a terminal, one line redrawn in place with "\r" whenever the
// percentage changes; otherwise (a log file, a pipe) a plain line at 25%, 50%, 75% and 100%, so
// that logs stay short.
class Progress {
 public:
  // `label` starts every line, e.g. "送信 / sending".
  Progress(std::string label, int64_t total);
  // As above, choosing the terminal form or not explicitly (for tests).
  Progress(std::string label, int64_t total, bool terminal);

  void set_total(int64_t total) { total_ = total; }
  // `done` bytes of total have been transferred.
  void Update(int64_t done);
  // Shows completion of what was done and ends the line. Called once; further calls do nothing.
  void Finish();

 private:
  int Percent(int64_t done) const;

  std::string label_;
  int64_t total_;
  bool terminal_;
  int64_t done_ = 0;
  int shown_percent_ = -1;  // terminal: last percentage drawn; otherwise last milestone printed
  bool finished_ = false;
};

}  // namespace casecoord::cli
