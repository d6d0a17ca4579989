// Internal: a separable Lanczos-3 resampler whose kernel widens with the
// shrink factor (as libvips' reduce and Pillow do), so downscaling neither
// aliases nor blurs more than it must. OpenCV's INTER_LANCZOS4 does not widen
// its kernel and aliases when shrinking by more than about 1.5x.
#pragma once

#include <opencv2/core.hpp>

namespace imgflow::detail {

/// Resamples 8-bit or float pixels (1..4 channels) to `size`, giving float
/// pixels in the same value range (not clamped: Lanczos overshoots).
cv::Mat lanczos3(const cv::Mat& pixels, cv::Size size);

}  // namespace imgflow::detail
