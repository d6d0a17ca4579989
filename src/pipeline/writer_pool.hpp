// Internal: I/O threads that save finished files' outputs atomically and hand
// every file (written or failed) to the run's bookkeeping.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "pipeline/file_job.hpp"
#include "pipeline/stale_temporaries.hpp"

namespace imgflow::detail {

class WriterPool {
 public:
  /// `finished` is called once per file, from a writer thread. Once `stopped`
  /// returns true, files are no longer written but marked discarded.
  /// `output_root`: the run's output folder; a file finding it gone fails
  /// with output-unavailable rather than creating it again.
  WriterPool(bool fsync, std::filesystem::path output_root, std::function<bool()> stopped,
             std::function<void(FileJobPtr)> finished);
  ~WriterPool();  ///< closes the queue and joins
  WriterPool(const WriterPool&) = delete;
  WriterPool& operator=(const WriterPool&) = delete;

  void start(int threads);
  /// Queues a file. Thread-safe. The queue is unbounded: in-flight tokens bound it.
  void push(FileJobPtr job);
  /// Lets the threads finish what is queued, then joins them.
  void close_and_join();

 private:
  void write_loop();
  void write_outputs(FileJob& job);

  bool fsync_;
  std::filesystem::path output_root_;
  std::function<bool()> stopped_;
  std::function<void(FileJobPtr)> finished_;
  /// For outputs named after their pixel size, known only here (the readers
  /// clean up beside the others before reading).
  StaleTemporaries stale_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<FileJobPtr> queue_;
  bool closed_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace imgflow::detail
