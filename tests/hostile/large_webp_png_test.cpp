// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// large still WebPs and interlaced PNGs are read in pieces, never whole
// (issue 15, item 4), and a WebP decode stops at the file's --timeout
// (item 1). Above the size where files are read in pieces
// (IMGFLOW_READ_IN_PIECES_ABOVE, 8 MiB by default) a still lossy WebP without
// alpha is fed to libwebp's incremental decoder from the file, and an
// interlaced PNG to libpng, with the same pixels, warnings and errors as the
// same file read whole (IMGFLOW_READ_IN_PIECES_ABOVE=0). Lossless WebPs and
// WebPs with alpha are read whole (libwebp would keep their bytes anyway) but
// go through the same stepped decoder. The WebPs and interlaced PNGs are made
// with cwebp, webpmux and ImageMagick's convert.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

void run_tool(const std::vector<std::string>& argv) {
  const CommandResult r = run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << ": " << r.err;
}

// `pixels` as a PNG at dir/name (OpenCV, fastest compression).
fs::path write_png(const fs::path& dir, const std::string& name, const cv::Mat& pixels) {
  Bytes png;
  EXPECT_TRUE(cv::imencode(".png", pixels, png, {cv::IMWRITE_PNG_COMPRESSION, 1}));
  write_bytes(dir / name, png);
  return dir / name;
}

// cwebp's fastest method (-m 0) on `png`, with `options` (-q N, -lossless).
fs::path cwebp(const fs::path& png, const fs::path& out, std::vector<std::string> options) {
  std::vector<std::string> argv = {"cwebp", "-quiet", "-m", "0"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {png.string(), "-o", out.string()});
  run_tool(argv);
  return out;
}

