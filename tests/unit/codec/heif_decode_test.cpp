// HEIF (HEIC) and AVIF decoding (src/codec/heif_decode.cpp), on files made by
// the reference tools at test time: heif-enc (libheif's x265 and aom
// encoders) from JPEGs and PNGs, heif-convert as the reference decoder.
#include <libheif/heif.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;

// heif-enc `args` on `input` into `output` (the suffix picks HEIC or AVIF).
std::vector<std::uint8_t> heif_enc(const fs::path& input, const fs::path& output,
                                   std::vector<std::string> args = {"-q", "90"}) {
  std::vector<std::string> argv = {"heif-enc"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"-o", output.string(), input.string()});
  const auto r = test::run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "heif-enc (scripts/setup.sh installs libheif-examples): " << r.err;
  return test::read_bytes(output);
}

// The reference decoder's pixels (heif-convert to PNG; BGR or BGRA).
cv::Mat heif_convert(const fs::path& heif, const fs::path& png) {
  const auto r = test::run_command({"heif-convert", heif.string(), png.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return cv::imread(png.string(), cv::IMREAD_UNCHANGED);
}

// avifenc (libavif's reference encoder) `args` on `input` into `output`.
std::vector<std::uint8_t> avifenc(const fs::path& input, const fs::path& output,
                                  std::vector<std::string> args) {
  std::vector<std::string> argv = {"avifenc"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {input.string(), output.string()});
  const auto r = test::run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "avifenc (scripts/setup.sh installs libavif-bin): " << r.err;
  return test::read_bytes(output);
}

// `image` has `expected`'s quadrants (sampled at their centres, away from the
// chroma bleeding at their edges).
void expect_same_quadrants(const cv::Mat& image, const cv::Mat& expected, int orientation) {
  ASSERT_EQ(image.size(), expected.size()) << "orientation " << orientation;
  for (const double fy : {0.25, 0.75}) {
    for (const double fx : {0.25, 0.75}) {
      const int x = static_cast<int>(fx * image.cols), y = static_cast<int>(fy * image.rows);
      const cv::Vec3b got = image.at<cv::Vec3b>(y, x), want = expected.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(got[c], want[c], 40)
            << "orientation " << orientation << " at " << x << "," << y << " channel " << c;
      }
    }
  }
}

TEST(HeifDecode, HeicAndAvifFromTheReferenceEncoderMatchTheirSource) {
  test::ScratchDir dir;
  const cv::Mat source = small_photo(dir / "photo.jpg", 301, 189);  // odd sizes: chroma edges
  for (const char* name : {"photo.heic", "photo.avif"}) {
    const auto bytes = heif_enc(dir / "photo.jpg", dir / name);
    const SourceInfo header = read_header(bytes);
    EXPECT_EQ(header.format, std::string(name).ends_with("avif") ? Format::avif : Format::heif);
    EXPECT_EQ(header.width, 301);
    EXPECT_EQ(header.height, 189);
    EXPECT_EQ(header.orientation, 1);
    const Image image = decode(bytes);
    ASSERT_EQ(image.pixels.type(), CV_8UC3) << name;
    ASSERT_EQ(image.pixels.size(), source.size()) << name;
    EXPECT_EQ(image.source.width, 301);
    // Colour within what a q90 encode loses, against the JPEG-decoded source
    // (a swapped R/B or a wrong YCbCr matrix gives < 25 dB).
    EXPECT_GT(cv::PSNR(image.pixels, source), 34.0) << name;
    cv::Scalar mean_in = cv::mean(source), mean_out = cv::mean(image.pixels);
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(mean_out[c], mean_in[c], 2.0) << name << " channel " << c;
    // Same pixels as the reference decoder.
    const cv::Mat reference = heif_convert(dir / name, dir / (std::string(name) + ".png"));
    EXPECT_LE(cv::norm(image.pixels, reference, cv::NORM_INF), 2.0) << name;
  }
}

TEST(HeifDecode, ExifOrientationInsideAHeifIsNotAppliedAgain) {
  // heif-enc keeps a JPEG's EXIF (orientation 6) but stores the pixels as
  // they were, with no irot: readers following MIAF (heif-convert) show them
  // as stored, and so must imgflow (an iPhone HEIC has irot *and* EXIF 6).
  test::ScratchDir dir;
  const cv::Mat stored = quadrants();
  test::write_bytes(dir / "o6.jpg", jpeg_with_orientation(stored, 6, false));
  const auto heic = heif_enc(dir / "o6.jpg", dir / "o6.heic");
  EXPECT_EQ(read_header(heic).orientation, 1);
  const Image image = decode(heic);
  ASSERT_EQ(image.pixels.size(), cv::Size(50, 30));
  EXPECT_EQ(heif_convert(dir / "o6.heic", dir / "o6.png").size(), cv::Size(50, 30));
  expect_same_quadrants(image.pixels, stored, 1);
}

// A HEIC of `pixels` carrying an irot/imir transform (libheif's API: heif-enc
// 1.15 has no option to write one).
std::vector<std::uint8_t> heic_with_orientation(const cv::Mat& bgr, heif_orientation orientation) {
  heif_image* image = nullptr;
  EXPECT_EQ(heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB,
                              &image)
                .code,
            heif_error_Ok);
  heif_image_add_plane(image, heif_channel_interleaved, bgr.cols, bgr.rows, 8);
  int stride = 0;
  std::uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, plane, static_cast<std::size_t>(stride));
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  heif_context* context = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  heif_context_get_encoder_for_format(context, heif_compression_HEVC, &encoder);
  heif_encoder_set_lossy_quality(encoder, 95);
  heif_encoding_options* options = heif_encoding_options_alloc();
  options->image_orientation = orientation;
  EXPECT_EQ(heif_context_encode_image(context, image, encoder, options, nullptr).code,
            heif_error_Ok);
  heif_encoding_options_free(options);
  heif_encoder_release(encoder);
  heif_image_release(image);
  std::vector<std::uint8_t> out;
  heif_writer writer{1, [](heif_context*, const void* data, size_t size, void* user) {
                       auto* bytes = static_cast<std::vector<std::uint8_t>*>(user);
                       const auto* p = static_cast<const std::uint8_t*>(data);
                       bytes->insert(bytes->end(), p, p + size);
                       return heif_error{heif_error_Ok, heif_suberror_Unspecified, ""};
                     }};
  heif_context_write(context, &writer, &out);
  heif_context_free(context);
  return out;
}

