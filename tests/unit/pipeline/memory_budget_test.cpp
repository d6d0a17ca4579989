// --max-memory: the byte budget, and the per-file estimate it is fed with.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/memory_budget.hpp"
#include "pipeline/stages.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

using namespace std::chrono_literals;

TEST(MemoryBudget, WaitsUntilTheBytesFitAndLetsAnOversizeFileInAlone) {
  detail::MemoryBudget budget(100);
  budget.acquire(60);
  budget.acquire(40);  // exactly full: fits
  std::atomic<bool> admitted{false};
  std::thread waiter([&] {
    budget.acquire(30);
    admitted = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(admitted);  // 100 + 30 > 100
  budget.release(40);
  waiter.join();
  EXPECT_TRUE(admitted);
  EXPECT_EQ(budget.in_use(), 90u);
  budget.release(60);
  budget.release(30);
  budget.acquire(500);  // larger than the budget, but nothing else is in flight
  EXPECT_EQ(budget.in_use(), 500u);
  budget.release(500);

  detail::MemoryBudget unlimited(0);
  unlimited.acquire(1ull << 40);
  EXPECT_EQ(unlimited.in_use(), 0u);
}

// The sample photo as a progressive and as a baseline JPEG.
std::vector<std::uint8_t> sample_as_jpeg(bool progressive, bool chroma_444) {
  EncodeOptions options(Format::jpeg, 90);
  options.progressive = progressive;
  options.chroma_444 = chroma_444;
  return encode(cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR), options);
}

TEST(MemoryBudget, ProgressiveJpegCoefficientBufferFromTheHeader) {
  const auto baseline = sample_as_jpeg(false, false);
  const SourceInfo b = read_header(baseline);
  EXPECT_EQ(b.coefficient_bytes, 0u);
  // 4:2:0: luma has one 64-coefficient block per 8x8 pixels, each chroma
  // component one per 16x16; two bytes per coefficient.
  const auto blocks = [](int size, int block) { return std::uint64_t((size + block - 1) / block); };
  const SourceInfo p420 = read_header(sample_as_jpeg(true, false));
  EXPECT_EQ(p420.coefficient_bytes, 128 * (blocks(p420.width, 8) * blocks(p420.height, 8) +
                                           2 * blocks(p420.width, 16) * blocks(p420.height, 16)));
  const SourceInfo p444 = read_header(sample_as_jpeg(true, true));
  EXPECT_EQ(p444.coefficient_bytes, 128 * 3 * blocks(p444.width, 8) * blocks(p444.height, 8));
}

TEST(MemoryBudget, EstimateCountsBytesPixelsAndCoefficients) {
  Options options;
  options.sizes = {parse_geometry("200x200")};
  const auto baseline = sample_as_jpeg(false, false);
  const auto progressive = sample_as_jpeg(true, false);
  const SourceInfo header = read_header(progressive);
  const auto full = std::uint64_t(header.width) * std::uint64_t(header.height);
  // Shrunk on load: at most the full-size pixels, at least 1/64 of them.
  const std::uint64_t base = detail::estimated_memory(baseline, detail::DecodePolicy(options));
  EXPECT_GE(base, baseline.size() + full / 64 * 4);
  EXPECT_LE(base, baseline.size() + full * 4);
  EXPECT_EQ(
      detail::estimated_memory(progressive, detail::DecodePolicy(options)) - progressive.size(),
      base - baseline.size() + header.coefficient_bytes);
  // Without a size the whole image is decoded.
  EXPECT_EQ(detail::estimated_memory(baseline, detail::DecodePolicy(Options{})),
            baseline.size() + full * 4);
  // Not an image: just its bytes (the decode stage reports the error).
  const std::vector<std::uint8_t> junk(1000, 'x');
  EXPECT_EQ(detail::estimated_memory(junk, detail::DecodePolicy(options)), 1000u);
}

}  // namespace
}  // namespace imgflow
