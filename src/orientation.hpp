// Internal: reading the EXIF orientation tag.
#pragma once

#include <cstdint>
#include <span>

namespace imgflow::detail {

/// The EXIF orientation (1..8) from a JPEG's APP1 Exif segment; 1 when there is
/// none or it is malformed (a bad tag never fails a decode).
int jpeg_exif_orientation(std::span<const std::uint8_t> jpeg);

}  // namespace imgflow::detail
