// `imgflow merge-reports -o OUT.json REPORT.json...`: one report for a job
// array's shards, and an exit code a workflow can gate on.
#pragma once

#include <filesystem>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_help.hpp"

namespace imgflow::cli {

/// What the subcommand's command line names.
struct MergeReportsArgs {
  std::filesystem::path output;                ///< -o/--output: the merged report
  std::vector<std::filesystem::path> reports;  ///< the shards' reports
};

/// The subcommand's CLI11 app, its options bound to `args`: the one
/// declaration its parser, the man page and the completions read.
class MergeReportsCli {
 public:
  MergeReportsCli();
  MergeReportsCli(const MergeReportsCli&) = delete;
  MergeReportsCli& operator=(const MergeReportsCli&) = delete;

  CLI::App& app() { return app_; }
  const CLI::App& app() const { return app_; }
  const MergeReportsArgs& args() const { return args_; }

 private:
  MergeReportsArgs args_;
  CLI::App app_;
};

/// The subcommand's exit statuses, as its --help and the man page list them.
const std::vector<ExitStatus>& merge_reports_exit_statuses();

/// argv[0] is "merge-reports". Exit 0: every shard present, no file done by
/// two shards, every file ok; 1: otherwise (stated on stderr); 2: a report
/// that is unreadable or belongs to another job, or bad arguments.
int merge_reports_main(int argc, char** argv);

}  // namespace imgflow::cli
