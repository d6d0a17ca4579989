// --animated through the real binary: animated GIFs made by ImageMagick and
// animated WebPs made by img2webp, outputs read back by webpmux -info (frames,
// durations, loop count, canvas) and by libwebp's WebPAnimDecoder (pixels),
// and compared with ImageMagick's own composite of each frame (-coalesce).
#include <webp/demux.h>

#include <gtest/gtest.h>

#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli/cli_helpers.hpp"
#include "imgflow/image.hpp"

namespace imgflow::test::cli {
namespace {

void tool(const std::vector<std::string>& argv) {
  const auto r = run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " (scripts/setup.sh installs it): " << r.err;
}

// What `webpmux -info` (libwebp's own tool) says about an animated WebP.
struct MuxInfo {
  cv::Size canvas;
  int loop_count = -1;
  std::vector<int> durations;  ///< ms, one per frame
  bool animated = false;
};

MuxInfo mux_info(const fs::path& webp) {
  const auto r = run_command({"webpmux", "-info", webp.string()});
  EXPECT_EQ(r.exit_code, 0) << "webpmux (scripts/setup.sh installs webp): " << r.err;
  MuxInfo info;
  for (const auto& line : lines_of(r.out)) {
    std::istringstream in(line);
    std::string word;
    if (starts_with(line, "Canvas size:")) {
      char x = 0;
      in >> word >> word >> info.canvas.width >> x >> info.canvas.height;
    } else if (contains(line, "Loop Count :")) {
      info.loop_count = std::stoi(line.substr(line.rfind(':') + 1));
    } else if (contains(line, "Features present:") && contains(line, "animation")) {
      info.animated = true;
    } else if (std::isdigit(
                   static_cast<unsigned char>(line.c_str()[line.find_first_not_of(' ')]))) {
      // " 1:  60  40  no  0  0  100  none  no  88  lossy": the 7th field is the duration.
      std::vector<std::string> fields;
      while (in >> word) fields.push_back(word);
      if (fields.size() >= 7 && fields[0].back() == ':')
        info.durations.push_back(std::stoi(fields[6]));
    }
  }
  return info;
}

// Every frame of an animated WebP as a browser composites it (BGRA).
std::vector<cv::Mat> webp_frames(const fs::path& webp) {
  const auto bytes = read_bytes(webp);
  const WebPData data{bytes.data(), bytes.size()};
  WebPAnimDecoderOptions options;
  WebPAnimDecoderOptionsInit(&options);
  options.color_mode = MODE_BGRA;
  WebPAnimDecoder* decoder = WebPAnimDecoderNew(&data, &options);
  EXPECT_NE(decoder, nullptr) << webp;
  std::vector<cv::Mat> frames;
  if (!decoder) return frames;
  WebPAnimInfo info;
  WebPAnimDecoderGetInfo(decoder, &info);
  while (WebPAnimDecoderHasMoreFrames(decoder)) {
    std::uint8_t* pixels = nullptr;
    int timestamp = 0;
    if (!WebPAnimDecoderGetNext(decoder, &pixels, &timestamp)) break;
    frames.push_back(cv::Mat(static_cast<int>(info.canvas_height),
                             static_cast<int>(info.canvas_width), CV_8UC4, pixels)
                         .clone());
  }
  WebPAnimDecoderDelete(decoder);
  return frames;
}

// `image` as BGRA (gray and BGR opaque).
cv::Mat bgra(const cv::Mat& image) {
  if (image.channels() == 4) return image;
  cv::Mat out;
  cv::cvtColor(image, out, image.channels() == 1 ? cv::COLOR_GRAY2BGRA : cv::COLOR_BGR2BGRA);
  return out;
}

// The largest difference between two BGRA images: alpha everywhere, colour
// where they are not fully transparent (a transparent pixel's colour is not
// shown, and lossless WebP may change it).
double visible_difference(const cv::Mat& a, const cv::Mat& b) {
  EXPECT_EQ(a.size(), b.size());
  if (a.size() != b.size()) return 1e9;
  int worst = 0;
  for (int y = 0; y < a.rows; ++y) {
    for (int x = 0; x < a.cols; ++x) {
      const auto p = a.at<cv::Vec4b>(y, x), q = b.at<cv::Vec4b>(y, x);
      worst = std::max(worst, std::abs(p[3] - q[3]));
      if (p[3] == 0 && q[3] == 0) continue;
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(p[c] - q[c]));
    }
  }
  return worst;
}

// ImageMagick's composite of every frame of `animation` (as browsers show them).
std::vector<cv::Mat> coalesced(const fs::path& animation, const fs::path& dir) {
  fs::create_directories(dir);
  tool({"convert", animation.string(), "-coalesce", (dir / "frame_%03d.png").string()});
  std::vector<cv::Mat> frames;
  for (const auto& name : list_files(dir)) {
    frames.push_back(bgra(cv::imread((dir / name).string(), cv::IMREAD_UNCHANGED)));
  }
  return frames;
}

// Five 160x120 frames of a real photo, each shifted and tinted so that no two
// are alike, as PNGs named f0.png ... f4.png in `dir`.
std::vector<fs::path> photo_frames(const fs::path& dir) {
  fs::create_directories(dir);
  cv::Mat photo = cv::imread(sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {200, 150}, 0, 0, cv::INTER_AREA);
  std::vector<fs::path> paths;
  for (int i = 0; i < 5; ++i) {
    cv::Mat frame = photo(cv::Rect(8 * i, 6 * i, 160, 120)).clone();
    frame += cv::Scalar(12 * i, 0, 30 - 6 * i);
    paths.push_back(dir / cv::format("f%d.png", i));
    EXPECT_TRUE(cv::imwrite(paths.back().string(), frame));
  }
  return paths;
}

// An animated GIF of photo_frames(), shown 10, 20, 30, 40, 50 cs, made by ImageMagick.
fs::path photo_gif(const fs::path& dir, const std::vector<std::string>& loop) {
  const auto frames = photo_frames(dir / "frames");
  std::vector<std::string> argv{"convert"};
  for (std::size_t i = 0; i < frames.size(); ++i) {
    argv.insert(argv.end(), {"-delay", std::to_string(10 * (i + 1)), frames[i].string()});
  }
  argv.insert(argv.end(), loop.begin(), loop.end());
  const fs::path gif = dir / "in" / "anim.gif";
  fs::create_directories(gif.parent_path());
  argv.push_back(gif.string());
  tool(argv);
  return gif;
}

TEST(CliAnimated, GifBecomesAnAnimatedWebpWithItsDurationsAndLoopCount) {
  ScratchDir dir;
  const fs::path gif = photo_gif(dir.path(), {"-loop", "0"});
  const auto out = dir / "out";
  const auto r = imgflow({"--animated", "-s", "80", "-o", out.string(), gif.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expect_only_summary(r, 1);
  // -f keep: GIF is not written, and with --animated it becomes WebP (not JPEG).
  ASSERT_EQ(list_files(out), std::vector<std::string>{"anim.webp"});
  const MuxInfo info = mux_info(out / "anim.webp");
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.canvas, cv::Size(80, 60));
  EXPECT_EQ(info.durations, (std::vector<int>{100, 200, 300, 400, 500}));
  EXPECT_EQ(info.loop_count, 0);  // forever, as the GIF's NETSCAPE2.0 0

  // ImageMagick's "-loop 3" plays it three times (NETSCAPE2.0 count 2, as
  // browsers read it): WebP's loop count is the number of plays.
  ScratchDir three;
  const fs::path thrice = photo_gif(three.path(), {"-loop", "3"});
  const auto t =
      imgflow({"--animated", "-s", "80", "-o", (three / "out").string(), thrice.string()});
  ASSERT_EQ(t.exit_code, 0) << describe(t);
  EXPECT_EQ(mux_info(three / "out" / "anim.webp").loop_count, 3);

  // Without --animated nothing changes: the first frame, as a JPEG.
  const auto still = dir / "still";
  const auto s = imgflow({"-s", "80", "-o", still.string(), gif.string()});
  ASSERT_EQ(s.exit_code, 0) << describe(s);
  ASSERT_EQ(list_files(still), std::vector<std::string>{"anim.jpg"});
  EXPECT_EQ(cv::imread((still / "anim.jpg").string()).size(), cv::Size(80, 60));
}

TEST(CliAnimated, EveryFrameIsThatFrameResizedAlone) {
  ScratchDir dir;
  const fs::path gif = photo_gif(dir.path(), {"-loop", "0"});
  const auto frames = coalesced(gif, dir / "coalesced");
  ASSERT_EQ(frames.size(), 5u);
  // Each frame on its own through the still path (PNG in, PNG out) ...
  const auto alone = dir / "alone";
  const auto a =
      imgflow({"-s", "70x70", "-f", "png", "-o", alone.string(), (dir / "coalesced").string()});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  // ... and the animation, lossless so that only the resize can differ.
  const auto out = dir / "out";
  const auto r =
      imgflow({"--animated", "--lossless", "-s", "70x70", "-o", out.string(), gif.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const auto webp = webp_frames(out / "anim.webp");
  ASSERT_EQ(webp.size(), 5u);
  const auto names = list_files(alone);
  ASSERT_EQ(names.size(), 5u);
  for (std::size_t k = 0; k < webp.size(); ++k) {
    const cv::Mat expected = bgra(cv::imread((alone / names[k]).string(), cv::IMREAD_UNCHANGED));
    ASSERT_EQ(webp[k].size(), cv::Size(70, 53)) << k;
    EXPECT_LE(visible_difference(webp[k], expected), 1.0) << "frame " << k;
  }
  // Lossy at -q as the still WebP: each frame close to the same frame resized alone.
  const auto lossy = dir / "lossy";
  ASSERT_EQ(imgflow({"--animated", "-s", "70x70", "-o", lossy.string(), gif.string()}).exit_code,
            0);
  const auto lossy_frames = webp_frames(lossy / "anim.webp");
  ASSERT_EQ(lossy_frames.size(), 5u);
  for (std::size_t k = 0; k < lossy_frames.size(); ++k) {
    cv::Mat expected = bgra(cv::imread((alone / names[k]).string(), cv::IMREAD_UNCHANGED));
    EXPECT_GT(cv::PSNR(lossy_frames[k], expected), 30.0) << "frame " << k;
  }
}

// Disposal 2 (background) clears the frame's rectangle to transparent, 3
// (previous) puts back what it covered, and a transparent index leaves the
// pixels below it: the composite browsers (and ImageMagick's -coalesce) show.
TEST(CliAnimated, DisposalAndTransparencyCompositeAsBrowsersShowThem) {
  ScratchDir dir;
  fs::create_directories(dir / "in");
  const auto red = (dir / "red.png").string();
  ASSERT_TRUE(cv::imwrite(red, cv::Mat(80, 100, CV_8UC3, cv::Scalar(0, 0, 255))));
  const auto square = [&](const char* name, cv::Scalar colour) {
    const auto path = (dir / name).string();
    EXPECT_TRUE(cv::imwrite(path, cv::Mat(20, 20, CV_8UC3, colour)));
    return path;
  };
  const auto blue = square("blue.png", {255, 0, 0});
  const auto green = square("green.png", {0, 255, 0});
  const auto yellow = square("yellow.png", {0, 255, 255});
  cv::Mat half(20, 20, CV_8UC4, cv::Scalar(255, 0, 255, 255));  // magenta, its left half clear
  half(cv::Rect(0, 0, 10, 20)).setTo(cv::Scalar::all(0));
  const auto magenta = (dir / "half.png").string();
  ASSERT_TRUE(cv::imwrite(magenta, half));
  const fs::path gif = dir / "in" / "dispose.gif";
  tool({"convert",    "-dispose",  "None", "-delay", "10",     red,     "-dispose",
        "Background", "-delay",    "10",   "-page",  "+10+10", blue,    "-dispose",
        "Previous",   "-delay",    "10",   "-page",  "+50+40", green,   "-dispose",
        "None",       "-delay",    "10",   "-page",  "+30+20", yellow,  "-dispose",
        "None",       "-delay",    "10",   "-page",  "+70+0",  magenta, "-loop",
        "0",          gif.string()});
  const auto expected = coalesced(gif, dir / "coalesced");
  ASSERT_EQ(expected.size(), 5u);
  const auto out = dir / "out";
  const auto r = imgflow({"--animated", "--lossless", "-o", out.string(), gif.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const auto frames = webp_frames(out / "dispose.webp");
  ASSERT_EQ(frames.size(), 5u);
  for (std::size_t k = 0; k < frames.size(); ++k) {
    EXPECT_EQ(visible_difference(frames[k], expected[k]), 0.0) << "frame " << k;
  }
  const cv::Vec4b clear(0, 0, 0, 0), opaque_red(0, 0, 255, 255);
  const auto alpha_at = [&](std::size_t k, int x, int y) {
    return frames[k].at<cv::Vec4b>(y, x)[3];
  };
  EXPECT_EQ(frames[1].at<cv::Vec4b>(20, 20), cv::Vec4b(255, 0, 0, 255));  // blue drawn
  EXPECT_EQ(alpha_at(2, 20, 20), 0) << "the blue square disposed to background left a trace";
  EXPECT_EQ(frames[2].at<cv::Vec4b>(50, 60), cv::Vec4b(0, 255, 0, 255));  // green drawn
  EXPECT_EQ(frames[3].at<cv::Vec4b>(50, 60), opaque_red) << "green (dispose previous) stayed";
  EXPECT_EQ(alpha_at(3, 20, 20), 0);
  EXPECT_EQ(frames[4].at<cv::Vec4b>(10, 75), opaque_red) << "a transparent index painted";
  EXPECT_EQ(frames[4].at<cv::Vec4b>(10, 85), cv::Vec4b(255, 0, 255, 255));
  (void)clear;
}

TEST(CliAnimated, StillFormatsGetTheFirstFrameWithAWarning) {
  ScratchDir dir;
  const fs::path gif = photo_gif(dir.path(), {"-loop", "0"});
  const auto out = dir / "out";
  const auto r = imgflow(
      {"--animated", "-s", "80", "-f", "jpeg", "-f", "webp", "-o", out.string(), gif.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"anim.jpg", "anim.webp"}));
  EXPECT_TRUE(contains(r.err,
                       "anim.gif: warning: animated gif: only WebP outputs keep the 5 "
                       "frames, the others hold the first"))
      << r.err;
  EXPECT_EQ(mux_info(out / "anim.webp").durations.size(), 5u);
  // The JPEG is the first frame: closer to it than to any other.
  const cv::Mat jpeg = cv::imread((out / "anim.jpg").string());
  const auto frames = webp_frames(out / "anim.webp");
  ASSERT_EQ(frames.size(), 5u);
  cv::Mat first, second;
  cv::cvtColor(frames[0], first, cv::COLOR_BGRA2BGR);
  cv::cvtColor(frames[1], second, cv::COLOR_BGRA2BGR);
  EXPECT_GT(cv::PSNR(jpeg, first), 30.0);
  EXPECT_GT(cv::PSNR(jpeg, first), cv::PSNR(jpeg, second) + 3.0);
}

TEST(CliAnimated, AnimatedWebpInKeepsItsFramesAndWithoutTheFlagGivesItsFirstFrame) {
  ScratchDir dir;
  const auto frames = photo_frames(dir / "frames");
  const fs::path webp = dir / "in" / "clip.webp";
  fs::create_directories(webp.parent_path());
  tool({"img2webp", "-loop", "3", "-lossless", "-d", "80", frames[0].string(), "-d", "120",
        frames[1].string(), "-d", "160", frames[2].string(), "-o", webp.string()});
  const auto out = dir / "out";
  const auto r = imgflow({"--animated", "-s", "40x40", "-o", out.string(), webp.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const MuxInfo info = mux_info(out / "clip.webp");
  EXPECT_TRUE(info.animated);
  EXPECT_EQ(info.canvas, cv::Size(40, 30));
  EXPECT_EQ(info.durations, (std::vector<int>{80, 120, 160}));
  EXPECT_EQ(info.loop_count, 3);
  const auto decoded = webp_frames(out / "clip.webp");
  ASSERT_EQ(decoded.size(), 3u);
  for (std::size_t k = 0; k < decoded.size(); ++k) {
    cv::Mat expected;
    cv::resize(cv::imread(frames[k].string()), expected, {40, 30}, 0, 0, cv::INTER_AREA);
    cv::Mat bgr;
    cv::cvtColor(decoded[k], bgr, cv::COLOR_BGRA2BGR);
    EXPECT_GT(cv::PSNR(bgr, expected), 28.0) << "frame " << k;
  }
  // Without --animated: the first frame as a still WebP (it used to be refused
  // as unsupported-format).
  const auto still = dir / "still";
  const auto s = imgflow({"-s", "40x40", "-o", still.string(), webp.string()});
  ASSERT_EQ(s.exit_code, 0) << describe(s);
  EXPECT_FALSE(mux_info(still / "clip.webp").animated);
  const Image first = decode(read_bytes(still / "clip.webp"));
  ASSERT_EQ(first.pixels.size(), cv::Size(40, 30));
  cv::Mat expected;
  cv::resize(cv::imread(frames[0].string()), expected, {40, 30}, 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::PSNR(first.pixels, expected), 28.0);
}

TEST(CliAnimated, SingleFrameGifWithTheFlagIsAStillWebp) {
  ScratchDir dir;
  fs::create_directories(dir / "in");
  const auto frames = photo_frames(dir / "frames");
  tool({"convert", frames[0].string(), (dir / "in" / "one.gif").string()});
  const auto out = dir / "out";
  const auto r = imgflow({"--animated", "-s", "80", "-o", out.string(), (dir / "in").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_EQ(list_files(out), std::vector<std::string>{"one.webp"});
  EXPECT_FALSE(mux_info(out / "one.webp").animated);
  EXPECT_EQ(decode(read_bytes(out / "one.webp")).pixels.size(), cv::Size(80, 60));
}

// --max-pixels counts every frame's canvas (5 x 160x120 = 96,000 pixels), and
// --max-frames caps the frames; both from the blocks, before any pixel.
TEST(CliAnimated, MaxPixelsCountsEveryFrameAndMaxFramesCapsThem) {
  ScratchDir dir;
  const fs::path gif = photo_gif(dir.path(), {"-loop", "0"});
  const auto over =
      imgflow({"--animated", "--max-pixels", "95999", "-o", (dir / "a").string(), gif.string()});
  EXPECT_EQ(over.exit_code, 1) << describe(over);
  EXPECT_TRUE(contains(over.err,
                       "anim.gif: too-many-pixels: 160x120 x 5 frames exceeds the "
                       "limit of 95999 pixels"))
      << over.err;
  EXPECT_EQ(list_files(dir / "a"), std::vector<std::string>{});
  EXPECT_EQ(
      imgflow({"--animated", "--max-pixels", "96000", "-o", (dir / "b").string(), gif.string()})
          .exit_code,
      0);
  // The first frame alone (19,200 pixels) is within the limit.
  EXPECT_EQ(imgflow({"--max-pixels", "95999", "-o", (dir / "c").string(), gif.string()}).exit_code,
            0);
  const auto frames =
      imgflow({"--animated", "--max-frames", "4", "-o", (dir / "d").string(), gif.string()});
  EXPECT_EQ(frames.exit_code, 1) << describe(frames);
  EXPECT_TRUE(contains(frames.err, "anim.gif: too-complex: 5 frames exceed the limit of 4"))
      << frames.err;
  EXPECT_EQ(imgflow({"--animated", "--max-frames", "5", "-o", (dir / "e").string(), gif.string()})
                .exit_code,
            0);
}

}  // namespace
}  // namespace imgflow::test::cli
