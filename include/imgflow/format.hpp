// The image file formats imgflow knows, by content.
#pragma once

#include <string_view>

namespace imgflow {

/// Image file formats imgflow knows by content.
enum class Format { unknown, jpeg, png, webp, tiff, bmp, pnm, jpeg2000, gif, svg, heif };

/// Lower-case name, e.g. "jpeg".
std::string_view format_name(Format format) noexcept;
/// Usual file extension without the dot, e.g. "jpg".
std::string_view format_extension(Format format) noexcept;
/// True for the formats imgflow can write: jpeg, png, webp, tiff.
bool is_writable(Format format) noexcept;

}  // namespace imgflow
