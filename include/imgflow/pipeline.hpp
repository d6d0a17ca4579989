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
  std::size_t total = 0;
  double seconds = 0;  ///< since the run started
};

struct RunCallbacks {
  /// Called once per finished file, as it finishes. Calls are serialized (never
  /// two at once) but come from the run's writer threads.
  std::function<void(const FileReport&, const Progress&)> on_file_done;
  /// Checked before each file is read.
  const Cancellation* cancellation = nullptr;
};

/// Runs the batch. Per-file problems never throw: they are in the report.
/// Throws imgflow::Error{usage} if `options.validate()` finds problems and
/// imgflow::Error{setup} if the output directory cannot be created; nothing is
/// written in either case.
Report run(const Options& options, const RunCallbacks& callbacks = {});

/// Runs over an already planned list (see plan_inputs).
Report run(const Options& options, const std::vector<PlannedFile>& plan,
           const RunCallbacks& callbacks = {});

}  // namespace imgflow
