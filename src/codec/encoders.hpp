// Internal: encoders behind imgflow::encode().
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

namespace imgflow::detail {

struct JpegSettings {
  int quality = 85;
  bool progressive = false;
  bool chroma_444 = false;         ///< false: 4:2:0
  std::vector<std::uint8_t> exif;  ///< APP1 payload ("Exif\0\0" + TIFF), or empty
  std::vector<std::uint8_t> icc;   ///< ICC profile to embed, or empty
};

/// 8-bit gray or BGR → JPEG with optimised Huffman tables.
std::vector<std::uint8_t> encode_jpeg(const cv::Mat& pixels, const JpegSettings& settings);

/// Adaptive row filters + libdeflate: 8- or 16-bit gray, BGR or BGRA, level 0-9.
std::vector<std::uint8_t> encode_png(const cv::Mat& pixels, int compression_level);

/// libwebp: 8-bit gray (written as colour), BGR or BGRA; lossy at `quality` or lossless.
std::vector<std::uint8_t> encode_webp(const cv::Mat& pixels, int quality, bool lossless);

}  // namespace imgflow::detail
