// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// large JPEGs are read in pieces, never whole. A JPEG above the size where
// files are read in pieces (IMGFLOW_READ_IN_PIECES_ABOVE, 8 MiB by default)
// is decoded through libjpeg from the file, one piece at a time, with the same
// pixels, warnings and errors as the same file read whole and decoded by
// TurboJPEG (IMGFLOW_READ_IN_PIECES_ABOVE=0).
#include <gtest/gtest.h>
#include <turbojpeg.h>

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

using Bytes = std::vector<std::uint8_t>;

#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;  // ASan/TSan shadow memory makes RSS meaningless
#else
constexpr bool kSanitized = false;
#endif

// TurboJPEG: BGR (CV_8UC3), gray (CV_8UC1) or CMYK (CV_8UC4) pixels.
Bytes encode_jpeg(const cv::Mat& pixels, int subsampling, int quality, bool progressive = false) {
  const int format = pixels.channels() == 1   ? TJPF_GRAY
                     : pixels.channels() == 4 ? TJPF_CMYK
                                              : TJPF_BGR;
  tjhandle tj = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(
      tjCompress2(tj, pixels.data, pixels.cols, static_cast<int>(pixels.step), pixels.rows, format,
                  &jpeg, &size, subsampling, quality, progressive ? TJFLAG_PROGRESSIVE : 0),
      0);
  Bytes out(jpeg, jpeg + size);
  tjFree(jpeg);
  tjDestroy(tj);
  return out;
}

// A marker segment: FF `marker`, its length, `payload`.
Bytes segment(std::uint8_t marker, const Bytes& payload) {
  const std::size_t length = payload.size() + 2;
  Bytes s(payload.size() + 4);
  s[0] = 0xFF;
  s[1] = marker;
  s[2] = static_cast<std::uint8_t>(length >> 8);
  s[3] = static_cast<std::uint8_t>(length & 0xFF);
  std::copy(payload.begin(), payload.end(), s.begin() + 4);
  return s;
}

// `jpeg` with `segments` right after its SOI marker.
Bytes with_segments(const Bytes& jpeg, const std::vector<Bytes>& segments) {
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  for (const auto& s : segments) out.insert(out.end(), s.begin(), s.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

// `icc` as APP2 "ICC_PROFILE" chunks of at most `chunk` bytes each.
std::vector<Bytes> icc_segments(const Bytes& icc, std::size_t chunk) {
  const std::size_t count = (icc.size() + chunk - 1) / chunk;
  std::vector<Bytes> out;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes payload = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0};
    payload.push_back(static_cast<std::uint8_t>(i + 1));
    payload.push_back(static_cast<std::uint8_t>(count));
    const auto from = icc.begin() + static_cast<std::ptrdiff_t>(i * chunk);
    payload.insert(payload.end(), from,
                   from + static_cast<std::ptrdiff_t>(std::min(chunk, icc.size() - i * chunk)));
    out.push_back(segment(0xE2, payload));
  }
  return out;
}

// An APP1 Exif segment whose IFD0 holds only the orientation tag.
Bytes exif_orientation(int orientation) {
  return segment(0xE1,
                 {'E',  'x',  'i', 'f', 0, 0, 'M', 'M', 0, 42,
                  0,    0,    0,   8,  // TIFF header
                  0,    1,             // one entry
                  0x01, 0x12, 0,   3,   0, 0, 0,   1,   0, static_cast<std::uint8_t>(orientation),
                  0,    0,  // SHORT, left-justified
                  0,    0,    0,   0});
}

// A CMYK JPEG (TurboJPEG stores it as YCCK with Adobe's marker) of a real photo.
Bytes cmyk_jpeg(const cv::Mat& bgr) {
  cv::Mat cmyk(bgr.rows, bgr.cols, CV_8UC4);
  for (int y = 0; y < bgr.rows; ++y) {
    const auto* in = bgr.ptr<std::uint8_t>(y);
    auto* out = cmyk.ptr<std::uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x, in += 3, out += 4) {
      const int k = 255 - std::max({in[0], in[1], in[2]});
      // Adobe's inverted convention: 255 = no ink.
      out[0] = static_cast<std::uint8_t>(255 - (255 - in[2] - k) * 255 / std::max(255 - k, 1));
      out[1] = static_cast<std::uint8_t>(255 - (255 - in[1] - k) * 255 / std::max(255 - k, 1));
      out[2] = static_cast<std::uint8_t>(255 - (255 - in[0] - k) * 255 / std::max(255 - k, 1));
      out[3] = static_cast<std::uint8_t>(255 - k);
    }
  }
  return encode_jpeg(cmyk, TJSAMP_420, 90);
}

