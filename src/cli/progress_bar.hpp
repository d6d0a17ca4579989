// A one-line progress bar on stderr (files done/total, images/s, ETA), drawn
// only when stderr is a terminal. Other messages go through print_line() so
// they never land in the middle of the bar.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "imgflow/pipeline.hpp"

namespace imgflow::cli {

class ProgressBar {
 public:
  /// `enabled` false: print_line still works, the bar is never drawn.
  /// All calls are thread-safe.
  explicit ProgressBar(bool enabled, std::FILE* out = stderr);

  bool enabled() const noexcept { return enabled_; }

  /// Where the bar and lines go from now on.
  void set_output(std::FILE* out);

  /// Redraws (at most ten times a second, and always for the last file).
  void update(const Progress& progress);
  /// Prints a whole line above the bar.
  void print_line(const std::string& line);
  /// Removes the bar.
  void clear();

 private:
  void draw();
  void clear_locked();
  std::mutex mutex_;

  bool enabled_;
  std::FILE* out_;
  Progress last_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

/// "1:05" / "1:02:03".
std::string format_duration(double seconds);

}  // namespace imgflow::cli
