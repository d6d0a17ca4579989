// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// TIFF, JPEG XL and HEIF/AVIF inputs that cost time or memory by their size.
// A HEIF or AVIF declaring more items than kMaxHeifItems (2,048) is refused
// as too-complex before libheif parses it; large TIFF, JPEG XL and HEIF/AVIF files are
// decoded from the pieces of the file (IMGFLOW_READ_IN_PIECES_ABOVE), with
// the same output as the same file read whole (IMGFLOW_READ_IN_PIECES_ABOVE=0).
#include <gtest/gtest.h>
#include <malloc.h>
#include <tiffio.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/encode.hpp"

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

using Bytes = std::vector<std::uint8_t>;
using nlohmann::json;

#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// A TIFF of `pixels` (8- or 16-bit BGR, stored RGB) with its directory at
// the start (offset 8), as Photoshop and cloud-optimised GeoTIFF writers put
// it (libtiff's TIFFDeferStrileArrayWriting: the strip or tile offsets are
// written after the data, the directory before it), so that the header is
// in the head of a file read in pieces. Strips of 16 rows, or tiles of
// 128x128; `compression` COMPRESSION_LZW or COMPRESSION_ADOBE_DEFLATE.
void write_tiff_directory_first(const fs::path& path, const cv::Mat& pixels,
                                std::uint16_t compression, bool tiled) {
  cv::Mat rgb;
  cv::cvtColor(pixels, rgb, cv::COLOR_BGR2RGB);
  const auto bits = static_cast<std::uint16_t>(rgb.depth() == CV_16U ? 16 : 8);
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  ASSERT_NE(tif, nullptr);
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(rgb.cols));
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(rgb.rows));
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t{3});
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
  TIFFSetField(tif, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
  const int block = tiled ? 128 : 16;
  if (tiled) {
    TIFFSetField(tif, TIFFTAG_TILEWIDTH, static_cast<std::uint32_t>(block));
    TIFFSetField(tif, TIFFTAG_TILELENGTH, static_cast<std::uint32_t>(block));
  } else {
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, static_cast<std::uint32_t>(block));
  }
  ASSERT_EQ(TIFFDeferStrileArrayWriting(tif), 1);
  ASSERT_EQ(TIFFWriteCheck(tif, tiled ? 1 : 0, "test"), 1);
  ASSERT_EQ(TIFFWriteDirectory(tif), 1);
  ASSERT_EQ(TIFFSetDirectory(tif, 0), 1);
  const std::size_t pixel = rgb.elemSize();
  if (tiled) {
    std::vector<std::uint8_t> tile(static_cast<std::size_t>(block * block) * pixel);
    for (int y = 0; y < rgb.rows; y += block) {
      for (int x = 0; x < rgb.cols; x += block) {
        std::fill(tile.begin(), tile.end(), 0);
        const cv::Rect r(x, y, std::min(block, rgb.cols - x), std::min(block, rgb.rows - y));
        for (int row = 0; row < r.height; ++row) {
          std::memcpy(tile.data() + static_cast<std::size_t>(row * block) * pixel,
                      rgb.ptr(y + row, x), static_cast<std::size_t>(r.width) * pixel);
        }
        ASSERT_GE(TIFFWriteEncodedTile(tif,
                                       TIFFComputeTile(tif, static_cast<std::uint32_t>(x),
                                                       static_cast<std::uint32_t>(y), 0, 0),
                                       tile.data(), static_cast<tmsize_t>(tile.size())),
                  0);
      }
    }
  } else {
    for (int y = 0; y < rgb.rows; y += block) {
      const int rows = std::min(block, rgb.rows - y);
      ASSERT_GE(TIFFWriteEncodedStrip(tif, static_cast<std::uint32_t>(y / block), rgb.ptr(y),
                                      static_cast<tmsize_t>(rows * rgb.step)),
                0);
    }
  }
  ASSERT_EQ(TIFFForceStrileArrayWriting(tif), 1);
  TIFFClose(tif);
  const Bytes bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 65537u);
  ASSERT_EQ(bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24), 8);  // II, offset 8
}

