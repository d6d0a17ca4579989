// The batch run. Data path, top to bottom:
//
//   PlanFeed (inputs listed as they are asked for, outputs claimed)
//        │ next()
//   ReaderPool (I/O threads) ──try_put──▶ decode ─▶ resize ─▶ encode ─▶ to_writers
//        │ read failures, conflicts       (oneTBB flow graph, each node runs     │
//        └───────────────────────────────▶ on all of the run's CPU threads)     ▼
//                                                                  WriterPool (I/O threads)
//                                                                         │
//                                                 RunLedger::finish(): progress, reports in
//                                                 planning order, in-flight token returned
//
// A large non-interlaced PNG (streams_rows()) is decoded and resized in the
// decode node, its rows going from libpng straight into the resizer
// (decode_resize_stage), so its full-size image never exists; the resize node
// passes it on, and its report counts the resize in the decode time.
// Other large files (JPEG, TIFF, JPEG XL, HEIF/AVIF, GIF, still lossy WebP,
// interlaced PNG) are decoded in the decode node from the pieces of their
// file (decodes_in_pieces(): the codec reads them through InputBytes as it
// goes), never read whole.
// An animation with --animated is decoded, resized and encoded frame by frame
// in the decode node the same way (animation_stage), and the encode node
// only names its outputs (and encodes any still ones from its first frame).
#include <algorithm>
#include <chrono>

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "core/deadline.hpp"
#include "imgflow/error.hpp"
#include "imgflow/pipeline.hpp"
#include "imgflow/plan.hpp"
#include "pipeline/animation_stage.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/plan_feed.hpp"
#include "pipeline/reader_pool.hpp"
#include "pipeline/run_ledger.hpp"
#include "pipeline/stages.hpp"
#include "pipeline/writer_pool.hpp"

namespace imgflow {
namespace {

using detail::FileJobPtr;
namespace flow = oneapi::tbb::flow;

// The deadline of a file's next stage: what is left of its --timeout after
// the stages it has been through (the time it waited between them does not
// count, so a busy machine does not fail files that were only queued).
detail::Deadline stage_deadline(const StageTimings& spent, double timeout) {
  detail::Deadline deadline;
  if (timeout <= 0) return deadline;
  deadline.limit_seconds = timeout;
  const double left = timeout - (spent.decode + spent.resize + spent.encode);
  deadline.at =
      detail::DeadlineClock::now() + std::chrono::duration_cast<detail::DeadlineClock::duration>(
                                         std::chrono::duration<double>(std::max(left, 0.0)));
  return deadline;
}

// Runs one stage on a job: skips failed jobs, and turns any exception into a
// failed file so that nothing ever leaves a graph node. An exception that is
// not an imgflow::Error (OpenCV's, out of memory) fails the file with the
// stage's own code. The stage runs under the file's deadline (--timeout): the
// codecs stop inside their loops once it passes, and a stage with no loop of
// ours inside (cv::resize, libheif's encoders) is checked when it returns.
template <typename Stage>
FileJobPtr guarded(const FileJobPtr& job, double StageTimings::*timing, ErrorCode stage_error,
                   const char* stage_name, double timeout, Stage&& stage) {
  if (job->failed()) return job;
  try {
    const detail::Deadline deadline = stage_deadline(job->report.timings, timeout);
    const detail::DeadlineScope scope(deadline);
    {
      detail::StageTimer timer(job->report.timings.*timing);
      stage(*job);
    }
    if (deadline.passed()) throw detail::timed_out_error(stage_name, true);
  } catch (const Error& e) {
    job->fail(e.code(), e.what());
  } catch (const cv::Exception& e) {
    job->fail(stage_error, e.msg);
  } catch (const std::bad_alloc&) {
    job->fail(stage_error, "out of memory");
  } catch (const std::exception& e) {
    job->fail(stage_error, e.what());
  }
  return job;
}

// OpenCV's own parallel loops would compete with the graph for the same cores
// (and only one caller at a time gets them anyway): run them serially inside
// each node, and keep OpenCV's log lines out of the user's terminal.
// Measured on 2 cores, 105 JPEG photos → 800x800, 3 runs each: median wall
// 2.33 s serial vs 2.32 s with OpenCV's TBB loops; on a mixed PNG/WebP/JPEG set
// 6.95 s vs 7.05 s. Serial is as fast and keeps one scheduler in charge.
class OpenCvQuiet {
 public:
  OpenCvQuiet()
      : threads_(cv::getNumThreads()),
        level_(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT)) {
    cv::setNumThreads(1);
  }
  ~OpenCvQuiet() {
    cv::setNumThreads(threads_);
    cv::utils::logging::setLogLevel(level_);
  }

