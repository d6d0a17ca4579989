// PNG decoding: palettes, transparency, 16-bit gray, captured warnings, tiny
// and extreme sizes.
#include <gtest/gtest.h>

#include <png.h>
#include <zlib.h>

#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "codec/decoders.hpp"
#include "imgflow/imgflow.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

std::filesystem::path fixture(const char* name) {
  return std::filesystem::path(IMGFLOW_FIXTURE_DIR) / name;
}

// The filter type byte of every row of an 8-bit, non-interlaced PNG.
std::set<int> row_filters(const std::vector<std::uint8_t>& png, int width, int channels) {
  std::vector<std::uint8_t> compressed;
  for (std::size_t at = 8; at + 12 <= png.size();) {
    const std::size_t length = (std::size_t{png[at]} << 24) | (std::size_t{png[at + 1]} << 16) |
                               (std::size_t{png[at + 2]} << 8) | png[at + 3];
    if (std::equal(png.begin() + at + 4, png.begin() + at + 8, "IDAT")) {
      compressed.insert(compressed.end(), png.begin() + at + 8, png.begin() + at + 8 + length);
    }
    at += 12 + length;
  }
  std::vector<std::uint8_t> raw(16 << 20);
  uLongf size = raw.size();
  EXPECT_EQ(uncompress(raw.data(), &size, compressed.data(), compressed.size()), Z_OK);
  std::set<int> filters;
  const std::size_t stride = 1 + std::size_t(width) * channels;
  for (std::size_t row = 0; row * stride < size; ++row) filters.insert(raw[row * stride]);
  return filters;
}

// Encoded by libpng itself with its default adaptive filtering (OpenCV asks
// for the Sub filter only), so rows use all five filter types.
std::vector<std::uint8_t> libpng_encode(const cv::Mat& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(pixels.cols);
  image.height = static_cast<png_uint_32>(pixels.rows);
  image.format = pixels.channels() == 1   ? PNG_FORMAT_GRAY
                 : pixels.channels() == 3 ? PNG_FORMAT_BGR
                                          : PNG_FORMAT_BGRA;
  png_alloc_size_t size = 0;
  const auto stride = static_cast<png_int_32>(pixels.step);
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data, stride, nullptr));
  std::vector<std::uint8_t> png(size);
  EXPECT_TRUE(
      png_image_write_to_memory(&image, png.data(), &size, 0, pixels.data, stride, nullptr));
  png.resize(size);
  return png;
}

// The whole-buffer path (libdeflate + our unfiltering) gives exactly what
// libpng gives (through OpenCV), for gray, BGR and BGRA photos whose rows
// use every PNG filter type, at odd widths.
TEST(Png, WholeBufferDecodeMatchesLibpngExactly) {
  const cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::Mat bgr;
  cv::resize(photo, bgr, {301, 203}, 0, 0, cv::INTER_AREA);
  bgr.rowRange(0, 8).setTo(cv::Scalar(0, 0, 0));  // flat rows: libpng picks filter None
  cv::Mat gray, bgra;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra.rows; ++y) {
    for (int x = 0; x < bgra.cols; ++x) {
      bgra.at<cv::Vec4b>(y, x)[3] = y < 8 ? 255 : cv::saturate_cast<uchar>(x + y);
    }
  }
  std::set<int> all_filters;
  for (const cv::Mat& pixels : {gray, bgr, bgra}) {
    SCOPED_TRACE(pixels.channels());
    const auto png = libpng_encode(pixels);
    // Sub, Up, Average and Paeth (whose code differs per pixel size) in every
    // image; None (a no-op) in some.
    const auto filters = row_filters(png, pixels.cols, pixels.channels());
    for (const int filter : {1, 2, 3, 4}) EXPECT_EQ(filters.count(filter), 1u) << filter;
    all_filters.insert(filters.begin(), filters.end());
    Image image;
    ASSERT_TRUE(detail::decode_png_whole(png, {}, image));
    ASSERT_EQ(image.pixels.size(), pixels.size());
    ASSERT_EQ(image.pixels.type(), pixels.type());
    EXPECT_EQ(cv::norm(image.pixels, cv::imdecode(png, cv::IMREAD_UNCHANGED), cv::NORM_INF), 0.0);
    EXPECT_EQ(cv::norm(image.pixels, pixels, cv::NORM_INF), 0.0);  // PNG is lossless
  }
  EXPECT_EQ(all_filters.count(0), 1u);
}

// Our writer picks a filter per row: a photo's rows use several types, and
// the file decodes back exactly (through libpng, independent of our code).
TEST(Png, WriterFiltersAdaptivelyAndRoundTrips) {
  cv::Mat photo;
  cv::resize(cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR), photo, {301, 203}, 0, 0,
             cv::INTER_AREA);
  photo.rowRange(0, 8).setTo(cv::Scalar(0, 0, 0));
  const auto png = encode(photo, EncodeOptions(Format::png, 85));
  EXPECT_GE(row_filters(png, photo.cols, 3).size(), 3u);
  EXPECT_EQ(cv::norm(cv::imdecode(png, cv::IMREAD_COLOR), photo, cv::NORM_INF), 0.0);
}

TEST(Png, WholeBufferDecodeLeavesUnusualFilesToLibpng) {
  // Palette, 16-bit, tRNS: not the simple case.
  for (const char* name : {"palette_transparent.png", "palette_4bit.png", "gray16.png"}) {
    Image image;
    EXPECT_FALSE(detail::decode_png_whole(test::read_bytes(fixture(name)), {}, image)) << name;
  }
  const cv::Mat pixels = test::make_test_pixels(40, 30, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  Image image;
  ASSERT_TRUE(detail::decode_png_whole(png, {}, image));
  // Any damage: a flipped bit under a CRC, or the end cut off.
  auto flipped = png;
  flipped[png.size() / 2] ^= 0x01;
  EXPECT_FALSE(detail::decode_png_whole(flipped, {}, image));
  auto cut = png;
  cut.resize(png.size() - 12);  // no IEND
  EXPECT_FALSE(detail::decode_png_whole(cut, {}, image));
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
