// Internal: the per-file object that travels reader → graph → writer. It owns
// everything for its file; whatever stage fails records the error here and the
// later stages pass it on untouched.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "core/input_bytes.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/plan.hpp"
#include "imgflow/report.hpp"

namespace imgflow::detail {

/// One encoded output, ready to be written.
struct EncodedOutput {
  std::filesystem::path path;
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> bytes;
  bool claimed = false;  ///< the path was claimed when the input was listed
};

struct FileJob {
  std::size_t index = 0;  ///< position in the plan (and in the report)
  PlannedFile planned;
  std::shared_ptr<OutputScope> claims;  ///< where outputs named only now are claimed

  InputBytes encoded_input;      ///< reader → decode (whole, or in pieces)
  Image decoded;                 ///< decode → resize
  std::vector<cv::Mat> resized;  ///< resize → encode, one per output
  bool streamed = false;         ///< decode resized it too, row by row (a large PNG): no pixels
  /// decode → encode, an animation (animation_stage.hpp): per output recipe,
  /// its animated WebP, or empty for a still output (made from `resized`).
  std::vector<std::vector<std::uint8_t>> animated;
  std::vector<EncodedOutput> outputs;  ///< encode → writer

  FileReport report;
  bool up_to_date = false;     ///< --skip-existing found its outputs: nothing to do
  bool discarded = false;      ///< not written: the run had stopped on an output fault
  std::uint64_t budgeted = 0;  ///< bytes taken from the --max-memory budget

  bool failed() const noexcept { return report.status == FileStatus::failed; }
  void fail(ErrorCode code, std::string message) {
    report.status = FileStatus::failed;
    report.error = code;
    // One line per file on stderr: codec messages often end in a newline.
    while (!message.empty() &&
           (message.back() == '\n' || message.back() == '\r' || message.back() == ' ')) {
      message.pop_back();
    }
    for (char& c : message) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    report.message = std::move(message);
    // Free the heavy buffers at once: a failed file holds no memory in flight.
    encoded_input = {};
    decoded.pixels.release();
    resized.clear();
    animated.clear();
    outputs.clear();
  }
};

using FileJobPtr = std::shared_ptr<FileJob>;

/// Adds the time from construction to destruction to one of a file's
/// StageTimings (also when the stage throws).
class StageTimer {
 public:
  explicit StageTimer(double& seconds) noexcept
      : seconds_(seconds), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() {
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  double& seconds_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace imgflow::detail
