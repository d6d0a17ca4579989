// Internal: the per-file time limit (--timeout). The pipeline opens a
// DeadlineScope around each stage of a file on the thread that runs it; the
// codecs' and the resampler's own loops (libjpeg scans and scanlines, libpng
// rows, the encoders' rows) ask DeadlineCheck every few rows and stop there
// with timed-out, so a file past its limit stops working instead of being
// labelled late. Without a scope (the single-image API, or --timeout 0) a
// check costs one comparison and never reads the clock.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "imgflow/error.hpp"

namespace imgflow::detail {

using DeadlineClock = std::chrono::steady_clock;

/// When the file this thread works on must be done, and its limit for messages.
struct Deadline {
  DeadlineClock::time_point at = DeadlineClock::time_point::max();  ///< max: none
  double limit_seconds = 0;

  bool none() const noexcept { return at == DeadlineClock::time_point::max(); }
  bool passed() const noexcept { return !none() && DeadlineClock::now() >= at; }
};

/// The deadline of the file the calling thread works on.
inline Deadline& thread_deadline() noexcept {
  thread_local Deadline deadline;
  return deadline;
}

/// Sets the calling thread's deadline for one stage and restores the one
/// before it on exit (oneTBB may run another file's stage on this thread
/// while it waits, nested inside this one).
class DeadlineScope {
 public:
  explicit DeadlineScope(Deadline deadline) noexcept : saved_(thread_deadline()) {
    thread_deadline() = deadline;
  }
  ~DeadlineScope() { thread_deadline() = saved_; }
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;

 private:
  Deadline saved_;
};

/// "<where> stopped: the file ran past its N s limit (--timeout)" (stopped:
/// the work was abandoned), or with `finished` "<where> finished after the
/// file's N s limit (--timeout)" (work with no loop of ours inside, checked
/// when it returns).
inline Error timed_out_error(const char* where, bool finished = false) {
  char limit[32];
  std::snprintf(limit, sizeof limit, "%g", thread_deadline().limit_seconds);
  return Error(ErrorCode::timed_out,
               std::string(where) +
                   (finished ? " finished after the file's " : " stopped: the file ran past its ") +
                   limit + " s limit (--timeout)");
}

/// Throws timed-out if the calling thread's deadline has passed.
inline void check_deadline(const char* where) {
  if (thread_deadline().passed()) throw timed_out_error(where);
}

/// For loops of cheap steps (rows, scans): reads the clock only every
/// `Every` calls. A steady_clock read costs about 20 ns; a row of a 4000-pixel
/// image takes tens of microseconds, so checking every 16 rows costs nothing
/// measurable and stops within a few milliseconds.
template <unsigned Every = 16>
class DeadlineCheck {
 public:
  DeadlineCheck() noexcept : deadline_(thread_deadline()) {}
  /// True once the deadline has passed (checked every `Every` calls).
  bool passed() noexcept {
    if (deadline_.none() || ++calls_ % Every != 0) return false;
    return deadline_.passed();
  }

 private:
  Deadline deadline_;
  unsigned calls_ = 0;
};

}  // namespace imgflow::detail
