// JPEG decoding on a real photo: a full decode, shrink-on-load and a missing
// end marker (src/codec/jpeg_decode.cpp).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

TEST(Decode, RealJpegMatchesOpenCvFullDecode) {
  const auto bytes = test::read_bytes(test::sample_jpeg());
  const Image image = decode(bytes);
  const cv::Mat reference = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  ASSERT_EQ(image.pixels.size(), reference.size());
  EXPECT_EQ(image.pixels.type(), CV_8UC3);
  EXPECT_EQ(image.source.format, Format::jpeg);
  EXPECT_EQ(image.source.width, reference.cols);
  // Same libjpeg-turbo underneath: within rounding of the colour conversion.
  EXPECT_GT(psnr(image.pixels, reference), 45.0);
  EXPECT_TRUE(image.warnings.empty());
}

TEST(Decode, ShrinkOnLoadNeverGoesBelowTheRequestedSize) {
  const auto bytes = test::read_bytes(test::sample_jpeg());
  const SourceInfo header = read_header(bytes);
  for (const Size at_least : {Size{100, 60}, Size{header.width / 3, header.height / 3},
                              Size{header.width / 2, header.height / 2}, Size{header.width, 1}}) {
    DecodeOptions options;
    options.at_least = at_least;
    const Image image = decode(bytes, options);
    EXPECT_GE(image.pixels.cols, at_least.width);
    EXPECT_GE(image.pixels.rows, at_least.height);
    // ... and does shrink when it can: at most twice what was asked, unless
    // that is below 1/8, the smallest factor.
    EXPECT_LE(image.pixels.cols, std::max(2 * at_least.width, (header.width + 7) / 8))
        << at_least.width;
    // The header still reports the full stored size.
    EXPECT_EQ(image.source.width, header.width);
    EXPECT_EQ(image.source.height, header.height);
  }
}

TEST(Decode, ResizedThumbnailMatchesAFullDecodeReference) {
  const auto bytes = test::read_bytes(test::sample_jpeg());
  const Geometry box = parse_geometry("400x400");
  const SourceInfo header = read_header(bytes);
  DecodeOptions options;
  options.at_least = fit_inside({header.width, header.height}, box);
  const Image shrunk = decode(bytes, options);
  const cv::Mat thumb = resize_to_fit(shrunk.pixels, box, {header.width, header.height});
  cv::Mat reference;
  const cv::Mat full = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::resize(full, reference, thumb.size(), 0, 0, cv::INTER_AREA);
  ASSERT_EQ(thumb.cols, options.at_least.width);
  ASSERT_EQ(thumb.rows, options.at_least.height);
  ASSERT_EQ(shrunk.pixels.size(), cv::Size(500, 313));  // decoded at 1/4
  // Against the same resize of a full decode: what shrink-on-load alone costs
  // (measured 37.04 dB); against OpenCV's area average of the full decode,
  // another filter (measured 35.74 dB).
  const cv::Mat full_path = resize_to_fit(decode(bytes).pixels, box, {header.width, header.height});
  EXPECT_GT(psnr(thumb, full_path), 36.5);
  EXPECT_GT(psnr(thumb, reference), 35.2);
}

TEST(Decode, JpegMissingOnlyItsEndMarkerDecodesWithAWarning) {
  auto jpeg = test::read_bytes(test::sample_jpeg());
  ASSERT_EQ(jpeg[jpeg.size() - 2], 0xFF);
  ASSERT_EQ(jpeg.back(), 0xD9);
  const Image full = decode(jpeg);
  jpeg.resize(jpeg.size() - 2);
  const Image image = decode(jpeg);
  ASSERT_EQ(image.warnings.size(), 1u);
  EXPECT_NE(image.warnings[0].find("end-of-image"), std::string::npos);
  EXPECT_EQ(cv::norm(image.pixels, full.pixels, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace imgflow
