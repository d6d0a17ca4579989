// TIFF decoding through libtiff (src/codec/tiff_decode.cpp), on files made
// by ImageMagick at test time: each kind decodes to the same pixels as the
// same image written by ImageMagick as PNG (decoded by our PNG path). And
// TIFF encoding (src/codec/tiff_encode.cpp), read back by ImageMagick and us.
#include <gtest/gtest.h>
#include <lcms2.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/byte_order.hpp"
#include "core/tiff_ifd.hpp"
#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;

// A colour photo (the sample kite; test::sample_jpeg() may be a gray one)
// resized to `width` x `height`, written as a q95 JPEG at `jpeg`; returns its pixels.
cv::Mat colour_photo(const fs::path& jpeg, int width, int height) {
  cv::Mat photo = cv::imread((test::sample_dir() / "kite.jpg").string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {width, height}, 0, 0, cv::INTER_AREA);
  EXPECT_TRUE(cv::imwrite(jpeg.string(), photo, {cv::IMWRITE_JPEG_QUALITY, 95}));
  return cv::imread(jpeg.string(), cv::IMREAD_COLOR);
}

// `source` through ImageMagick with `args` to TIFF, and that TIFF through
// ImageMagick to PNG (its own decode: ImageMagick's Q16 gray rounds
// differently when written straight to PNG); returns both decoded by us
// (with `options`).
std::pair<Image, Image> tiff_and_png(const fs::path& dir, const fs::path& source,
                                     const std::vector<std::string>& args,
                                     const DecodeOptions& options = {}) {
  std::vector<std::string> to_tiff{source.string()};
  to_tiff.insert(to_tiff.end(), args.begin(), args.end());
  to_tiff.push_back((dir / "kind.tif").string());
  magick(to_tiff);
  magick({(dir / "kind.tif").string(), (dir / "kind.png").string()});
  const auto tiff = test::read_bytes(dir / "kind.tif");
  const SourceInfo header = read_header(tiff);
  EXPECT_EQ(header.format, Format::tiff);
  return {decode(tiff, options), decode(test::read_bytes(dir / "kind.png"), options)};
}

// A photo with an alpha ramp from 0 (left) to 255 (right).
fs::path photo_with_alpha(const fs::path& dir, int width, int height) {
  const cv::Mat bgr = colour_photo(dir / "photo.jpg", width, height);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      bgra.at<cv::Vec4b>(y, x)[3] = static_cast<std::uint8_t>(x * 255 / (width - 1));
    }
  }
  const fs::path png = dir / "alpha_source.png";
  EXPECT_TRUE(cv::imwrite(png.string(), bgra));
  return png;
}

TEST(TiffDecode, LosslessKindsMatchTheirPngExactly) {
  test::ScratchDir dir;
  colour_photo(dir / "photo.jpg", 157, 93);
  const fs::path photo = dir / "photo.jpg";
  const std::vector<std::vector<std::string>> kinds = {
      {"-compress", "None"},
      {"-compress", "LZW"},
      {"-compress", "Zip"},
      {"-compress", "RLE"},  // PackBits
      {"-compress", "LZW", "-define", "tiff:tile-geometry=32x32"},
      {"-compress", "None", "-define", "tiff:tile-geometry=16x48"},
      {"-compress", "LZW", "-interlace", "Plane"},  // separate planes
      {"-compress", "LZW", "-colorspace", "Gray"},
      {"-compress", "Zip", "-colorspace", "Gray", "-define", "tiff:tile-geometry=64x64"},
      {"-compress", "LZW", "-colors", "64", "-type", "Palette"},
      {"-compress", "None", "-monochrome"},    // 8-bit gray
      {"-compress", "Group4", "-monochrome"},  // 1-bit, through TIFFRGBAImage
  };
  for (const auto& args : kinds) {
    std::string name;
    for (const auto& a : args) name += a + " ";
    const auto [tiff, png] = tiff_and_png(dir.path(), photo, args);
    ASSERT_EQ(tiff.pixels.size(), cv::Size(157, 93)) << name;
    // Gray comes out gray from both; the rest BGR.
    const bool gray = name.find("Gray") != std::string::npos ||
                      name.find("-compress None -monochrome") != std::string::npos;
    ASSERT_EQ(tiff.pixels.channels(), gray ? 1 : 3) << name;
    cv::Mat expected = png.pixels;
    if (expected.channels() != tiff.pixels.channels()) {
      cv::cvtColor(expected, expected, cv::COLOR_GRAY2BGR);
    }
    // A palette's colour map has 16-bit entries, which ImageMagick and
    // libtiff scale to and from 8 bits: one level apart at most.
    const double tolerance = name.find("Palette") != std::string::npos ? 1.0 : 0.0;
    EXPECT_LE(cv::norm(tiff.pixels, expected, cv::NORM_INF), tolerance) << name;
  }
}

