#include "cli/merge_reports_cli.hpp"

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "imgflow/error.hpp"
#include "imgflow/report.hpp"

namespace imgflow::cli {
namespace {

std::string joined(const std::vector<int>& numbers) {
  std::string text;
  for (const int n : numbers) text += (text.empty() ? "" : ", ") + std::to_string(n);
  return text;
}

}  // namespace

int merge_reports_main(int argc, char** argv) {
  CLI::App app{"Merges the --report files of a job's shards into one report.",
               "imgflow merge-reports"};
  std::filesystem::path out;
  std::vector<std::filesystem::path> reports;
  app.add_option("-o,--output", out, "The merged report (written atomically)")->required();
  app.add_option("reports", reports, "The shards' reports")->required()->check(CLI::ExistingFile);
  app.footer(
      "Exit status: 0 every shard present, no file processed by two shards, every file ok;\n"
      "1 otherwise; 2 a report of another job, an unreadable report, or bad arguments.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  MergeResult merged;
  try {
    merged = merge_reports(reports, out);
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
