#include "cli/progress_bar.hpp"

#include <cmath>

namespace imgflow::cli {

ProgressBar::ProgressBar(bool enabled, std::FILE* out) : enabled_(enabled), out_(out) {}

void ProgressBar::set_output(std::FILE* out) {
  std::lock_guard lock(mutex_);
  out_ = out;
}

void ProgressBar::update(const Progress& progress) {
  std::lock_guard lock(mutex_);
  last_ = progress;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if ((progress.done < progress.total || !progress.total_known) &&
      now - last_draw_ < std::chrono::milliseconds(100))
    return;
  last_draw_ = now;
  draw();
}

void ProgressBar::print_line(const std::string& line) {
  std::lock_guard lock(mutex_);
  clear_locked();
  std::fprintf(out_, "%s\n", line.c_str());
  if (enabled_ && last_.total > 0) draw();
  std::fflush(out_);
}

void ProgressBar::clear() {
  std::lock_guard lock(mutex_);
  clear_locked();
}

void ProgressBar::clear_locked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", out_);
  drawn_ = false;
  std::fflush(out_);
}

void ProgressBar::draw() {
  constexpr int kWidth = 30;
  const double fraction = last_.total ? double(last_.done) / double(last_.total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  const double rate = last_.seconds > 0 ? double(last_.done) / last_.seconds : 0.0;
  std::string eta = "--:--";
  if (rate > 0) eta = format_duration(double(last_.total - last_.done) / rate);
  std::string failed;
  if (last_.failed) failed = "  " + std::to_string(last_.failed) + " failed";
  // While the inputs are still being counted the total is a floor: "1200/5000+".
  std::fprintf(out_, "\r\033[K[%s] %zu/%zu%s  %.1f img/s  ETA %s%s", bar.c_str(), last_.done,
               last_.total, last_.total_known ? "" : "+", rate, eta.c_str(), failed.c_str());
  std::fflush(out_);
  drawn_ = true;
}

std::string format_duration(double seconds) {
  const long total = std::lround(seconds);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
  }
  return text;
}

}  // namespace imgflow::cli