TEST(HeifDecode, IrotAndImirComeOutUprightOnce) {
  test::ScratchDir dir;
  const cv::Mat stored = quadrants();
  for (const int k : {2, 3, 4, 5, 6, 7, 8}) {
    const auto heic = heic_with_orientation(stored, static_cast<heif_orientation>(k));
    test::write_bytes(dir / "turned.heic", heic);
    const cv::Mat reference = heif_convert(dir / "turned.heic", dir / "turned.png");
    const cv::Mat upright = apply_orientation(stored, k);  // as the EXIF value k means
    ASSERT_EQ(reference.size(), upright.size()) << "the reference decoder, orientation " << k;
    const SourceInfo header = read_header(heic);
    EXPECT_EQ(header.width, upright.cols) << k;
    EXPECT_EQ(header.orientation, 1) << k;
    const Image image = decode(heic);
    expect_same_quadrants(image.pixels, upright, k);
    EXPECT_LE(cv::norm(image.pixels, reference, cv::NORM_INF), 2.0) << k;
    // --no-rotate: as stored.
    DecodeOptions raw;
    raw.auto_orient = false;
    const Image as_stored = decode(heic, raw);
    expect_same_quadrants(as_stored.pixels, stored, 1);
  }
}

TEST(HeifDecode, AlphaIsKept) {
  test::ScratchDir dir;
  cv::Mat bgra = test::make_test_pixels(64, 40, 3);
  cv::cvtColor(bgra, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra.rows; ++y) {
    for (int x = 0; x < bgra.cols; ++x) bgra.at<cv::Vec4b>(y, x)[3] = x < 32 ? 255 : 0;
  }
  ASSERT_TRUE(cv::imwrite((dir / "alpha.png").string(), bgra));
  for (const char* name : {"alpha.heic", "alpha.avif"}) {
    const Image image = decode(heif_enc(dir / "alpha.png", dir / name, {"-L"}));
    ASSERT_EQ(image.pixels.type(), CV_8UC4) << name;
    std::vector<cv::Mat> planes;
    cv::split(image.pixels, planes);
    EXPECT_GE(cv::mean(planes[3](cv::Rect(2, 0, 28, 40)))[0], 250.0) << name;
    EXPECT_LE(cv::mean(planes[3](cv::Rect(34, 0, 28, 40)))[0], 5.0) << name;
  }
}

