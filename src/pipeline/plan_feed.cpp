#include "pipeline/plan_feed.hpp"

#include <algorithm>

#include "pipeline/stop_signals.hpp"

namespace imgflow::detail {

PlanFeed::PlanFeed(const Options& options)
    : options_(&options), lister_(std::in_place, options), claims_(std::in_place, options) {}

PlanFeed::PlanFeed(const std::vector<PlannedFile>& plan, const Options& options)
    : plan_(&plan), claims_(std::in_place, options, false) {
  counted_ = plan.size();
  counted_all_ = true;
}

PlanFeed::~PlanFeed() {
  stop_count_ = true;
  if (counter_.joinable()) counter_.join();
}

std::optional<FeedItem> PlanFeed::next() {
  std::lock_guard lock(mutex_);
  if (listed_all_) return std::nullopt;
  const std::size_t index = handed_out_.load();
  std::optional<FeedItem> item;
  std::optional<PlannedFile> file;
  if (plan_) {
    if (index < plan_->size()) file = (*plan_)[index];
  } else {
    file = lister_->next();
  }
  if (file) {
    claims_->add_input(*file);
    std::string conflict = claims_->claim(*file);
    item = FeedItem{index, std::move(*file), std::move(conflict), claims_->scope()};
  }
  if (!item) {
    listed_all_ = true;
    return std::nullopt;
  }
  handed_out_ = index + 1;
  return item;
}

void PlanFeed::start_count() {
  if (!options_ || counter_.joinable()) return;
  if (options_->files_from == "-") return;  // standard input is read once, by next()
  counter_ = std::thread([this] {
    block_stop_signals();
    InputLister lister(*options_);
    std::size_t n = 0;
    while (!stop_count_ && lister.next()) counted_.store(++n, std::memory_order_relaxed);
    if (!stop_count_) counted_all_ = true;
  });
}

std::size_t PlanFeed::total() const noexcept {
  if (listed_all_) return handed_out_.load();
  return std::max(handed_out_.load(), counted_.load(std::memory_order_relaxed));
}

bool PlanFeed::total_known() const noexcept {
  return listed_all_ || counted_all_;
}

}  // namespace imgflow::detail
