// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: JPEG decoding and metadata: --shrink-margin, --progressive-bits, --keep-icc,
// --keep-metadata.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// JPEG decoding and metadata
// ---------------------------------------------------------------------------

TEST(Options, ShrinkMarginChoosesTheDecodeScale) {
  // kite.jpg is 2000 px wide; for 480 px the shrink-on-load scale is the
  // smallest of 1/8, 1/4, 1/2 that keeps X * 480 px: 1/4 (500 px) for X = 1,
  // 1/2 (1000 px) for 1.25 (the default) and 1.9, none for 2.5 and 8.
  ScratchDir dir;
  std::map<std::string, Bytes> out;
  for (const char* margin : {"default", "1", "1.25", "1.9", "2.5", "8"}) {
    std::vector<std::string> args = {"-s", "480x", "-o", (dir / margin).string(),
                                     (sample_dir() / "kite.jpg").string()};
    if (std::string(margin) != "default") {
      args.insert(args.begin(), margin);
      args.insert(args.begin(), "--shrink-margin");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    out[margin] = read_bytes(dir / margin / "kite.jpg");
    EXPECT_EQ(decoded_size(dir / margin / "kite.jpg"), cv::Size(480, 300)) << margin;
  }
  EXPECT_EQ(out["1.25"], out["default"]);
  EXPECT_EQ(out["1.9"], out["default"]);
  EXPECT_EQ(out["2.5"], out["8"]);
  EXPECT_NE(out["1"], out["default"]);
  EXPECT_NE(out["2.5"], out["default"]);
  EXPECT_NE(out["1"], out["8"]);
}

TEST(Options, ProgressiveBitsStopsReadingScansEarly) {
  ScratchDir dir;
  // cold_ripple.jpg is progressive (2000x1250), shrunk on load at 1/2 for 480 px.
  auto resized = [&](const fs::path& input, const char* bits) {
    const auto out = dir / (input.stem().string() + bits);
    std::vector<std::string> args = {"-s", "480x", "-f", "png", "-o", out.string(), input.string()};
    if (std::string(bits) != "default") {
      args.insert(args.begin(), bits);
      args.insert(args.begin(), "--progressive-bits");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return read_image(out / (input.stem().string() + ".png"));
  };
  const fs::path progressive = sample_dir() / "cold_ripple.jpg";
  const cv::Mat by_default = resized(progressive, "default");
  const cv::Mat two = resized(progressive, "2");
  const cv::Mat all = resized(progressive, "-1");
  ASSERT_EQ(by_default.size(), cv::Size(480, 300));
  EXPECT_TRUE(same_pixels(by_default, two)) << "the default is not 2";
  EXPECT_FALSE(same_pixels(by_default, all)) << "-1 should read every scan";
  EXPECT_GT(cv::PSNR(by_default, all), 40.0);
  // A baseline JPEG has no scans to skip.
  const fs::path baseline = sample_dir() / "kite.jpg";
  EXPECT_TRUE(same_pixels(resized(baseline, "2"), resized(baseline, "-1")));
}

TEST(Options, KeepIccEmbedsTheOriginalProfileInsteadOfConverting) {
  ScratchDir dir;
  const Bytes profile = wide_gamut_profile();
  ASSERT_GT(profile.size(), 128u);
  ASSERT_LT(profile.size(), 60000u);
  Bytes app2 = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1};
  app2.insert(app2.end(), profile.begin(), profile.end());
  const Bytes plain = read_bytes(photos().landscape);
  write_bytes(dir / "in" / "tagged.jpg", with_segment(plain, 0xE2, app2));
  write_bytes(dir / "in" / "untagged.jpg", plain);
  ASSERT_EQ(jpeg_icc(read_bytes(dir / "in" / "tagged.jpg")), profile);

  const RunResult converted =
      run({"-s", "200", "-o", (dir / "converted").string(), (dir / "in").string()});
  ASSERT_EQ(converted.exit_code, 0) << describe(converted);
  const RunResult kept =
      run({"--keep-icc", "-s", "200", "-o", (dir / "kept").string(), (dir / "in").string()});
  ASSERT_EQ(kept.exit_code, 0) << describe(kept);

  // Default: converted to sRGB, no profile in the output.
  EXPECT_EQ(jpeg_icc(read_bytes(dir / "converted" / "tagged.jpg")), Bytes{});
  // --keep-icc: the original profile, and the pixels as stored (like the
  // same photo without a profile).
  EXPECT_EQ(jpeg_icc(read_bytes(dir / "kept" / "tagged.jpg")), profile);
  const cv::Mat untagged = read_image(dir / "converted" / "untagged.jpg");
  EXPECT_LT(mean_abs_diff(read_image(dir / "kept" / "tagged.jpg"), untagged), 0.5);
  EXPECT_GT(mean_abs_diff(read_image(dir / "converted" / "tagged.jpg"), untagged), 3.0);
}

TEST(Options, KeepMetadataCopiesExifWithOrientationOne) {
  ScratchDir dir;
  const auto input = dir / "in" / "turned.jpg";
  write_bytes(input, with_segment(read_bytes(photos().landscape), 0xE1, exif_payload(6)));
  {
    const TiffReader exif(jpeg_exif_tiff(read_bytes(input)));
    ASSERT_EQ(exif.short_value(0x0112), 6);
    ASSERT_EQ(exif.ascii_value(0x010F), "imgflow-test");
  }
  const RunResult stripped = run({"-s", "200", "-o", (dir / "stripped").string(), input.string()});
  ASSERT_EQ(stripped.exit_code, 0) << describe(stripped);
  const RunResult kept =
      run({"--keep-metadata", "-s", "200", "-o", (dir / "kept").string(), input.string()});
  ASSERT_EQ(kept.exit_code, 0) << describe(kept);

  const Bytes without = read_bytes(dir / "stripped" / "turned.jpg");
  EXPECT_FALSE(has_marker(jpeg_segments(without), 0xE1)) << "EXIF kept by default";
  const Bytes with = read_bytes(dir / "kept" / "turned.jpg");
  const Bytes tiff = jpeg_exif_tiff(with);
  ASSERT_FALSE(tiff.empty()) << "no EXIF in the --keep-metadata output";
  const TiffReader exif(tiff);
  EXPECT_EQ(exif.short_value(0x0112), 1) << "orientation not reset";
  EXPECT_EQ(exif.ascii_value(0x010F), "imgflow-test");
  // Both upright: 250x400 stored as 400x250 with orientation 6.
  EXPECT_EQ(decoded_size(dir / "kept" / "turned.jpg"), cv::Size(125, 200));
  EXPECT_EQ(decoded_size(dir / "stripped" / "turned.jpg"), cv::Size(125, 200));
}

}  // namespace
}  // namespace imgflow::test::option_tests
