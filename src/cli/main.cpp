// The imgflow command: a thin layer that fills imgflow::Options from the
// command line, runs the batch, and turns the report into messages and an
// exit code (0 all ok, 1 some file failed, 2 usage/setup error, 3 stopped by a
// full disk or an unusable output folder, 130/143 interrupted).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/command_help.hpp"
#include "cli/malloc_setup.hpp"
#include "cli/merge_reports_cli.hpp"
#include "cli/options_cli.hpp"
#include "cli/progress_bar.hpp"
#include "cli/report_output.hpp"
#include "cli/stderr_capture.hpp"
#include "imgflow/imgflow.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFileFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStoppedOnFault = 3;  // disk full, read-only or vanished output: run stopped

imgflow::Cancellation g_cancellation;
volatile std::sig_atomic_t g_signal = 0;

// First SIGINT/SIGTERM: stop reading new files, finish what is in flight.
// Second: leave at once, removing the temporary files being written (outputs
// are renamed into place whole, so none under a final name is partial).
extern "C" void on_signal(int sig) {
  if (g_signal != 0) {
    imgflow::remove_temporary_files();
    ::_exit(128 + sig);
  }
  g_signal = sig;
  g_cancellation.cancel();
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void print_error(const std::string& message) {
  std::cerr << "imgflow: " << imgflow::cli::with_flag_names(message) << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc <= 1) {
    // A new user's first try: how to start, not "--output is required".
    std::cerr << imgflow::cli::short_usage();
    return kExitUsage;
  }
  if (std::string_view(argv[1]) == "merge-reports") {
    return imgflow::cli::merge_reports_main(argc - 1, argv + 1);
  }
  CLI::App app{imgflow::cli::kDescription, "imgflow"};
  imgflow::cli::OptionsCli cli(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  imgflow::cli::CommandLine line;
  try {
    line = cli.command_line();
  } catch (const imgflow::Error& e) {
    print_error(e.what());
    return kExitUsage;
  }
  const imgflow::Options& options = line.options;
  const bool quiet = line.quiet, log_json = line.log_json;

  if (line.dry_run) {
    try {
      if (const auto problems = options.validate(); !problems.empty()) {
        for (const auto& p : problems) print_error(p);
        return kExitUsage;
      }
      return imgflow::cli::print_plan(options) == 0 ? kExitOk : kExitFileFailed;
    } catch (const imgflow::Error& e) {
      print_error(e.what());
      return kExitUsage;
    }
  }

  // Before any file is opened: this may execute the binary again.
  imgflow::cli::set_up_malloc(argv);

  // The report is opened first: one that cannot be written stops the run
  // before any work, like a bad option.
  std::optional<imgflow::cli::ReportOutput> report_output;
  try {
    report_output.emplace(line.report_path);
  } catch (const imgflow::Error& e) {
    print_error("--report: " + std::string(e.what()));
    return kExitUsage;
  }

  install_signal_handlers();
  imgflow::cli::ProgressBar bar(!quiet && ::isatty(STDERR_FILENO));
  imgflow::RunCallbacks callbacks;
  callbacks.cancellation = &g_cancellation;
  callbacks.keep_files = false;  // streamed into the report instead
  callbacks.count_inputs = bar.enabled();
  callbacks.on_file_done = [&](const imgflow::FileReport& file, const imgflow::Progress& progress) {
    if (file.status == imgflow::FileStatus::failed) {
      bar.print_line("imgflow: " + file.input.string() + ": " +
                     std::string(imgflow::error_code_name(file.error)) + ": " + file.message);
    }
    if (!quiet) {
      for (const auto& w : file.warnings) {
        bar.print_line("imgflow: " + file.input.string() + ": warning: " + w);
      }
    }
    if (log_json) std::cout << imgflow::to_json_line(file) << '\n' << std::flush;
    bar.update(progress);
  };
  callbacks.on_file_reported = [&](const imgflow::FileReport& file) {
    // Files the run never reached (interrupted, --max-errors) get their line
    // too, so --log-json has one object for every file, like the report.
    if (log_json && file.error == imgflow::ErrorCode::cancelled) {
      std::cout << imgflow::to_json_line(file) << '\n' << std::flush;
    }
    report_output->add(file);
  };

  imgflow::Report report;
  try {
    // Codec libraries that write to stderr themselves get their lines printed
    // as warnings above the bar.
    imgflow::cli::StderrCapture capture(
        [&](const std::string& line) { bar.print_line("imgflow: warning: " + line); });
    if (capture.terminal()) bar.set_output(capture.terminal());
    report = imgflow::run(options, callbacks);
    bar.clear();
    bar.set_output(stderr);
  } catch (const imgflow::Error& e) {
    bar.clear();
    bar.set_output(stderr);
    print_error(e.what());
    return kExitUsage;
  }

  int rc = report.summary.failed ? kExitFileFailed : kExitOk;
  if (!report_output->finish(report.summary, report.job)) rc = kExitFileFailed;
  if (!quiet) imgflow::cli::print_summary(report.summary);
  if (report.summary.stopped_on_fault != imgflow::ErrorCode::ok) {
    std::cerr << "imgflow: stopped: " << imgflow::error_code_name(report.summary.stopped_on_fault)
              << ": " << report.summary.fault_message
              << "; the files after it were not processed\n";
    return kExitStoppedOnFault;
  }
  if (report.summary.cancelled) return 128 + (g_signal ? g_signal : SIGINT);
  return rc;
}