// A 4000x3000 JPEG of noise at q100 4:4:4 (47 MB, above the default
// 8 MiB) costs a small part of its size in memory when it is read in pieces,
// and its size read whole, with the same output; cut short, it is
// truncated-input in pieces too, and the batch goes on.
TEST(HostileLargeInput, LargeJpegIsReadInPiecesWithTheSameOutput) {
  ScratchDir dir;
  const fs::path big = dir / "big.jpg";
  {
    // Freed before the runs: a child's peak RSS starts at this process's.
    cv::Mat noise(3000, 4000, CV_8UC3);
    cv::RNG rng(15);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    write_bytes(big, encode_jpeg(noise, TJSAMP_444, 100));
  }
  const long file_kb = static_cast<long>(fs::file_size(big) / 1024);
  ASSERT_GT(file_kb, 16 * 1024);
  write_bytes(dir / "tiny.jpg", encoded_image(".jpg", 8, 8));
  expect_read_in_pieces(dir.path(), big, file_kb, dir / "tiny.jpg", "jpeg", cv::Size(400, 300));

  // Cut short: truncated-input, no output, and the good file beside it is done.
  const Bytes bytes = read_bytes(big);
  write_bytes(dir / "cut.jpg", prefix(bytes, bytes.size() * 3 / 5));
  fs::remove(big);
  const RunResult r =
      run_imgflow(RunSpec({"-s", "400", "-o", (dir / "cut_out").string(),
                           (dir / "cut.jpg").string(), (dir / "tiny.jpg").string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "cut.jpg: truncated-input: jpeg data ends early")) << describe(r);
  EXPECT_EQ(list_files(dir / "cut_out"), std::vector<std::string>{"tiny.jpg"});
}

// A JPEG whose frame header follows 64 MB of metadata segments (1,024
// APP15 segments, then an Exif APP1 with orientation 6): the header was read
// from the 64 KiB head only, so such a file was read whole (a 1.5 GB one
// peaked at 1.59 GB of RSS; 28 MB now). Its markers are walked in pieces: the
// same output, turned upright by the APP1 past the head, at a fraction of
// the file's memory.
TEST(HostileLargeInput, JpegWhoseFrameHeaderFollows64MBOfSegmentsIsReadInPieces) {
  ScratchDir dir;
  const fs::path path = dir / "late_frame.jpg";
  {
    // Freed before the runs: a child's peak RSS starts at this process's.
    const Bytes kite = read_bytes(sample_dir() / "kite.jpg");  // 2000x1250
    const Bytes app1 = {0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0x00, 0x00, 'I',  'I',
                        0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x01, 0x03, 0x00,
                        0x01, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    constexpr std::size_t kSegment = 65537, kSegments = 1024;
    Bytes big(kSegment * kSegments + app1.size() + kite.size());
    std::copy(kite.begin(), kite.begin() + 2, big.begin());  // SOI
    for (std::size_t k = 0; k < kSegments; ++k) {
      const std::size_t at = 2 + k * kSegment;
      big[at] = 0xFF;
      big[at + 1] = 0xEF;
      big[at + 2] = 0xFF;  // length 65535, its data zeros
      big[at + 3] = 0xFF;
    }
    const auto after = big.begin() + static_cast<std::ptrdiff_t>(2 + kSegment * kSegments);
    std::copy(kite.begin() + 2, kite.end(), std::copy(app1.begin(), app1.end(), after));
    write_bytes(path, big);
  }
  const long file_kb = static_cast<long>(fs::file_size(path) / 1024);
  write_bytes(dir / "tiny.jpg", encoded_image(".jpg", 8, 8));
  expect_read_in_pieces(dir.path(), path, file_kb, dir / "tiny.jpg", "jpeg_late_frame",
                        cv::Size(250, 400));
}

// Real photos of every kind TurboJPEG decodes, whole and damaged, decoded
// from pieces and whole, at a reduced scale (the progressive early stop)
// and at full size: every output byte and every message is the same. The
// damaged ones keep their codes: truncated data is truncated-input, a file
// missing only its end marker or with corrupt data is decoded with a warning.
TEST(HostileLargeInput, JpegsReadInPiecesGiveTheSameOutputAsReadWhole) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  fs::create_directories(in);
  const Bytes kite = read_bytes(sample_dir() / "kite.jpg");               // baseline 4:2:0
  const Bytes ripple = read_bytes(sample_dir() / "cold_ripple.jpg");      // progressive 4:2:0
  const Bytes gray = read_bytes(sample_dir() / "special/grayscale.jpg");  // baseline gray
  const cv::Mat photo = cv::imread((sample_dir() / "path.jpg").string());
  ASSERT_FALSE(photo.empty());
  cv::Mat photo_gray;
  cv::cvtColor(photo, photo_gray, cv::COLOR_BGR2GRAY);
  // Bytes flipped in the entropy-coded data: libjpeg warns of corrupt data;
  // in corrupt_marker.jpg it then meets a bad marker, a fatal error that
  // TurboJPEG (2.1) still reports as a warning with the image decoded.
  auto flipped = [&](std::size_t from, std::size_t count, std::size_t step) {
    Bytes b = kite;
    for (std::size_t i = from; i < from + count; i += step) b[i] ^= 0x5A;
    return b;
  };

  const std::vector<std::pair<std::string, Bytes>> files = {
      {"kite.jpg", kite},
      {"cold_ripple.jpg", ripple},
      {"grayscale.jpg", gray},
      {"baseline444.jpg", encode_jpeg(photo, TJSAMP_444, 92)},
      {"progressive444.jpg", encode_jpeg(photo, TJSAMP_444, 92, true)},
      {"progressive_gray.jpg", encode_jpeg(photo_gray, TJSAMP_GRAY, 92, true)},
      {"cmyk.jpg", cmyk_jpeg(photo)},
      // Adobe RGB over five APP2 chunks (libjpeg's saved markers put it
      // together) and EXIF orientation 6.
      {"icc_rotated.jpg", with_segments(kite,
                                        [&] {
                                          auto s = icc_segments(adobe_rgb_profile(), 100);
                                          s.insert(s.begin(), exif_orientation(6));
                                          return s;
                                        }())},
      {"no_eoi.jpg", prefix(kite, kite.size() - 2)},
      {"no_eoi_progressive.jpg", prefix(ripple, ripple.size() - 2)},
      {"corrupt_data.jpg", flipped(kite.size() / 3, 100000, 997)},
      {"corrupt_marker.jpg", flipped(kite.size() / 2, 4000, 97)},
      {"truncated.jpg", prefix(kite, kite.size() * 2 / 3)},
      {"truncated_progressive.jpg", prefix(ripple, ripple.size() * 2 / 3)},
  };
  std::vector<std::string> args;
  for (const auto& [name, bytes] : files) {
    ASSERT_GT(bytes.size(), 65537u) << name;  // else read whole either way
    write_bytes(in / name, bytes);
    args.push_back((in / name).string());
  }
  for (const std::string size : {"300", "100%"}) {
    const auto [pieces, pieces_dir] = expect_same_in_pieces_and_whole(dir.path(), size, args);
    EXPECT_TRUE(contains(pieces.err, "truncated.jpg: truncated-input: ")) << describe(pieces);
    EXPECT_TRUE(contains(pieces.err, "truncated_progressive.jpg: truncated-input: "))
        << describe(pieces);
    EXPECT_TRUE(contains(pieces.err,
                         "no_eoi.jpg: warning: jpeg: missing end-of-image marker (image data "
                         "complete)"))
        << describe(pieces);
    EXPECT_TRUE(contains(pieces.err, "corrupt_data.jpg: warning: jpeg: Corrupt JPEG data: "))
        << describe(pieces);
    EXPECT_TRUE(
        contains(pieces.err, "corrupt_marker.jpg: warning: jpeg: Unsupported marker type 0x22"))
        << describe(pieces);
    EXPECT_EQ(list_files(pieces_dir).size(), files.size() - 2);
    if (size == "300") {
      EXPECT_EQ(decoded_size(pieces_dir / "icc_rotated.jpg"), cv::Size(188, 300));
    }
  }
}

// The scan bomb (bombs_test.cpp) read in pieces, at full size where the
// progressive early stop cannot skip the repeats: scans are counted as libjpeg
// reads them (there is no whole file to count them in first), so --max-scans
// refuses it, and without the cap --timeout stops it inside libjpeg's pass.
TEST(HostileLargeInput, ScanBombReadInPiecesIsStoppedByMaxScansAndTimeout) {
  ScratchDir dir;
  const Bytes photo = progressive_photo();
  write_bytes(dir / "scans.jpg", jpeg_with_repeated_scan(photo, 2000));
  ASSERT_GT(fs::file_size(dir / "scans.jpg"), 65537u);
  const RunResult capped =
      run_imgflow(RunSpec({"-s", "3000", "--max-scans", "1000", "-o", (dir / "out").string(),
                           (dir / "scans.jpg").string()})
                      .with_env({kPiecesEnv}));
  EXPECT_EQ(capped.exit_code, 1) << describe(capped);
  EXPECT_TRUE(contains(capped.err,
                       "scans.jpg: too-complex: jpeg has more than 1000 progressive "
                       "scans (the scan limit)"))
      << describe(capped);

  const double limit = kSanitized ? 8 : 2;
  char limit_text[16];
  std::snprintf(limit_text, sizeof limit_text, "%g", limit);
  write_bytes(dir / "long.jpg", jpeg_with_repeated_scan(photo, 500000));
  ASSERT_GT(fs::file_size(dir / "long.jpg"), 65537u);  // 6 MB
  const fs::path report = dir / "report.json";
  const RunResult r = run_imgflow(
      RunSpec({"-s", "3000", "--max-scans", "0", "--timeout", limit_text, "--report",
               report.string(), "-o", (dir / "out").string(), (dir / "long.jpg").string()})
          .with_env({kPiecesEnv})
          .with_timeout(std::chrono::seconds(120)));
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "long.jpg: timed-out: jpeg decode stopped")) << describe(r);
  const auto doc = nlohmann::json::parse(read_text(report));
  const double decode_ms = doc["files"][0]["timings_ms"]["decode"].get<double>();
  EXPECT_LT(decode_ms, limit * 1000 + 500) << doc.dump();
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
}

}  // namespace
}  // namespace imgflow::test::hostile
