// A batch run driven from Python: imgflow::run() on a thread of its own, its
// finished files handed to the Python thread that waits for them, with the
// GIL released while it waits and Ctrl-C checked every 50 ms.
#pragma once

#include <pybind11/pybind11.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "imgflow/pipeline.hpp"

namespace imgflow::python {

class BatchRun {
 public:
  /// Checks `options` (throws imgflow::Error{usage}) and opens the report
  /// file when `report_path` is not empty (throws imgflow::Error, like a bad
  /// option): nothing is done before both pass. Then starts the run.
  BatchRun(Options options, const std::string& report_path);
  /// Cancels the run if it is still going and waits for it.
  ~BatchRun();
  BatchRun(const BatchRun&) = delete;
  BatchRun& operator=(const BatchRun&) = delete;

  /// The next file to finish, as its report entry (a dict); nullopt once the
  /// run is over. Call with the GIL held: it is released while waiting. On
  /// KeyboardInterrupt it cancels the run, waits for the files in flight and
  /// the report, then raises it. Raises imgflow.Error for whole-run errors
  /// (setup, a report that could not be written).
  std::optional<pybind11::dict> next();

  /// Stops reading new files, waits for those in flight (GIL released).
  void cancel();

  /// The whole report as a dict, the JSON report's shape; None before the end.
  pybind11::object report() const;

 private:
  void wait_for_end();

  Options options_;
  Cancellation cancellation_;
  std::unique_ptr<ReportWriter> report_writer_;
  std::string report_error_;  // why the report file could not be written

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> finished_;  // to_json_line() of each file, in finishing order
  bool over_ = false;
  std::exception_ptr error_;  // a whole-run error from run()
  Report result_;
  bool thrown_ = false;  // error_ was raised already
  std::thread thread_;
};

/// json.loads(text).
pybind11::object parse_json(const std::string& text);

}  // namespace imgflow::python
