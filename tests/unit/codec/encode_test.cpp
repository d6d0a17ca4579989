// Encoder options: each changes the file in the way it says.
#include <gtest/gtest.h>

#include <libheif/heif.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/image.hpp"
#include "imgflow/imgflow.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

// The first start-of-frame marker of a JPEG and its component sampling factors.
struct Frame {
  int marker = 0;
  std::vector<int> sampling;  // h<<4|v per component
};

Frame jpeg_frame(const std::vector<std::uint8_t>& jpeg) {
  std::size_t i = 2;
  while (i + 4 < jpeg.size()) {
    const int marker = jpeg[i + 1];
    const std::size_t length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (marker >= 0xC0 && marker <= 0xC2) {
      Frame f{marker, {}};
      const int components = jpeg[i + 9];
      for (int c = 0; c < components; ++c) f.sampling.push_back(jpeg[i + 11 + 3 * c]);
      return f;
    }
    i += 2 + length;
  }
  return {};
}

TEST(EncodeJpeg, BaselineByDefaultProgressiveOnRequest) {
  const cv::Mat pixels = test::make_test_pixels(64, 48, 3);
  EncodeOptions options(Format::jpeg, 85);
  EXPECT_EQ(jpeg_frame(encode(pixels, options)).marker, 0xC0);  // baseline
  options.progressive = true;
  EXPECT_EQ(jpeg_frame(encode(pixels, options)).marker, 0xC2);
}

TEST(EncodeJpeg, ChromaSubsampling) {
  const cv::Mat pixels = test::make_test_pixels(64, 48, 3);
  EncodeOptions options(Format::jpeg, 85);
  EXPECT_EQ(jpeg_frame(encode(pixels, options)).sampling, (std::vector<int>{0x22, 0x11, 0x11}));
  options.chroma_444 = true;
  EXPECT_EQ(jpeg_frame(encode(pixels, options)).sampling, (std::vector<int>{0x11, 0x11, 0x11}));
  const cv::Mat gray = test::make_test_pixels(64, 48, 1);
  EXPECT_EQ(jpeg_frame(encode(gray, options)).sampling.size(), 1u);  // grayscale stays grayscale
}

TEST(EncodeJpeg, OptimisedTablesAreSmallerThanOpenCvsDefault) {
  const cv::Mat photo = cv::imread(test::sample_jpeg().string());
  std::vector<std::uint8_t> plain;
  ASSERT_TRUE(cv::imencode(".jpg", photo, plain, {cv::IMWRITE_JPEG_QUALITY, 85}));
  const auto ours = encode(photo, EncodeOptions(Format::jpeg, 85));
  EXPECT_LT(ours.size(), plain.size());
  EXPECT_GT(cv::PSNR(cv::imdecode(ours, cv::IMREAD_COLOR), cv::imdecode(plain, cv::IMREAD_COLOR)),
            45.0);  // same quantisation: the pixels barely differ
}

TEST(EncodeOther, PngLevelWebpLosslessTiffCompression) {
  const cv::Mat pixels = test::make_test_pixels(120, 90, 3);
  EncodeOptions png(Format::png, 85);
  png.png_compression = 0;
  const auto stored = encode(pixels, png);
  png.png_compression = 9;
  const auto deflated = encode(pixels, png);
  EXPECT_LT(deflated.size(), stored.size());

  EncodeOptions webp(Format::webp, 85);
  webp.lossless = true;
  const Image back = decode(encode(pixels, webp));
  EXPECT_EQ(cv::norm(back.pixels, pixels, cv::NORM_INF), 0.0);

  for (const auto c : {TiffCompression::none, TiffCompression::lzw, TiffCompression::deflate}) {
    EncodeOptions tiff(Format::tiff, 85);
    tiff.tiff_compression = c;
    const Image t = decode(encode(pixels, tiff));
    EXPECT_EQ(cv::norm(t.pixels, pixels, cv::NORM_INF), 0.0);
  }
}

