// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: Encoders: --chroma, --progressive, --quality, --png-compression, --lossless,
// --tiff-compression.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------

// Runs `extra` + `-s 200 -o DIR/tag landscape.jpg` and returns the output's bytes.
Bytes encoded_with(const ScratchDir& dir, const std::string& tag,
                   const std::vector<std::string>& extra, const std::string& output_name) {
  std::vector<std::string> args = extra;
  for (const auto& s : {std::string("-s"), std::string("200"), std::string("-o"),
                        (dir / tag).string(), photos().landscape.string()}) {
    args.push_back(s);
  }
  const RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return read_bytes(dir / tag / output_name);
}

TEST(Options, ChromaSetsTheJpegSamplingFactors) {
  ScratchDir dir;
  // Y 2x2 and Cb, Cr 1x1 for 4:2:0; all 1x1 for 4:4:4.
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "default", {}, "landscape.jpg")),
            (std::vector<int>{0x22, 0x11, 0x11}));
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "420", {"--chroma", "420"}, "landscape.jpg")),
            (std::vector<int>{0x22, 0x11, 0x11}));
  EXPECT_EQ(jpeg_sampling_factors(encoded_with(dir, "444", {"--chroma", "444"}, "landscape.jpg")),
            (std::vector<int>{0x11, 0x11, 0x11}));
}

TEST(Options, ProgressiveWritesSof2) {
  ScratchDir dir;
  const auto baseline = jpeg_segments(encoded_with(dir, "default", {}, "landscape.jpg"));
  EXPECT_TRUE(has_marker(baseline, 0xC0) || has_marker(baseline, 0xC1));
  EXPECT_FALSE(has_marker(baseline, 0xC2));
  const Bytes bytes = encoded_with(dir, "progressive", {"--progressive"}, "landscape.jpg");
  const auto progressive = jpeg_segments(bytes);
  EXPECT_TRUE(has_marker(progressive, 0xC2));
  EXPECT_FALSE(has_marker(progressive, 0xC0));
  EXPECT_EQ(decoded_size(dir / "progressive" / "landscape.jpg"), cv::Size(200, 125));
}

TEST(Options, QualityChangesTheFileSize) {
  ScratchDir dir;
  for (const char* format : {"jpeg", "webp"}) {
    SCOPED_TRACE(format);
    const std::string name = std::string("landscape.") + (format[0] == 'j' ? "jpg" : "webp");
    const auto low =
        encoded_with(dir, std::string(format) + "30", {"-f", format, "-q", "30"}, name);
    const auto high =
        encoded_with(dir, std::string(format) + "95", {"-f", format, "-q", "95"}, name);
    const auto normal = encoded_with(dir, std::string(format) + "default", {"-f", format}, name);
    const auto q85 =
        encoded_with(dir, std::string(format) + "85", {"-f", format, "-q", "85"}, name);
    EXPECT_LT(low.size(), normal.size());
    EXPECT_LT(normal.size(), high.size());
    EXPECT_EQ(normal, q85) << "the default quality is not 85";
  }
}

TEST(Options, PngCompressionLevelChangesSizeNotPixels) {
  ScratchDir dir;
  const auto none =
      encoded_with(dir, "0", {"-f", "png", "--png-compression", "0"}, "landscape.png");
  const auto best =
      encoded_with(dir, "9", {"-f", "png", "--png-compression", "9"}, "landscape.png");
  EXPECT_GT(none.size(), best.size() + best.size() / 4);
  // Level 0 stores: at least the raw pixels (200x125x3).
  EXPECT_GE(none.size(), 200u * 125u * 3u);
  const cv::Mat a = read_image(dir / "0" / "landscape.png");
  const cv::Mat b = read_image(dir / "9" / "landscape.png");
  ASSERT_EQ(a.size(), cv::Size(200, 125));
  EXPECT_TRUE(same_pixels(a, b));
}

TEST(Options, LosslessWebpEqualsThePngOutputOfTheSameRun) {
  ScratchDir dir;
  const RunResult r = run({"-s", "200", "-f", "png", "-f", "webp", "--lossless", "-o",
                           (dir / "lossless").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(dir / "lossless"),
            (std::vector<std::string>{"landscape.png", "landscape.webp"}));
  const cv::Mat png = read_image(dir / "lossless" / "landscape.png");
  const cv::Mat webp = read_image(dir / "lossless" / "landscape.webp");
  ASSERT_EQ(png.size(), cv::Size(200, 125));
  EXPECT_TRUE(same_pixels(png, webp)) << "max difference " << max_abs_diff(png, webp);
  // Without --lossless: lossy.
  const RunResult lossy = run({"-s", "200", "-f", "png", "-f", "webp", "-o",
                               (dir / "lossy").string(), photos().landscape.string()});
  EXPECT_EQ(lossy.exit_code, 0) << describe(lossy);
  EXPECT_FALSE(same_pixels(read_image(dir / "lossy" / "landscape.png"),
                           read_image(dir / "lossy" / "landscape.webp")));
}

long tiff_compression_tag(const fs::path& path) {
  const Bytes b = read_bytes(path);
  return TiffReader(b).short_value(259);
}

TEST(Options, TiffCompressionNoneAndLzwSetTheCompressionTag) {
  ScratchDir dir;
  for (const auto& [option, tag] :
       std::vector<std::pair<std::string, long>>{{"default", 5}, {"none", 1}, {"lzw", 5}}) {
    SCOPED_TRACE(option);
    std::vector<std::string> extra = {"-f", "tiff"};
    if (option != "default") extra.insert(extra.end(), {"--tiff-compression", option});
    encoded_with(dir, option, extra, "landscape.tif");
    EXPECT_EQ(tiff_compression_tag(dir / option / "landscape.tif"), tag);
    EXPECT_EQ(decoded_size(dir / option / "landscape.tif"), cv::Size(200, 125));
  }
}

// --tiff-compression deflate writes code 8 (Adobe Deflate, the one the TIFF
// spec registers), silently: the legacy 32946 it wrote before made libtiff
// print "Creating TIFF with legacy Deflate codec identifier" for every file.
TEST(Options, TiffCompressionDeflateWritesTheAdobeDeflateCode) {
  ScratchDir dir;
  const RunResult r = run({"-f", "tiff", "--tiff-compression", "deflate", "-s", "200", "-o",
                           (dir / "out").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(decoded_size(dir / "out" / "landscape.tif"), cv::Size(200, 125));
  EXPECT_EQ(tiff_compression_tag(dir / "out" / "landscape.tif"), 8);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(err[0], 1, 1, 0, 0)) << err[0];
}

}  // namespace
}  // namespace imgflow::test::option_tests
