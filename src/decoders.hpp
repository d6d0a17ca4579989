// Internal: one decoder per codec family, behind imgflow::decode().
#pragma once

#include <cstdint>
#include <span>

#include "imgflow/image.hpp"

namespace imgflow::detail {

/// TurboJPEG, with shrink-on-load by the library's M/8 scaling factors.
Image decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

/// libpng's simplified API: 8-bit gray, BGR or BGRA; warnings captured.
Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

/// Everything else OpenCV reads (WebP, TIFF, BMP, PNM, JPEG 2000).
Image decode_with_opencv(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options);

/// Throws too-many-pixels if width × height exceeds `max_pixels` (0 = no limit).
void check_pixel_limit(const SourceInfo& info, std::uint64_t max_pixels);

}  // namespace imgflow::detail