// A photo of the sample set at `width` (its aspect kept), 8- or 16-bit.
cv::Mat photo(int width, bool deep) {
  const cv::Mat full = cv::imread((sample_dir() / "path.jpg").string());
  EXPECT_FALSE(full.empty());
  cv::Mat out;
  cv::resize(full, out, cv::Size(width, full.rows * width / full.cols), 0, 0, cv::INTER_AREA);
  if (deep) out.convertTo(out, CV_16U, 257.0);
  return out;
}

// imgflow -s 400 on every file of `in` with `env`: its stderr (without the
// summary line) and every output's bytes, by name.
std::pair<std::vector<std::string>, std::vector<std::pair<std::string, Bytes>>> run_dir(
    const fs::path& in, const fs::path& out, const std::string& env) {
  const RunResult r =
      run_imgflow(RunSpec({"-s", "400", "-o", out.string(), in.string()}).with_env({env}));
  std::vector<std::string> lines;
  for (const auto& line : lines_of(r.err)) {
    if (!contains(line, " files: ")) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  lines.push_back("exit " + std::to_string(r.exit_code));
  std::vector<std::pair<std::string, Bytes>> outputs;
  for (const auto& name : list_files(out)) outputs.emplace_back(name, read_bytes(out / name));
  return {lines, outputs};
}

// A HEIC grid of 128x128 tiles declares 16,385 items (the grid and its
// tiles): libheif 1.15 took 42 s to parse it, before any decode and beyond
// the reach of --timeout. It is refused from its box headers as too-complex
// in milliseconds, with and without --keep-metadata (libheif's metadata
// path), while the photo beside it is resized. (Without the cap: ok after
// 40+ s.)
TEST(HostileTimeBomb, HeicOfSixteenThousandItemsIsTooComplexBeforeLibheifParsesIt) {
  ScratchDir dir;
  const fs::path bomb = dir / "items.heic";
  write_bytes(bomb, heic_grid(128, 128, 64));
  const fs::path photo = sample_dir() / "kite.jpg";
  // Read whole, whole for --keep-metadata, and in pieces (the walk reads
  // through InputBytes).
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {kWholeEnv, {}}, {kWholeEnv, {"--keep-metadata"}}, {kPiecesEnv, {}}};
  ASSERT_GT(fs::file_size(bomb), 65537u);
  for (const auto& [env, extra] : runs) {
    std::vector<std::string> argv = {
        "-s", "200", "--report", (dir / "report.json").string(), "-o", (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(bomb.string());
    argv.push_back(photo.string());
    const auto start = std::chrono::steady_clock::now();
    const RunResult r =
        run_imgflow(RunSpec(argv).with_env({env}).with_timeout(std::chrono::seconds(120)));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    expect_failure_lines(r, {{bomb.string(), "too-complex"}}, 2);
    EXPECT_TRUE(
        contains(r.err, "heif declares 16385 items, over the limit of 2048 (the item limit)"))
        << describe(r);
    EXPECT_TRUE(fs::exists(dir / "out" / "kite.jpg")) << describe(r);
    EXPECT_LT(seconds, kSanitized ? 10.0 : 2.0) << describe(r);
    const json doc = json::parse(read_text(dir / "report.json"));
    ASSERT_EQ(doc["files"].size(), 2u);
    EXPECT_EQ(doc["files"][0]["error"]["code"], "too-complex") << doc["files"][0].dump();
    fs::remove_all(dir / "out");
  }
}

// TIFFs with the directory first, strips and tiles, LZW and Deflate, 8- and
// 16-bit, decoded from pieces (libtiff reads through InputBytes) and whole:
// the same output bytes and messages. One cut in its strips is
// truncated-input either way, and so is one whose strip runs past the end
// of the file (checked against InputBytes::size()); the batch goes on. (Before: every TIFF read
// whole, so this held trivially; the pieces path is what the next test shows in memory.)
TEST(HostileLargeInput, TiffsReadInPiecesGiveTheSameOutputAsReadWhole) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  fs::create_directories(in);
  const cv::Mat photo8 = photo(1200, false);
  const cv::Mat photo16 = photo(900, true);
  write_tiff_directory_first(in / "strips_lzw.tif", photo8, COMPRESSION_LZW, false);
  write_tiff_directory_first(in / "tiles_deflate.tif", photo8, COMPRESSION_ADOBE_DEFLATE, true);
  write_tiff_directory_first(in / "strips_deflate16.tif", photo16, COMPRESSION_ADOBE_DEFLATE,
                             false);
  write_tiff_directory_first(in / "tiles_lzw16.tif", photo16, COMPRESSION_LZW, true);
  // As libtiff (here through imgflow's encoder), vips and ImageMagick write
  // it: the directory after the pixels, past the head (libtiff reads the
  // header through InputBytes).
  const Bytes end = encode(photo8, EncodeOptions(Format::tiff, 85));
  ASSERT_GT(end[4] | (end[5] << 8) | (end[6] << 16) | (end[7] << 24), 65537);
  write_bytes(in / "directory_last.tif", end);
  const Bytes whole = read_bytes(in / "strips_lzw.tif");
  // The strips first, their offsets at the end: a cut at two thirds loses strips.
  write_bytes(
      in / "cut.tif",
      Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(whole.size() * 2 / 3)));
  // One strip of 2 MB declared, at 122 bytes into a file of 100 KB.
  Bytes past_end = tiff_declaring(2000, 1000);
  past_end.resize(100 * 1024, 7);
  write_bytes(in / "strip_past_end.tif", past_end);
  const auto pieces = run_dir(in, dir / "pieces", kPiecesEnv);
  const auto read_whole = run_dir(in, dir / "whole", kWholeEnv);
  EXPECT_EQ(pieces.first, read_whole.first);
  ASSERT_EQ(pieces.second.size(), 5u);
  EXPECT_EQ(pieces.second, read_whole.second);
  ASSERT_EQ(pieces.first.size(), 3u);
  EXPECT_TRUE(contains(pieces.first[0], "cut.tif: truncated-input")) << pieces.first[0];
  EXPECT_TRUE(contains(pieces.first[1],
                       "strip_past_end.tif: truncated-input: tiff: data ends "
                       "before strip or tile 0 does"))
      << pieces.first[1];
  EXPECT_EQ(pieces.first[2], "exit 1");
  EXPECT_EQ(decoded_size(dir / "pieces" / "strips_lzw.tif"),
            cv::Size(400, photo8.rows * 400 / 1200));
}

