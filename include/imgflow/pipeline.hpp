// The batch run: reader threads → oneTBB flow graph (decode → resize → encode)
// → writer threads, with a bounded number of images in flight.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "imgflow/options.hpp"
#include "imgflow/plan.hpp"
#include "imgflow/report.hpp"

namespace imgflow {

/// Lets another thread (or a signal handler: `cancel()` is async-signal-safe)
/// stop a run. Files not yet read are reported as skipped (code "cancelled");
/// files already in flight are finished.
class Cancellation {
 public:
  void cancel() noexcept { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept { return flag_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> flag_{false};
};

struct Progress {
  std::size_t done = 0;  ///< files finished (ok or failed)
  std::size_t failed = 0;
  /// Files of the run known so far: while the inputs are still being listed
  /// (`total_known` false) it grows.
  std::size_t total = 0;
  bool total_known = false;
  double seconds = 0;  ///< since the run started
};

struct RunCallbacks {
  /// Called once per finished file, as it finishes. Calls are serialized (never
  /// two at once) but come from the run's writer threads.
  std::function<void(const FileReport&, const Progress&)> on_file_done;
  /// Called once per file in planning order, files never read included (code
  /// "cancelled"), as soon as every earlier file has been reported: what a
  /// streamed report (ReportWriter) takes. Serialized like on_file_done.
  std::function<void(const FileReport&)> on_file_reported;
  /// Checked before each file is read.
  const Cancellation* cancellation = nullptr;
  /// false: Report::files stays empty, so that a run over millions of files
  /// holds none of their reports (take them from on_file_reported).
  bool keep_files = true;
  /// Count the inputs ahead of the run (a second listing in a thread of its
  /// own) so that Progress::total reaches the run's size early, for a
  /// progress bar.
  bool count_inputs = false;
};

/// Runs the batch, reading the inputs while they are still being listed (see
/// InputLister), so its memory does not grow with the number of files when
/// `callbacks.keep_files` is false. Per-file problems never throw: they are in
/// the report, an input whose outputs would meet an earlier input's or replace
/// an input among them (code output-conflict, see OutputClaims). Throws
/// imgflow::Error{usage} if `options.validate()` finds problems and
/// imgflow::Error{setup} if the output directory cannot be created; nothing is
/// written in either case.
Report run(const Options& options, const RunCallbacks& callbacks = {});

/// Runs over an already planned list (see plan_inputs), checked whole before
/// any work: a conflict between its outputs throws imgflow::Error{usage}.
Report run(const Options& options, const std::vector<PlannedFile>& plan,
           const RunCallbacks& callbacks = {});

}  // namespace imgflow