TEST(TiffDecode, JpegCompressedYcbcrIsConvertedByLibtiff) {
  test::ScratchDir dir;
  const cv::Mat source = colour_photo(dir / "photo.jpg", 160, 96);
  for (const char* tiles : {"", "tiff:tile-geometry=64x64"}) {
    std::vector<std::string> args = {"-compress", "JPEG", "-quality", "95"};
    if (*tiles) args.insert(args.end(), {"-define", tiles});
    const auto [tiff, png] = tiff_and_png(dir.path(), dir / "photo.jpg", args);
    ASSERT_EQ(tiff.pixels.type(), CV_8UC3) << tiles;
    ASSERT_EQ(tiff.pixels.size(), cv::Size(160, 96));
    // Lossy: within what a q95 4:2:0 JPEG loses (a wrong colour space would
    // be far off: YCbCr read as RGB scores under 15 dB).
    EXPECT_GT(cv::PSNR(tiff.pixels, source), 32.0) << tiles;
  }
}

TEST(TiffDecode, AlphaAssociatedOrNotComesOutStraight) {
  test::ScratchDir dir;
  const fs::path source = photo_with_alpha(dir.path(), 120, 80);
  const cv::Mat original = cv::imread(source.string(), cv::IMREAD_UNCHANGED);
  for (const char* alpha : {"tiff:alpha=unassociated", "tiff:alpha=associated"}) {
    for (const char* gray : {"", "Gray"}) {
      std::vector<std::string> args = {"-compress", "LZW", "-define", alpha};
      if (*gray) args.insert(args.end(), {"-colorspace", gray});
      const std::string name = std::string(alpha) + " " + gray;
      const auto [tiff, png] = tiff_and_png(dir.path(), source, args);
      ASSERT_EQ(tiff.pixels.type(), CV_8UC4) << name;
      ASSERT_EQ(png.pixels.type(), CV_8UC4) << name;
      std::vector<cv::Mat> ours, theirs;
      cv::split(tiff.pixels, ours);
      cv::split(png.pixels, theirs);
      EXPECT_EQ(cv::norm(ours[3], theirs[3], cv::NORM_INF), 0.0) << name;
      // Colour where it is visible enough to survive premultiplication in
      // 8 bits (alpha >= 64: within 3 levels of ImageMagick's 16-bit
      // unpremultiplication); exact when unassociated.
      const cv::Mat visible = ours[3] >= 64;
      const double tolerance = std::string(alpha).find("=un") != std::string::npos ? 0.0 : 3.0;
      for (int c = 0; c < 3; ++c) {
        EXPECT_LE(cv::norm(ours[c], theirs[c], cv::NORM_INF, visible), tolerance) << name << c;
      }
    }
  }
  (void)original;
}

TEST(TiffDecode, SixteenBitIsKept) {
  test::ScratchDir dir;
  // Values that are not multiples of 257, so 8-bit on the way would show.
  cv::Mat deep(40, 70, CV_16UC3);
  for (int y = 0; y < deep.rows; ++y) {
    for (int x = 0; x < deep.cols; ++x) {
      deep.at<cv::Vec3w>(y, x) = {static_cast<std::uint16_t>(x * 900 + 3),
                                  static_cast<std::uint16_t>(y * 1500 + 7),
                                  static_cast<std::uint16_t>(x * y * 20 + 11)};
    }
  }
  ASSERT_TRUE(cv::imwrite((dir / "deep.png").string(), deep));
  DecodeOptions keep;
  keep.keep_16bit = true;
  for (const char* gray : {"", "Gray"}) {
    std::vector<std::string> args = {"-compress", "Zip"};
    if (*gray) args.insert(args.end(), {"-colorspace", gray});
    const auto [tiff, png] = tiff_and_png(dir.path(), dir / "deep.png", args, keep);
    ASSERT_EQ(tiff.pixels.depth(), CV_16U) << gray;
    ASSERT_EQ(tiff.pixels.type(), png.pixels.type()) << gray;
    EXPECT_EQ(cv::norm(tiff.pixels, png.pixels, cv::NORM_INF), 0.0) << gray;
    if (!*gray) {
      EXPECT_EQ(cv::norm(tiff.pixels, deep, cv::NORM_INF), 0.0);
    }
  }
  // Without keep_16bit: 8-bit, rounded.
  magick({(dir / "deep.png").string(), "-compress", "LZW", (dir / "deep.tif").string()});
  const Image eight = decode(test::read_bytes(dir / "deep.tif"));
  ASSERT_EQ(eight.pixels.type(), CV_8UC3);
  cv::Mat expected;
  deep.convertTo(expected, CV_8U, 1.0 / 257.0);
  EXPECT_EQ(cv::norm(eight.pixels, expected, cv::NORM_INF), 0.0);
}

