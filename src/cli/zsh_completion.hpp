// The zsh completion function, written from the same CLI11 apps as --help
// (built by imgflow_docs, installed as share/zsh/vendor-completions/_imgflow).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace imgflow::cli {

/// A zsh completion file (`#compdef imgflow`, for compinit's fpath): every
/// option of `app` with its help text, the fixed choices of the options that
/// have them, directories after --output, files after --files-from and
/// --report and as INPUT, -s and -f offered again after use; `merge-reports`
/// as the first word, then the options of `merge_reports` (MergeReportsCli)
/// and files.
std::string zsh_completion(const CLI::App& app, const CLI::App& merge_reports);

}  // namespace imgflow::cli
