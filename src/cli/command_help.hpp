// What the imgflow command says about itself: the short usage of a bare
// `imgflow`, `--version`, and the groups --help, the man page and README.md's
// "Command line" block list the options in.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace imgflow::cli {

/// The command's one-line description, the first line of --help.
inline constexpr const char* kDescription =
    "imgflow: resize whole directories of images on every core, with bounded memory.";

/// What a bare `imgflow` prints on stderr before exiting 2: the synopsis,
/// two examples and where to find the rest.
std::string short_usage();

/// What `imgflow --version` prints: "imgflow 0.1.0", then "<library> <version>"
/// for each of imgflow::library_versions(), one a line (no final newline).
std::string version_text();

/// One exit status of the imgflow command and what it means.
struct ExitStatus {
  const char* code;  ///< "0", or "130, 143" for a pair
  const char* meaning;
};

/// The exit statuses, as the man page lists them (README.md says more).
const std::vector<ExitStatus>& exit_statuses();

/// One heading of --help, in the order they are shown.
struct OptionGroup {
  const char* name;
  std::vector<std::string_view> options;  ///< long names ("--fit"), or INPUT
};

/// Every option's group, in README.md's order.
const std::vector<OptionGroup>& option_groups();

/// Puts each option of `app` into its group of option_groups(). Throws
/// std::logic_error naming an option that is in no group.
void group_options(CLI::App& app);

}  // namespace imgflow::cli
