#include "pipeline/writer_pool.hpp"

#include <filesystem>

#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"
#include "pipeline/stop_signals.hpp"

namespace imgflow::detail {

WriterPool::WriterPool(bool fsync, std::filesystem::path output_root, std::function<bool()> stopped,
                       std::function<void(FileJobPtr)> finished)
    : fsync_(fsync),
      output_root_(std::move(output_root)),
      stopped_(std::move(stopped)),
      finished_(std::move(finished)) {}

WriterPool::~WriterPool() {
  close_and_join();
}

void WriterPool::start(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { write_loop(); });
}

void WriterPool::push(FileJobPtr job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  ready_.notify_one();
}

void WriterPool::close_and_join() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WriterPool::write_loop() {
  block_stop_signals();
  while (true) {
    FileJobPtr job;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return closed_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closed and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!job->failed() && !job->up_to_date) {
      // After a full disk (or the like) every write would fail the same way:
      // what is still in flight is dropped, not tried one by one.
      if (stopped_()) {
        job->discarded = true;
      } else {
        write_outputs(*job);
      }
    }
    finished_(std::move(job));
  }
}

void WriterPool::write_outputs(FileJob& job) {
  StageTimer timer(job.report.timings.write);
  try {
    for (auto& output : job.outputs) {
      // Planning guesses formats from names and cannot know sizes: an output
      // whose path is only known now is claimed now.
      if (!output.claimed && !job.claims->claim(output.path)) {
        throw Error(ErrorCode::output_conflict,
                    output.path.string() + " was already written by another input of this run");
      }
      // Created at the start of the run: if it is gone now (a removed or
      // unmounted volume), recreating it would write where no one looks.
      const auto root_gone = [&] {
        std::error_code ignored;
        return !output_root_.empty() && !std::filesystem::is_directory(output_root_, ignored);
      };
      const std::string gone_message = "the output folder " + output_root_.string() + " is gone";
      if (root_gone()) throw Error(ErrorCode::output_unavailable, gone_message);
      std::filesystem::create_directories(output.path.parent_path());
      try {
        write_file_atomic(output.path, output.bytes, fsync_);
      } catch (const Error& e) {  // which output, for a file with several
        // Gone while this file was written (its write or rename failed for
        // that): the run stops now, not at the next file.
        if (root_gone()) {
          throw Error(ErrorCode::output_unavailable, gone_message + " (" + e.what() + ")");
        }
        throw Error(e.code(), output.path.string() + ": " + e.what());
      }
      // A killed run's temporary of an output named after its pixel size
      // could not be found before this one was made.
      if (!output.claimed) stale_.remove_for(output.path);
      job.report.outputs.push_back({output.path, output.width, output.height,
                                    static_cast<std::uint64_t>(output.bytes.size())});
      output.bytes = {};  // release as soon as it is on disk
    }
    job.report.status = FileStatus::ok;
  } catch (const Error& e) {
    job.fail(e.code(), e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    job.fail(write_failure(e.code().value()),
             std::string("cannot create the output folder: ") + e.code().message());
  } catch (const std::exception& e) {
    job.fail(ErrorCode::write_error, e.what());
  }
}

}  // namespace imgflow::detail
