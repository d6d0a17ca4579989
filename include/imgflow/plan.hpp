// Planning: which files a run will read and where each output goes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "imgflow/options.hpp"

namespace imgflow {

/// One input file and where its outputs go (before its format is known).
struct PlannedFile {
  std::filesystem::path input;     ///< path as found (input root joined with relative)
  std::filesystem::path relative;  ///< path relative to its input root (file name for a named file)
  /// Output path without extension, one per size in `Options::sizes`
  /// (one if there are no sizes): output_dir / relative-without-extension,
  /// with "_<geometry>" appended when there are several sizes.
  std::vector<std::filesystem::path> output_stems;
};

/// Lists the inputs (descending into directories when `options.recursive`),
/// in a stable sorted order, never scanning the output directory itself, and
/// keeps only `options.shard`'s share. Named paths that do not exist are kept:
/// they fail per file when read. A named relative path keeps its folders
/// (photos/a/x.jpg → OUT/photos/a/x.jpg); an absolute one keeps only its name.
std::vector<PlannedFile> plan_inputs(const Options& options);

/// Checks a plan before any work: two inputs that would write the same output,
/// or an output that would overwrite an input. Throws imgflow::Error{usage}
/// naming the first conflict.
void check_plan(const std::vector<PlannedFile>& plan, const Options& options);

/// The output paths a planned file is expected to get. With `--format keep`
/// the format is guessed from the input's extension (the content decides at
/// run time, so a mislabelled file may get another extension).
std::vector<std::filesystem::path> expected_outputs(const PlannedFile& file,
                                                    const Options& options);

/// True if `file` belongs to `shard` (always true when shard.count is 0).
bool in_shard(const PlannedFile& file, const Shard& shard);

/// True if the extension (case-insensitive) is one imgflow picks up from
/// directories: jpg, jpeg, png, webp, tif, tiff, bmp, pnm, ppm, pgm, pbm, jp2, gif, svg, heic...
bool has_image_extension(const std::filesystem::path& path);

/// The output format for an input of `source` format under `requested`.
Format choose_output_format(OutputFormat requested, Format source) noexcept;

/// The final output path: `stem` plus an extension for `format`. When the
/// input's own extension already names that format (e.g. ".JPG" or ".jpeg"
/// for JPEG), it is kept as is.
std::filesystem::path output_path(const std::filesystem::path& stem,
                                  const std::filesystem::path& input, Format format);

}  // namespace imgflow
