// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: Sizes and resizing: --size forms, --max-pixels, --fit, --gravity,
// --background, --enlarge, --filter.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// Sizes and resizing
// ---------------------------------------------------------------------------

TEST(Options, SeveralSizesNameAtAsPxAndPercentAsPc) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);  // 400x250
  const auto out = dir / "out";
  const RunResult r = run({"-s", "100x", "-s", "5000@", "-s", "50%", "-s", "10%", "-s", "80x80>",
                           "-o", out.string(), a.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"a_100x.jpg", "a_10pc.jpg", "a_5000px.jpg",
                                                       "a_50pc.jpg", "a_80x80.jpg"}));
  EXPECT_EQ(decoded_size(out / "a_100x.jpg"), cv::Size(100, 63));
  EXPECT_EQ(decoded_size(out / "a_50pc.jpg"), cv::Size(200, 125));
  EXPECT_EQ(decoded_size(out / "a_10pc.jpg"), cv::Size(40, 25));
  EXPECT_EQ(decoded_size(out / "a_80x80.jpg"), cv::Size(80, 50));
  // 5000@: at most 5000 pixels, the aspect ratio kept, and not far below.
  const cv::Size px = decoded_size(out / "a_5000px.jpg");
  EXPECT_LE(px.area(), 5000) << px;
  EXPECT_GE(px.area(), 4800) << px;
  EXPECT_NEAR(double(px.width) / px.height, 1.6, 0.04) << px;
}

TEST(Options, DefaultMaxPixelsIsCheckedFromTheHeaderAlone) {
  ScratchDir dir;
  // The default limit is 268402689 = 16383 x 16383.
  const auto over = dir / "over.png";    // 16383 x 16384: 16383 pixels too many
  const auto over1 = dir / "over1.png";  // 2 x 134201345: one pixel too many
  const auto at = dir / "at.png";        // exactly at the limit
  write_bytes(over, png_declaring(16383, 16384));
  write_bytes(over1, png_declaring(2, 134201345));
  write_bytes(at, png_declaring(16383, 16383));
  ASSERT_LT(read_bytes(over).size(), 200u);
  const RunResult r =
      run({"-s", "100", "-o", (dir / "out").string(), over.string(), over1.string(), at.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 4u) << describe(r);
  std::vector<std::string> sorted(err.begin(), err.end() - 1);
  std::sort(sorted.begin(), sorted.end());
  // at.png passes the pixel check; its (missing) data then fails it.
  EXPECT_TRUE(starts_with(sorted[0], "imgflow: " + at.string() + ": ")) << sorted[0];
  EXPECT_FALSE(contains(sorted[0], "too-many-pixels")) << sorted[0];
  EXPECT_EQ(sorted[1], "imgflow: " + over.string() +
                           ": too-many-pixels: 16383x16384 exceeds the limit of 268402689 pixels");
  EXPECT_EQ(sorted[2], "imgflow: " + over1.string() +
                           ": too-many-pixels: 2x134201345 exceeds the limit of 268402689 pixels");
  // Refused from the header: nothing of the declared 805 MB was allocated.
  if (!kSanitized) {
    EXPECT_LT(r.max_rss_kb, 150 * 1024);
  }

  // --max-pixels 0: no limit, so over.png gets as far as its data.
  const RunResult unlimited =
      run({"--max-pixels", "0", "-s", "100", "-o", (dir / "out").string(), over.string()});
  EXPECT_EQ(unlimited.exit_code, 1) << describe(unlimited);
  EXPECT_TRUE(starts_with(unlimited.err, "imgflow: " + over.string() + ": ")) << unlimited.err;
  EXPECT_FALSE(contains(unlimited.err, "too-many-pixels")) << unlimited.err;
}

TEST(Options, FitModesGiveExactSizes) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);  // 400x250 into a 200x200 box
  struct Case {
    std::vector<std::string> args;
    cv::Size size;
  };
  const std::map<std::string, Case> cases = {
      {"inside", {{"--fit", "inside", "-s", "200x200"}, {200, 125}}},
      {"cover", {{"--fit", "cover", "-s", "200x200"}, {200, 200}}},
      {"contain", {{"--fit", "contain", "-s", "200x200"}, {200, 200}}},
      {"fill", {{"--fit", "fill", "-s", "200x200"}, {200, 200}}},
      {"outside", {{"--fit", "outside", "-s", "200x200"}, {320, 200}}},
      {"caret", {{"-s", "200x200^"}, {320, 200}}},  // = --fit outside
      {"bang", {{"-s", "200x200!"}, {200, 200}}},   // = --fit fill
  };
  std::map<std::string, cv::Mat> got;
  for (const auto& [name, c] : cases) {
    SCOPED_TRACE(name);
    std::vector<std::string> args = c.args;
    for (const auto& s : {std::string("-f"), std::string("png"), std::string("-o"),
                          (dir / name).string(), a.string()}) {
      args.push_back(s);
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    got[name] = read_image(dir / name / "a.png");
    EXPECT_EQ(got[name].size(), c.size);
  }
  EXPECT_EQ(read_bytes(dir / "caret" / "a.png"), read_bytes(dir / "outside" / "a.png"));
  EXPECT_EQ(read_bytes(dir / "bang" / "a.png"), read_bytes(dir / "fill" / "a.png"));
  // contain pads (white by default) above and below the 200x125 image.
  EXPECT_TRUE(near_colour(got["contain"], 100, 0, {255, 255, 255}, 0));
  EXPECT_TRUE(near_colour(got["contain"], 100, 199, {255, 255, 255}, 0));
  // fill stretches the whole image; cover crops its sides.
  const cv::Mat source = read_image(a);
  cv::Mat stretched;
  cv::resize(source, stretched, {200, 200}, 0, 0, cv::INTER_AREA);
  EXPECT_LT(mean_abs_diff(got["fill"], stretched), 4.0);
  EXPECT_GT(mean_abs_diff(got["cover"], stretched), 8.0);
}

