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
/// A real iPhone grid HEIC has about 50 (48 tiles, the grid, a thumbnail,
/// Exif); a 128x128 grid of 16,385 items takes libheif 1.15 42 s just to
/// parse, before any decode and beyond the reach of --timeout. 4,096 items
/// parse in about a second.
constexpr std::uint64_t kMaxHeifItems = 4096;

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

/// Throws too-complex ("heif declares N items, over the limit of 4096") if
/// either count is over kMaxHeifItems.
void check_heif_item_count(InputBytes& input, Format format);

}  // namespace imgflow::detail
