// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: Limits and error codes: --allow-truncated, --max-file-size and the error
// codes a run reports.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// Limits and error codes
// ---------------------------------------------------------------------------

TEST(Options, AllowTruncatedAcceptsAHalfJpegGreyPadded) {
  ScratchDir dir;
  Bytes half = read_bytes(photos().landscape);
  half.resize(half.size() / 2);
  const auto input = dir / "half.jpg";
  write_bytes(input, half);
  {
    const RunResult r = run({"-f", "png", "-o", (dir / "refused").string(), input.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(starts_with(r.err, "imgflow: " + input.string() + ": truncated-input: ")) << r.err;
    EXPECT_EQ(list_files(dir / "refused"), std::vector<std::string>{});
  }
  const RunResult r =
      run({"--allow-truncated", "-f", "png", "-o", (dir / "accepted").string(), input.string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + input.string() + ": warning: ")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 1, 1, 0, 0)) << err[1];
  const cv::Mat m = read_image(dir / "accepted" / "half.png");
  ASSERT_EQ(m.size(), cv::Size(400, 250));
  // The top is the photo, the bottom rows grey.
  const cv::Mat whole = read_image(photos().landscape);
  EXPECT_LT(mean_abs_diff(m(cv::Rect(0, 0, 400, 40)), whole(cv::Rect(0, 0, 400, 40))), 1.0);
  for (int x = 0; x < 400; x += 50) EXPECT_TRUE(near_colour(m, x, 249, {128, 128, 128}, 2));
}

TEST(ErrorCodes, InputTooLargeAboveMaxFileSize) {
  ScratchDir dir;
  const auto small = dir / "in" / "small.jpg";
  const auto large = dir / "in" / "large.png";
  copy_to(photos().landscape, small);
  copy_to(photos().alpha, large);
  const auto small_size = fs::file_size(small);
  const auto large_size = fs::file_size(large);
  ASSERT_LT(small_size, large_size);
  {
    // Exactly the limit is accepted; one byte more is not.
    const auto out = dir / "out1";
    const RunResult r = run({"--max-file-size", std::to_string(small_size), "-s", "50", "-o",
                             out.string(), small.string(), large.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 2u) << describe(r);
    EXPECT_EQ(err[0], "imgflow: " + large.string() + ": input-too-large: file is " +
                          std::to_string(large_size) + " bytes, over the limit of " +
                          std::to_string(small_size));
    EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
    EXPECT_EQ(list_files(out), std::vector<std::string>{"small.jpg"});
  }
  {
    const auto out = dir / "out2";
    const RunResult r = run({"--max-file-size", std::to_string(small_size - 1), "-s", "50", "-o",
                             out.string(), small.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(starts_with(r.err, "imgflow: " + small.string() + ": input-too-large: ")) << r.err;
  }
  {
    // 0: no limit.
    const auto out = dir / "out3";
    const RunResult r = run(
        {"--max-file-size", "0", "-s", "50", "-o", out.string(), small.string(), large.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"large.png", "small.jpg"}));
  }
}

// README: "Should two inputs still meet at one output once their content is
// known (a PNG named x.jpg beside x.png), the second fails with
// output-conflict instead of replacing the first."
TEST(ErrorCodes, OutputConflictWhenContentMapsTwoInputsToOnePath) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().alpha, in / "x.jpg");  // PNG content: x.png under -f keep
  write_pixels(in / "x.png", make_test_pixels(120, 80, 3, 4));
  const auto out = dir / "out";
  const RunResult r = run({"--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json report = parse_json(r.out);
  ASSERT_EQ(report["files"].size(), 2u) << r.out;
  std::string winner, loser;
  for (const auto& f : report["files"]) {
    if (f["status"] == "ok") winner = f["input"].get<std::string>();
    if (f["status"] == "failed") {
      loser = f["input"].get<std::string>();
      EXPECT_EQ(f["error"]["code"], "output-conflict");
      EXPECT_EQ(f["outputs"], json::array());
    }
  }
  ASSERT_FALSE(winner.empty()) << r.out;
  ASSERT_FALSE(loser.empty()) << r.out;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_EQ(err[0], "imgflow: " + loser + ": output-conflict: " + (out / "x.png").string() +
                        " was already written by another input of this run");
  // The one output is the winner's, whole.
  EXPECT_EQ(list_files(out), std::vector<std::string>{"x.png"});
  const cv::Size winner_size =
      winner == (in / "x.png").string() ? cv::Size(120, 80) : cv::Size(400, 250);
  EXPECT_EQ(decoded_size(out / "x.png"), winner_size);
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
}

// decode-error is the codec failing on a valid file. The way to make that
// happen from outside: a valid image larger than the memory the process may
// have (--max-pixels 0 would allow it; here 12000x12000 is under the default
// limit), in a process whose address space is capped (as a container's memory
// limit would). The decoder cannot allocate the 432 MB image. (--filter area:
// with the default filter the PNG would stream row by row, never allocating
// the image, and be found truncated.)
TEST(ErrorCodes, DecodeErrorWhenTheDecoderRunsOutOfMemory) {
  if (kSanitized) GTEST_SKIP() << "a sanitizer's shadow memory needs an uncapped address space";
  ScratchDir dir;
  const auto big = dir / "big.png";
  write_bytes(big, png_declaring(12000, 12000));
  const auto good = dir / "good.jpg";
  copy_to(photos().landscape, good);
  const auto out = dir / "out";
  const CommandResult r = run_command(
      {"/bin/sh", "-c",
       "ulimit -v 300000 && exec \"$0\" -j 1 -s 100 --filter area -o \"$1\" \"$2\" \"$3\"",
       imgflow_binary().string(), out.string(), big.string(), good.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + big.string() + ": decode-error: ")) << err[0];
  EXPECT_TRUE(contains(err[0], "memory")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  // The same cap leaves room for the good file.
  EXPECT_EQ(list_files(out), std::vector<std::string>{"good.jpg"});
  EXPECT_EQ(decoded_size(out / "good.jpg"), cv::Size(100, 63));
}

// resize-error: the decode fits, the enlarged image does not. Under a 600 MB
// address-space cap, 2000x1250 enlarged to 20000x12500 needs a 3 GB float
// buffer; a 20000x2 strip in the same run needs no resize and is written.
TEST(ErrorCodes, ResizeErrorWhenTheResizeRunsOutOfMemory) {
  if (kSanitized) GTEST_SKIP() << "a sanitizer's shadow memory needs an uncapped address space";
  ScratchDir dir;
  const auto photo = dir / "photo.jpg";
  copy_to(photos().landscape, photo);
  const auto strip = dir / "strip.png";
  write_pixels(strip, make_test_pixels(20000, 2, 3, 9));
  const auto out = dir / "out";
  const CommandResult r = run_command(
      {"/bin/sh", "-c",
       "ulimit -v 600000 && exec \"$0\" -j 1 -s 20000x --enlarge -o \"$1\" \"$2\" \"$3\"",
       imgflow_binary().string(), out.string(), photo.string(), strip.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << r.err;
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + photo.string() + ": resize-error: ")) << err[0];
  EXPECT_TRUE(contains(err[0], "memory")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  EXPECT_EQ(list_files(out), std::vector<std::string>{"strip.png"});
  EXPECT_EQ(decoded_size(out / "strip.png"), cv::Size(20000, 2));
}

// encode-error: WebP cannot hold an image wider than 16383 px; the same
// 16384x4 image is fine as PNG.
TEST(ErrorCodes, EncodeErrorForAWebpWiderThan16383) {
  ScratchDir dir;
  const auto wide = dir / "wide.png";
  write_pixels(wide, make_test_pixels(16384, 4, 3, 7));
  const RunResult r = run({"-f", "webp", "-o", (dir / "webp").string(), wide.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + wide.string() + ": encode-error: ")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 1, 0, 1, 0)) << err[1];
  EXPECT_EQ(list_files(dir / "webp"), std::vector<std::string>{});
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
  const RunResult png = run({"-f", "png", "-o", (dir / "png").string(), wide.string()});
  EXPECT_EQ(png.exit_code, 0) << describe(png);
  EXPECT_EQ(decoded_size(dir / "png" / "wide.png"), cv::Size(16384, 4));
}

}  // namespace
}  // namespace imgflow::test::option_tests
