// What the imgflow command prints besides per-file lines: the --dry-run plan,
// the --report file and the closing summary.
#pragma once

#include <string>

#include "imgflow/options.hpp"
#include "imgflow/report.hpp"

namespace imgflow::cli {

/// --dry-run: every planned input and its outputs on stdout, then a count on
/// stderr; nothing is written. Throws imgflow::Error{ErrorCode::usage} for a
/// plan that would be refused (collisions).
void print_plan(const Options& options);

/// --report: the JSON report to `path` ("-" for stdout; empty: nowhere). False,
/// after printing why, if it could not be written.
bool write_report(const Report& report, const std::string& path);

/// "imgflow: N files: ... ok, ... failed, ... skipped in S s (R images/s)".
void print_summary(const Summary& s);

}  // namespace imgflow::cli
