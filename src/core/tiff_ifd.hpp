// Internal: the one walk over a TIFF image file directory, for TIFF headers
// (width, height) and for the Exif blocks of JPEG, PNG and WebP files
// (orientation).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/byte_order.hpp"

namespace imgflow::detail {

/// One 12-byte IFD entry: tag, type, and where its value (or its offset) sits.
struct IfdEntry {
  std::uint32_t tag = 0;
  std::uint32_t type = 0;    ///< 3 = SHORT, 4 = LONG, ...
  std::size_t value_at = 0;  ///< offset of the 4-byte value field in the TIFF block
};

enum class IfdWalk {
  complete,   ///< every entry visited (or the visitor stopped)
  not_tiff,   ///< the block starts with neither "II" nor "MM"
  truncated,  ///< the block ends before the directory does
};

/// Calls `visit(entry, order)` for each entry of the first IFD of `tiff` (a
/// TIFF file, or the TIFF block of an Exif segment), in stored order, until it
/// returns false.
template <class Visit>
IfdWalk walk_first_ifd(Bytes tiff, Visit&& visit) {
  auto has = [&](std::size_t offset, std::size_t length) {
    return offset <= tiff.size() && length <= tiff.size() - offset;
  };
  if (!has(0, 8)) return IfdWalk::truncated;
  if (!starts_with(tiff, 0, "MM") && !starts_with(tiff, 0, "II")) return IfdWalk::not_tiff;
  const ByteOrder order{tiff[0] == 'M'};
  const std::size_t ifd = order.u32(tiff, 4);
  if (!has(ifd, 2)) return IfdWalk::truncated;
  const std::size_t entries = order.u16(tiff, ifd);
  for (std::size_t e = 0; e < entries; ++e) {
    const std::size_t at = ifd + 2 + e * 12;
    if (!has(at, 12)) return IfdWalk::truncated;
    if (!visit(IfdEntry{order.u16(tiff, at), order.u16(tiff, at + 2), at + 8}, order)) break;
  }
  return IfdWalk::complete;
}

/// The Orientation tag (274) of the first IFD of an Exif TIFF block, 1..8;
/// 1 when the tag is absent or malformed (never an error).
inline int exif_orientation(Bytes tiff) {
  int orientation = 1;
  walk_first_ifd(tiff, [&](const IfdEntry& entry, const ByteOrder& order) {
    if (entry.tag != 0x0112) return true;
    const std::uint32_t value = order.u16(tiff, entry.value_at);  // SHORT, stored left-justified
    if (value >= 1 && value <= 8) orientation = static_cast<int>(value);
    return false;
  });
  return orientation;
}

}  // namespace imgflow::detail
