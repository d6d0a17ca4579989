// The image file formats imgflow knows, by content.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace imgflow {

/// Image file formats imgflow knows by content.
enum class Format { unknown, jpeg, png, webp, tiff, bmp, pnm, jpeg2000, gif, svg, heif, avif, jxl };

/// Lower-case name, e.g. "jpeg".
std::string_view format_name(Format format) noexcept;
/// Usual file extension without the dot, e.g. "jpg".
std::string_view format_extension(Format format) noexcept;
/// True for the formats imgflow can write: jpeg, png, webp, tiff, heif (HEIC), avif, jxl.
bool is_writable(Format format) noexcept;

/// Detects the format from the first bytes (the file name is never used).
Format detect_format(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace imgflow
