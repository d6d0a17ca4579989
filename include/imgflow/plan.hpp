// Planning: which files a run will read and where each output goes.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
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

/// How a run names its outputs: what output_path() needs from Options, taken
/// once (the planner, the readers' --skip-existing check and the encode stage
/// each get this, not the whole Options).
struct OutputNaming {
  explicit OutputNaming(const Options& options);

  std::filesystem::path output_dir;
  std::string pattern;                  ///< the template in force (name_template())
  std::vector<std::string> size_names;  ///< {size} of each size index ("original" when none)
  std::vector<OutputSpec> specs;        ///< output_specs()
  bool needs_pixel_size = false;        ///< the template uses {width} or {height}
  bool animated = false;                ///< Options::animated (`keep` writes GIFs as WebP)
};

/// Where one output goes: output_dir / the input's relative folder / the
/// expanded template. `size` is the output's pixel size ({width}, {height}).
std::filesystem::path output_path(const PlannedFile& file, const OutputNaming& naming,
                                  const OutputSpec& spec, Format format, Size size);
std::filesystem::path output_path(const PlannedFile& file, const Options& options,
                                  const OutputSpec& spec, Format format, Size size);

/// Lists the inputs one at a time, in a stable sorted order, while the run
/// goes: `options.inputs` in turn (a directory's image files by name, sorted,
/// descending into its folders when `options.recursive`, never into the output
/// directory or hidden folders), then the paths of `options.files_from` as
/// they are read; only `options.shard`'s share is kept. Named paths that do not
/// exist are kept: they fail per file when read. A named relative path keeps
/// its folders (photos/a/x.jpg → OUT/photos/a/x.jpg); an absolute one keeps
/// only its name. Memory: the names of the folders being walked, never the
/// whole list.
class InputLister {
 public:
  /// Throws imgflow::Error{usage} if `options.files_from` cannot be opened.
  explicit InputLister(const Options& options);
  ~InputLister();
  InputLister(const InputLister&) = delete;
  InputLister& operator=(const InputLister&) = delete;

  /// The next input, or std::nullopt once all are listed.
  std::optional<PlannedFile> next();

 private:
  struct Walk;
  std::unique_ptr<Walk> walk_;
};

/// All of InputLister's inputs at once.
std::vector<PlannedFile> plan_inputs(const Options& options);

/// Output paths claimed by the inputs of one scope, as 64-bit hashes of the
/// resolved paths: one input folder's files when the run lists a single folder
/// (outputs of two folders never meet: each folder writes into its own), else
/// all of the run's inputs. Shared by the scope's files until they are
/// written. Thread-safe.
class OutputScope {
 public:
  OutputScope();
  ~OutputScope();
  OutputScope(const OutputScope&) = delete;
  OutputScope& operator=(const OutputScope&) = delete;

  /// Claims an output path; false if it is claimed already.
  bool claim(const std::filesystem::path& output);

 private:
  friend class OutputClaims;
  struct Hashes;
  std::unique_ptr<Hashes> hashes_;
};

/// Claims each input's outputs as the inputs are listed, to refuse an input
/// whose outputs would meet another's or replace an input. Memory: a hash per
/// output of the current scope (see OutputScope), and one per input that lies
/// in the output directory.
class OutputClaims {
 public:
  /// `in_listing_order`: the files come in InputLister's order, which lets a
  /// run that lists one folder keep one scope per input folder. false: any
  /// order (a plan made by hand): one scope for all.
  explicit OutputClaims(const Options& options, bool in_listing_order = true);
  ~OutputClaims();
  OutputClaims(const OutputClaims&) = delete;
  OutputClaims& operator=(const OutputClaims&) = delete;

  /// Records `file` as an input of the run.
  void add_input(const PlannedFile& file);
  /// Claims `file`'s expected outputs in its scope. Empty when they are its
  /// own; else why not: an input of the scope claimed one of them, or one
  /// would replace an input of the run (one added, a named one, or an
  /// existing file in a folder being listed), or an earlier input's output
  /// replaces this input. A refused file claims nothing.
  std::string claim(const PlannedFile& file);
  /// The scope of the file last claimed: where its outputs named only when
  /// written (by the content's format, or the pixel size) are claimed.
  std::shared_ptr<OutputScope> scope() const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
};

/// Checks a whole plan before any work: two inputs that would write the same
/// output, or an output that would overwrite an input. Throws
/// imgflow::Error{usage} naming the first conflict.
void check_plan(const std::vector<PlannedFile>& plan, const Options& options);

/// One input of a dry run: the outputs it would get, or why it would fail.
struct DryRunFile {
  PlannedFile file;
  /// As expected_outputs(); empty when the file is refused.
  std::vector<std::optional<std::filesystem::path>> outputs;
  std::string conflict;  ///< why its outputs are refused (output-conflict); empty if none
};

/// A dry run (--dry-run): lists the inputs and claims their outputs as run()
/// would, reading no pixel and writing nothing, and hands each input to
/// `visit` in listing order. Memory as for run(). Throws Error{usage} where
/// InputLister does.
void dry_run(const Options& options, const std::function<void(const DryRunFile&)>& visit);

/// The output paths a planned file is expected to get, one per output spec.
/// With `--format keep` the format is guessed from the input's extension (the
/// content decides at run time, so a mislabelled file may get another
/// extension). std::nullopt where the name depends on the pixel size.
std::vector<std::optional<std::filesystem::path>> expected_outputs(const PlannedFile& file,
                                                                   const OutputNaming& naming);
std::vector<std::optional<std::filesystem::path>> expected_outputs(const PlannedFile& file,
                                                                   const Options& options);

/// True if `file` belongs to `shard` (always true when shard.count is 0).
bool in_shard(const PlannedFile& file, const Shard& shard);

/// True if the extension (case-insensitive) is one imgflow picks up from
/// directories: jpg, jpeg, png, webp, tif, tiff, bmp, pnm, ppm, pgm, pbm, jp2, gif, svg, heic...
bool has_image_extension(const std::filesystem::path& path);

}  // namespace imgflow
