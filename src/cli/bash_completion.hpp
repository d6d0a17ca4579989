// The bash completion script, written from the same CLI11 app as --help
// (built by imgflow_docs, installed as share/bash-completion/completions/imgflow).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace imgflow::cli {

/// A bash script defining `_imgflow` and registering it for `imgflow`: every
/// option of `app`, the fixed choices of --fit, --format, --gravity, --filter,
/// --chroma and --tiff-compression, directories after --output, files after
/// --files-from and --report and as INPUT, nothing after other valued options;
/// `merge-reports` as the first word, then the options of `merge_reports`
/// (MergeReportsCli) and files.
std::string bash_completion(const CLI::App& app, const CLI::App& merge_reports);

}  // namespace imgflow::cli
