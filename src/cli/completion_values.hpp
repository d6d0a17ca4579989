// What the shell completions (bash_completion.cpp, zsh_completion.cpp) offer
// for each option, read from the tables the options are parsed with.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace imgflow::cli {

/// What follows an option on the command line.
enum class ValueKind {
  none,       ///< a flag, or a number, size or template: nothing to offer
  choice,     ///< one of option_choices()
  directory,  ///< imgflow's --output
  file,       ///< --files-from, --report, merge-reports' --output
};

/// The kind of value `option` ("--fit") takes: an option of the
/// command, or of `imgflow merge-reports` when `merge_reports`.
ValueKind value_kind(const CLI::Option& option, bool merge_reports);

/// The values of an option with ValueKind::choice, space-separated
/// ("inside cover contain fill outside"); empty for other options.
std::string option_choices(const std::string& long_name);

/// Every name of `option`, as written on the command line: {"-o", "--output"}.
std::vector<std::string> option_names(const CLI::Option& option);

}  // namespace imgflow::cli
