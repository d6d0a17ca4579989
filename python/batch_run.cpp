#include "batch_run.hpp"

#include <unistd.h>

#include <chrono>

#include "imgflow/error.hpp"
#include "keywords.hpp"

namespace py = pybind11;

namespace imgflow::python {

namespace {

// How often a waiting Python thread wakes to let Ctrl-C in.
constexpr auto kSignalCheck = std::chrono::milliseconds(50);

std::unique_ptr<ReportWriter> open_report(const std::string& path) {
  if (path.empty()) return nullptr;
  try {
    // "-": standard output, as the command's --report -.
    return path == "-" ? std::make_unique<ReportWriter>(STDOUT_FILENO)
                       : std::make_unique<ReportWriter>(std::filesystem::path(path));
  } catch (const Error& e) {
    throw Error(ErrorCode::usage, "report: " + std::string(e.what()));
  }
}

}  // namespace

py::object parse_json(const std::string& text) {
  return py::module_::import("json").attr("loads")(py::str(text));
}

BatchRun::BatchRun(Options options, const std::string& report_path) : options_(std::move(options)) {
  validate_keywords(options_);
  report_writer_ = open_report(report_path);
  thread_ = std::thread([this] {
    RunCallbacks callbacks;
    callbacks.cancellation = &cancellation_;
    callbacks.on_file_done = [this](const FileReport& file, const Progress&) {
      std::string line = to_json_line(file);
      {
        const std::lock_guard lock(mutex_);
        finished_.push_back(std::move(line));
      }
      changed_.notify_all();
    };
    if (report_writer_) {
      callbacks.on_file_reported = [this](const FileReport& file) {
        if (!report_error_.empty()) return;
        try {
          report_writer_->add(file);
        } catch (const Error& e) {
          report_error_ = e.what();
        }
      };
    }
    Report report;
    std::exception_ptr error;
    try {
      report = run(options_, callbacks);
      if (report_writer_ && report_error_.empty())
        report_writer_->finish(report.summary, report.job);
    } catch (const Error& e) {
      if (report_writer_ && e.code() == ErrorCode::write_error) {
        report_error_ = e.what();
      } else {
        error = std::current_exception();
      }
    } catch (...) {
      error = std::current_exception();
    }
    report_writer_.reset();  // an unfinished report leaves no file behind
    {
      const std::lock_guard lock(mutex_);
      result_ = std::move(report);
      error_ = error;
      over_ = true;
    }
    changed_.notify_all();
  });
}

BatchRun::~BatchRun() {
  cancellation_.cancel();
  if (!thread_.joinable()) return;
  if (PyGILState_Check()) {
    py::gil_scoped_release nogil;
    thread_.join();
  } else {
    thread_.join();
  }
}

void BatchRun::wait_for_end() {
  if (!thread_.joinable()) return;
  py::gil_scoped_release nogil;
  thread_.join();
}

void BatchRun::cancel() {
  cancellation_.cancel();
  wait_for_end();
}

std::optional<py::dict> BatchRun::next() {
  for (;;) {
    std::optional<std::string> line;
    bool over = false;
    {
      py::gil_scoped_release nogil;
      std::unique_lock lock(mutex_);
      changed_.wait_for(lock, kSignalCheck, [this] { return !finished_.empty() || over_; });
      if (!finished_.empty()) {
        line = std::move(finished_.front());
        finished_.pop_front();
      } else {
        over = over_;
      }
    }
    if (line) return parse_json(*line).cast<py::dict>();
    if (over) {
      wait_for_end();
      if (!thrown_ && error_) {
        thrown_ = true;
        std::rethrow_exception(error_);
      }
      if (!thrown_ && !report_error_.empty()) {
        thrown_ = true;
        throw Error(ErrorCode::write_error, "report: " + report_error_);
      }
      return std::nullopt;
    }
    if (PyErr_CheckSignals() != 0) {
      // As SIGINT does to the command: the files in flight finish and the
      // report is written, then KeyboardInterrupt goes on up.
      py::error_already_set interrupt;
      cancel();
      throw interrupt;
    }
  }
}

py::object BatchRun::report() const {
  if (thread_.joinable() || error_) return py::none();
  return parse_json(to_json(result_, -1));
}

}  // namespace imgflow::python
