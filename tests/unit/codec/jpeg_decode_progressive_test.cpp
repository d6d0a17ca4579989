// Progressive JPEGs shrunk on load: the early stop after the scans the
// reduced scale shows (src/codec/jpeg_decode_progressive.cpp).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

// The sample photo as a progressive JPEG (libjpeg's standard scan script:
// DC first, then AC bands, then successive-approximation refinements).
std::vector<std::uint8_t> progressive_sample() {
  EncodeOptions options(Format::jpeg, 90);
  options.progressive = true;
  return encode(cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR), options);
}

Image decode_scaled(const std::vector<std::uint8_t>& jpeg, int divisor, int progressive_bits) {
  const SourceInfo header = read_header(jpeg);
  DecodeOptions options;
  options.at_least = {header.width / divisor, header.height / divisor};
  options.progressive_bits = progressive_bits;
  return decode(jpeg, options);
}

TEST(Decode, ProgressiveEarlyStopAtFullPrecisionIsExact) {
  const auto jpeg = progressive_sample();
  for (const int divisor : {8, 4, 2}) {
    const Image all_scans = decode_scaled(jpeg, divisor, -1);
    const Image early = decode_scaled(jpeg, divisor, 0);
    ASSERT_EQ(early.pixels.size(), all_scans.pixels.size()) << divisor;
    EXPECT_EQ(cv::norm(early.pixels, all_scans.pixels, cv::NORM_INF), 0.0) << divisor;
    EXPECT_TRUE(early.warnings.empty());
  }
}

TEST(Decode, ProgressiveEarlyStopStaysCloseToAFullDecode) {
  const auto jpeg = progressive_sample();
  const Image all_scans = decode_scaled(jpeg, 4, -1);
  const Image one_bit = decode_scaled(jpeg, 4, 1);
  const Image two_bits = decode_scaled(jpeg, 4, 2);
  ASSERT_EQ(one_bit.pixels.size(), all_scans.pixels.size());
  ASSERT_EQ(two_bits.pixels.size(), all_scans.pixels.size());
  // Skipped scans do change pixels (so the early path ran), but by less than a
  // q85 encode loses (about 40 dB on photos).
  const double psnr_one = psnr(one_bit.pixels, all_scans.pixels);
  const double psnr_two = psnr(two_bits.pixels, all_scans.pixels);
  EXPECT_GT(psnr_one, 45.0);
  EXPECT_GT(psnr_two, 40.0);
  EXPECT_GE(psnr_one, psnr_two);
  EXPECT_GT(cv::norm(two_bits.pixels, all_scans.pixels, cv::NORM_INF), 0.0);
}

TEST(Decode, TruncatedProgressiveJpegFailsEvenWhenItsEarlyScansSuffice) {
  auto jpeg = progressive_sample();
  jpeg.resize(jpeg.size() * 9 / 10);  // the first scans are whole; the last ones are cut
  DecodeOptions options;
  options.at_least = {100, 60};
  EXPECT_EQ(decode_error(jpeg, options), ErrorCode::truncated_input);
}

}  // namespace
}  // namespace imgflow
