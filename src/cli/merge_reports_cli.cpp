#include "cli/merge_reports_cli.hpp"

#include <iostream>
#include <string>
#include <vector>

#include "imgflow/error.hpp"
#include "imgflow/report.hpp"

namespace imgflow::cli {
namespace {

std::string joined(const std::vector<int>& numbers) {
  std::string text;
  for (const int n : numbers) text += (text.empty() ? "" : ", ") + std::to_string(n);
  return text;
}

std::string exit_status_footer() {
  std::string text = "Exit status:";
  for (const auto& status : merge_reports_exit_statuses()) {
    text += std::string("\n  ") + status.code + "  " + status.meaning;
  }
  return text;
}

}  // namespace

MergeReportsCli::MergeReportsCli()
    : app_{"Merges the --report files of a job's shards into one report.",
           "imgflow merge-reports"} {
  app_.add_option("-o,--output", args_.output, "The merged report (written atomically)")
      ->required()
      ->type_name("FILE");
  app_.add_option("reports", args_.reports, "The shards' reports")
      ->required()
      ->check(CLI::ExistingFile)
      ->type_name("REPORT");
  app_.footer(exit_status_footer());
}

const std::vector<ExitStatus>& merge_reports_exit_statuses() {
  static const std::vector<ExitStatus> statuses = {
      {"0", "Every shard present, no file processed by two shards, every file ok."},
      {"1",
       "Otherwise: the missing shards, the files processed twice and the counts are "
       "named on standard error."},
      {"2", "A report of another job, an unreadable report, or bad arguments."},
  };
  return statuses;
}

int merge_reports_main(int argc, char** argv) {
  MergeReportsCli cli;
  try {
    cli.app().parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = cli.app().exit(e);
    return rc == 0 ? 0 : 2;
  }

  MergeResult merged;
  try {
    merged = merge_reports(cli.args().reports, cli.args().output);
  } catch (const Error& e) {
    std::cerr << "imgflow merge-reports: " << e.what() << '\n';
    return 2;
  }
  const Summary& s = merged.summary;
  std::cerr << "imgflow merge-reports: job " << merged.job_id << ": "
            << merged.shards_present.size() << " of " << merged.shard_count << " shards, "
            << s.total << " files: " << s.ok << " ok, " << s.failed << " failed, " << s.skipped
            << " skipped\n";
  if (!merged.shards_missing.empty()) {
    std::cerr << "imgflow merge-reports: missing shards: " << joined(merged.shards_missing) << '\n';
  }
  for (const auto& input : merged.in_several_shards) {
    std::cerr << "imgflow merge-reports: processed by more than one shard: " << input << '\n';
  }
  return merged.complete() && merged.all_ok ? 0 : 1;
}

}  // namespace imgflow::cli
