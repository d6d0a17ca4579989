#include "cli/report_output.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "imgflow/imgflow.hpp"

namespace imgflow::cli {

// --dry-run: every planned input and its outputs, nothing written.
int print_plan(const Options& options) {
  std::size_t planned = 0, conflicts = 0;
  dry_run(options, [&](const DryRunFile& entry) {
    ++planned;
    if (!entry.conflict.empty()) {
      ++conflicts;
      std::cout << std::flush;
      std::cerr << "imgflow: " << entry.file.input.string()
                << ": output-conflict: " << entry.conflict << '\n';
      return;
    }
    std::cout << entry.file.input.string();
    const char* separator = " -> ";
    for (const auto& output : entry.outputs) {
      std::cout << separator << (output ? output->string() : "(named after its pixel size)");
      separator = ", ";
    }
    std::cout << '\n';
  });
  std::cout << std::flush;
  std::cerr << "imgflow: dry run: " << planned << " files planned";
  if (conflicts) std::cerr << ", " << conflicts << " would fail (output-conflict)";
  std::cerr << ", nothing written\n";
  return conflicts ? 1 : 0;
}

ReportOutput::ReportOutput(const std::string& path) {
  if (path.empty()) return;
  writer_ = path == "-" ? std::make_unique<ReportWriter>(STDOUT_FILENO)
                        : std::make_unique<ReportWriter>(std::filesystem::path(path));
}

void ReportOutput::add(const FileReport& file) {
  if (!writer_ || !error_.empty()) return;
  try {
    writer_->add(file);
  } catch (const Error& e) {
    error_ = e.what();
  }
}

bool ReportOutput::finish(const Summary& summary, const JobInfo& job) {
  if (!writer_) return true;
  if (error_.empty()) {
    std::cout << std::flush;  // --log-json lines go first on a shared stdout
    try {
      writer_->finish(summary, job);
    } catch (const Error& e) {
      error_ = e.what();
    }
  }
  writer_.reset();  // an unfinished report leaves no file behind
  if (error_.empty()) return true;
  std::cerr << "imgflow: --report: " << error_ << '\n';
  return false;
}

void print_summary(const Summary& s) {
  const double rate = s.seconds > 0 ? double(s.ok + s.failed) / s.seconds : 0.0;
  const char* ending = s.cancelled                           ? " - interrupted"
                       : s.stopped_on_errors                 ? " - stopped after too many errors"
                       : s.stopped_on_fault != ErrorCode::ok ? " - stopped"
                                                             : "";
  std::fprintf(stderr,
               "imgflow: %zu files: %zu ok, %zu failed, %zu skipped in %.2f s (%.1f images/s)%s\n",
               s.total, s.ok, s.failed, s.skipped, s.seconds, rate, ending);
}

}  // namespace imgflow::cli
