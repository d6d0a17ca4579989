// PNG decoding: palettes, transparency, 16-bit gray, captured warnings, tiny
// and extreme sizes.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

std::filesystem::path fixture(const char* name) {
  return std::filesystem::path(IMGFLOW_FIXTURE_DIR) / name;
}

TEST(Png, PaletteWithTransparencyBecomesBgra) {
  const Image image = decode_file(fixture("palette_transparent.png"));
  ASSERT_EQ(image.pixels.type(), CV_8UC4);
  EXPECT_EQ(image.pixels.at<cv::Vec4b>(20, 24), cv::Vec4b(0, 0, 255, 255));  // red disc
  EXPECT_EQ(image.pixels.at<cv::Vec4b>(20, 50), cv::Vec4b(255, 0, 0, 255));  // blue bar
  EXPECT_EQ(image.pixels.at<cv::Vec4b>(2, 2)[3], 0);                         // transparent
}

TEST(Png, FourBitPaletteExpands) {
  const Image image = decode_file(fixture("palette_4bit.png"));
  ASSERT_EQ(image.pixels.type(), CV_8UC3);
  EXPECT_EQ(image.pixels.at<cv::Vec3b>(10, 10), cv::Vec3b(50, 100, 200));
}

TEST(Png, SixteenBitGrayKeptOrReduced) {
  DecodeOptions deep;
  deep.keep_16bit = true;
  const Image image = decode_file(fixture("gray16.png"), deep);
  ASSERT_EQ(image.pixels.type(), CV_16UC1);
  EXPECT_EQ(image.pixels.at<std::uint16_t>(5, 7), 21000);
  const Image reduced = decode_file(fixture("gray16.png"));
  ASSERT_EQ(reduced.pixels.type(), CV_8UC1);
  EXPECT_NEAR(reduced.pixels.at<std::uint8_t>(5, 7), 21000 / 257.0, 1.0);
}

TEST(Png, PaletteAlphaSurvivesAPipelineRun) {
  test::ScratchDir out;
  Options options;
  options.inputs = {fixture("palette_transparent.png")};
  options.output_dir = out.path();
  options.sizes = {parse_geometry("32x")};
  const Report report = run(options);
  ASSERT_EQ(report.summary.ok, 1u);
  const cv::Mat png = cv::imread((out / "palette_transparent.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(png.type(), CV_8UC4);
  EXPECT_EQ(png.size(), cv::Size(32, 24));
  EXPECT_EQ(png.at<cv::Vec4b>(1, 1)[3], 0);
  EXPECT_EQ(png.at<cv::Vec4b>(10, 12), cv::Vec4b(0, 0, 255, 255));
}

TEST(Png, AncillaryCrcErrorIsAWarningNotAFailure) {
  const cv::Mat pixels = test::make_test_pixels(16, 16, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  // Insert a tEXt chunk with a wrong CRC right after IHDR (8 + 25 bytes).
  const std::vector<std::uint8_t> text = {0, 0,   0,   5,   't',  'E',  'X',  't', 'a',
                                          0, 'b', 'c', 'd', 0xDE, 0xAD, 0xBE, 0xEF};
  png.insert(png.begin() + 33, text.begin(), text.end());
  const Image image = decode(png);
  EXPECT_EQ(cv::norm(image.pixels, pixels, cv::NORM_INF), 0.0);
  ASSERT_EQ(image.warnings.size(), 1u);
  EXPECT_NE(image.warnings[0].find("CRC"), std::string::npos) << image.warnings[0];
}

TEST(Png, CriticalCrcErrorIsCorruptInput) {
  const cv::Mat pixels = test::make_test_pixels(16, 16, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  png[8 + 8 + 13] ^= 0xFF;  // IHDR's CRC
  try {
    decode(png);
    ADD_FAILURE() << "decoded a PNG with a bad IHDR CRC";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::corrupt_input) << e.what();
  }
}

TEST(ExtremeSizes, OnePixelAndAStrip) {
  test::ScratchDir dir;
  ASSERT_TRUE(cv::imwrite((dir / "one.png").string(), cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3))));
  ASSERT_TRUE(cv::imwrite((dir / "strip.jpg").string(), test::make_test_pixels(6000, 40, 3)));
  Options options;
  options.inputs = {dir / "one.png", dir / "strip.jpg"};
  options.output_dir = dir / "out";
  options.sizes = {parse_geometry("100x100")};
  const Report report = run(options);
  ASSERT_EQ(report.summary.ok, 2u);
  EXPECT_EQ(report.files[0].outputs[0].width, 1);
  EXPECT_EQ(report.files[0].outputs[0].height, 1);
  EXPECT_EQ(report.files[1].outputs[0].width, 100);
  EXPECT_EQ(report.files[1].outputs[0].height, 1);
  EXPECT_EQ(cv::imread((dir / "out/strip.jpg").string()).size(), cv::Size(100, 1));
}

}  // namespace
}  // namespace imgflow
