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

  /// Measured (2 cores, busy machine, -s 800, medians of 5 alternating runs,
  /// CPU seconds, whole image / streamed): real photos as PNG, 2.5 MP x16
  /// 1.08 / 1.29 (libpng's zlib inflates slower than libdeflate), 3 MP x12
  /// 1.34 / 1.27, 5 MP x8 0.98 / 0.82 and 1.21 / 1.05, 7.5 MP x8
  /// 1.31 / 0.84, 10 MP x4 1.05 / 0.90, 22 MP 0.56 / 0.31; peak RSS lower
  /// at every size. Streaming starts to pay between 3 and 4 MP.
  static constexpr std::uint64_t kStreamMinPixels = 4'000'000;
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
  /// pieces as it is decoded instead of whole (InputBytes); 0: every file whole. The environment variable
  /// IMGFLOW_READ_IN_PIECES_ABOVE (bytes) overrides it, for tests.
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
