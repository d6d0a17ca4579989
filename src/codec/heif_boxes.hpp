// Internal: a bounded walk over a HEIF/AVIF file's boxes (ISO/IEC 14496-12,
// 23008-12) that counts its items before libheif parses them, so that a file
// of tens of thousands of items is refused in microseconds instead of
// costing libheif tens of seconds.
#pragma once

#include <cstdint>

#include "core/input_bytes.hpp"
#include "imgflow/format.hpp"

namespace imgflow::detail {

/// The most items (iinf entries or iloc items) a HEIF or AVIF may declare.
/// libheif 1.15's parse costs grow with the square of the item count, before
/// any decode and beyond the reach of --timeout: grids of 64x64 tiles, on the
/// busy 2-core machine, 1,025 items 0.5 s, 2,049 items 2.8 s, 4,096 items
/// 10.8 s, 16,385 items 42 s or more. An iPhone grid HEIC has about 50 items
/// (48 tiles of 512 pixels, the grid, a thumbnail, Exif); the sample and
/// bench HEIC/AVIF files have at most 4. 2,048 still takes an image of
/// --max-pixels' default (16383 x 16383) in 512-pixel tiles (1,024 of them)
/// with its thumbnail, alpha or metadata.
constexpr std::uint64_t kMaxHeifItems = 2048;

/// What the walk found in the top-level `meta` box: the item counts its
/// iinf and iloc boxes declare (0 where a box is missing or cut).
struct HeifItemCounts {
  std::uint64_t iinf_entries = 0;
  std::uint64_t iloc_items = 0;
  bool found_meta = false;
};

/// Reads only box headers and the two counts from `input` (whole or in
/// pieces, through InputBytes::read): at most a few hundred bytes for any
/// file. Never throws for damage (libheif reports that); read-error if a
/// read fails.
HeifItemCounts count_heif_items(InputBytes& input);

/// Throws too-complex ("heif declares N items, over the limit of 2048") if
/// either count is over kMaxHeifItems.
void check_heif_item_count(InputBytes& input, Format format);

}  // namespace imgflow::detail
