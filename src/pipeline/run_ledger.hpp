// Internal: the run's bookkeeping, fed by the writer threads: progress, the
// count of failures behind --max-errors, and each file's report passed on in
// planning order (a file that finishes early waits for the ones before it).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "imgflow/pipeline.hpp"
#include "pipeline/file_job.hpp"
#include "pipeline/plan_feed.hpp"

namespace imgflow::detail {

class RunLedger {
 public:
  RunLedger(const RunCallbacks& callbacks, const PlanFeed& feed, int max_errors);

  /// A file is finished (written, failed or up to date). Thread-safe.
  void finish(FileJob& job);
  /// A file the run stopped before reading (cancelled, --max-errors, or an
  /// output fault).
  void not_read(const FeedItem& item);

  /// --max-errors reached: stop reading new files.
  bool too_many_errors() const { return too_many_errors_.load(); }
  /// A file failed in a way no later file can avoid (disk full, read-only,
  /// output folder gone): stop reading, and write nothing more.
  bool stopped_on_fault() const { return stopped_on_fault_.load(); }

  /// The summary (and the files, when kept). `stopped`: files were left unread.
  Report take_report(bool stopped);

 private:
  void report_in_order(std::size_t index, FileReport&& file);          // with mutex_ held
  FileReport not_processed(const std::filesystem::path& input) const;  // with mutex_ held
  double elapsed() const;

  const RunCallbacks& callbacks_;
  const PlanFeed& feed_;
  int max_errors_;
  std::atomic<bool> too_many_errors_{false};
  std::atomic<bool> stopped_on_fault_{false};
  ErrorCode fault_ = ErrorCode::ok;  // the first file's that stopped the run
  std::string fault_message_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  Progress progress_;
  Summary summary_;
  std::size_t next_to_report_ = 0;
  std::map<std::size_t, FileReport> waiting_;  // finished before an earlier file
  std::vector<FileReport> files_;              // when callbacks_.keep_files
};

}  // namespace imgflow::detail