// Our PNG and WebP writers against an independent reader (OpenCV's libpng /
// libwebp build): lossless round trips of gray, BGR, BGRA and 16-bit BGR.
TEST(EncodeOther, PngAndWebpReadBackExactlyByOpenCv) {
  cv::Mat deep;
  test::make_test_pixels(50, 40, 3).convertTo(deep, CV_16U, 257.0);
  deep.at<cv::Vec3w>(3, 7) = cv::Vec3w(1, 65534, 258);  // both bytes of each sample matter
  // libwebp may change the colour under alpha 0 (invisible): keep alpha above it.
  cv::Mat bgra = test::make_test_pixels(50, 40, 4);
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& p, const int*) { p[3] = std::max<uchar>(p[3], 1); });
  for (const cv::Mat& pixels :
       {test::make_test_pixels(50, 40, 1), test::make_test_pixels(50, 40, 3), bgra, deep}) {
    SCOPED_TRACE(pixels.type());
    const auto png = encode(pixels, EncodeOptions(Format::png, 85));
    EXPECT_EQ(cv::norm(cv::imdecode(png, cv::IMREAD_UNCHANGED), pixels, cv::NORM_INF), 0.0);
    if (pixels.depth() != CV_8U) continue;
    EncodeOptions lossless(Format::webp, 85);
    lossless.lossless = true;
    cv::Mat webp = cv::imdecode(encode(pixels, lossless), cv::IMREAD_UNCHANGED);
    if (pixels.channels() == 1) cv::cvtColor(webp, webp, cv::COLOR_BGR2GRAY);  // stored as colour
    EXPECT_EQ(cv::norm(webp, pixels, cv::NORM_INF), 0.0);
  }
}

