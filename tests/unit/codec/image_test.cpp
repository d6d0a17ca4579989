// The single-image API on real photos and on generated images.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

ErrorCode decode_error(const std::vector<std::uint8_t>& bytes, DecodeOptions options = {}) {
  try {
    decode(bytes, options);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

double psnr(const cv::Mat& a, const cv::Mat& b) {
  return cv::PSNR(a, b);
}

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

TEST(Decode, TruncatedPngIsTruncatedInput) {
  const cv::Mat pixels = test::make_test_pixels(300, 200, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  png.resize(png.size() / 2);
  EXPECT_EQ(decode_error(png), ErrorCode::truncated_input);
}

TEST(ResizeToFit, ExactSizesAndNoEnlarging) {
  const cv::Mat pixels = test::make_test_pixels(1000, 333, 3);
  EXPECT_EQ(resize_to_fit(pixels, parse_geometry("500x")).size(), cv::Size(500, 167));
  EXPECT_EQ(resize_to_fit(pixels, parse_geometry("2000x2000")).size(), cv::Size(1000, 333));
  const cv::Mat strip = test::make_test_pixels(6000, 40, 3);
  EXPECT_EQ(resize_to_fit(strip, parse_geometry("100x100")).size(), cv::Size(100, 1));
}

TEST(ResizeToFit, UsesTheFullSourceSizeForShrunkPixels) {
  // Pixels decoded at 1/4 of a 4000x3000 source; the box applies to the source.
  const cv::Mat quarter = test::make_test_pixels(1000, 750, 3);
  EXPECT_EQ(resize_to_fit(quarter, parse_geometry("800x800"), {4000, 3000}).size(),
            cv::Size(800, 600));
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

TEST(WriteFileAtomic, ReplacesWholeAndLeavesNoTemporary) {
  test::ScratchDir dir;
  const std::vector<std::uint8_t> first(1000, 1), second(10, 2);
  write_file_atomic(dir / "out.bin", first);
  write_file_atomic(dir / "out.bin", second);
  EXPECT_EQ(test::read_bytes(dir / "out.bin"), second);
  EXPECT_EQ(test::list_files(dir.path()), std::vector<std::string>{"out.bin"});
  try {
    write_file_atomic(dir / "missing-dir/out.bin", first);
    ADD_FAILURE() << "wrote into a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::write_error);
  }
}

TEST(ReadFile, ErrorsForMissingDirectoriesAndEmptyFiles) {
  test::ScratchDir dir;
  auto code_of = [](const std::filesystem::path& p) {
    try {
      read_file(p);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::ok;
  };
  test::write_bytes(dir / "empty", {});
  EXPECT_EQ(code_of(dir / "nope.jpg"), ErrorCode::not_found);
  EXPECT_EQ(code_of(dir.path()), ErrorCode::not_a_file);
  EXPECT_EQ(code_of(dir / "empty"), ErrorCode::empty_input);
}

}  // namespace
}  // namespace imgflow
