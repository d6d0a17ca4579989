#include "pipeline/row_handoff.hpp"

#include <cstring>

#include <opencv2/core.hpp>

namespace imgflow::detail {

RowHandoff::~RowHandoff() noexcept {
  // On an exception from the decoder: let a running drain end before the
  // queue goes away.
  tasks_.wait();
}

void RowHandoff::start(int width, int height, int type) {
  next_.start(width, height, type);
  row_bytes_ = static_cast<std::size_t>(width) * static_cast<std::size_t>(CV_ELEM_SIZE(type));
  filling_.bytes.resize(row_bytes_ * kBatchRows);
  filling_.rows = 0;
}

void RowHandoff::take_row(const void* pixels) {
  std::memcpy(filling_.bytes.data() + row_bytes_ * static_cast<std::size_t>(filling_.rows), pixels,
              row_bytes_);
  if (++filling_.rows == kBatchRows) hand_over();
}

void RowHandoff::finish() {
  if (filling_.rows > 0) hand_over();
  tasks_.wait();
  drain();  // anything left when the arena had no thread for a task
  rethrow_failure();
}

void RowHandoff::hand_over() {
  bool run_task = false, backlog = false;
  {
    std::lock_guard lock(queue_mutex_);
    queued_.push_back(std::move(filling_));
    if (!spare_.empty()) {
      filling_ = std::move(spare_.back());
      spare_.pop_back();
    }
    run_task = !draining_;
    draining_ = true;
    backlog = queued_.size() > kMaxQueued;
  }
  filling_.bytes.resize(row_bytes_ * kBatchRows);
  filling_.rows = 0;
  if (run_task) tasks_.run([this] { drain(); });
  if (backlog) drain();
  rethrow_failure();
}

// Gives every queued batch to next_, in order, then lets the next hand_over
// start a task again.
void RowHandoff::drain() {
  std::lock_guard order(next_mutex_);
  while (true) {
    Batch batch;
    {
      std::lock_guard lock(queue_mutex_);
      if (queued_.empty() || failure_) {
        draining_ = false;
        return;
      }
      batch = std::move(queued_.front());
      queued_.pop_front();
    }
    try {
      for (int i = 0; i < batch.rows; ++i) {
        next_.take_row(batch.bytes.data() + row_bytes_ * static_cast<std::size_t>(i));
      }
    } catch (...) {
      std::lock_guard lock(queue_mutex_);
      failure_ = std::current_exception();
      draining_ = false;
      return;
    }
    std::lock_guard lock(queue_mutex_);
    spare_.push_back(std::move(batch));
  }
}

void RowHandoff::rethrow_failure() {
  std::exception_ptr failure;
  {
    std::lock_guard lock(queue_mutex_);
    failure = failure_;
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace imgflow::detail
