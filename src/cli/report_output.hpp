// What the imgflow command prints besides per-file lines: the --dry-run plan,
// the --report file and the closing summary.
#pragma once

#include <memory>
#include <string>

#include "imgflow/options.hpp"
#include "imgflow/report.hpp"

namespace imgflow::cli {

/// --dry-run: every planned input and its outputs on stdout as they are
/// listed, an input whose outputs conflict as an output-conflict line on
/// stderr, then a count; nothing is written. Returns the exit code: 1 if an
/// input would fail with output-conflict, else 0. Throws imgflow::Error{usage}.
int print_plan(const Options& options);

/// --report: the JSON report streamed as the run goes. Opened before the run
/// (so a report that cannot be written stops the run before it starts: throws
/// imgflow::Error); entries are taken in planning order. Write errors after
/// that are kept for finish(), and the run goes on.
class ReportOutput {
 public:
  /// `path`: "-" for stdout; empty: no report.
  explicit ReportOutput(const std::string& path);
  void add(const FileReport& file);
  /// False, after printing why, if the report could not be written.
  bool finish(const Summary& summary, const JobInfo& job);

 private:
  std::unique_ptr<ReportWriter> writer_;
  std::string error_;
};

/// "imgflow: N files: ... ok, ... failed, ... skipped in S s (R images/s)".
void print_summary(const Summary& s);

}  // namespace imgflow::cli
