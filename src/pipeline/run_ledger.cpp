#include "pipeline/run_ledger.hpp"

#include <string>

namespace imgflow::detail {

RunLedger::RunLedger(const RunCallbacks& callbacks, const PlanFeed& feed, int max_errors)
    : callbacks_(callbacks),
      feed_(feed),
      max_errors_(max_errors),
      start_(std::chrono::steady_clock::now()) {}

double RunLedger::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void RunLedger::finish(FileJob& job) {
  std::lock_guard lock(mutex_);
  if (job.discarded) {  // reported like the files never read
    report_in_order(job.index, not_processed(job.report.input));
    return;
  }
  ++progress_.done;
  if (job.report.status == FileStatus::failed) {
    ++progress_.failed;
    if (max_errors_ > 0 && progress_.failed >= static_cast<std::size_t>(max_errors_)) {
      too_many_errors_.store(true);
    }
    if (stops_the_run(job.report.error) && !stopped_on_fault_.load()) {
      fault_ = job.report.error;
      fault_message_ = job.report.message;
      stopped_on_fault_.store(true);
    }
  }
  progress_.total = feed_.total();
  progress_.total_known = feed_.total_known();
  progress_.seconds = elapsed();
  if (callbacks_.on_file_done) callbacks_.on_file_done(job.report, progress_);
  report_in_order(job.index, std::move(job.report));
}

void RunLedger::not_read(const FeedItem& item) {
  std::lock_guard lock(mutex_);
  report_in_order(item.index, not_processed(item.file.input));
}

FileReport RunLedger::not_processed(const std::filesystem::path& input) const {
  FileReport file;
  file.input = input;
  file.status = FileStatus::skipped;
  file.error = ErrorCode::cancelled;
  if (stopped_on_fault()) {
    file.message = "not processed: the run stopped (" + std::string(error_code_name(fault_)) +
                   ": " + fault_message_ + ")";
  } else if (too_many_errors()) {
    file.message = "not processed: stopped after " + std::to_string(max_errors_) +
                   " failed files (--max-errors)";
  } else {
    file.message = "not processed: the run was cancelled";
  }
  return file;
}

void RunLedger::report_in_order(std::size_t index, FileReport&& file) {
  if (index != next_to_report_) {
    waiting_.emplace(index, std::move(file));
    return;
  }
  while (true) {
    ++(file.status == FileStatus::ok       ? summary_.ok
       : file.status == FileStatus::failed ? summary_.failed
                                           : summary_.skipped);
    ++summary_.total;
    if (callbacks_.on_file_reported) callbacks_.on_file_reported(file);
    if (callbacks_.keep_files) files_.push_back(std::move(file));
    ++next_to_report_;
    const auto next = waiting_.find(next_to_report_);
    if (next == waiting_.end()) return;
    file = std::move(next->second);
    waiting_.erase(next);
  }
}

Report RunLedger::take_report(bool stopped) {
  std::lock_guard lock(mutex_);
  Report report;
  report.summary = summary_;
  report.summary.seconds = elapsed();
  if (stopped_on_fault()) {  // also when nothing was left unread: it says why files failed
    report.summary.stopped_on_fault = fault_;
    report.summary.fault_message = fault_message_;
  }
  report.summary.stopped_on_errors = stopped && !stopped_on_fault() && too_many_errors();
  report.summary.cancelled = stopped && !stopped_on_fault() && !report.summary.stopped_on_errors;
  report.files = std::move(files_);
  return report;
}

}  // namespace imgflow::detail
