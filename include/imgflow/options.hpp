// Options for a batch run: one struct, with defaults, filled by the CLI and by
// library users alike.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "imgflow/decode.hpp"
#include "imgflow/encode.hpp"
#include "imgflow/format.hpp"
#include "imgflow/geometry.hpp"
#include "imgflow/resize.hpp"

namespace imgflow {

/// What format to write. `keep` writes the input's format where it is writable
/// (see `is_writable`) and JPEG otherwise.
enum class OutputFormat { keep, jpeg, png, webp, tiff, avif, heic, jxl };

/// Parses "keep", "jpeg"/"jpg", "png", "webp", "tiff"/"tif", "avif", "heic"/"heif", "jxl".
/// Throws imgflow::Error{ErrorCode::usage}.
OutputFormat parse_output_format(std::string_view text);

/// The output format for an input of `source` format under `requested`.
Format choose_output_format(OutputFormat requested, Format source) noexcept;

/// The same, for a run with Options::animated when `animated`: `keep` writes
/// GIF inputs as WebP, which holds their animation (and alpha), not JPEG.
Format choose_output_format(OutputFormat requested, Format source, bool animated) noexcept;

/// A deterministic share of the inputs for job arrays: shard `index` of
/// `count` (1-based), chosen by a stable hash of each input's relative path.
struct Shard {
  int index = 0;  ///< 1..count
  int count = 0;  ///< 0 = no sharding
};

/// Parses "K/N" (1 <= K <= N). "auto" reads Slurm's SLURM_ARRAY_TASK_ID with
/// SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (or _MAX); "auto/N" reads
/// Kubernetes' JOB_COMPLETION_INDEX (0-based) or Slurm's task id, with N shards.
/// Throws imgflow::Error{ErrorCode::usage}.
Shard parse_shard(std::string_view text);

/// Everything one batch run needs. Every field has a usable default except
/// `inputs` and `output_dir`; a field the decoder or encoder also has takes its
/// default from DecodeOptions or EncodeOptions, so each default is written once.
/// The ranges are checked by validate(), and only there.
struct Options {
  /// Files and/or directories. Directories contribute their image files
  /// (by extension); explicitly named files are always processed.
  std::vector<std::filesystem::path> inputs;
  /// A file naming more inputs after `inputs`, one path a line ("-": standard
  /// input). It is read as the run goes, so a list of millions of paths is
  /// never held whole. Empty: none.
  std::filesystem::path files_from;
  bool files_from_nul = false;  ///< files_from separates its paths by NUL (find -print0)
  /// Where outputs go; created if missing. Outputs mirror the input-relative paths.
  std::filesystem::path output_dir;
  /// Boxes to fit inside. Empty: keep the size (re-encode only). Several:
  /// one output per size, from one decode.
  std::vector<Geometry> sizes;
  Fit fit = ResizeSpec{}.fit;              ///< how each size meets its box
  Gravity gravity = ResizeSpec{}.gravity;  ///< what `cover` keeps, where `contain` places
  bool enlarge = ResizeSpec{}.enlarge;     ///< allow enlarging (never, by default)
  Filter filter = ResizeOptions{}.filter;  ///< resampling filter
  /// Padding for `contain`, and what transparent pixels are flattened onto
  /// for formats without alpha (JPEG). Default white.
  Color background;
  /// Output formats; each size is written in each. Default: keep.
  std::vector<OutputFormat> formats = {OutputFormat::keep};
  /// Output file-name template (see plan.hpp); empty = "{stem}.{ext}", or
  /// "{stem}_{size}.{ext}" with several sizes.
  std::string name;
  int quality = EncodeOptions{}.quality;                  ///< 1..100, for JPEG, WebP, AVIF, HEIC
  bool progressive = EncodeOptions{}.progressive;         ///< JPEG: progressive scans
  bool chroma_444 = EncodeOptions{}.chroma_444;           ///< JPEG: 4:4:4 instead of 4:2:0
  int png_compression = EncodeOptions{}.png_compression;  ///< PNG: zlib level 0..9
  bool lossless = EncodeOptions{}.lossless;               ///< WebP, AVIF, HEIC: lossless
  TiffCompression tiff_compression = EncodeOptions{}.tiff_compression;
  bool recursive = false;  ///< descend into subdirectories of input directories
  int threads = 0;         ///< CPU threads for the flow graph; 0 = all cores
  int readers = 2;         ///< I/O threads reading input files
  int writers = 2;         ///< I/O threads writing outputs
  int max_in_flight = 0;   ///< images between read and write; 0 = 2 × threads (at least 4)
  /// `max_memory` = max_memory_auto: half of what this process may use after
  /// a 64 MiB base, where "may use" is the memory limit of its cgroup (cgroup
  /// v2 memory.max of its own cgroup or an ancestor, else cgroup v1
  /// memory.limit_in_bytes: what Slurm and Kubernetes set) or, without one,
  /// physical memory. See effective_max_memory().
  static constexpr std::uint64_t max_memory_auto = ~std::uint64_t{0};
  /// Bytes the files in flight may need together (each estimated from its
  /// header: encoded bytes, decoded pixels (for a PNG streamed row by row
  /// into the resizer, its outputs instead), a progressive JPEG's coefficient
  /// buffer); a reader waits before letting in a file that does not fit. A
  /// file larger than the whole budget runs alone. 0 = no limit;
  /// max_memory_auto (default): from the cgroup limit or physical memory.
  std::uint64_t max_memory = max_memory_auto;
  /// Largest accepted width × height, checked from the header before decoding;
  /// 0 = no limit. The default is sharp's.
  std::uint64_t max_pixels = DecodeOptions{}.max_pixels;
  /// Most scans a progressive JPEG may have (too-complex beyond); 0 = no limit.
  std::size_t max_scans = DecodeOptions{}.max_scans;
  /// Most frames an animation may have with `animated` (too-complex beyond); 0 = no limit.
  std::size_t max_frames = DecodeOptions{}.max_frames;
  /// Largest accepted input file in bytes; 0 = no limit.
  std::uint64_t max_file_bytes = 0;
  /// Seconds one file's decode, resize and encode may take together (its
  /// time queued between them not counted); past it the file fails with
  /// timed-out, its work stopped inside the codecs' row and scan loops, and
  /// the batch goes on. 0 = no limit. Wall-clock time: a machine running N
  /// times more work than it has cores stretches every file N times. The
  /// default is a wide margin over the slowest real photo: of the bench's
  /// JPEG, PNG and WebP photos re-encoded at full size (no -s), the slowest
  /// took 7.6 s (a 5120x2880 JPEG, on 2 cores loaded 4 to 5 times over: 0.7 s
  /// CPU); the same photo as HEIC, whose x265 encode cannot be stopped, 18 s
  /// of CPU (141 s on that loaded machine), as AVIF 3.3 s.
  double timeout = 120;
  static constexpr double kMaxTimeout = 604800;  ///< a week: the largest timeout accepted
  /// Turn images upright by their EXIF orientation (outputs carry no
  /// orientation tag). false keeps pixels as stored.
  bool auto_orient = DecodeOptions{}.auto_orient;
  /// Keep the original ICC profile (embedded in the outputs) instead of
  /// converting pixels to sRGB. TIFF outputs are converted anyway.
  bool keep_icc = false;
  /// Copy EXIF (orientation reset to 1, pixel dimensions set to the output's,
  /// no thumbnail), XMP and the ICC profile into JPEG, PNG, WebP, AVIF, HEIC
  /// and JPEG XL outputs; by default all metadata is stripped.
  bool keep_metadata = false;
  /// Animated GIF and WebP inputs: resize every frame into an animated WebP
  /// (frame durations and loop count kept; `keep` then writes GIF inputs as
  /// WebP; other output formats get the first frame, with a warning).
  /// false (default): the first frame, like a still image. max_pixels counts
  /// every frame's canvas.
  bool animated = false;
  /// keep_metadata without where the photo was taken: EXIF's GPS tags and
  /// XMP's location fields (exif:GPS*, photoshop:City/State/Country,
  /// Iptc4xmpCore:Location, ...) are removed. Implies keep_metadata.
  bool strip_gps = false;
  bool fsync = true;  ///< fsync each output before renaming it into place
  /// Skip inputs whose outputs all exist and are newer than the input
  /// (reported as skipped), so a killed run can be completed.
  bool skip_existing = false;
  Shard shard;  ///< process only this share of the inputs
  /// Stop reading new files after this many failures (0 = never stop; 1 = fail fast).
  int max_errors = 0;
  /// Accept a truncated JPEG (grey-padded) with a warning instead of failing it.
  bool allow_truncated = DecodeOptions{}.allow_truncated;
  /// Shrink-on-load (JPEG at 1/2, 1/4, 1/8 scale) only while the decoded image
  /// stays at least this many times the output size, leaving the rest to
  /// Lanczos. Measured on the bench's 100 JPEG photos → 800x800 q85, decode +
  /// resize CPU and mean luma PSNR against a full-decode Lanczos reference:
  /// 1.0: 2.51 s, 43.49 dB; 1.25: 2.85 s, 43.60 dB; 1.5: 3.28 s, 43.75 dB;
  /// 2.0: 3.88 s, 43.88 dB (sharp: 43.59 dB).
  double shrink_margin = 1.25;
  /// Shrink-on-load of progressive JPEGs: stop reading scans once the
  /// coefficients the reduced scale shows are within this many bits of full
  /// precision; -1 reads every scan (see DecodeOptions::progressive_bits).
  int progressive_bits = DecodeOptions{}.progressive_bits;

  /// Every problem with these options, one message each, in the form
  /// "<field>: expected <what>, got <value>" ("quality: expected 1 to 100,
  /// got 0"), naming the field of this struct. Empty when the options are valid.
  std::vector<std::string> validate() const;

  /// `threads`, or the number of cores when it is 0.
  int effective_threads() const noexcept;
  /// `max_in_flight`, or its default when it is 0.
  int effective_max_in_flight() const noexcept;
  /// `max_memory` in bytes, with max_memory_auto resolved from the cgroup
  /// limit or physical memory (read each call); 0 = no limit. Never throws.
  std::uint64_t effective_max_memory() const noexcept;
};

}  // namespace imgflow
