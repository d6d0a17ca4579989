// WebP decoding (src/codec/webp_decode.cpp).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

TEST(Decode, WebpShrunkOnLoadSkipsOnlyInvisibleDeblocking) {
  const cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  const auto webp = encode(photo, EncodeOptions(Format::webp, 80));
  const Image full = decode(webp);
  DecodeOptions options;
  options.at_least = {photo.cols / 3, photo.rows / 3};
  const Image shrinking = decode(webp, options);
  // Full size either way (libwebp's own rescaler is not used) ...
  ASSERT_EQ(shrinking.pixels.size(), photo.size());
  EXPECT_EQ(shrinking.source.width, photo.cols);
  // ... without the deblocking filter the pixels differ (the test can fail) ...
  EXPECT_GT(cv::norm(shrinking.pixels, full.pixels, cv::NORM_INF), 0.0);
  // ... but not once shrunk as the caller will.
  const Geometry box = parse_geometry(std::to_string(photo.cols / 3) + "x");
  EXPECT_GT(psnr(resize_to_fit(shrinking.pixels, box), resize_to_fit(full.pixels, box)), 48.0);
  // Asked for nearly the full size, it decodes exactly as without a request.
  options.at_least = {photo.cols * 9 / 10, photo.rows * 9 / 10};
  EXPECT_EQ(cv::norm(decode(webp, options).pixels, full.pixels, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace imgflow
