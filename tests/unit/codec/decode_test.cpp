// decode(): every format found by its content, limits and stable error codes
// (src/codec/decode.cpp).
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

TEST(Decode, PngKeepsAlphaAndGray) {
  const cv::Mat rgba = test::make_test_pixels(64, 48, 4);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", rgba, png));
  const Image decoded = decode(png);
  ASSERT_EQ(decoded.pixels.type(), CV_8UC4);
  EXPECT_EQ(cv::norm(decoded.pixels, rgba, cv::NORM_INF), 0.0);  // lossless

  const cv::Mat gray = test::make_test_pixels(64, 48, 1);
  ASSERT_TRUE(cv::imencode(".png", gray, png));
  const Image g = decode(png);
  ASSERT_EQ(g.pixels.type(), CV_8UC1);
  EXPECT_EQ(cv::norm(g.pixels, gray, cv::NORM_INF), 0.0);
}

TEST(Decode, SixteenBitPngBecomesEightBit) {
  cv::Mat wide(10, 12, CV_16UC3, cv::Scalar(65535, 32896, 0));
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", wide, png));
  const Image decoded = decode(png);
  ASSERT_EQ(decoded.pixels.type(), CV_8UC3);
  const auto px = decoded.pixels.at<cv::Vec3b>(5, 5);
  EXPECT_EQ(px[0], 255);
  EXPECT_NEAR(px[1], 128, 1);
  EXPECT_EQ(px[2], 0);
}

TEST(Decode, WebpTiffAndBmpOfAnySize) {
  // OpenCV writes all three losslessly (WebP at its default quality 100 is
  // lossless): the decoded pixels must be the same, exactly.
  const cv::Mat pixels = test::make_test_pixels(50, 30, 3);
  for (const char* ext : {".webp", ".tiff", ".bmp"}) {
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(cv::imencode(ext, pixels, bytes));
    const Image image = decode(bytes);
    ASSERT_EQ(image.pixels.size(), pixels.size()) << ext;
    ASSERT_EQ(image.pixels.type(), pixels.type()) << ext;
    EXPECT_EQ(cv::norm(image.pixels, pixels, cv::NORM_INF), 0.0) << ext;
  }
}

TEST(Decode, BadInputsHaveStableCodes) {
  auto jpeg = test::read_bytes(test::sample_jpeg());
  EXPECT_EQ(decode_error({}), ErrorCode::empty_input);
  const std::string text = "not an image";
  EXPECT_EQ(decode_error({text.begin(), text.end()}), ErrorCode::unknown_format);

  auto half = jpeg;
  half.resize(half.size() / 2);
  EXPECT_EQ(decode_error(half), ErrorCode::truncated_input);

  // Garbage right after the start-of-image marker: no frame header.
  std::vector<std::uint8_t> garbage = {0xFF, 0xD8, 0xFF};
  garbage.resize(4096, 0x5A);
  EXPECT_NE(decode_error(garbage), ErrorCode::ok);

  test::ScratchDir dir;
  test::write_bad_inputs(dir.path());
  EXPECT_EQ(decode_error(test::read_bytes(dir / "bomb.png")), ErrorCode::too_many_pixels);

  DecodeOptions small_limit;
  small_limit.max_pixels = 1000;
  EXPECT_EQ(decode_error(jpeg, small_limit), ErrorCode::too_many_pixels);
}

TEST(Decode, TruncatedPngIsTruncatedInput) {
  const cv::Mat pixels = test::make_test_pixels(300, 200, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  png.resize(png.size() / 2);
  EXPECT_EQ(decode_error(png), ErrorCode::truncated_input);
}

}  // namespace
}  // namespace imgflow