// ImageMagick: `png` rewritten interlaced (Adam7), with `options` before the output.
fs::path interlaced_png(const fs::path& png, const fs::path& out,
                        std::vector<std::string> options = {}) {
  std::vector<std::string> argv = {"convert", png.string(), "-interlace", "PNG"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back("png:" + out.string());
  run_tool(argv);
  return out;
}

void set_le32(Bytes& b, std::size_t at, std::size_t value) {
  for (int k = 0; k < 4; ++k)
    b[at + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(value >> (8 * k));
}

// A simple (VP8) lossy WebP cut to `size` bytes, its RIFF and VP8 chunk sizes
// rewritten to match: a file that is whole by its headers but whose
// bitstream ends early, so libwebp itself finds the end.
Bytes vp8_cut_consistently(Bytes webp, std::size_t size) {
  EXPECT_TRUE(std::equal(webp.begin() + 12, webp.begin() + 16, "VP8 "));
  webp.resize(size & ~std::size_t{1});
  set_le32(webp, 4, webp.size() - 8);
  set_le32(webp, 16, webp.size() - 20);
  return webp;
}

// Still WebPs of every kind (lossy, lossless, with and without alpha, with an
// ICC profile) and interlaced PNGs (RGB, RGBA, palette), whole and cut short,
// decoded from pieces and whole, shrunk (the lossy decoder then skips
// deblocking) and at full size: every output byte and every message is the
// same. Cut short, they are truncated-input either way, and damaged
// corrupt-input, as WebPDecode and libpng said of them before.
TEST(HostileLargeInput, WebpsAndInterlacedPngsReadInPiecesGiveTheSameOutputAsReadWhole) {
  ScratchDir dir;
  const fs::path src = dir / "src";
  const fs::path in = dir / "in";
  fs::create_directories(src);
  fs::create_directories(in);
  cv::Mat photo = cv::imread((sample_dir() / "path.jpg").string());
  ASSERT_FALSE(photo.empty());
  cv::resize(photo, photo, cv::Size(1200, 750), 0, 0, cv::INTER_AREA);
  cv::Mat with_alpha;
  cv::cvtColor(photo, with_alpha, cv::COLOR_BGR2BGRA);
  for (int y = 0; y < with_alpha.rows; ++y) {
    for (int x = 0; x < with_alpha.cols; ++x) {
      with_alpha.at<cv::Vec4b>(y, x)[3] = static_cast<std::uint8_t>(x * 255 / with_alpha.cols);
    }
  }
  const fs::path rgb = write_png(src, "rgb.png", photo);
  const fs::path rgba = write_png(src, "rgba.png", with_alpha);
  write_bytes(src / "adobe.icc", adobe_rgb_profile());

  cwebp(rgb, in / "lossy.webp", {"-q", "90"});
  cwebp(rgb, in / "lossless.webp", {"-lossless"});
  cwebp(rgba, in / "lossy_alpha.webp", {"-q", "90"});
  cwebp(rgba, in / "lossless_alpha.webp", {"-lossless"});
  // VP8X with an ICCP chunk (Adobe RGB) before the same VP8 data as lossy.webp.
  run_tool({"webpmux", "-set", "icc", (src / "adobe.icc").string(), (in / "lossy.webp").string(),
            "-o", (in / "lossy_icc.webp").string()});
  interlaced_png(rgb, in / "interlaced.png");
  interlaced_png(rgba, in / "interlaced_alpha.png");
  interlaced_png(rgb, in / "interlaced_palette.png",
                 {"+dither", "-colors", "200", "-type", "Palette"});
  const Bytes lossy = read_bytes(in / "lossy.webp");
  write_bytes(in / "cut.webp", prefix(lossy, lossy.size() * 2 / 3));
  write_bytes(in / "cut_inside.webp", vp8_cut_consistently(lossy, lossy.size() * 2 / 3));
  Bytes damaged = lossy;  // the frame header and the start of the first partition
  std::fill(damaged.begin() + 30, damaged.begin() + 60, 0xFF);
  write_bytes(in / "damaged.webp", damaged);
  const Bytes inter = read_bytes(in / "interlaced.png");
  write_bytes(in / "cut_interlaced.png", prefix(inter, inter.size() * 2 / 3));

  std::vector<std::string> args;
  for (const auto& name : list_files(in)) {
    ASSERT_GT(fs::file_size(in / name), 65537u) << name;  // else read whole either way
    args.push_back((in / name).string());
  }
  ASSERT_EQ(args.size(), 12u);
  const Bytes icc_file = read_bytes(in / "lossy_icc.webp");
  ASSERT_TRUE(std::equal(icc_file.begin() + 30, icc_file.begin() + 34, "ICCP"));
  ASSERT_EQ(inter[28], 1) << "interlace method";
  ASSERT_EQ(read_bytes(in / "interlaced_palette.png")[25], 3) << "colour type";

  for (const std::string size : {"300", "100%"}) {
    const auto [pieces, pieces_dir] = expect_same_in_pieces_and_whole(dir.path(), size, args);
    EXPECT_TRUE(contains(pieces.err, "cut.webp: truncated-input: webp data ends early"))
        << describe(pieces);
    EXPECT_TRUE(contains(pieces.err, "cut_inside.webp: truncated-input: webp data ends early"))
        << describe(pieces);
    EXPECT_TRUE(contains(pieces.err, "cut_interlaced.png: truncated-input: png data ends early"))
        << describe(pieces);
    EXPECT_TRUE(contains(pieces.err, "damaged.webp: corrupt-input: webp data could not be decoded"))
        << describe(pieces);
    EXPECT_EQ(list_files(pieces_dir).size(), args.size() - 4);
    // The profile was applied in pieces: the same VP8 data without it gives
    // other pixels.
    EXPECT_FALSE(read_bytes(pieces_dir / "lossy_icc.webp") ==
                 read_bytes(pieces_dir / "lossy.webp"));
    if (size == "300") {
      EXPECT_EQ(decoded_size(pieces_dir / "lossy_icc.webp"), cv::Size(300, 188));
      EXPECT_EQ(decoded_size(pieces_dir / "interlaced.png"), cv::Size(300, 188));
    }
  }
}

// ASan/TSan: shadow memory makes RSS meaningless, and decoding is slower.
#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Noise, so that the files are about as large as their pixels.
cv::Mat noise(int width, int height, int seed) {
  cv::Mat pixels(height, width, CV_8UC3);
  cv::RNG rng(static_cast<std::uint64_t>(seed));
  rng.fill(pixels, cv::RNG::UNIFORM, 0, 256);
  return pixels;
}

// The decode time the report gives `input`.
double decode_ms(const fs::path& report, const fs::path& input) {
  const auto doc = nlohmann::json::parse(read_text(report));
  for (const auto& file : doc["files"]) {
    if (file["input"] == input.string()) return file["timings_ms"]["decode"].get<double>();
  }
  ADD_FAILURE() << input << " not in " << doc.dump();
  return 0;
}

// `-s 400` on `big` read in pieces and whole: the same output; the peak RSS
// read whole is higher by at least half the file (a WebP or PNG is decoded
// to full size, so its pixels are in memory either way: only the file's
// bytes are saved). Returns the decode times {in pieces, whole} in ms.
std::pair<double, double> expect_pieces_save_the_file(const fs::path& dir, const fs::path& big,
                                                      const std::string& kind) {
  const long file_kb = static_cast<long>(fs::file_size(big) / 1024);
  auto run_big = [&](const std::string& out, const std::string& env) {
    const RunResult r =
        run_imgflow(RunSpec({"-s", "400", "--report", (dir / (out + ".json")).string(), "-o",
                             (dir / out).string(), big.string()})
                        .with_env({env}));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    return r.max_rss_kb;
  };
  const long in_pieces = run_big("pieces", kPiecesEnv);
  const long whole = run_big("whole", kWholeEnv);
  std::printf("peak RSS: %ld KB %s read in pieces %ld KB, whole %ld KB\n", file_kb, kind.c_str(),
              in_pieces, whole);
  ::testing::Test::RecordProperty("large_" + kind + "_in_pieces_peak_rss_kb",
                                  std::to_string(in_pieces));
  ::testing::Test::RecordProperty("large_" + kind + "_whole_peak_rss_kb", std::to_string(whole));
  const fs::path name = big.filename();
  EXPECT_EQ(decoded_size(dir / "pieces" / name).width, 400);
  EXPECT_TRUE(read_bytes(dir / "pieces" / name) == read_bytes(dir / "whole" / name)) << name;
  if (!kSanitized) {
    EXPECT_GT(whole - in_pieces, file_kb / 2);
  }
  return {decode_ms(dir / "pieces.json", big), decode_ms(dir / "whole.json", big)};
}

// A 3000x2000 interlaced PNG of noise (18 MB): read in pieces it costs about
// its pixels, read whole its pixels and its size; cut short in pieces it is
// truncated-input, and the good file beside it is done.
TEST(HostileLargeInput, LargeInterlacedPngIsReadInPiecesWithTheSameOutput) {
  ScratchDir dir;
  const fs::path png = write_png(dir.path(), "noise.png", noise(3000, 2000, 15));
  const fs::path big = interlaced_png(png, dir / "big.png");
  fs::remove(png);
  ASSERT_GT(fs::file_size(big), 16u << 20);
  expect_pieces_save_the_file(dir.path(), big, "interlaced_png");

  const Bytes bytes = read_bytes(big);
  write_bytes(dir / "cut.png", prefix(bytes, bytes.size() / 2));
  fs::remove(big);
  write_bytes(dir / "tiny.png", encoded_image(".png", 8, 8));
  const RunResult r = run_imgflow(RunSpec({"-s", "400", "-o", (dir / "cut_out").string(),
                                           (dir / "cut.png").string(), (dir / "tiny.png").string()})
                                      .with_env({kPiecesEnv}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "cut.png: truncated-input: png data ends early")) << describe(r);
  EXPECT_EQ(list_files(dir / "cut_out"), std::vector<std::string>{"tiny.png"});
}

// A 4000x2500 lossy WebP of noise at -q 100 (about 26 MB): read in pieces it
// costs about its pixels, read whole its pixels and its size. Its decode
// takes longer than a short --timeout: in pieces and read whole, the decode
// stops at the limit (checked between the incremental decoder's steps) with
// timed-out, and the good file of the batch is done.
TEST(HostileLargeInput, LargeLossyWebpIsReadInPiecesAndItsDecodeStopsAtTheTimeout) {
  ScratchDir dir;
  const fs::path png = write_png(dir.path(), "noise.png", noise(4000, 2500, 16));
  const fs::path big = cwebp(png, dir / "big.webp", {"-q", "100"});
  fs::remove(png);
  ASSERT_GT(fs::file_size(big), 12u << 20);
  const auto [pieces_ms, whole_ms] = expect_pieces_save_the_file(dir.path(), big, "lossy_webp");

  // libwebp is not instrumented: under ASan it decodes nearly as fast (852 ms
  // untimed), so the limit is the same; our steps between are slower there.
  const double limit = 0.2;
  // Without a limit the decode takes well beyond it, so stopping means something.
  ASSERT_GT(std::min(pieces_ms, whole_ms), 2 * limit * 1000);
  char limit_text[16];
  std::snprintf(limit_text, sizeof limit_text, "%g", limit);
  write_bytes(dir / "tiny.png", encoded_image(".png", 8, 8));
  for (const std::string& env : {kPiecesEnv, kWholeEnv}) {
    const fs::path out = dir / ("timed" + std::to_string(env.size()));
    const fs::path report = dir / "timed.json";
    const RunResult r =
        run_imgflow(RunSpec({"-s", "400", "--timeout", limit_text, "--report", report.string(),
                             "-o", out.string(), big.string(), (dir / "tiny.png").string()})
                        .with_env({env})
                        .with_timeout(std::chrono::seconds(120)));
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, "big.webp: timed-out: webp decode stopped: the file ran past its " +
                                    std::string(limit_text) + " s limit (--timeout)"))
        << env << "\n"
        << describe(r);
    const double stopped_ms = decode_ms(report, big);
    std::printf("%s: webp decode of %.0f ms stopped after %.0f ms (--timeout %s)\n", env.c_str(),
                std::min(pieces_ms, whole_ms), stopped_ms, limit_text);
    EXPECT_LT(stopped_ms, limit * 1000 + (kSanitized ? 1000 : 300)) << env;
    EXPECT_EQ(list_files(out), std::vector<std::string>{"tiny.png"}) << env;
  }
}

}  // namespace
}  // namespace imgflow::test::hostile