TEST(HeifDecode, IccProfileIsConvertedToSrgb) {
  // heif-enc copies a PNG's iCCP into a colr 'prof' box.
  test::ScratchDir dir;
  const cv::Mat pixels = test::make_test_pixels(48, 32, 3);
  std::vector<std::uint8_t> png;
  ASSERT_TRUE(cv::imencode(".png", pixels, png));
  const auto adobe = test::adobe_rgb_profile();  // once: Little CMS stamps the time in it
  test::write_bytes(dir / "adobe.png", test::png_with_icc(png, adobe));
  const Image via_png = decode(test::read_bytes(dir / "adobe.png"));  // the PNG path's sRGB
  const auto heic = heif_enc(dir / "adobe.png", dir / "adobe.heic", {"-L", "-p", "chroma=444"});
  const Image converted = decode(heic);
  EXPECT_TRUE(converted.icc.empty());
  EXPECT_GT(cv::PSNR(converted.pixels, via_png.pixels), 38.0);
  DecodeOptions keep;
  keep.to_srgb = false;
  const Image kept = decode(heic, keep);
  EXPECT_EQ(kept.icc, adobe);
  // The conversion did something (the test can fail).
  EXPECT_GT(cv::norm(kept.pixels, converted.pixels, cv::NORM_INF), 10.0);
}

