// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// animations (--animated). A GIF cut inside its frames, a GIF of 100,000
// one-pixel frames (a frame-count bomb: each frame costs a resize and an
// encode however small it is), and GIF frames far larger than their screen.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;  // ASan/TSan shadow memory makes RSS meaningless
#else
constexpr bool kSanitized = false;
#endif

void put_le16(Bytes& v, int x) {
  v.push_back(static_cast<std::uint8_t>(x & 0xFF));
  v.push_back(static_cast<std::uint8_t>((x >> 8) & 0xFF));
}

// A GIF89a header: the logical screen, a global table of two colours (white,
// black), and a NETSCAPE2.0 block that loops forever.
Bytes gif_screen(int width, int height) {
  Bytes b = {'G', 'I', 'F', '8', '9', 'a'};
  put_le16(b, width);
  put_le16(b, height);
  b.insert(b.end(), {0x80, 0, 0, 255, 255, 255, 0, 0, 0});
  b.insert(b.end(),
           {0x21, 0xFF, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E', '2', '.', '0', 3, 1, 0, 0, 0});
  return b;
}

// `count` 1x1 frames of 10 ms each on a 1x1 screen, white and black in turn
// (so that no two neighbours are alike and libwebp cannot merge them):
// 23 bytes a frame.
Bytes gif_of_tiny_frames(int count) {
  Bytes b = gif_screen(1, 1);
  for (int i = 0; i < count; ++i) {
    const std::uint8_t pixel = static_cast<std::uint8_t>(i % 2);
    // Graphic Control Extension: disposal 1 (keep), 1 cs, no transparency.
    b.insert(b.end(), {0x21, 0xF9, 4, 0x04, 1, 0, 0, 0});
    b.insert(b.end(), {',', 0, 0, 0, 0, 1, 0, 1, 0, 0});
    // LZW, minimum code size 2: clear (4), the pixel, end (5), 3 bits each.
    const int bits = 4 | (pixel << 3) | (5 << 6);
    b.insert(b.end(), {2, 2, static_cast<std::uint8_t>(bits & 0xFF),
                       static_cast<std::uint8_t>(bits >> 8), 0});
  }
  b.push_back(';');
  return b;
}

// The LZW data (minimum code size 2) of `pixels` pixels of index 0, coded as
// giflib's encoder codes them: each code one pixel longer than the last, the
// table cleared when full. About 0.7 bytes per thousand pixels.
Bytes lzw_of_zeros(std::uint64_t pixels) {
  constexpr int kClear = 4, kEnd = 5;
  Bytes out;
  std::uint64_t bits = 0;
  int held = 0, width = 3, next = kEnd + 1;
  const auto emit = [&](int code) {
    bits |= static_cast<std::uint64_t>(code) << held;
    held += width;
    while (held >= 8) {
      out.push_back(static_cast<std::uint8_t>(bits & 0xFF));
      bits >>= 8;
      held -= 8;
    }
    if (next >= (1 << width) && code <= 4095 && width < 12) ++width;
  };
  emit(kClear);
  std::uint64_t run = 1;  // the longest run of zeros the table holds
  while (pixels > 0) {
    const std::uint64_t take = std::min(run, pixels);
    emit(take == 1 ? 0 : kEnd + static_cast<int>(take) - 1);
    pixels -= take;
    if (pixels == 0) break;
    if (next >= 4095) {
      emit(kClear);
      next = kEnd + 1;
      width = 3;
      run = 1;
    } else {
      ++next;
      if (take == run) ++run;
    }
  }
  emit(kEnd);
  if (held > 0) out.push_back(static_cast<std::uint8_t>(bits & 0xFF));
  return out;
}

// `data` as GIF sub-blocks of up to 255 bytes, then the terminator.
void put_sub_blocks(Bytes& b, const Bytes& data) {
  for (std::size_t i = 0; i < data.size(); i += 255) {
    const std::size_t n = std::min<std::size_t>(255, data.size() - i);
    b.push_back(static_cast<std::uint8_t>(n));
    b.insert(b.end(), data.begin() + static_cast<std::ptrdiff_t>(i),
             data.begin() + static_cast<std::ptrdiff_t>(i + n));
  }
  b.push_back(0);
}

// One frame of `frame_width` x `frame_height` white pixels at (0, 0) on a
// screen of `screen` x `screen`.
Bytes gif_with_large_frame(int screen, int frame_width, int frame_height, bool interlaced) {
  Bytes b = gif_screen(screen, screen);
  b.insert(b.end(), {',', 0, 0, 0, 0});
  put_le16(b, frame_width);
  put_le16(b, frame_height);
  b.push_back(interlaced ? 0x40 : 0);
  b.push_back(2);
  put_sub_blocks(b, lzw_of_zeros(static_cast<std::uint64_t>(frame_width) * frame_height));
  b.push_back(';');
  return b;
}

// Frames of white pixels on a 16x16 screen, each cleared to transparent after
// it shows (disposal 2): {width, height, top} each.
Bytes gif_of_large_frames(const std::vector<std::array<int, 3>>& frames) {
  Bytes b = gif_screen(16, 16);
  for (const auto& [width, height, top] : frames) {
    b.insert(b.end(), {0x21, 0xF9, 4, 2 << 2, 10, 0, 0, 0});
    b.insert(b.end(), {',', 0, 0});
    put_le16(b, top);
    put_le16(b, width);
    put_le16(b, height);
    b.insert(b.end(), {0, 2});
    put_sub_blocks(b, lzw_of_zeros(static_cast<std::uint64_t>(width) * height));
  }
  b.push_back(';');
  return b;
}

// An animated GIF of four 96x64 frames made by ImageMagick.
Bytes animated_gif(const fs::path& dir) {
  std::vector<std::string> argv = {"convert", "-delay", "10"};
  for (int i = 0; i < 4; ++i) {
    const fs::path frame = dir / cv::format("f%d.png", i);
    EXPECT_TRUE(cv::imwrite(frame.string(), make_test_pixels(96, 64, 3, 11 + i)));
    argv.push_back(frame.string());
  }
  argv.insert(argv.end(), {"-loop", "0", (dir / "anim.gif").string()});
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << "convert (scripts/setup.sh installs imagemagick): " << r.err;
  return read_bytes(dir / "anim.gif");
}

// Cut inside its third frame: --animated fails it as truncated-input (an
// animation whose end is missing is not written, not even its first frames);
// without --animated its first frame is complete, and it is written as before.
TEST(HostileAnimation, GifCutInsideItsFramesIsTruncatedWithAnimated) {
  ScratchDir dir;
  Bytes gif = animated_gif(dir.path());
  ASSERT_GT(gif.size(), 1000u);
  gif.resize(gif.size() * 2 / 3);
  Batch batch;
  const fs::path cut = batch.in() / "cut.gif";
  write_bytes(cut, gif);
  batch.put_previous_output("cut.webp");
  const RunResult r = batch.run({cut.string()}, RunSpec({"--animated"}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{cut.string(), "truncated-input"}}, 3);
  EXPECT_TRUE(contains(r.err, "gif data ends inside its animation")) << describe(r);
  batch.expect_outputs();

  ScratchDir still;
  const RunResult s =
      run_imgflow(RunSpec({"-s", "64x64", "-o", (still / "out").string(), cut.string()}));
  EXPECT_EQ(s.exit_code, 0) << describe(s);
  EXPECT_EQ(list_files(still / "out"), std::vector<std::string>{"cut.jpg"});
}

// 100,000 one-pixel frames in 2.3 MB: refused from its blocks by the default
// --max-frames (10,000) before any frame is decoded; with no frame cap,
// --timeout stops it between frames.
TEST(HostileTimeBomb, GifOfAHundredThousandFramesIsTooComplexAtOnce) {
  Batch batch;
  const fs::path bomb = batch.in() / "frames.gif";
  write_bytes(bomb, gif_of_tiny_frames(100'000));
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = batch.run({bomb.string()}, RunSpec({"--animated"}));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{bomb.string(), "too-complex"}}, 3);
  EXPECT_TRUE(contains(r.err, "100000 frames exceed the limit of 10000")) << describe(r);
  batch.expect_outputs();
  EXPECT_LT(seconds, kSanitized ? 60.0 : 10.0);
  std::printf("frame bomb (100,000 frames) refused; the batch of 3 took %.2f s, peak RSS %ld KB\n",
              seconds, r.max_rss_kb);
  if (!kSanitized) {
    EXPECT_LT(r.max_rss_kb, 150 * 1024);
  }

  const double limit = kSanitized ? 6 : 2;
  ScratchDir dir;
  const auto timed = std::chrono::steady_clock::now();
  const RunResult t = run_imgflow(RunSpec({"--animated", "--max-frames", "0", "--timeout",
                                           std::to_string(static_cast<int>(limit)), "-o",
                                           (dir / "out").string(), bomb.string()})
                                      .with_timeout(std::chrono::seconds(300)));
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - timed).count();
  EXPECT_EQ(t.exit_code, 1) << describe(t);
  EXPECT_TRUE(contains(t.err, "frames.gif: timed-out: ")) << describe(t);
  EXPECT_LT(took, limit + (kSanitized ? 30.0 : 5.0));
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
  std::printf("frame bomb with no frame cap: timed out after %.2f s (limit %g s)\n", took, limit);
}

// A 65535x65535 frame (4.3 billion pixels, 2.9 MB of LZW) on a 1x1 screen:
// giflib decompresses every pixel asked of it, and the decoder used to ask for
// all of them (measured before: see the commit). Only the rows on the screen
// are read now; an interlaced frame, whose passes interleave all its rows,
// counts whole against --max-pixels.
TEST(HostileBomb, GifFrameFarLargerThanItsScreenDecodesOnlyTheScreen) {
  ScratchDir dir;
  write_bytes(dir / "in" / "wide.gif", gif_with_large_frame(1, 65535, 65535, false));
  write_bytes(dir / "in" / "interlaced.gif", gif_with_large_frame(16, 65535, 65535, true));
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_imgflow(
      RunSpec({"-s", "64x64", "-o", (dir / "out").string(),
               (dir / "in" / "interlaced.gif").string(), (dir / "in" / "wide.gif").string()})
          .with_timeout(std::chrono::seconds(120)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(dir / "in" / "interlaced.gif").string(), "too-many-pixels"}}, 2);
  EXPECT_TRUE(contains(r.err, "a frame of 65535x65535 decodes 4294836225 pixels")) << describe(r);
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{"wide.jpg"});
  const cv::Mat wide = cv::imread((dir / "out" / "wide.jpg").string(), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(wide.size(), cv::Size(1, 1));
  EXPECT_LT(seconds, kSanitized ? 60.0 : 10.0);
  std::printf("65535x65535 GIF frames on 1x1 and 16x16 screens: %.2f s, peak RSS %ld KB\n", seconds,
              r.max_rss_kb);
  // An animation of such frames: each is read down to the screen's edge, the
  // rest of its data skipped unread, and the next frame found after it.
  write_bytes(dir / "in" / "tall.gif",
              gif_of_large_frames({{4000, 4000, 0}, {8, 60000, 4}, {16, 16, 0}, {20, 9, 20}}));
  const RunResult t = run_imgflow(
      RunSpec({"--animated", "-o", (dir / "tall").string(), (dir / "in" / "tall.gif").string()}));
  EXPECT_EQ(t.exit_code, 0) << describe(t);
  ASSERT_EQ(list_files(dir / "tall"), std::vector<std::string>{"tall.webp"});
  const auto mux = run_command({"webpmux", "-info", (dir / "tall" / "tall.webp").string()});
  EXPECT_TRUE(contains(mux.out, "Number of frames: 4")) << mux.out << mux.err;
  // The same with --animated (the one frame: the still path).
  const RunResult a = run_imgflow(
      RunSpec({"--animated", "-o", (dir / "anim").string(), (dir / "in" / "wide.gif").string()}));
  EXPECT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_EQ(list_files(dir / "anim"), std::vector<std::string>{"wide.webp"});
}

}  // namespace
}  // namespace imgflow::test::hostile
