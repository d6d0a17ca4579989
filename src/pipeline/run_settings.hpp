// Internal: what each stage of a run needs, computed once from Options by run()
// (the way oneTBB's fgbzip2 hands each node just its parameter): the decode
// policy, the resize settings and the output recipes.
#pragma once

#include <vector>

#include "imgflow/decode.hpp"
#include "imgflow/encode.hpp"
#include "imgflow/options.hpp"
#include "imgflow/plan.hpp"
#include "imgflow/resize.hpp"

namespace imgflow::detail {

/// How the decode stage (and the memory estimate) decodes each file: the
/// options every file shares, and what the per-file ones are worked out from.
struct DecodePolicy {
  explicit DecodePolicy(const Options& options);

  DecodeOptions shared;  ///< limits, orientation, truncation, progressive scans, 16-bit
  std::vector<Geometry> sizes;
  ResizeSpec spec;
  double shrink_margin = 1;
  bool keep_icc = false;
  std::vector<OutputFormat> formats;
  Filter filter = Filter::automatic;
  bool animated = false;  ///< animations decoded whole (see animation_stage.hpp)
  /// Non-interlaced PNGs of at least this many pixels are decoded row by row
  /// straight into the resizer (see streams_rows() in decode_policy.hpp).
  std::uint64_t stream_min_pixels = kStreamMinPixels;

  /// Streaming saves memory at every size but inflates through libpng's
  /// zlib, slower than the whole-image path's libdeflate; it pays back in
  /// CPU (no page faults for a fresh full-size buffer) and wall (the resize
  /// runs on another core) only from about 5 MP. Measured on the idle 2-core
  /// machine, -s 800, batches, wall / user+sys CPU seconds, whole / streamed:
  /// the bench's PNG corpus (100 photos, 14 of them 4.0 MP) 2.05 / 2.24 s
  /// wall, 3.98 / 4.36 s CPU (5 alternating runs; the 14 alone 0.79 / 0.84 s,
  /// 1.5 / 1.57 s CPU); 8 photos of 5.6 and 8 MP 0.68 / 0.58 s, 1.24 / 1.12 s;
  /// 4 of 12 MP 0.70 / 0.57 s, 1.12 / 1.0 s, peak RSS 135 / 36 MB; 4 of
  /// 24 MP 1.15 / 0.85 s, 2.1 / 1.6 s, 229 / 38 MB.
  static constexpr std::uint64_t kStreamMinPixels = 5'000'000;
};

/// What the resize stage does to each image.
struct ResizeSettings {
  explicit ResizeSettings(const Options& options);

  std::vector<Geometry> sizes;  ///< empty: keep the size
  ResizeOptions resizing;
};

/// One output of every file: its size and format, and how it is encoded
/// (`encoding.format` and its metadata are filled per file).
struct OutputRecipe {
  OutputSpec spec;
  EncodeOptions encoding;
};

/// True for the output formats imgflow embeds ICC, EXIF and XMP in (all it
/// writes).
bool holds_metadata(Format format);

/// What the encode stage writes for each file.
struct OutputRecipes {
  explicit OutputRecipes(const Options& options);

  std::vector<OutputRecipe> recipes;
  bool embed_icc = false;       ///< outputs carry the source's ICC profile (when kept)
  bool embed_metadata = false;  ///< outputs carry the source's EXIF and XMP
  bool strip_location = false;  ///< ... without GPS tags and XMP location fields
  bool auto_orient = true;      ///< pixels are upright: EXIF orientation becomes 1
  OutputNaming naming;          ///< where each output goes
};

/// What the readers need: the size limit, and for --skip-existing the
/// outputs' names.
struct ReadSettings {
  explicit ReadSettings(const Options& options);

  std::uint64_t max_file_bytes = 0;  ///< 0: no limit
  bool skip_existing = false;
  OutputNaming naming;
  /// A file larger than this that the decode stage streams (a large
  /// non-interlaced PNG) or decodes from its pieces (a JPEG) is read in
  /// pieces as it is decoded instead of whole (InputBytes); 0: every file whole. The environment
  /// variable IMGFLOW_READ_IN_PIECES_ABOVE (bytes) overrides it, for tests.
  std::uint64_t pieces_above = kPiecesAboveBytes;

  /// Below this a whole read costs little memory, and the time of a read in
  /// pieces is the same (see the commit that set it).
  static constexpr std::uint64_t kPiecesAboveBytes = 8 * 1024 * 1024;
};

/// Every stage's settings of one run.
struct RunSettings {
  explicit RunSettings(const Options& options)
      : read(options),
        decode(options),
        resize(options),
        outputs(options),
        timeout(options.timeout) {}

  ReadSettings read;
  DecodePolicy decode;
  ResizeSettings resize;
  OutputRecipes outputs;
  double timeout = 0;  ///< seconds each file's decode, resize and encode may take; 0: no limit
};

}  // namespace imgflow::detail