TEST(TiffDecode, CmykWithoutProfileIsInvertedNaively) {
  test::ScratchDir dir;
  const cv::Mat source = colour_photo(dir / "photo.jpg", 100, 60);
  for (const char* compress : {"LZW", "None"}) {
    magick({(dir / "photo.jpg").string(), "-colorspace", "CMYK", "-compress", compress,
            (dir / "cmyk.tif").string()});
    const auto tiff = test::read_bytes(dir / "cmyk.tif");
    const Image image = decode(tiff);
    ASSERT_EQ(image.pixels.type(), CV_8UC3) << compress;
    ASSERT_EQ(image.pixels.size(), source.size());
    // ImageMagick's CMYK is the same naive formula: back within rounding.
    EXPECT_LE(cv::norm(image.pixels, source, cv::NORM_INF), 2.0) << compress;
  }
}

TEST(TiffDecode, AdobeRgbProfileIsReturnedAndConverted) {
  test::ScratchDir dir;
  const cv::Mat original = colour_photo(dir / "photo.jpg", 200, 125);
  const auto adobe = test::adobe_rgb_profile();
  const cv::Mat stored = from_srgb(original, adobe);
  ASSERT_TRUE(cv::imwrite((dir / "stored.png").string(), stored));
  test::write_bytes(dir / "adobe.icc", adobe);
  // The image has no profile yet: ImageMagick embeds this one as is.
  magick({(dir / "stored.png").string(), "-profile", (dir / "adobe.icc").string(), "-compress",
          "LZW", (dir / "adobe.tif").string()});
  const auto tiff = test::read_bytes(dir / "adobe.tif");

  DecodeOptions keep;
  keep.to_srgb = false;
  const Image as_stored = decode(tiff, keep);
  EXPECT_EQ(as_stored.icc, adobe);
  EXPECT_EQ(cv::norm(as_stored.pixels, stored, cv::NORM_INF), 0.0);

  const Image converted = decode(tiff);
  EXPECT_TRUE(converted.icc.empty());
  const double converted_psnr = cv::PSNR(converted.pixels, original);
  EXPECT_GT(converted_psnr, 36.0);
  // Shown as if sRGB, the Adobe RGB numbers are visibly off: the test can fail.
  EXPECT_LT(cv::PSNR(as_stored.pixels, original), converted_psnr - 6.0);
}

TEST(TiffDecode, OrientationTagTurnsThePixelsUpright) {
  test::ScratchDir dir;
  const cv::Mat stored = quadrants();
  ASSERT_TRUE(cv::imwrite((dir / "q.png").string(), stored));
  const char* names[] = {"TopLeft", "TopRight", "BottomRight", "BottomLeft",
                         "LeftTop", "RightTop", "RightBottom", "LeftBottom"};
  for (int orientation = 1; orientation <= 8; ++orientation) {
    magick({(dir / "q.png").string(), "-orient", names[orientation - 1], "-compress", "LZW",
            (dir / "q.tif").string()});
    const auto tiff = test::read_bytes(dir / "q.tif");
    EXPECT_EQ(read_header(tiff).orientation, orientation);
    const Image upright = decode(tiff);
    EXPECT_EQ(upright.source.orientation, orientation);
    const cv::Mat expected = apply_orientation(stored, orientation);
    ASSERT_EQ(upright.pixels.size(), expected.size()) << orientation;
    EXPECT_EQ(upright.source.width, expected.cols) << orientation;
    EXPECT_EQ(cv::norm(upright.pixels, expected, cv::NORM_INF), 0.0) << orientation;
    DecodeOptions as_stored;
    as_stored.auto_orient = false;
    EXPECT_EQ(cv::norm(decode(tiff, as_stored).pixels, stored, cv::NORM_INF), 0.0) << orientation;
  }
}