TEST(SixteenBit, KeptForPngAndTiffReducedForJpegAndWebp) {
  test::ScratchDir dir;
  cv::Mat deep(60, 80, CV_16UC3);
  for (int y = 0; y < deep.rows; ++y) {
    for (int x = 0; x < deep.cols; ++x) {
      deep.at<cv::Vec3w>(y, x) = cv::Vec3w(x * 800, y * 1000, 12345);
    }
  }
  std::filesystem::create_directories(dir / "in");
  ASSERT_TRUE(cv::imwrite((dir / "in/deep.png").string(), deep));
  for (const auto& [format, depth] :
       std::vector<std::pair<OutputFormat, int>>{{OutputFormat::keep, CV_16U},
                                                 {OutputFormat::tiff, CV_16U},
                                                 {OutputFormat::jpeg, CV_8U},
                                                 {OutputFormat::webp, CV_8U}}) {
    Options options;
    options.inputs = {dir / "in/deep.png"};
    options.output_dir = dir / ("out" + std::to_string(static_cast<int>(format)));
    options.formats = {format};
    options.sizes = {parse_geometry("40x")};
    const Report report = run(options);
    ASSERT_EQ(report.summary.ok, 1u);
    const cv::Mat out = cv::imread(report.files[0].outputs[0].path.string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(out.cols, 40);
    EXPECT_EQ(out.depth(), depth) << static_cast<int>(format);
    if (depth == CV_16U) {
      EXPECT_NEAR(out.at<cv::Vec3w>(10, 10)[2], 12345, 2);
    }
  }
}

TEST(Encode, JpegRoundTripAndAlphaFlattenedOntoWhite) {
  const cv::Mat pixels = test::make_test_pixels(120, 80, 3);
  const auto jpeg = encode(pixels, {Format::jpeg, 90});
  const cv::Mat back = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  ASSERT_EQ(back.size(), pixels.size());
  EXPECT_GT(cv::PSNR(back, pixels), 30.0);

  cv::Mat transparent(16, 16, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent black
  const cv::Mat flat = cv::imdecode(encode(transparent, {Format::jpeg, 95}), cv::IMREAD_COLOR);
  EXPECT_GE(flat.at<cv::Vec3b>(8, 8)[0], 250);  // white, not black
  EXPECT_GE(flat.at<cv::Vec3b>(8, 8)[2], 250);
}

TEST(Encode, OtherFormatsDecodeBack) {
  const cv::Mat pixels = test::make_test_pixels(40, 30, 4);
  for (const Format f : {Format::png, Format::webp, Format::tiff}) {
    const auto bytes = encode(pixels, {f, 85});
    EXPECT_EQ(detect_format(bytes), f);
    const Image back = decode(bytes);
    ASSERT_EQ(back.pixels.size(), pixels.size()) << format_name(f);
    ASSERT_EQ(back.pixels.type(), CV_8UC4) << format_name(f);
    if (f == Format::webp) {
      // Lossy at quality 85 (alpha included): measured 32.13 dB.
      EXPECT_GT(psnr(back.pixels, pixels), 31.6);
    } else {
      EXPECT_EQ(cv::norm(back.pixels, pixels, cv::NORM_INF), 0.0) << format_name(f);
    }
  }
  EXPECT_THROW(encode(pixels, {Format::gif, 85}), Error);
}

TEST(Encode, AvifAndHeicDecodeBackWithTheirSizeColourAndAlpha) {
  const cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::Mat small;
  cv::resize(photo, small, {201, 125}, 0, 0, cv::INTER_AREA);  // odd: chroma edges
  cv::Mat bgra;
  cv::cvtColor(small, bgra, cv::COLOR_BGR2BGRA);
  bgra(cv::Rect(100, 0, 101, 125)).setTo(cv::Scalar(0, 0, 0, 0));
  cv::Mat gray;
  cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  for (const Format format : {Format::avif, Format::heif}) {
    SCOPED_TRACE(std::string(format_name(format)));
    const auto lossy = encode(small, {format, 70});
    EXPECT_EQ(read_header(lossy).format, format);
    const Image back = decode(lossy);
    ASSERT_EQ(back.pixels.size(), small.size());
    EXPECT_GT(cv::PSNR(back.pixels, small), 32.0);
    // Quality does what it says.
    EXPECT_LT(encode(small, {format, 30}).size(), lossy.size());
    const Image alpha = decode(encode(bgra, {format, 70}));
    ASSERT_EQ(alpha.pixels.type(), CV_8UC4);
    EXPECT_GE(alpha.pixels.at<cv::Vec4b>(60, 40)[3], 250);
    EXPECT_LE(alpha.pixels.at<cv::Vec4b>(60, 160)[3], 5);
    EXPECT_EQ(decode(encode(gray, {format, 70})).pixels.size(), small.size());
    EncodeOptions exact(format, 70);
    exact.lossless = true;
    EXPECT_EQ(cv::norm(decode(encode(small, exact)).pixels, small, cv::NORM_INF), 0.0);
  }
}

// The colour boxes of an AVIF/HEIC's primary image, as libheif reads them.
struct HeifColour {
  std::vector<std::uint8_t> icc;
  bool has_nclx = false;
  int primaries = -1, transfer = -1, matrix = -1;
};

HeifColour heif_colour(const std::vector<std::uint8_t>& file) {
  HeifColour colour;
  heif_context* context = heif_context_alloc();
  heif_image_handle* handle = nullptr;
  EXPECT_EQ(
      heif_context_read_from_memory_without_copy(context, file.data(), file.size(), nullptr).code,
      heif_error_Ok);
  EXPECT_EQ(heif_context_get_primary_image_handle(context, &handle).code, heif_error_Ok);
  if (handle) {
    colour.icc.resize(heif_image_handle_get_raw_color_profile_size(handle));
    if (!colour.icc.empty()) heif_image_handle_get_raw_color_profile(handle, colour.icc.data());
    heif_color_profile_nclx* nclx = nullptr;
    if (heif_image_handle_get_nclx_color_profile(handle, &nclx).code == heif_error_Ok && nclx) {
      colour.has_nclx = true;
      colour.primaries = nclx->color_primaries;
      colour.transfer = nclx->transfer_characteristics;
      colour.matrix = nclx->matrix_coefficients;
      heif_nclx_color_profile_free(nclx);
    }
    heif_image_handle_release(handle);
  }
  heif_context_free(context);
  return colour;
}

TEST(Encode, AvifAndHeicWithAProfileDoNotAlsoClaimSrgb) {
  const cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::Mat small;
  cv::resize(photo, small, {160, 100}, 0, 0, cv::INTER_AREA);
  const auto adobe = test::adobe_rgb_profile();
  for (const Format format : {Format::avif, Format::heif}) {
    SCOPED_TRACE(std::string(format_name(format)));
    // With Adobe RGB pixels and their profile: the profile, and no nclx box
    // claiming sRGB beside it (libheif 1.15 writes none for HEIC, for macOS's
    // sake, and one with primaries and transfer unspecified, 2, for AVIF).
    EncodeOptions profiled(format, 70);
    profiled.icc = adobe;
    const HeifColour tagged = heif_colour(encode(small, profiled));
    EXPECT_EQ(tagged.icc, adobe);
    if (tagged.has_nclx) {
      EXPECT_EQ(tagged.primaries, 2);
      EXPECT_EQ(tagged.transfer, 2);
      EXPECT_EQ(tagged.matrix, 6);
    }
  }
}

}  // namespace
}  // namespace imgflow
