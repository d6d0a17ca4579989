// Internal: the byte budget behind --max-memory. A reader asks for a file's
// estimated working memory before handing it to the graph; the writer gives
// it back when the file is finished. A file larger than the whole budget is
// let in alone, so a run always makes progress.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace imgflow::detail {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::uint64_t limit) : limit_(limit) {}  ///< 0: no limit

  /// Whether files must fit (a limit was set): only then need they be estimated.
  bool limited() const noexcept { return limit_ != 0; }

  /// Blocks until `bytes` fit beside what is in use (or nothing is in use).
  void acquire(std::uint64_t bytes) {
    if (limit_ == 0) return;
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [&] { return used_ == 0 || used_ + bytes <= limit_; });
    used_ += bytes;
  }

  void release(std::uint64_t bytes) {
    if (limit_ == 0) return;
    {
      std::lock_guard lock(mutex_);
      used_ -= bytes;
    }
    freed_.notify_all();
  }

  std::uint64_t in_use() const {
    std::lock_guard lock(mutex_);
    return used_;
  }

 private:
  const std::uint64_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::uint64_t used_ = 0;
};

}  // namespace imgflow::detail
