#include "cli/report_output.hpp"

#include <cstdio>
#include <iostream>

#include "imgflow/imgflow.hpp"

namespace imgflow::cli {

// --dry-run: every planned input and its outputs, nothing written.
void print_plan(const Options& options) {
  const auto plan = plan_inputs(options);
  check_plan(plan, options);
  for (const auto& file : plan) {
    std::cout << file.input.string();
    const char* separator = " -> ";
    for (const auto& output : expected_outputs(file, options)) {
      std::cout << separator << (output ? output->string() : "(named after its pixel size)");
      separator = ", ";
    }
    std::cout << '\n';
  }
  std::cout << std::flush;
  std::cerr << "imgflow: dry run: " << plan.size() << " files planned, nothing written\n";
}

bool write_report(const Report& report, const std::string& path) {
  if (path.empty()) return true;
  try {
    if (path == "-") {
      std::cout << to_json(report) << '\n' << std::flush;
    } else {
      imgflow::write_report(report, path);
    }
  } catch (const Error& e) {
    std::cerr << "imgflow: --report: " << e.what() << '\n';
    return false;
  }
  return true;
}

void print_summary(const Summary& s) {
  const double rate = s.seconds > 0 ? double(s.ok + s.failed) / s.seconds : 0.0;
  const char* ending = s.cancelled           ? " - interrupted"
                       : s.stopped_on_errors ? " - stopped after too many errors"
                                             : "";
  std::fprintf(stderr,
               "imgflow: %zu files: %zu ok, %zu failed, %zu skipped in %.2f s (%.1f images/s)%s\n",
               s.total, s.ok, s.failed, s.skipped, s.seconds, rate, ending);
}

}  // namespace imgflow::cli
