// Internal: encoders behind imgflow::encode().
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/encode.hpp"

namespace imgflow::detail {

/// 8-bit gray or BGR → JPEG with optimised Huffman tables, by the JPEG fields of
/// `settings` (quality, progressive, chroma_444, exif, icc).
std::vector<std::uint8_t> encode_jpeg(const cv::Mat& pixels, const EncodeOptions& settings);

/// Adaptive row filters + libdeflate: 8- or 16-bit gray, BGR or BGRA, level 0-9.
std::vector<std::uint8_t> encode_png(const cv::Mat& pixels, int compression_level);

/// libwebp: 8-bit gray (written as colour), BGR or BGRA; lossy at `quality` or lossless.
std::vector<std::uint8_t> encode_webp(const cv::Mat& pixels, int quality, bool lossless);

/// libheif: 8-bit gray (written as colour), BGR or BGRA as AVIF (`format`
/// Format::avif, libaom) or HEIC (Format::heif, x265), tagged sRGB; lossy at
/// `quality` (1..100, mapped onto libheif's scale to match JPEG's) or lossless
/// (4:4:4, RGB).
std::vector<std::uint8_t> encode_heif(const cv::Mat& pixels, Format format, int quality,
                                      bool lossless);

/// libjxl: 8- or 16-bit gray, BGR or BGRA, tagged sRGB; lossy at the
/// distance `quality` maps to (cjxl's scale), or lossless.
std::vector<std::uint8_t> encode_jxl(const cv::Mat& pixels, int quality, bool lossless);

}  // namespace imgflow::detail