// Lossless and lossy JPEG XL (imgflow's own encoder), decoded from pieces
// (fed to libjxl one piece at a time) and whole: the same output bytes; one
// cut short is truncated-input either way.
TEST(HostileLargeInput, JxlsReadInPiecesGiveTheSameOutputAsReadWhole) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  fs::create_directories(in);
  EncodeOptions lossless(Format::jxl, 90);
  lossless.lossless = true;
  const Bytes exact = encode(photo(1200, false), lossless);
  ASSERT_GT(exact.size(), 512u * 1024);
  write_bytes(in / "lossless.jxl", exact);
  write_bytes(in / "lossy.jxl", encode(photo(2400, false), EncodeOptions(Format::jxl, 98)));
  ASSERT_GT(fs::file_size(in / "lossy.jxl"), 1024u * 1024);  // more than one piece
  write_bytes(
      in / "cut.jxl",
      Bytes(exact.begin(), exact.begin() + static_cast<std::ptrdiff_t>(exact.size() * 2 / 3)));
  const auto pieces = run_dir(in, dir / "pieces", kPiecesEnv);
  const auto read_whole = run_dir(in, dir / "whole", kWholeEnv);
  EXPECT_EQ(pieces.first, read_whole.first);
  ASSERT_EQ(pieces.second.size(), 2u);
  EXPECT_EQ(pieces.second, read_whole.second);
  ASSERT_EQ(pieces.first.size(), 2u);
  EXPECT_TRUE(contains(pieces.first[0], "cut.jxl: truncated-input")) << pieces.first[0];
}

