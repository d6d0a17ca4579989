// Internal: the steps of resize() that the streamed resizer (resize_rows.cpp)
// takes too, so both give the same pixels.
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/resize.hpp"

namespace imgflow::detail {

/// The whole factors Filter::automatic box-averages by before Lanczos-3: as
/// large as keeps at least twice `target` on each side (1 = no box step).
cv::Size box_factors(cv::Size in, cv::Size target);

/// Box-averages BGRA rows by kx × ky into premultiplied float [0, 1] rows,
/// one input row at a time: add_row() ky times, then take_row().
class PremultipliedBox {
 public:
  PremultipliedBox(int out_width, int kx, int ky, float max);
  /// One input row of at least out_width × kx BGRA pixels (8- or 16-bit).
  template <typename T>
  void add_row(const T* row);
  /// The averaged row (out_width pixels); starts the next one.
  void take_row(cv::Vec4f* out);

 private:
  int kx_;
  float norm_, max_;
  std::vector<cv::Vec4f> sums_;
};

/// Premultiplied float BGRA back to straight alpha, in place.
void unpremultiply(cv::Mat& premultiplied);

/// The crop (cover, with content gravities chosen on `scaled`) and the padding
/// (contain) of `plan`, after the resample to plan.scaled.
cv::Mat crop_and_pad(cv::Mat scaled, const ResizePlan& plan, const ResizeOptions& options);

}  // namespace imgflow::detail
