// Resizing pixels by a geometry: fit, crop (cover) or pad (contain), with a
// resampling filter, alpha-correct.
#pragma once

#include <string_view>

#include <opencv2/core.hpp>

#include "imgflow/color.hpp"
#include "imgflow/geometry.hpp"

namespace imgflow {

/// Resampling filter. `automatic` does what libvips does: box-averages by a
/// whole factor while at least twice the target size remains, then resamples
/// the rest with Lanczos-3 (its kernel widened when shrinking, so no moiré);
/// enlarging uses Lanczos-3 too. `lanczos` is the same without the box step.
enum class Filter { automatic, nearest, area, linear, cubic, lanczos };

/// Parses "auto", "nearest", "area", "linear", "cubic", "lanczos".
/// Throws imgflow::Error{ErrorCode::usage}.
Filter parse_filter(std::string_view text);

struct ResizeOptions {
  ResizeSpec spec;  ///< fit, gravity, enlarge
  Filter filter = Filter::automatic;
  Color background;  ///< padding for `contain` (default white)
};

/// Resizes 8- or 16-bit gray, BGR or BGRA pixels by `geometry`.
/// `source_size` is the full upright size the geometry applies to (the pixels
/// may have been shrunk on load); 0×0 means the size of `pixels`. Images with
/// alpha are resampled premultiplied, so transparent pixels leave no dark fringe.
cv::Mat resize(const cv::Mat& pixels, const Geometry& geometry, const ResizeOptions& options = {},
               Size source_size = {});

/// Resizes `pixels` to fit inside `box` (keeping aspect, never enlarging),
/// with area averaging for downscaling: `resize()` with default options.
/// `source_size` is the full upright size that `box` applies to (the pixels
/// may already be shrunk on load); 0×0 means the size of `pixels`.
cv::Mat resize_to_fit(const cv::Mat& pixels, const Geometry& box, Size source_size = {});

}  // namespace imgflow
