// The CLI11 <-> imgflow::Options mapping: every option of the imgflow command,
// its help text, and the choices taken from the library's name tables. Ranges
// are not checked here: Options::validate() reports every option error in one
// format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "imgflow/options.hpp"

namespace imgflow::cli {

/// --max-memory's name for Options::max_memory_auto.
inline constexpr const char* kMaxMemoryAuto = "auto";

/// What the command was asked to do: the batch options and the CLI's own switches.
struct CommandLine {
  Options options;
  std::string report_path;  ///< --report: a path, "-" (stdout) or empty
  bool quiet = false;       ///< --quiet
  bool log_json = false;    ///< --log-json
  bool dry_run = false;     ///< --dry-run
};

/// A library message that starts with an Options field ("quality: expected
/// 1 to 100, got 0") with that field replaced by its option ("--quality: ...");
/// any other message as it is. Every error the CLI prints goes through this.
std::string with_flag_names(std::string_view message);

/// Declares the options on a CLI11 app, then turns what it parsed into a CommandLine.
class OptionsCli {
 public:
  /// Adds every option to `app`, bound to this object (which must outlive the parse).
  explicit OptionsCli(CLI::App& app);

  /// After app.parse(): the texts parsed into Options (sizes, formats, names,
  /// colours, --shard, --files-from). Throws imgflow::Error{ErrorCode::usage}.
  CommandLine command_line();

 private:
  CommandLine line_;
  std::vector<std::string> inputs_, sizes_, formats_;
  std::string output_dir_, files_from_, shard_;
  std::string background_, fit_, gravity_, filter_, chroma_, tiff_compression_;
  std::string max_memory_ = kMaxMemoryAuto;
  bool nul_separated_ = false, fail_fast_ = false, no_fsync_ = false, no_rotate_ = false;
};

}  // namespace imgflow::cli
