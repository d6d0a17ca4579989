// Internal: a separable Lanczos-3 resampler whose kernel widens with the
// shrink factor (as libvips' reduce and Pillow do), so downscaling neither
// aliases nor blurs more than it must. OpenCV's INTER_LANCZOS4 does not widen
// its kernel and aliases when shrinking by more than about 1.5x.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

namespace imgflow::detail {

/// Resamples 8-bit or float pixels (1..4 channels) to `size`. With `depth`
/// CV_32F (the default) the output is float in the same value range (not
/// clamped: Lanczos overshoots); with CV_8U each row is rounded and saturated
/// as convertTo(CV_8U) would round the float image, without holding it.
cv::Mat lanczos3(const cv::Mat& pixels, cv::Size size, int depth = CV_32F);

/// The same resampler one output row at a time, for a caller that holds only
/// a window of input rows (the streamed decode): output row `y` reads input
/// rows first_input(y)..last_input(y), at most window() of them. Rows are
/// 8-bit or float (`type`, 1..4 channels); output rows are float. Gives
/// exactly lanczos3()'s pixels.
class LanczosRows {
 public:
  /// Input row `y` (of `in.width` pixels of `type`).
  using InputRows = std::function<const void*(int y)>;

  LanczosRows(cv::Size in, cv::Size out, int type);
  ~LanczosRows();
  LanczosRows(const LanczosRows&) = delete;
  LanczosRows& operator=(const LanczosRows&) = delete;

  int first_input(int y) const;
  int last_input(int y) const;
  int window() const;
  /// Writes output row `y` (out.width × channels floats) to `out`.
  void output_row(const InputRows& input, int y, float* out);
  void output_row(const cv::Mat& pixels, int y, float* out);

 private:
  struct Kernels;
  std::unique_ptr<Kernels> kernels_;
  cv::Size in_, out_;
  int type_;
  std::vector<float> row_;
  std::vector<const void*> row_pointers_;
};

}  // namespace imgflow::detail
