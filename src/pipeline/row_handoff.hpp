// Internal: a RowSink that passes rows on to another sink on another core, so
// that a streamed PNG's inflating (the decoder's thread) and its resizing run
// at the same time.
#pragma once

#include <oneapi/tbb/task_group.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <vector>

#include "codec/row_sink.hpp"

namespace imgflow::detail {

/// Collects rows in batches and gives each full batch to `next` in a oneTBB
/// task, in order. Never waits for that task: when kMaxQueued batches are
/// waiting (the other cores are busy, or the arena has one thread), the
/// decoder's thread takes the batches itself. Memory: at most kMaxQueued + 2
/// batches of kBatchRows rows.
class RowHandoff final : public RowSink {
 public:
  explicit RowHandoff(RowSink& next) : next_(next) {}
  ~RowHandoff() noexcept override;
  RowHandoff(const RowHandoff&) = delete;
  RowHandoff& operator=(const RowHandoff&) = delete;

  void start(int width, int height, int type) override;
  void take_row(const void* pixels) override;
  /// After the last row: hands over the rest and waits until `next` has
  /// every row. Rethrows what `next` threw.
  void finish();

  static constexpr int kBatchRows = 16;
  static constexpr std::size_t kMaxQueued = 4;

 private:
  struct Batch {
    std::vector<std::uint8_t> bytes;
    int rows = 0;
  };
  void hand_over();
  void drain();
  void rethrow_failure();

  RowSink& next_;
  std::size_t row_bytes_ = 0;
  Batch filling_;
  std::mutex queue_mutex_;  // guards queued_, spare_, draining_, failure_
  std::deque<Batch> queued_;
  std::vector<Batch> spare_;
  bool draining_ = false;  // a task is (or is about to be) draining
  std::exception_ptr failure_;
  std::mutex next_mutex_;  // one drain at a time, so batches reach next_ in order
  oneapi::tbb::task_group tasks_;
};

}  // namespace imgflow::detail