 private:
  int threads_;
  cv::utils::logging::LogLevel level_;
};

void prepare_output_dir(const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  if (ec || !std::filesystem::is_directory(options.output_dir)) {
    throw Error(ErrorCode::setup, "output_dir: cannot create directory " +
                                      options.output_dir.string() + ": " +
                                      (ec ? ec.message() : "a file is in the way"));
  }
  if (::access(options.output_dir.c_str(), W_OK | X_OK) != 0) {
    throw Error(ErrorCode::setup,
                "output_dir: directory " + options.output_dir.string() + " is not writable");
  }
}

void check_options(const Options& options) {
  const auto problems = options.validate();
  if (problems.empty()) return;
  std::string message;
  for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
  throw Error(ErrorCode::usage, message);
}

// The run over whichever feed: checks done, the graph wired and run.
Report run_feed(const Options& options, detail::PlanFeed& feed, const RunCallbacks& callbacks) {
  prepare_output_dir(options);
  if (callbacks.count_inputs) feed.start_count();

  const int threads = options.effective_threads();
  OpenCvQuiet opencv_quiet;
  // Enough TBB workers for the arena even when -j exceeds the core count.
  oneapi::tbb::global_control parallelism(oneapi::tbb::global_control::max_allowed_parallelism,
                                          static_cast<std::size_t>(threads));
  oneapi::tbb::task_arena arena(threads);

  // Each stage's settings, once for the run.
  const detail::RunSettings settings(options);
  detail::RunLedger ledger(callbacks, feed, options.max_errors);
  detail::InFlightTokens tokens(options.effective_max_in_flight());
  detail::MemoryBudget budget(options.effective_max_memory());
  detail::WriterPool writers(
      options.fsync, options.output_dir, [&] { return ledger.stopped_on_fault(); },
      [&](FileJobPtr job) {
        ledger.finish(*job);
        const std::uint64_t budgeted = job->budgeted;
        job.reset();  // free the file's memory before its token lets another in
        budget.release(budgeted);
        tokens.release();
      });
  writers.start(options.writers);

  arena.execute([&] {
    flow::graph graph;
    flow::function_node<FileJobPtr, FileJobPtr> decode(
        graph, flow::unlimited, [&](const FileJobPtr& job) {
          return guarded(
              job, &StageTimings::decode, ErrorCode::decode_error, "decode", settings.timeout,
              [&](detail::FileJob& j) {
                if (detail::streams_rows(j.encoded_input.head(), settings.decode)) {
                  j.resized = detail::decode_resize_stage(j.encoded_input, settings.decode,
                                                          settings.resize, j.decoded);
                  j.streamed = true;
                } else if (!j.encoded_input.whole() &&
                           detail::decodes_in_pieces(j.encoded_input, settings.decode)) {
                  j.decoded = detail::decode_stage(j.encoded_input, settings.decode);
                } else {
                  // Only a file that streams or decodes in pieces is read in
                  // pieces: this reads nothing.
                  j.encoded_input.read_rest();
                  const auto bytes = j.encoded_input.bytes();
                  if (const auto animation = detail::animation_of(bytes, settings.decode)) {
                    auto frames =
                        detail::animation_stage(bytes, *animation, settings.decode, settings.resize,
                                                settings.outputs, j.decoded);
                    j.resized = std::move(frames.first_frame);
                    j.animated = std::move(frames.webp);
                    j.streamed = true;
                  } else {
                    j.decoded = detail::decode_stage(bytes, settings.decode);
                  }
                }
                j.report.source = j.decoded.source;
                j.report.warnings = j.decoded.warnings;
                j.encoded_input = {};
              });
        });
    flow::function_node<FileJobPtr, FileJobPtr> resize(
        graph, flow::unlimited, [&](const FileJobPtr& job) {
          if (job->streamed) return job;
          return guarded(job, &StageTimings::resize, ErrorCode::resize_error, "resize",
                         settings.timeout, [&](detail::FileJob& j) {
                           j.resized = detail::resize_stage(j.decoded, settings.resize);
                           j.decoded.pixels.release();
                         });
        });
    flow::function_node<FileJobPtr, FileJobPtr> encode(
        graph, flow::unlimited, [&](const FileJobPtr& job) {
          return guarded(job, &StageTimings::encode, ErrorCode::encode_error, "encode",
                         settings.timeout, [&](detail::FileJob& j) {
                           j.outputs = detail::encode_stage(j.resized, j.planned, j.decoded,
                                                            settings.outputs, j.animated);
                           j.resized.clear();
                           j.animated.clear();
                         });
        });
    flow::function_node<FileJobPtr> to_writers(graph, flow::unlimited,
                                               [&](const FileJobPtr& job) { writers.push(job); });
    flow::make_edge(decode, resize);
    flow::make_edge(resize, encode);
    flow::make_edge(encode, to_writers);

    // The readers put jobs in from their own threads; hold the graph open until
    // the last of them has stopped.
    graph.reserve_wait();
    detail::ReaderPool readers(
        feed, settings.read, settings.decode, tokens, budget,
        {.to_graph = [&](FileJobPtr job) { decode.try_put(job); },
         .to_writers = [&](FileJobPtr job) { writers.push(job); },
         .all_done = [&] { graph.release_wait(); },
         .should_stop =
             [&] {
               return (callbacks.cancellation && callbacks.cancellation->cancelled()) ||
                      ledger.too_many_errors() || ledger.stopped_on_fault();
             }});
    readers.start(options.readers);
    graph.wait_for_all();
  });
  writers.close_and_join();

  // The files the readers stopped before (cancelled, --max-errors, a fault) are
  // listed to the end, so that the report names every one.
  bool stopped = false;
  while (const auto item = feed.next()) {
    stopped = true;
    ledger.not_read(*item);
  }
  Report report = ledger.take_report(stopped);
  report.job = job_of(options);
  return report;
}

}  // namespace

Report run(const Options& options, const RunCallbacks& callbacks) {
  check_options(options);
  detail::PlanFeed feed(options);
  return run_feed(options, feed, callbacks);
}

Report run(const Options& options, const std::vector<PlannedFile>& plan,
           const RunCallbacks& callbacks) {
  check_options(options);
  check_plan(plan, options);
  detail::PlanFeed feed(plan, options);
  return run_feed(options, feed, callbacks);
}

}  // namespace imgflow
