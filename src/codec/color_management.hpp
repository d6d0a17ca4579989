// Internal: ICC colour management with Little CMS. Photos tagged with a wide-
// gamut profile (Adobe RGB, Display P3) look dull or wrong in browsers unless
// their pixels are converted to sRGB.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace imgflow::detail {

/// True if the profile describes sRGB (so no conversion is needed).
bool is_srgb_profile(std::span<const std::uint8_t> icc);

/// A conversion to sRGB set up once and applied to one row at a time (the
/// streamed decode); convert_to_srgb() runs one over a whole image.
class SrgbConverter {
 public:
  /// For pixels of OpenCV `type` (8- or 16-bit gray, BGR or BGRA) described
  /// by `icc`. false, with the reason in `why`, where convert_to_srgb fails.
  bool open(std::span<const std::uint8_t> icc, int type, std::string& why);
  /// Converts `width` pixels in place. Only after open() returned true.
  void convert(void* row, int width) const;

 private:
  std::shared_ptr<void> transform_;
};

/// Converts gray, BGR or BGRA pixels (8- or 16-bit) described by `icc` to sRGB,
/// in place; gray pixels with a gray profile stay gray. Returns false and
/// leaves the pixels alone if the profile is unusable or does not match the
/// pixels, with the reason in `why`.
bool convert_to_srgb(cv::Mat& pixels, std::span<const std::uint8_t> icc, std::string& why);

/// Chromaticities (CIE xy) of an RGB colour space's primaries and white point.
struct RgbPrimaries {
  double red_x, red_y, green_x, green_y, blue_x, blue_y, white_x, white_y;
};

/// An ICC profile for RGB with these primaries and the sRGB tone curve (what
/// an nclx colour box with sRGB or BT.709 transfer describes), for the
/// conversions above; empty if Little CMS cannot build it.
std::vector<std::uint8_t> rgb_profile(const RgbPrimaries& primaries);

/// CMYK pixels (as libjpeg returns them; Adobe's are inverted) to 8-bit sRGB BGR
/// through a CMYK profile. Returns false if the profile is unusable.
bool cmyk_to_srgb(const cv::Mat& cmyk, bool inverted, std::span<const std::uint8_t> icc,
                  cv::Mat& bgr);

}  // namespace imgflow::detail
