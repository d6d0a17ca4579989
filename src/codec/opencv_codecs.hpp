// Internal: OpenCV's imgcodecs, for the formats we have no codec of our own
// for (BMP, PNM, JPEG 2000 decoding). It is loaded on
// first use from a plugin beside libimgflow (libimgflow_opencv_codecs.so),
// because linking it loads about 140 libraries (GDAL, poppler, ...): 60 ms
// and 30 MB of resident memory at every start, for formats most runs never
// see. A static libimgflow has the plugin's code built in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace imgflow::detail {

struct OpenCvCodecs {
  /// cv::imdecode(IMREAD_UNCHANGED); false with `error` set when it throws or
  /// returns nothing.
  bool (*decode)(const std::uint8_t* data, std::size_t size, cv::Mat* out, std::string* error);
};

/// The plugin's functions, loading it on the first call (thread-safe).
/// Throws imgflow::Error(unsupported_format) if it cannot be loaded.
const OpenCvCodecs& opencv_codecs();

}  // namespace imgflow::detail

/// The plugin's one entry point (also built into a static libimgflow).
extern "C" const imgflow::detail::OpenCvCodecs* imgflow_opencv_codecs();
