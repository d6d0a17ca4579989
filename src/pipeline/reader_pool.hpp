// Internal: I/O threads that take the inputs from the plan feed as it lists
// them and read each into memory, at most as many files in flight as there
// are tokens.
#pragma once

#include <atomic>
#include <functional>
#include <semaphore>
#include <thread>
#include <vector>

#include "imgflow/pipeline.hpp"
#include "pipeline/file_job.hpp"
#include "pipeline/memory_budget.hpp"
#include "pipeline/plan_feed.hpp"
#include "pipeline/run_settings.hpp"
#include "pipeline/stale_temporaries.hpp"

namespace imgflow::detail {

/// Tokens bound the images between read and write: a reader takes one before
/// reading a file; the writer gives it back when the file is finished.
using InFlightTokens = std::counting_semaphore<1 << 20>;

class ReaderPool {
 public:
  struct Callbacks {
    std::function<void(FileJobPtr)> to_graph;    ///< a file read into memory
    std::function<void(FileJobPtr)> to_writers;  ///< a file that failed to read
    std::function<void()> all_done;              ///< the last reader has stopped
    std::function<bool()> should_stop;           ///< checked before each file
  };

  /// `decode` is the run's decode policy, for the memory each file will need.
  ReaderPool(PlanFeed& feed, const ReadSettings& read, const DecodePolicy& decode,
             InFlightTokens& tokens, MemoryBudget& budget, Callbacks callbacks);
  ~ReaderPool();  ///< joins the threads
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  void start(int threads);

 private:
  void read_loop();

  PlanFeed& feed_;
  const ReadSettings& read_;
  const DecodePolicy& decode_;
  InFlightTokens& tokens_;
  MemoryBudget& budget_;
  Callbacks callbacks_;
  StaleTemporaries stale_;
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
};

}  // namespace imgflow::detail
