// Internal: the run's inputs, handed to the reader threads one at a time as
// they are listed, each with its place in the plan and, when its outputs
// would meet another input's or replace an input, why it may not run.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "imgflow/plan.hpp"

namespace imgflow::detail {

struct FeedItem {
  std::size_t index = 0;  ///< place in the plan (and in the report)
  PlannedFile file;
  std::string conflict;                 ///< not empty: the file fails with output-conflict, unread
  std::shared_ptr<OutputScope> claims;  ///< where outputs named when written are claimed
};

class PlanFeed {
 public:
  /// Lists `options`' inputs as the readers ask for them, claiming each one's
  /// outputs (see OutputClaims).
  explicit PlanFeed(const Options& options);
  /// A plan given whole, already checked by check_plan().
  PlanFeed(const std::vector<PlannedFile>& plan, const Options& options);
  ~PlanFeed();  ///< stops the count
  PlanFeed(const PlanFeed&) = delete;
  PlanFeed& operator=(const PlanFeed&) = delete;

  /// The next input, or std::nullopt once all are handed out. Thread-safe.
  std::optional<FeedItem> next();

  /// Counts the inputs ahead of the readers, in a thread of its own (a
  /// second listing, holding nothing), so that total() soon knows the size of
  /// the whole run. A list on standard input cannot be read twice: its paths
  /// are counted as they are handed out.
  void start_count();

  /// Inputs known so far: all of them once total_known().
  std::size_t total() const noexcept;
  bool total_known() const noexcept;

 private:
  const Options* options_ = nullptr;
  const std::vector<PlannedFile>* plan_ = nullptr;
  std::mutex mutex_;
  std::optional<InputLister> lister_;
  std::optional<OutputClaims> claims_;
  std::atomic<std::size_t> handed_out_{0};
  std::atomic<bool> listed_all_{false};
  std::atomic<std::size_t> counted_{0};
  std::atomic<bool> counted_all_{false};
  std::atomic<bool> stop_count_{false};
  std::thread counter_;
};

}  // namespace imgflow::detail
