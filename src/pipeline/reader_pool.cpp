#include "pipeline/reader_pool.hpp"

#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/stop_signals.hpp"

namespace imgflow::detail {
namespace {

// Every expected output exists and is at least as new as the input.
bool outputs_up_to_date(const PlannedFile& file,
                        const std::vector<std::optional<std::filesystem::path>>& outputs) {
  std::error_code ec;
  const auto input_time = std::filesystem::last_write_time(file.input, ec);
  if (ec) return false;
  for (const auto& output : outputs) {
    if (!output) return false;  // named after its pixel size: cannot tell before decoding
    const auto output_time = std::filesystem::last_write_time(*output, ec);
    if (ec || output_time < input_time) return false;
  }
  return true;
}

}  // namespace

ReaderPool::ReaderPool(PlanFeed& feed, const ReadSettings& read, const DecodePolicy& decode,
                       InFlightTokens& tokens, MemoryBudget& budget, Callbacks callbacks)
    : feed_(feed),
      read_(read),
      decode_(decode),
      tokens_(tokens),
      budget_(budget),
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
  block_stop_signals();
  while (true) {
    if (callbacks_.should_stop()) break;
    tokens_.acquire();
    if (callbacks_.should_stop()) {
      tokens_.release();
      break;
    }
    auto item = feed_.next();
    if (!item) {
      tokens_.release();
      break;
    }
    auto job = std::make_shared<FileJob>();
    job->index = item->index;
    job->planned = std::move(item->file);
    job->claims = std::move(item->claims);
    job->report.input = job->planned.input;
    if (!item->conflict.empty()) {
      job->fail(ErrorCode::output_conflict, std::move(item->conflict));
      callbacks_.to_writers(std::move(job));
      continue;
    }
    const auto outputs = expected_outputs(job->planned, read_.naming);
    // A killed run may have left temporaries beside them (those named after
    // the pixel size are known only when written: the writers remove theirs).
    for (const auto& output : outputs) {
      if (output) stale_.remove_for(*output);
    }
    if (read_.skip_existing && outputs_up_to_date(job->planned, outputs)) {
      job->up_to_date = true;
      job->report.message = "outputs are up to date";
      callbacks_.to_writers(std::move(job));
      continue;
    }
    try {
      StageTimer timer(job->report.timings.read);
      job->encoded_input =
          InputBytes::open(job->planned.input, read_.max_file_bytes, read_.pieces_above);
      // In pieces only if the decode stage will stream it or decode it from
      // its pieces (decodes_in_pieces()); else read it all now.
      if (!job->encoded_input.whole() && !streams_rows(job->encoded_input.head(), decode_) &&
          !decodes_in_pieces(job->encoded_input, decode_)) {
        job->encoded_input.read_rest();
      }
    } catch (const Error& e) {
      job->fail(e.code(), e.what());
    } catch (const std::exception& e) {
      job->fail(ErrorCode::read_error, e.what());
    }
    if (job->failed()) {
      callbacks_.to_writers(std::move(job));
    } else {
      if (budget_.limited()) {
        // In pieces: the head stands for the file, plus the one window read at a time.
        job->budgeted = estimated_memory(job->encoded_input, decode_) +
                        (job->encoded_input.whole() ? 0 : InputBytes::kPieceBytes);
        budget_.acquire(job->budgeted);
      }
      callbacks_.to_graph(std::move(job));
    }
  }
  if (running_.fetch_sub(1) == 1) callbacks_.all_done();
}

}  // namespace imgflow::detail
