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

/// Adaptive row filters + libdeflate: 8- or 16-bit gray, BGR or BGRA, at
/// `settings.png_compression` (0-9), with its ICC profile, EXIF and XMP.
std::vector<std::uint8_t> encode_png(const cv::Mat& pixels, const EncodeOptions& settings);

/// libwebp: 8-bit gray (written as colour), BGR or BGRA; lossy at `quality` or lossless.
std::vector<std::uint8_t> encode_webp(const cv::Mat& pixels, int quality, bool lossless);

/// libwebpmux: `webp` (encode_webp's) with the ICC profile, EXIF and XMP of
/// `settings` as chunks; `webp` itself if there are none.
std::vector<std::uint8_t> add_webp_metadata(std::vector<std::uint8_t> webp,
                                            const EncodeOptions& settings);

/// libheif: 8-bit gray (written as colour), BGR or BGRA as AVIF
/// (`settings.format` Format::avif, libaom) or HEIC (Format::heif, x265),
/// tagged sRGB (and with `settings.icc` if any); lossy at `settings.quality`
/// (1..100, mapped onto libheif's scale to match JPEG's) or lossless (4:4:4,
/// RGB); with the EXIF and XMP of `settings`.
std::vector<std::uint8_t> encode_heif(const cv::Mat& pixels, const EncodeOptions& settings);

/// libjxl: 8- or 16-bit gray, BGR or BGRA, tagged sRGB or with `settings.icc`;
/// lossy at the distance `settings.quality` maps to (cjxl's scale), or
/// lossless; EXIF and XMP of `settings` in Exif and xml boxes.
std::vector<std::uint8_t> encode_jxl(const cv::Mat& pixels, const EncodeOptions& settings);

/// libtiff: 8- or 16-bit gray, BGR or BGRA (unassociated alpha) in strips,
/// compressed by `settings.tiff_compression`, with `settings.icc`, XMP and EXIF.
std::vector<std::uint8_t> encode_tiff(const cv::Mat& pixels, const EncodeOptions& settings);

}  // namespace imgflow::detail
