// Colour: ICC-tagged photos come out as sRGB; CMYK JPEGs as correct RGB;
// metadata is stripped unless kept, with the orientation reset.
#include <gtest/gtest.h>
#include <lcms2.h>
#include <turbojpeg.h>
#include <webp/mux.h>
#include <zlib.h>

#include <opencv2/imgcodecs.hpp>

#include "codec/jpeg_metadata.hpp"
#include "imgflow/imgflow.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

// An encoded image whose pixels are `original` expressed in `profile` (which
// it embeds): decoded, it comes out close to the sRGB original; decoded
// with to_srgb = false, it keeps the profile and its numbers differ visibly.
void expect_converted_to_srgb(const std::vector<std::uint8_t>& encoded,
                              const std::vector<std::uint8_t>& profile, const cv::Mat& original) {
  const Image converted = decode(encoded);
  EXPECT_TRUE(converted.icc.empty());
  const double converted_psnr = cv::PSNR(converted.pixels, original);
  EXPECT_GT(converted_psnr, 36.0);

  DecodeOptions keep;
  keep.to_srgb = false;
  const Image as_stored = decode(encoded, keep);
  EXPECT_EQ(as_stored.icc, profile);
  // Shown as if sRGB, the Adobe RGB numbers are visibly off: the test can fail.
  EXPECT_LT(cv::PSNR(as_stored.pixels, original), converted_psnr - 6.0);
}

TEST(Color, AdobeRgbPhotoMatchesItsSrgbOriginal) {
  const cv::Mat original = cv::imread(test::sample_jpeg().string());
  const auto adobe = test::adobe_rgb_profile();
  const cv::Mat stored = from_srgb(original, adobe);
  EncodeOptions options(Format::jpeg, 95);
  options.chroma_444 = true;
  options.icc = adobe;
  const auto jpeg = encode(stored, options);
  EXPECT_EQ(detail::read_jpeg_metadata(jpeg).icc, adobe);
  expect_converted_to_srgb(jpeg, adobe, original);
}

// A WebP file with `icc` in an ICCP chunk (libwebpmux writes the VP8X header).
std::vector<std::uint8_t> webp_with_icc(const std::vector<std::uint8_t>& webp,
                                        const std::vector<std::uint8_t>& icc) {
  const WebPData image{webp.data(), webp.size()};
  WebPMux* mux = WebPMuxCreate(&image, 1);
  const WebPData profile{icc.data(), icc.size()};
  WebPData assembled{};
  std::vector<std::uint8_t> out;
  if (mux && WebPMuxSetChunk(mux, "ICCP", &profile, 1) == WEBP_MUX_OK &&
      WebPMuxAssemble(mux, &assembled) == WEBP_MUX_OK) {
    out.assign(assembled.bytes, assembled.bytes + assembled.size);
  }
  WebPDataClear(&assembled);
  WebPMuxDelete(mux);
  return out;
}

TEST(Color, AdobeRgbWebpMatchesItsSrgbOriginal) {
  const cv::Mat original = cv::imread(test::sample_jpeg().string());
  const auto adobe = test::adobe_rgb_profile();
  EncodeOptions lossless(Format::webp, 100);
  lossless.lossless = true;
  const auto webp = webp_with_icc(encode(from_srgb(original, adobe), lossless), adobe);
  ASSERT_FALSE(webp.empty());
  expect_converted_to_srgb(webp, adobe, original);
}

TEST(Color, AdobeRgbPngMatchesItsSrgbOriginal) {
  const cv::Mat original = cv::imread(test::sample_jpeg().string());
  const auto adobe = test::adobe_rgb_profile();
  const auto png =
      test::png_with_icc(encode(from_srgb(original, adobe), EncodeOptions(Format::png, 0)), adobe);
  expect_converted_to_srgb(png, adobe, original);
}

