#include "reader_pool.hpp"

#include "imgflow/error.hpp"

namespace imgflow::detail {

ReaderPool::ReaderPool(const std::vector<PlannedFile>& plan, const Options& options,
                       InFlightTokens& tokens, const Cancellation* cancellation,
                       Callbacks callbacks)
    : plan_(plan),
      options_(options),
      tokens_(tokens),
      cancellation_(cancellation),
      callbacks_(std::move(callbacks)) {}

ReaderPool::~ReaderPool() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void ReaderPool::start(int threads) {
  running_ = threads;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { read_loop(); });
}

void ReaderPool::read_loop() {
  while (true) {
    if (cancellation_ && cancellation_->cancelled()) break;
    tokens_.acquire();
    if (cancellation_ && cancellation_->cancelled()) {
      tokens_.release();
      break;
    }
    const std::size_t index = next_.fetch_add(1);
    if (index >= plan_.size()) {
      tokens_.release();
      break;
    }
    auto job = std::make_shared<FileJob>();
    job->index = index;
    job->planned = &plan_[index];
    job->report.input = plan_[index].input;
    try {
      job->encoded_input = read_file(plan_[index].input, options_.max_file_bytes);
    } catch (const Error& e) {
      job->fail(e.code(), e.what());
    } catch (const std::exception& e) {
      job->fail(ErrorCode::read_error, e.what());
    }
    if (job->failed()) {
      callbacks_.to_writers(std::move(job));
    } else {
      callbacks_.to_graph(std::move(job));
    }
  }
  if (running_.fetch_sub(1) == 1) callbacks_.all_done();
}

}  // namespace imgflow::detail
