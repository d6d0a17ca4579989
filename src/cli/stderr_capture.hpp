// While a run is in progress, whatever a codec library writes straight to
// stderr (OpenCV's "imdecode_(...)" lines, libtiff, GDAL) is caught here and
// handed over line by line, so it is printed as an imgflow warning above the
// progress bar instead of in the middle of it.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <thread>

namespace imgflow::cli {

class StderrCapture {
 public:
  /// Redirects fd 2 into a pipe; `on_line` gets each line, from a helper thread.
  explicit StderrCapture(std::function<void(const std::string&)> on_line);
  /// Puts fd 2 back, after passing on what is left.
  ~StderrCapture();
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  /// The real stderr, for imgflow's own messages (nullptr if capture failed).
  std::FILE* terminal() const { return terminal_; }

 private:
  std::function<void(const std::string&)> on_line_;
  int saved_fd_ = -1;
  int read_fd_ = -1;
  std::FILE* terminal_ = nullptr;
  std::thread reader_;
};

}  // namespace imgflow::cli