// sRGB-encoded value of linear light `v` (IEC 61966-2-1).
double srgb_encode(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return 255.0 * (v <= 0.0031308 ? 12.92 * v : 1.055 * std::pow(v, 1 / 2.4) - 0.055);
}
double srgb_decode(double c) {
  c /= 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

TEST(HeifDecode, NclxDisplayP3IsConvertedToSrgb) {
  // avifenc writes an nclx box with Display P3 primaries (12), the sRGB
  // transfer (13) and the BT.601 matrix (6); lossless quantisers and 4:4:4,
  // so the stored values are the PNG's within YCbCr rounding. (heif-enc 1.15
  // aborts in libaom when given nclx values for AVIF.)
  test::ScratchDir dir;
  const cv::Vec3b p3(60, 120, 200);  // BGR
  ASSERT_TRUE(cv::imwrite((dir / "p3.png").string(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(p3))));
  const auto avif = avifenc(dir / "p3.png", dir / "p3.avif",
                            {"--cicp", "12/13/6", "--yuv", "444", "--min", "0", "--max", "0"});
  const Image image = decode(avif);
  ASSERT_EQ(image.pixels.type(), CV_8UC3);
  // Display P3 → sRGB in linear light (both D65): the published matrix.
  const double r = srgb_decode(p3[2]), g = srgb_decode(p3[1]), b = srgb_decode(p3[0]);
  const cv::Vec3d expected(srgb_encode(-0.0197 * r - 0.0786 * g + 1.0979 * b),
                           srgb_encode(-0.0420 * r + 1.0419 * g + 0.0000 * b),
                           srgb_encode(1.2249 * r - 0.2247 * g + 0.0000 * b));
  const cv::Vec3b got = image.pixels.at<cv::Vec3b>(8, 8);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(got[c], expected[c], 3.0) << "channel " << c;
  // Not what it would be taken as sRGB (the test can fail).
  EXPECT_GT(std::abs(got[2] - p3[2]), 8);
}

TEST(HeifDecode, TenBitAvifTo8Or16Bit) {
  test::ScratchDir dir;
  cv::Mat deep(36, 60, CV_16UC3);
  for (int y = 0; y < deep.rows; ++y) {
    for (int x = 0; x < deep.cols; ++x) {
      deep.at<cv::Vec3w>(y, x) = {static_cast<std::uint16_t>(x * 1000),
                                  static_cast<std::uint16_t>(y * 1500), 30000};
    }
  }
  ASSERT_TRUE(cv::imwrite((dir / "deep.png").string(), deep));
  const auto avif = avifenc(dir / "deep.png", dir / "deep.avif",
                            {"--depth", "10", "--yuv", "444", "--min", "0", "--max", "0"});
  const Image eight = decode(avif);
  ASSERT_EQ(eight.pixels.type(), CV_8UC3);
  cv::Mat expected8;
  deep.convertTo(expected8, CV_8U, 1.0 / 257.0);
  EXPECT_LE(cv::norm(eight.pixels, expected8, cv::NORM_INF), 2.0);
  DecodeOptions keep;
  keep.keep_16bit = true;
  const Image sixteen = decode(avif, keep);
  ASSERT_EQ(sixteen.pixels.type(), CV_16UC3);
  EXPECT_LE(cv::norm(sixteen.pixels, deep, cv::NORM_INF), 2.0 * 65535 / 1023);
}

TEST(HeifDecode, ShrinksOnLoadWithItsOwnThumbnailOnlyWhenLargeEnough) {
  test::ScratchDir dir;
  const cv::Mat source = small_photo(dir / "photo.jpg", 800, 500);
  const auto heic = heif_enc(dir / "photo.jpg", dir / "photo.heic", {"-q", "90", "-t", "320"});
  DecodeOptions options;
  options.at_least = {200, 125};
  const Image shrunk = decode(heic, options);
  EXPECT_EQ(shrunk.pixels.size(), cv::Size(320, 200));
  EXPECT_EQ(shrunk.source.width, 800);  // the file's size, not the thumbnail's
  EXPECT_EQ(shrunk.source.height, 500);
  cv::Mat expected;
  cv::resize(source, expected, {320, 200}, 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::PSNR(shrunk.pixels, expected), 28.0);
  options.at_least = {321, 201};  // the thumbnail is too small: the full image
  EXPECT_EQ(decode(heic, options).pixels.size(), cv::Size(800, 500));
}

TEST(HeifDecode, PixelLimitIsCheckedFromTheBoxes) {
  test::ScratchDir dir;
  small_photo(dir / "photo.jpg", 120, 80);
  expect_exact_pixel_limit(heif_enc(dir / "photo.jpg", dir / "photo.heic"), 120, 80);
}

TEST(HeifDecode, DamagedFilesGiveStableCodes) {
  test::ScratchDir dir;
  small_photo(dir / "photo.jpg", 120, 80);
  const auto heic = heif_enc(dir / "photo.jpg", dir / "photo.heic");
  // Cut in the coded pixels (the mdat box comes last).
  const std::vector<std::uint8_t> cut(heic.begin(), heic.begin() + heic.size() * 3 / 4);
  EXPECT_EQ(decode_error(cut), ErrorCode::truncated_input);
  // Damage inside the coded pixels, the file whole.
  auto damaged = heic;
  for (std::size_t i = heic.size() - 200; i < heic.size() - 100; ++i) damaged[i] ^= 0x5A;
  const ErrorCode code = decode_error(damaged);
  EXPECT_TRUE(code == ErrorCode::ok || code == ErrorCode::corrupt_input) << error_code_name(code);
  // Cut in the boxes.
  const std::vector<std::uint8_t> header_only(heic.begin(), heic.begin() + 40);
  EXPECT_EQ(decode_error(header_only), ErrorCode::truncated_input);
}

}  // namespace
}  // namespace imgflow
