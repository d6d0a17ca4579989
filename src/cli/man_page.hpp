// imgflow.1, written from the same CLI11 app as --help (built by imgflow_docs).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace imgflow::cli {

/// The man page of the imgflow command described by `app` (its options with
/// OptionsCli's help texts, in --help's groups) and of its subcommand
/// described by `merge_reports` (MergeReportsCli), as roff for the man macros.
std::string man_page(const CLI::App& app, const CLI::App& merge_reports);

}  // namespace imgflow::cli