TEST(Color, KeepIccEmbedsTheProfileInJpegOutputs) {
  test::ScratchDir dir;
  const auto adobe = test::adobe_rgb_profile();
  EncodeOptions options(Format::jpeg, 95);
  options.icc = adobe;
  test::write_bytes(dir / "in/a.jpg", encode(test::make_test_pixels(64, 48, 3), options));
  Options run_options;
  run_options.inputs = {dir / "in/a.jpg"};
  run_options.output_dir = dir / "stripped";
  ASSERT_EQ(run(run_options).summary.ok, 1u);
  EXPECT_TRUE(detail::read_jpeg_metadata(test::read_bytes(dir / "stripped/a.jpg")).icc.empty());
  run_options.output_dir = dir / "kept";
  run_options.keep_icc = true;
  ASSERT_EQ(run(run_options).summary.ok, 1u);
  EXPECT_EQ(detail::read_jpeg_metadata(test::read_bytes(dir / "kept/a.jpg")).icc, adobe);
}

TEST(Color, CmykJpegBecomesCorrectRgb) {
  // Pure red, green, blue and white as CMYK ink, compressed by TurboJPEG (which
  // stores CMYK as YCCK with an Adobe marker).
  cv::Mat cmyk(32, 128, CV_8UC4);
  const cv::Vec4b inks[4] = {{0, 255, 255, 0}, {255, 0, 255, 0}, {255, 255, 0, 0}, {0, 0, 0, 0}};
  for (int x = 0; x < 128; ++x) cmyk.col(x).setTo(cv::Scalar(inks[x / 32]));
  // libjpeg convention for Adobe CMYK: values are inverted (255 = no ink).
  cv::Mat inverted = cv::Scalar::all(255) - cmyk;
  tjhandle tj = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, inverted.data, 128, 0, 32, TJPF_CMYK, &jpeg, &size, TJSAMP_444, 95, 0),
            0);
  const std::vector<std::uint8_t> bytes(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(tj);

  const Image image = decode(bytes);
  ASSERT_EQ(image.pixels.type(), CV_8UC3);
  const cv::Vec3b expected[4] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {255, 255, 255}};  // BGR
  for (int i = 0; i < 4; ++i) {
    const cv::Vec3b px = image.pixels.at<cv::Vec3b>(16, 32 * i + 16);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(px[c], expected[i][c], 12) << "patch " << i;
  }
}

TEST(Metadata, StrippedByDefaultKeptWithOrientationReset) {
  test::ScratchDir dir;
  // A JPEG stored rotated with EXIF orientation 6.
  const cv::Mat upright = test::make_test_pixels(60, 40, 3);
  cv::Mat stored;
  cv::rotate(upright, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
  auto jpeg = encode(stored, EncodeOptions(Format::jpeg, 95));
  const std::vector<std::uint8_t> app1 = {
      0xFF, 0xE1, 0,    34,   'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
      1,    0,    0x12, 0x01, 3,   0,   1,   0,   0, 0, 6,   0,   0,  0, 0, 0, 0, 0};
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  test::write_bytes(dir / "in/r.jpg", jpeg);

  Options options;
  options.inputs = {dir / "in/r.jpg"};
  options.output_dir = dir / "plain";
  ASSERT_EQ(run(options).summary.ok, 1u);
  const auto plain = test::read_bytes(dir / "plain/r.jpg");
  EXPECT_TRUE(detail::read_jpeg_metadata(plain).exif.empty());
  EXPECT_EQ(cv::imdecode(plain, cv::IMREAD_COLOR).size(), cv::Size(60, 40));

  options.output_dir = dir / "kept";
  options.keep_metadata = true;
  ASSERT_EQ(run(options).summary.ok, 1u);
  const auto kept = detail::read_jpeg_metadata(test::read_bytes(dir / "kept/r.jpg"));
  ASSERT_FALSE(kept.exif.empty());
  EXPECT_EQ(kept.orientation, 1);  // pixels are upright now: no second rotation
  EXPECT_EQ(decode(test::read_bytes(dir / "kept/r.jpg")).pixels.size(), cv::Size(60, 40));
}

}  // namespace
}  // namespace imgflow