// Sets the first IFD's tag `tag` (SHORT or LONG, one value) to `value`.
void set_tag(std::vector<std::uint8_t>& tiff, std::uint32_t tag, std::uint32_t value) {
  bool found = false;
  detail::walk_first_ifd(tiff, [&](const detail::IfdEntry& e, const detail::ByteOrder& order) {
    if (e.tag != tag) return true;
    EXPECT_FALSE(order.big_endian);
    const int bytes = e.type == 3 ? 2 : 4;
    for (int k = 0; k < bytes; ++k) {
      tiff[e.value_at + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(value >> (8 * k));
    }
    found = true;
    return false;
  });
  ASSERT_TRUE(found) << tag;
}

// An uncompressed single-strip RGB TIFF of `width` x `height`, little-endian.
// (libtiff recomputes the byte count of a lone uncompressed strip it finds
// wrong: "LZW" keeps the count as declared.)
std::vector<std::uint8_t> one_strip_tiff(const fs::path& dir, int width, int height,
                                         const char* compress = "None") {
  cv::Mat bgr(height, width, CV_8UC3, cv::Scalar(10, 200, 90));
  EXPECT_TRUE(cv::imwrite((dir / "flat.png").string(), bgr));
  magick({(dir / "flat.png").string(), "-endian", "LSB", "-compress", compress, "-define",
          "tiff:rows-per-strip=" + std::to_string(height), (dir / "flat.tif").string()});
  return test::read_bytes(dir / "flat.tif");
}

TEST(TiffDecode, DamagedFilesFailWithStableCodes) {
  test::ScratchDir dir;
  magick({test::sample_jpeg().string(), "-resize", "300x", "-compress", "LZW",
          (dir / "photo.tif").string()});
  auto good = test::read_bytes(dir / "photo.tif");
  ASSERT_EQ(decode_error(good), ErrorCode::ok);
  // ImageMagick writes the directory after the pixels: the first half has
  // none (tests/cli/errors_test.cpp cuts a file whose directory comes first).
  auto cut = good;
  cut.resize(cut.size() / 2);
  EXPECT_EQ(decode_error(cut), ErrorCode::truncated_input);
  // Garbage in the strips (LZW codes that make no sense).
  auto garbage = good;
  for (std::size_t i = 200; i + 200 < garbage.size() / 2; ++i) {
    garbage[i] = static_cast<std::uint8_t>(i * 7919 >> 3);
  }
  EXPECT_EQ(decode_error(garbage), ErrorCode::corrupt_input);

  // A strip that declares more bytes than the whole file: refused before any
  // read, as corrupt; one that merely runs past the end: truncated.
  auto strip = one_strip_tiff(dir.path(), 64, 48, "LZW");
  ASSERT_EQ(decode_error(strip), ErrorCode::ok);
  auto huge = strip;
  set_tag(huge, 279, 0x7FFFFFF0);
  EXPECT_EQ(decode_error(huge), ErrorCode::corrupt_input);
  auto past_end = strip;
  set_tag(past_end, 273, static_cast<std::uint32_t>(strip.size() - 100));
  EXPECT_EQ(decode_error(past_end), ErrorCode::truncated_input);
}

TEST(TiffDecode, DeclaredBombIsRefusedBeforeAnyPixelBuffer) {
  test::ScratchDir dir;
  auto bomb = one_strip_tiff(dir.path(), 64, 48);
  set_tag(bomb, 256, 100000);
  set_tag(bomb, 257, 100000);
  set_tag(bomb, 278, 100000);
  EXPECT_EQ(decode_error(bomb), ErrorCode::too_many_pixels);
  // Without a pixel limit: libtiff takes the lone uncompressed strip's byte
  // count for wrong and recomputes it from the size (30 GB): the file reads
  // as cut. Compressed, the count stands, and a few hundred bytes cannot
  // hold 30 GB even at LZW's best: corrupt. Both before any pixel buffer.
  DecodeOptions unlimited;
  unlimited.max_pixels = 0;
  EXPECT_EQ(decode_error(bomb, unlimited), ErrorCode::truncated_input);
  auto lzw_bomb = one_strip_tiff(dir.path(), 64, 48, "LZW");
  set_tag(lzw_bomb, 256, 100000);
  set_tag(lzw_bomb, 257, 100000);
  set_tag(lzw_bomb, 278, 100000);
  EXPECT_EQ(decode_error(lzw_bomb, unlimited), ErrorCode::corrupt_input);
  expect_exact_pixel_limit(one_strip_tiff(dir.path(), 64, 48), 64, 48);
}

// --- Encoding ---------------------------------------------------------------

// The SHORT or LONG value of `tag` in the first IFD of `tiff`, or -1.
long ifd_value(const std::vector<std::uint8_t>& tiff, std::uint32_t tag) {
  long value = -1;
  detail::walk_first_ifd(tiff, [&](const detail::IfdEntry& e, const detail::ByteOrder& order) {
    if (e.tag != tag) return true;
    value =
        e.type == 3 ? order.u16(tiff, e.value_at) : static_cast<long>(order.u32(tiff, e.value_at));
    return false;
  });
  return value;
}

// 8- and 16-bit gray, BGR and BGRA, every compression: lossless both ways
// (our decoder and ImageMagick's, through a PNG it writes), with the layout
// tags a reader needs (ExtraSamples 2 = unassociated alpha, Orientation 1).
TEST(TiffEncode, EveryLayoutRoundTripsExactlyThroughUsAndImageMagick) {
  test::ScratchDir dir;
  const cv::Mat bgr8 = colour_photo(dir / "photo.jpg", 157, 93);
  cv::Mat gray8, bgra8;
  cv::cvtColor(bgr8, gray8, cv::COLOR_BGR2GRAY);
  cv::cvtColor(bgr8, bgra8, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < bgra8.rows; ++y) {
    for (int x = 0; x < bgra8.cols; ++x)
      bgra8.at<cv::Vec4b>(y, x)[3] = static_cast<std::uint8_t>(x);
  }
  std::vector<cv::Mat> kinds = {gray8, bgr8, bgra8};
  for (const cv::Mat& m : std::vector<cv::Mat>{gray8, bgr8, bgra8}) {
    cv::Mat wide;
    m.convertTo(wide, CV_16U, 257.0);
    wide += cv::Scalar::all(3);  // low bytes that differ from the high ones
    kinds.push_back(wide);
  }
  for (const cv::Mat& pixels : kinds) {
    for (const auto compression :
         {TiffCompression::none, TiffCompression::lzw, TiffCompression::deflate}) {
      EncodeOptions options(Format::tiff, 85);
      options.tiff_compression = compression;
      const auto tiff = encode(pixels, options);
      SCOPED_TRACE(std::to_string(pixels.channels()) + " channels, depth " +
                   std::to_string(pixels.depth()) + ", compression " +
                   std::to_string(ifd_value(tiff, 259)));
      EXPECT_EQ(ifd_value(tiff, 259), compression == TiffCompression::none  ? 1
                                      : compression == TiffCompression::lzw ? 5
                                                                            : 8);
      EXPECT_EQ(ifd_value(tiff, 274), 1);                                // Orientation
      EXPECT_EQ(ifd_value(tiff, 338), pixels.channels() == 4 ? 2 : -1);  // ExtraSamples
      EXPECT_EQ(ifd_value(tiff, 317), compression == TiffCompression::none ? -1 : 2);  // Predictor

      DecodeOptions keep16;
      keep16.keep_16bit = true;
      const Image ours = decode(tiff, keep16);
      ASSERT_EQ(ours.pixels.size(), pixels.size());
      ASSERT_EQ(ours.pixels.type(), pixels.type());
      EXPECT_EQ(cv::norm(ours.pixels, pixels, cv::NORM_INF), 0.0);

      test::write_bytes(dir / "out.tif", tiff);
      magick({(dir / "out.tif").string(), (dir / "magick.png").string()});
      const cv::Mat theirs = cv::imread((dir / "magick.png").string(), cv::IMREAD_UNCHANGED);
      ASSERT_EQ(theirs.size(), pixels.size());
      ASSERT_EQ(theirs.type(), pixels.type());
      EXPECT_EQ(cv::norm(theirs, pixels, cv::NORM_INF), 0.0);
    }
  }
}

// The ICC profile goes into tag 34675 as given: ImageMagick extracts the same
// bytes, our decoder returns them and converts with them.
TEST(TiffEncode, IccProfileIsEmbeddedAsGiven) {
  test::ScratchDir dir;
  const cv::Mat original = colour_photo(dir / "photo.jpg", 120, 80);
  const auto adobe = test::adobe_rgb_profile();
  EncodeOptions options(Format::tiff, 85);
  options.icc = adobe;
  const auto tiff = encode(from_srgb(original, adobe), options);
  test::write_bytes(dir / "adobe.tif", tiff);
  magick({(dir / "adobe.tif").string(), (dir / "extracted.icc").string()});
  EXPECT_EQ(test::read_bytes(dir / "extracted.icc"), adobe);
  DecodeOptions keep;
  keep.to_srgb = false;
  EXPECT_EQ(decode(tiff, keep).icc, adobe);
  EXPECT_GT(cv::PSNR(decode(tiff).pixels, original), 36.0);
  // Without one, no tag.
  EXPECT_EQ(ifd_value(encode(original, EncodeOptions(Format::tiff, 85)), 34675), -1);
}

}  // namespace
}  // namespace imgflow