TEST(Options, GravityNorthSouthAndCentreCropTheFullResize) {
  ScratchDir dir;
  const auto p = dir / "p.jpg";
  copy_to(photos().portrait, p);  // 250x400: cover 200x100 scales to 200x320, then crops
  const RunResult full =
      run({"-s", "200x", "-f", "png", "-o", (dir / "full").string(), p.string()});
  ASSERT_EQ(full.exit_code, 0) << describe(full);
  const cv::Mat whole = read_image(dir / "full" / "p.png");
  ASSERT_EQ(whole.size(), cv::Size(200, 320));
  std::map<std::string, cv::Mat> crops;
  for (const auto& [gravity, top] :
       std::vector<std::pair<std::string, int>>{{"north", 0}, {"south", 220}, {"centre", 110}}) {
    SCOPED_TRACE(gravity);
    const auto out = dir / gravity;
    const RunResult r = run({"-s", "200x100", "--fit", "cover", "--gravity", gravity, "-f", "png",
                             "-o", out.string(), p.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    crops[gravity] = read_image(out / "p.png");
    ASSERT_EQ(crops[gravity].size(), cv::Size(200, 100));
    EXPECT_LE(max_abs_diff(crops[gravity], whole(cv::Rect(0, top, 200, 100))), 1.0);
  }
  EXPECT_GT(mean_abs_diff(crops["north"], crops["south"]), 5.0);
}

TEST(Options, BackgroundPadsContainAndFlattensAlphaForJpeg) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);
  // contain: 200x125 placed in 200x200, padding above and below.
  for (const char* colour : {"#204080", "32,64,128"}) {
    SCOPED_TRACE(colour);
    const auto out = dir / (std::string("contain") + (colour[0] == '#' ? "hex" : "rgb"));
    const RunResult r = run({"-s", "200x200", "--fit", "contain", "--background", colour, "-f",
                             "png", "-o", out.string(), a.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(out / "a.png");
    ASSERT_EQ(m.size(), cv::Size(200, 200));
    ASSERT_EQ(m.channels(), 3);
    for (int y : {0, 30, 170, 199}) {
      for (int x : {0, 100, 199}) EXPECT_TRUE(near_colour(m, x, y, {0x80, 0x40, 0x20}, 2));
    }
    EXPECT_FALSE(near_colour(m, 100, 100, {0x80, 0x40, 0x20}, 10)) << "the photo is not there";
  }
  {
    // transparent: the padding has alpha 0 in a PNG (see also
    // BackgroundTransparentPadsAnOpaqueInputWithAlpha).
    const RunResult r =
        run({"-s", "200x200", "--fit", "contain", "--background", "transparent", "-f", "png", "-o",
             (dir / "transparent").string(), photos().alpha.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(dir / "transparent" / "alpha.png");
    ASSERT_EQ(m.channels(), 4);
    EXPECT_EQ(m.at<cv::Vec4b>(0, 100)[3], 0);
    EXPECT_EQ(m.at<cv::Vec4b>(100, 100)[3], 255);
  }
  // alpha.png as JPEG: its transparent corner flattened onto the colour.
  const auto alpha = dir / "alpha.png";
  copy_to(photos().alpha, alpha);
  const cv::Mat source = read_image(alpha);
  ASSERT_EQ(source.channels(), 4);
  ASSERT_EQ(source.at<cv::Vec4b>(4, 4)[3], 0) << "the fixture's corner should be transparent";
  ASSERT_EQ(source.at<cv::Vec4b>(125, 200)[3], 255) << "the fixture's centre should be opaque";
  for (const auto& [colour, bgr] : std::vector<std::pair<std::string, std::vector<int>>>{
           {"white", {255, 255, 255}}, {"#ff0000", {0, 0, 255}}, {"0,128,255", {255, 128, 0}}}) {
    SCOPED_TRACE(colour);
    const auto out = dir / numbered("flat", bgr[0] * 1000 + bgr[2], "");
    std::vector<std::string> args = {"-f",  "jpeg", "-q",         "95",          "--chroma",
                                     "444", "-o",   out.string(), alpha.string()};
    if (colour != "white") {
      args.insert(args.begin(), colour);
      args.insert(args.begin(), "--background");
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = read_image(out / "alpha.jpg");
    ASSERT_EQ(m.size(), cv::Size(400, 250));
    ASSERT_EQ(m.channels(), 3);
    EXPECT_TRUE(near_colour(m, 4, 4, bgr, 2));
    EXPECT_TRUE(near_colour(m, 395, 245, bgr, 2));
    // The opaque middle is the photo itself.
    cv::Mat opaque;
    cv::cvtColor(source(cv::Rect(190, 115, 20, 20)), opaque, cv::COLOR_BGRA2BGR);
    EXPECT_LT(mean_abs_diff(m(cv::Rect(190, 115, 20, 20)), opaque), 4.0);
  }
}

// `--fit contain --background transparent` on an opaque input (a JPEG): the
// PNG gains an alpha channel and its padding is see-through (it was opaque
// black before the canvas learnt to add alpha).
TEST(Options, BackgroundTransparentPadsAnOpaqueInputWithAlpha) {
  ScratchDir dir;
  const RunResult r = run({"-s", "200x200", "--fit", "contain", "--background", "transparent", "-f",
                           "png", "-o", (dir / "out").string(), photos().landscape.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const cv::Mat m = read_image(dir / "out" / "landscape.png");
  ASSERT_EQ(m.size(), cv::Size(200, 200));
  ASSERT_EQ(m.channels(), 4) << "no alpha channel: the padding cannot be transparent";
  EXPECT_EQ(m.at<cv::Vec4b>(0, 100)[3], 0);
  EXPECT_EQ(m.at<cv::Vec4b>(199, 100)[3], 0);
  EXPECT_EQ(m.at<cv::Vec4b>(100, 100)[3], 255);
}

TEST(Options, EnlargeOnlyWithTheFlag) {
  ScratchDir dir;
  const auto a = dir / "a.jpg";
  copy_to(photos().landscape, a);
  const RunResult plain = run({"-s", "800x", "-o", (dir / "plain").string(), a.string()});
  EXPECT_EQ(plain.exit_code, 0) << describe(plain);
  EXPECT_EQ(decoded_size(dir / "plain" / "a.jpg"), cv::Size(400, 250));
  const RunResult enlarged =
      run({"--enlarge", "-s", "800x", "-o", (dir / "enlarged").string(), a.string()});
  EXPECT_EQ(enlarged.exit_code, 0) << describe(enlarged);
  EXPECT_EQ(decoded_size(dir / "enlarged" / "a.jpg"), cv::Size(800, 500));
}

// Runs `-s size -f png --filter filter` on `input` and returns the decoded output.
cv::Mat resized_with(const ScratchDir& dir, const fs::path& input, const std::string& filter,
                     const std::string& size, bool enlarge = false) {
  const auto out = dir / ("f-" + filter + "-" + size);
  std::vector<std::string> args = {"--filter", filter, "-s",         size,          "-f",
                                   "png",      "-o",   out.string(), input.string()};
  if (enlarge) args.insert(args.begin(), "--enlarge");
  const RunResult r = run(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  return read_image(out / (input.stem().string() + ".png"));
}

TEST(Options, FiltersGiveExactSizesAndNearestSamplesSourcePixels) {
  ScratchDir dir;
  const auto input = dir / "synthetic.png";
  const cv::Mat source = make_test_pixels(64, 64, 3, 5);
  write_pixels(input, source);
  std::map<std::string, cv::Mat> halves;
  for (const char* filter : {"auto", "nearest", "area", "linear", "cubic", "lanczos"}) {
    SCOPED_TRACE(filter);
    halves[filter] = resized_with(dir, input, filter, "32x32");
    EXPECT_EQ(halves[filter].size(), cv::Size(32, 32));
    EXPECT_EQ(resized_with(dir, input, filter, "45x45!").size(), cv::Size(45, 45));
    EXPECT_EQ(resized_with(dir, input, filter, "100x100!", true).size(), cv::Size(100, 100));
  }
  // nearest on an exact 2x downscale: every pixel is one source pixel, on a
  // fixed grid (whichever of the four phases the filter uses).
  const cv::Mat& nearest = halves["nearest"];
  bool on_a_grid = false;
  for (int dy = 0; dy < 2 && !on_a_grid; ++dy) {
    for (int dx = 0; dx < 2 && !on_a_grid; ++dx) {
      bool all = true;
      for (int y = 0; y < 32 && all; ++y) {
        for (int x = 0; x < 32 && all; ++x) {
          all = nearest.at<cv::Vec3b>(y, x) == source.at<cv::Vec3b>(2 * y + dy, 2 * x + dx);
        }
      }
      on_a_grid = all;
    }
  }
  EXPECT_TRUE(on_a_grid) << "nearest's pixels are not source pixels";
  // area on an exact 2x downscale: the mean of each 2x2 block.
  cv::Mat blocks;
  cv::resize(source, blocks, {32, 32}, 0, 0, cv::INTER_AREA);
  EXPECT_LE(max_abs_diff(halves["area"], blocks), 1.0);
  EXPECT_GT(mean_abs_diff(nearest, halves["lanczos"]), 3.0);
  EXPECT_GT(mean_abs_diff(nearest, halves["auto"]), 3.0);
}

// README: auto box-averages by whole factors while at least twice the output
// size remains, then resamples with Lanczos-3 (enlarging too).
TEST(Options, FilterAutoIsABoxShrinkThenLanczos) {
  ScratchDir dir;
  const auto input = dir / "synthetic.png";
  write_pixels(input, make_test_pixels(64, 64, 3, 6));
  // Shrinking by 4: a 2x box average to 32x32, then Lanczos-3 to 16x16.
  const cv::Mat boxed = resized_with(dir, input, "area", "32x32");
  write_pixels(dir / "boxed.png", boxed);
  const cv::Mat two_steps = resized_with(dir, dir / "boxed.png", "lanczos", "16x16");
  const cv::Mat automatic = resized_with(dir, input, "auto", "16x16");
  EXPECT_LE(max_abs_diff(automatic, two_steps), 1.0);
  EXPECT_GT(mean_abs_diff(automatic, resized_with(dir, input, "lanczos", "16x16")), 0.5)
      << "no box step";
  // Less than 2x smaller, and enlarging: Lanczos-3 alone (not area, not cubic).
  EXPECT_TRUE(same_pixels(resized_with(dir, input, "auto", "40x40"),
                          resized_with(dir, input, "lanczos", "40x40")));
  const cv::Mat up = resized_with(dir, input, "auto", "100x100", true);
  EXPECT_TRUE(same_pixels(up, resized_with(dir, input, "lanczos", "100x100", true)));
  EXPECT_GT(mean_abs_diff(up, resized_with(dir, input, "cubic", "100x100", true)), 0.5);
}

}  // namespace
}  // namespace imgflow::test::option_tests
