// JPEG XL decoding and encoding (src/codec/jxl_decode.cpp, jxl_encode.cpp),
// on files made by the reference tools at test time: cjxl (libjxl's encoder,
// also its lossless JPEG recompression) in, djxl (its decoder) as the
// reference for what imgflow writes and reads.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/encode.hpp"
#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;

// cjxl `args` on `input` into `output`.
std::vector<std::uint8_t> cjxl(const fs::path& input, const fs::path& output,
                               std::vector<std::string> args) {
  std::vector<std::string> argv = {"cjxl", "--num_threads=0"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {input.string(), output.string()});
  const auto r = test::run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "cjxl (scripts/setup.sh installs libjxl-tools): " << r.err;
  return test::read_bytes(output);
}

// The reference decoder's pixels (djxl to PNG, read unchanged).
cv::Mat djxl(const fs::path& jxl) {
  const fs::path png = jxl.string() + ".png";
  const auto r = test::run_command({"djxl", "--num_threads=0", jxl.string(), png.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return cv::imread(png.string(), cv::IMREAD_UNCHANGED);
}

TEST(JxlDecode, LossyFileFromTheReferenceEncoderMatchesItsSourceAndDjxl) {
  test::ScratchDir dir;
  const cv::Mat source = small_photo(dir / "photo.jpg", 301, 189);  // odd sizes
  ASSERT_TRUE(cv::imwrite((dir / "photo.png").string(), source));
  const auto bytes = cjxl(dir / "photo.png", dir / "photo.jxl", {"-d", "1"});
  const SourceInfo header = read_header(bytes);
  EXPECT_EQ(header.format, Format::jxl);
  EXPECT_EQ(header.width, 301);
  EXPECT_EQ(header.height, 189);
  EXPECT_EQ(header.orientation, 1);
  const Image image = decode(bytes);
  ASSERT_EQ(image.pixels.type(), CV_8UC3);
  ASSERT_EQ(image.pixels.size(), source.size());
  EXPECT_TRUE(image.icc.empty());
  // Within what distance 1 loses (swapped R and B: about 20 dB).
  EXPECT_GT(cv::PSNR(image.pixels, source), 36.0);
  EXPECT_LE(cv::norm(image.pixels, djxl(dir / "photo.jxl"), cv::NORM_INF), 2.0);
}

TEST(JxlDecode, OrientationIsAppliedOnceAndKeptWithNoRotate) {
  // cjxl's lossless recompression of a JPEG with EXIF orientation 6 puts the
  // orientation into the codestream: libjxl turns it, imgflow must not again.
  test::ScratchDir dir;
  const cv::Mat stored = quadrants();
  test::write_bytes(dir / "o6.jpg", jpeg_with_orientation(stored, 6, false));
  const auto bytes = cjxl(dir / "o6.jpg", dir / "o6.jxl", {});
  const SourceInfo header = read_header(bytes);
  EXPECT_EQ(header.orientation, 1);
  EXPECT_EQ(cv::Size(header.width, header.height), cv::Size(30, 50));
  const Image upright = decode(bytes);
  const cv::Mat reference = djxl(dir / "o6.jxl");
  ASSERT_EQ(upright.pixels.size(), cv::Size(30, 50));
  ASSERT_EQ(reference.size(), cv::Size(30, 50));
  EXPECT_LE(cv::norm(upright.pixels, reference, cv::NORM_INF), 2.0);
  cv::Mat turned;
  cv::rotate(stored, turned, cv::ROTATE_90_CLOCKWISE);
  // Mean error per pixel (3 channels) within the JPEG's; a wrong turn: > 150.
  EXPECT_LT(cv::norm(upright.pixels, turned, cv::NORM_L1) / turned.total(), 30.0);

  DecodeOptions as_stored;
  as_stored.auto_orient = false;
  const Image kept = decode(bytes, as_stored);
  ASSERT_EQ(kept.pixels.size(), cv::Size(50, 30));
  EXPECT_LT(cv::norm(kept.pixels, stored, cv::NORM_L1) / stored.total(), 30.0);
}

// Medium-saturated colours, every hue across, darker downwards: where Adobe
// RGB and sRGB numbers differ most without clipping.
cv::Mat hue_ramp() {
  cv::Mat hsv(64, 180, CV_8UC3);
  for (int y = 0; y < hsv.rows; ++y) {
    for (int x = 0; x < hsv.cols; ++x) {
      hsv.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<std::uint8_t>(x), 150, static_cast<std::uint8_t>(230 - y));
    }
  }
  cv::Mat bgr;
  cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
  return bgr;
}

TEST(JxlDecode, AdobeRgbComesOutInSrgbLosslessOrLossy) {
  // Numbers tagged Adobe RGB: imgflow's own JPEG decode converts them (tested
  // in color_test.cpp); the JPEG XL made of that JPEG must come out the same,
  // whether it keeps the profile (recompression) or is XYB (lossy, where
  // libjxl is asked for sRGB).
  test::ScratchDir dir;
  const cv::Mat numbers = hue_ramp();
  EncodeOptions tagged(Format::jpeg, 95);
  tagged.chroma_444 = true;
  tagged.icc = test::adobe_rgb_profile();
  test::write_bytes(dir / "adobe.jpg", encode(numbers, tagged));
  const cv::Mat srgb = decode(test::read_bytes(dir / "adobe.jpg")).pixels;
  // Taken as sRGB, the Adobe numbers are visibly off: the test can fail.
  EXPECT_LT(cv::PSNR(numbers, srgb), 28.0);
  const auto recompressed = cjxl(dir / "adobe.jpg", dir / "recompressed.jxl", {});
  const auto lossy = cjxl(dir / "adobe.jpg", dir / "lossy.jxl", {"--lossless_jpeg=0", "-d", "1"});
  EXPECT_GT(cv::PSNR(decode(recompressed).pixels, srgb), 40.0);
  EXPECT_GT(cv::PSNR(decode(lossy).pixels, srgb), 34.0);
}

TEST(JxlDecode, AlphaAndSixteenBitSamplesAreExactFromLosslessFiles) {
  test::ScratchDir dir;
  cv::Mat bgra(40, 60, CV_8UC4, cv::Scalar(200, 100, 50, 255));
  bgra(cv::Rect(30, 0, 30, 40)).setTo(cv::Scalar(10, 20, 30, 0));
  bgra(cv::Rect(0, 20, 30, 20)).setTo(cv::Scalar(90, 180, 45, 128));
  ASSERT_TRUE(cv::imwrite((dir / "alpha.png").string(), bgra));
  const Image alpha = decode(cjxl(dir / "alpha.png", dir / "alpha.jxl", {"-d", "0"}));
  ASSERT_EQ(alpha.pixels.type(), CV_8UC4);
  EXPECT_EQ(cv::norm(alpha.pixels, bgra, cv::NORM_INF), 0.0);

  // Gray + alpha comes out as BGRA with the gray in all three colours.
  cv::Mat gray_bgra(40, 60, CV_8UC4, cv::Scalar(70, 70, 70, 255));
  gray_bgra(cv::Rect(0, 0, 20, 40)).setTo(cv::Scalar(210, 210, 210, 40));
  ASSERT_TRUE(cv::imwrite((dir / "bgra.png").string(), gray_bgra));
  // OpenCV cannot write gray + alpha; ImageMagick can.
  ASSERT_EQ(test::run_command({"convert", (dir / "bgra.png").string(), "-type", "GrayscaleAlpha",
                               (dir / "gray_alpha.png").string()})
                .exit_code,
            0);
  const Image ga = decode(cjxl(dir / "gray_alpha.png", dir / "gray_alpha.jxl", {"-d", "0"}));
  ASSERT_EQ(ga.pixels.type(), CV_8UC4);
  EXPECT_EQ(ga.pixels.at<cv::Vec4b>(10, 5), cv::Vec4b(210, 210, 210, 40));
  EXPECT_EQ(ga.pixels.at<cv::Vec4b>(10, 50), cv::Vec4b(70, 70, 70, 255));

  const fs::path gray16 = fs::path(IMGFLOW_FIXTURE_DIR) / "gray16.png";
  const cv::Mat deep = cv::imread(gray16.string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(deep.type(), CV_16UC1);
  const auto bytes = cjxl(gray16, dir / "gray16.jxl", {"-d", "0"});
  DecodeOptions keep;
  keep.keep_16bit = true;
  const Image sixteen = decode(bytes, keep);
  ASSERT_EQ(sixteen.pixels.type(), CV_16UC1);
  EXPECT_EQ(cv::norm(sixteen.pixels, deep, cv::NORM_INF), 0.0);
  const Image eight = decode(bytes);
  ASSERT_EQ(eight.pixels.type(), CV_8UC1);
  cv::Mat expected;
  deep.convertTo(expected, CV_8U, 1.0 / 257.0);
  EXPECT_LE(cv::norm(eight.pixels, expected, cv::NORM_INF), 1.0);
}

TEST(JxlDecode, DamageAndSizeLimitsHaveTheirCodes) {
  test::ScratchDir dir;
  small_photo(dir / "photo.jpg", 640, 400);
  const auto bytes = cjxl(dir / "photo.jpg", dir / "photo.jxl", {"--lossless_jpeg=0", "-d", "2"});
  const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + bytes.size() / 2);
  EXPECT_EQ(decode_error(cut), ErrorCode::truncated_input);
  std::vector<std::uint8_t> garbled = bytes;
  for (std::size_t i = 40; i < garbled.size(); i += 7) garbled[i] ^= 0x5a;
  const ErrorCode garbled_code = decode_error(garbled);
  EXPECT_TRUE(garbled_code == ErrorCode::corrupt_input ||
              garbled_code == ErrorCode::truncated_input)
      << error_code_name(garbled_code);
  expect_exact_pixel_limit(bytes, 640, 400);
}

TEST(JxlEncode, LossyAndLosslessRoundTripThroughDjxl) {
  test::ScratchDir dir;
  cv::Mat photo = cv::imread(test::sample_jpeg().string());
  cv::resize(photo, photo, {400, 250}, 0, 0, cv::INTER_AREA);
  const auto lossy = encode(photo, EncodeOptions(Format::jxl, 85));
  EXPECT_EQ(read_header(lossy).format, Format::jxl);
  test::write_bytes(dir / "lossy.jxl", lossy);
  const cv::Mat back = djxl(dir / "lossy.jxl");
  ASSERT_EQ(back.size(), photo.size());
  EXPECT_GT(cv::PSNR(back, photo), 36.0);
  // -q maps to the distance: a lower quality is smaller and further off.
  const auto rough = encode(photo, EncodeOptions(Format::jxl, 40));
  EXPECT_LT(rough.size(), lossy.size() * 2 / 3);
  EXPECT_LT(cv::PSNR(decode(rough).pixels, photo), cv::PSNR(decode(lossy).pixels, photo));

  cv::Mat bgra;
  cv::cvtColor(photo, bgra, cv::COLOR_BGR2BGRA);
  bgra(cv::Rect(0, 0, 100, 100)).forEach<cv::Vec4b>([](cv::Vec4b& p, const int*) { p[3] = 77; });
  EncodeOptions exact(Format::jxl, 85);
  exact.lossless = true;
  test::write_bytes(dir / "exact.jxl", encode(bgra, exact));
  EXPECT_EQ(cv::norm(djxl(dir / "exact.jxl"), bgra, cv::NORM_INF), 0.0);
  cv::Mat deep;
  photo.convertTo(deep, CV_16U, 257.0);
  deep.at<cv::Vec3w>(3, 5) = cv::Vec3w(1, 2, 65534);
  test::write_bytes(dir / "deep.jxl", encode(deep, exact));
  const cv::Mat deep_back = djxl(dir / "deep.jxl");
  ASSERT_EQ(deep_back.type(), CV_16UC3);
  EXPECT_EQ(cv::norm(deep_back, deep, cv::NORM_INF), 0.0);
}

}  // namespace
}  // namespace imgflow