// A 2000x1500 noisy LZW TIFF (about 12 MB, larger than its 9 MB of pixels)
// and a lossless JPEG XL of the same noise (about 9 MB) cost their pixels
// and a few MiB read in pieces; read whole, their pixels and their size
// (measured: TIFF 31 MB against 38.5 MB, JPEG XL 42 MB against 48 MB).
// Before pieces (every TIFF and JPEG XL read whole) the difference was 0.
TEST(HostileLargeInput, LargeTiffAndJxlInPiecesDoNotCostTheirSize) {
  ScratchDir dir;
  cv::Mat noise(1500, 2000, CV_8UC3);
  cv::RNG rng(15);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
  write_bytes(dir / "noise.tif", encode(noise, EncodeOptions(Format::tiff, 85)));  // directory last
  EncodeOptions lossless(Format::jxl, 90);
  lossless.lossless = true;
  write_bytes(dir / "noise.jxl", encode(noise, lossless));
  noise.release();
  // A child's peak RSS starts at this process's: give back what encoding kept.
  ::malloc_trim(0);
  for (const std::string name : {"noise.tif", "noise.jxl"}) {
    const fs::path big = dir / name;
    const long file_kb = static_cast<long>(fs::file_size(big) / 1024);
    ASSERT_GT(file_kb, 8 * 1024) << name;
    auto run_big = [&](const std::string& out, const std::string& env) {
      const RunResult r = run_imgflow(
          RunSpec({"-s", "400", "-o", (dir / out).string(), big.string()}).with_env({env}));
      EXPECT_EQ(r.exit_code, 0) << describe(r);
      return r.max_rss_kb;
    };
    const long in_pieces = run_big("pieces", kPiecesEnv);
    const long whole = run_big("whole", kWholeEnv);
    std::printf("peak RSS: %ld KB %s read in pieces %ld KB, whole %ld KB\n", file_kb, name.c_str(),
                in_pieces, whole);
    EXPECT_EQ(read_bytes(dir / "pieces" / name), read_bytes(dir / "whole" / name));
#ifndef IMGFLOW_HOSTILE_SANITIZED  // ASan/TSan shadow memory makes RSS meaningless
    // Not all of it: the peak of a whole read may be in the resize, after
    // the file's bytes were freed.
    EXPECT_GT(whole - in_pieces, file_kb / 2) << name;
#endif
  }
}

// A HEIC (heif-enc, a photo) decoded from pieces (libheif reads its boxes and
// its image's data through a heif_reader on InputBytes) and whole: the same
// output bytes; cut in its data, truncated-input either way.
TEST(HostileLargeInput, HeicReadInPiecesGivesTheSameOutputAsReadWhole) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  fs::create_directories(in);
  ASSERT_TRUE(cv::imwrite((dir / "photo.png").string(), photo(1200, false)));
  const auto r = run_command(
      {"heif-enc", "-q", "90", "-o", (in / "photo.heic").string(), (dir / "photo.png").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Bytes heic = read_bytes(in / "photo.heic");
  ASSERT_GT(heic.size(), 2u * 65537);
  write_bytes(in / "cut.heic",
              Bytes(heic.begin(), heic.begin() + static_cast<std::ptrdiff_t>(heic.size() / 2)));
  const auto pieces = run_dir(in, dir / "pieces", kPiecesEnv);
  const auto read_whole = run_dir(in, dir / "whole", kWholeEnv);
  EXPECT_EQ(pieces.first, read_whole.first);
  ASSERT_EQ(pieces.second.size(), 1u);
  EXPECT_EQ(pieces.second, read_whole.second);
  ASSERT_EQ(pieces.first.size(), 2u);
  EXPECT_TRUE(contains(pieces.first[0], "cut.heic: truncated-input")) << pieces.first[0];
}

}  // namespace
}  // namespace imgflow::test::hostile
