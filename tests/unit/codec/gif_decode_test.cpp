// GIF decoding (src/codec/gif_decode.cpp), on files made by ImageMagick at
// test time and checked against ImageMagick's own decode of them.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;

// ImageMagick's decode of `gif` (its first frame) as BGR or BGRA.
cv::Mat reference(const fs::path& gif, const fs::path& png) {
  magick({gif.string() + "[0]", png.string()});
  // ImageMagick writes a gray PNG where every colour is gray.
  const cv::Mat pixels = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  if (pixels.channels() != 1) return pixels;
  cv::Mat bgr;
  cv::cvtColor(pixels, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

TEST(GifDecode, PaletteImageMatchesImageMagickExactly) {
  test::ScratchDir dir;
  const cv::Mat source = small_photo(dir / "photo.jpg", 157, 93);
  for (const char* interlace : {"None", "GIF"}) {
    magick({(dir / "photo.jpg").string(), "-interlace", interlace, (dir / "photo.gif").string()});
    const auto gif = test::read_bytes(dir / "photo.gif");
    const SourceInfo header = read_header(gif);
    EXPECT_EQ(header.format, Format::gif);
    EXPECT_EQ(header.width, 157);
    EXPECT_EQ(header.height, 93);
    const Image image = decode(gif);
    ASSERT_EQ(image.pixels.type(), CV_8UC3) << interlace;
    ASSERT_EQ(image.pixels.size(), source.size());
    // A palette lookup: exactly ImageMagick's pixels, interlaced or not ...
    const cv::Mat expected = reference(dir / "photo.gif", dir / "ref.png");
    ASSERT_EQ(expected.type(), CV_8UC3);
    EXPECT_EQ(cv::norm(image.pixels, expected, cv::NORM_INF), 0.0) << interlace;
    // ... and the photo within what 256 colours (dithered) lose.
    EXPECT_GT(cv::PSNR(image.pixels, source), 24.0) << interlace;
  }
}

TEST(GifDecode, TransparencyBecomesAlpha) {
  test::ScratchDir dir;
  cv::Mat bgra(40, 60, CV_8UC4, cv::Scalar(30, 160, 220, 255));
  bgra(cv::Rect(0, 0, 20, 40)).setTo(cv::Scalar(0, 0, 0, 0));
  ASSERT_TRUE(cv::imwrite((dir / "alpha.png").string(), bgra));
  magick({(dir / "alpha.png").string(), (dir / "alpha.gif").string()});
  const Image image = decode(test::read_bytes(dir / "alpha.gif"));
  ASSERT_EQ(image.pixels.type(), CV_8UC4);
  ASSERT_EQ(image.pixels.size(), cv::Size(60, 40));
  EXPECT_EQ(image.pixels.at<cv::Vec4b>(20, 5)[3], 0);
  EXPECT_EQ(image.pixels.at<cv::Vec4b>(20, 40), cv::Vec4b(30, 160, 220, 255));
  const cv::Mat expected = reference(dir / "alpha.gif", dir / "ref.png");
  ASSERT_EQ(expected.type(), CV_8UC4);
  std::vector<cv::Mat> ours, theirs;
  cv::split(image.pixels, ours);
  cv::split(expected, theirs);
  EXPECT_EQ(cv::norm(ours[3], theirs[3], cv::NORM_INF), 0.0);
}

TEST(GifDecode, AnimationGivesItsFirstFrame) {
  test::ScratchDir dir;
  ASSERT_TRUE(
      cv::imwrite((dir / "a.png").string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar(0, 0, 255))));
  ASSERT_TRUE(
      cv::imwrite((dir / "b.png").string(), cv::Mat(24, 32, CV_8UC3, cv::Scalar(255, 0, 0))));
  magick({"-delay", "10", (dir / "a.png").string(), (dir / "b.png").string(),
          (dir / "anim.gif").string()});
  const Image image = decode(test::read_bytes(dir / "anim.gif"));
  ASSERT_EQ(image.pixels.size(), cv::Size(32, 24));
  EXPECT_EQ(cv::norm(image.pixels, cv::Mat(24, 32, CV_8UC3, cv::Scalar(0, 0, 255)), cv::NORM_INF),
            0.0);
}

// A 1x1 GIF87a (global table of 2 colours: white, black; pixel 0) whose
// screen declares `width` x `height`.
std::vector<std::uint8_t> tiny_gif(std::uint8_t width_lo, std::uint8_t width_hi,
                                   std::uint8_t height_lo, std::uint8_t height_hi) {
  return {'G', 'I', 'F', '8', '7', 'a', width_lo, width_hi, height_lo, height_hi, 0x80, 0,
          0,   255, 255, 255, 0,   0,   0,        ',',      0,         0,         0,    0,
          1,   0,   1,   0,   0,   2,   2,        0x44,     1,         0,         ';'};
}

TEST(GifDecode, StableErrorCodesAndHeaderOnlyPixelLimit) {
  const auto one = tiny_gif(1, 0, 1, 0);
  const Image image = decode(one);
  ASSERT_EQ(image.pixels.size(), cv::Size(1, 1));
  EXPECT_EQ(image.pixels.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));
  // A 37-byte file declaring a 65535x65535 screen: refused before any pixel.
  EXPECT_EQ(decode_error(tiny_gif(255, 255, 255, 255)), ErrorCode::too_many_pixels);
  EXPECT_EQ(decode_error(tiny_gif(0, 0, 1, 0)), ErrorCode::corrupt_input);
  for (std::size_t cut : {8u, 12u, 20u, 30u}) {
    const std::vector<std::uint8_t> truncated(one.begin(), one.begin() + cut);
    EXPECT_EQ(decode_error(truncated), ErrorCode::truncated_input)
        << cut << ": " << error_code_name(decode_error(truncated));
  }
  auto no_image = one;
  no_image.resize(19);
  no_image.push_back(';');  // the trailer where the frame should start
  EXPECT_EQ(decode_error(no_image), ErrorCode::corrupt_input);
  auto bad_record = one;
  bad_record[19] = 'x';
  EXPECT_EQ(decode_error(bad_record), ErrorCode::corrupt_input);
}

}  // namespace
}  // namespace imgflow
