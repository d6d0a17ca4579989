// Planning: which files a run will read and where each output goes.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "imgflow/name_template.hpp"
#include "imgflow/options.hpp"

namespace imgflow {

/// One input file, found by planning.
struct PlannedFile {
  std::filesystem::path input;     ///< path as found (input root joined with relative)
  std::filesystem::path relative;  ///< path relative to its input root; outputs mirror it
};

/// One output each input gets: a size (index into Options::sizes; 0 when
/// there are none) in a format. Every size × every format, from one decode.
struct OutputSpec {
  std::size_t size_index = 0;
  OutputFormat format = OutputFormat::keep;
};

/// The outputs of each input, size-major: for each size, each format.
std::vector<OutputSpec> output_specs(const Options& options);

/// The file-name template in force: Options::name, or "{stem}.{ext}" for one
/// size and "{stem}_{size}.{ext}" for several.
std::string name_template(const Options& options);

/// Where one output goes: output_dir / the input's relative folder / the
/// expanded template. `size` is the output's pixel size ({width}, {height}).
std::filesystem::path output_path(const PlannedFile& file, const Options& options,
                                  const OutputSpec& spec, Format format, Size size);

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

/// The output paths a planned file is expected to get, one per output spec.
/// With `--format keep` the format is guessed from the input's extension (the
/// content decides at run time, so a mislabelled file may get another
/// extension). std::nullopt where the name depends on the pixel size.
std::vector<std::optional<std::filesystem::path>> expected_outputs(const PlannedFile& file,
                                                                   const Options& options);

/// True if `file` belongs to `shard` (always true when shard.count is 0).
bool in_shard(const PlannedFile& file, const Shard& shard);

/// True if the extension (case-insensitive) is one imgflow picks up from
/// directories: jpg, jpeg, png, webp, tif, tiff, bmp, pnm, ppm, pgm, pbm, jp2, gif, svg, heic...
bool has_image_extension(const std::filesystem::path& path);

}  // namespace imgflow
