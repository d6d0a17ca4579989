// Internal: a bounded walk over a HEIF/AVIF file's boxes (ISO/IEC 14496-12,
// 23008-12) that reads its items and their references before libheif parses
// them, so that a file of tens of thousands of items is refused in
// microseconds instead of costing libheif tens of seconds, and derived
// images that libheif 1.15 cannot take safely never reach it: those that
// nest too deep, expand too far or reference each other in a cycle (it
// recurses until its stack overflows), that derive from an item which is
// not an image (an assert aborts the process), or whose grid or overlay
// canvas is larger than the image declares (it allocates the canvas first).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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

/// The most coded images that decoding one item may expand to through
/// derived images (a grid's tiles, an overlay's layers, an identity
/// transform's input) and their alpha, each counted as often as it is
/// referenced. libheif 1.15 decodes them one after another, and nested
/// grids multiply: a 98 KB file of 1,024 tiles already costs 8.5 s, three
/// levels of 32 tiles 32,768 decodes. 16,384 is 16 times a 16383 x 16383
/// image in 512-pixel tiles.
constexpr std::uint64_t kMaxHeifDecodes = 16384;

/// How deep derived images may nest (a grid's tile is 1 deep; an identity
/// transform of an overlay of grids 3). libheif 1.15 recurses for each
/// level, and for a cycle until its stack overflows.
constexpr int kMaxHeifNesting = 16;

/// The most 'dimg' and 'auxl' references read from the iref box (a grid of
/// 1,024 tiles has 1,024).
constexpr std::uint64_t kMaxHeifReferences = 65536;

/// A grid's or an overlay's canvas, from its description (the item's data).
struct HeifCanvas {
  std::uint64_t item = 0;
  std::uint64_t width = 0, height = 0;
};

/// Where an item's data starts (its first extent), from the iloc box.
struct HeifLocation {
  int construction = 0;      ///< 0: in the file; 1: in the idat box; 2: from another item
  std::uint64_t offset = 0;  ///< base offset + the first extent's offset
  std::uint64_t length = 0;  ///< the first extent's length (0: to the end)
};

/// What the walk found in the top-level `meta` box.
struct HeifItems {
  std::uint64_t iinf_entries = 0;  ///< as declared (0 where the box is missing or cut)
  std::uint64_t iloc_items = 0;    ///< as declared
  std::uint64_t references = 0;    ///< 'dimg' and 'auxl' references held
  bool found_meta = false;
  /// Every item's type, as a four-character code (infe versions 2 and 3;
  /// earlier versions name none, and libheif takes those items for data).
  std::unordered_map<std::uint64_t, std::uint32_t> types;
  /// Items of type grid, iden or iovl.
  std::unordered_set<std::uint64_t> derived;
  /// The first extent of each grid and iovl item.
  std::unordered_map<std::uint64_t, HeifLocation> locations;
  std::uint64_t idat_body = 0;  ///< where the idat box's data starts (0: none)
  /// 'dimg': item -> the items it is derived from.
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> inputs;
  /// 'auxl', reversed: master item -> its auxiliary (alpha, depth) items.
  std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> auxiliary;
};

/// Reads box headers, the item counts, the item types and the references
/// from `input` (whole or in pieces, through InputBytes::read): a few
/// hundred bytes plus 12 per item and 4 per reference. Never throws for
/// damage (libheif reports that); read-error if a read fails.
HeifItems read_heif_items(InputBytes& input);

/// Before libheif parses anything: throws too-complex past kMaxHeifItems
/// items ("heif declares N items, over the limit of 2048 (the item limit)"),
/// kMaxHeifReferences references, kMaxHeifDecodes coded images for one
/// decode or kMaxHeifNesting levels of derived images; corrupt-input for
/// derived images that reference each other in a cycle, that derive from an
/// item which is not an image (hvc1, av01, grid, iden, iovl), or an 'iden'
/// with other than one input. Returns the largest grid or overlay canvas
/// (all zero if none), which the caller holds to the image's declared size.
HeifCanvas check_heif_items(InputBytes& input, Format format);

}  // namespace imgflow::detail
