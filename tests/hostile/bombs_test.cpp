// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp): Decompression bombs:
// refused from the header, with little memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

using Bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Decompression bombs: refused from the header, with little memory
// ---------------------------------------------------------------------------

#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;  // ASan/TSan shadow memory makes RSS meaningless
#else
constexpr bool kSanitized = false;
#endif
constexpr long kMaxBombRssKb = 150 * 1024;

// Runs one bomb alone and returns the child's peak RSS.
long bomb_peak_rss_kb(const std::string& name, const Bytes& bytes) {
  ScratchDir dir;
  write_bytes(dir / name, bytes);
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "-o", (dir / "out").string(), (dir / name).string()})
                      .with_timeout(std::chrono::seconds(120)));
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, ": too-many-pixels: ")) << describe(r);
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
  return r.max_rss_kb;
}

TEST(HostileBomb, PngDeclaring60000x60000StaysUnder150MB) {
  ScratchDir d;
  const auto names = write_bad_inputs(d.path());
  ASSERT_EQ(names.back(), "bomb.png");
  const Bytes bomb = read_bytes(d / "bomb.png");
  ASSERT_LT(bomb.size(), 4096u) << "the bomb should be a few KB";
  // A run over one tiny good image, for comparison.
  const long baseline = [] {
    ScratchDir dir;
    write_bytes(dir / "tiny.png", encoded_image(".png", 8, 8));
    return run_imgflow(RunSpec({"-o", (dir / "out").string(), (dir / "tiny.png").string()}))
        .max_rss_kb;
  }();
  const long rss = bomb_peak_rss_kb("bomb.png", bomb);
  RecordProperty("bomb_png_peak_rss_kb", std::to_string(rss));
  RecordProperty("baseline_peak_rss_kb", std::to_string(baseline));
  std::printf("peak RSS: bomb.png (60000x60000 declared, %zu bytes) %ld KB; one 8x8 PNG %ld KB\n",
              bomb.size(), rss, baseline);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

TEST(HostileBomb, JpegDeclaring65000x65000StaysUnder150MB) {
  const long rss = bomb_peak_rss_kb("bomb.jpg", jpeg_declaring(65000, 65000));
  RecordProperty("bomb_jpeg_peak_rss_kb", std::to_string(rss));
  std::printf("peak RSS: bomb.jpg (65000x65000 declared) %ld KB\n", rss);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

// PRODUCT BUG, fixed in 03167b0: see TiffDeclaring20000x20000 above.
TEST(HostileBomb, HeicDeclaring60000x60000StaysUnder150MB) {
  const long rss = bomb_peak_rss_kb("bomb.heic", heic_declaring(60000, 60000));
  std::printf("peak RSS: bomb.heic (60000x60000 declared) %ld KB\n", rss);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

TEST(HostileBomb, GifDeclaring65535x65535StaysUnder150MB) {
  // A 1x1 frame on a 65535x65535 logical screen.
  const Bytes gif = {'G', 'I', 'F', '8', '9', 'a', 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0,
                     0,   0,   0,   0,   255, 255, 255,  ',',  0,    0,    0,    0,
                     1,   0,   1,   0,   0,   2,   2,    0x44, 1,    0,    ';'};
  const long rss = bomb_peak_rss_kb("bomb.gif", gif);
  std::printf("peak RSS: bomb.gif (65535x65535 declared) %ld KB\n", rss);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

TEST(HostileBomb, TiffDeclaring20000x20000StaysUnder150MB) {
  const long rss = bomb_peak_rss_kb("bomb.tif", tiff_declaring(20000, 20000));
  std::printf("peak RSS: bomb.tif (20000x20000 declared) %ld KB\n", rss);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

// PRODUCT BUG, OPEN (src/format_sniff.cpp, tiff_header), found by
// fuzz/decode_fuzzer: a 202-byte TIFF whose IFD has ImageLength (257) twice,
// 65033 then 8. The header check keeps the last value (14860x8 passes the
// limit), libtiff the first: OpenCV allocates and decodes 14860x65033 (3.9 GB,
// about 12 s) before the size is checked again. Same bytes as
// fuzz/corpus/decode/regress_tiff_duplicate_imagelength.tif.
Bytes tiff_with_duplicate_image_length() {
  // clang-format off
  return {
  0x49, 0x49, 0x2a, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x80, 0x00, 0x04, 0xb0,
  0x38, 0x24, 0x14, 0x4a, 0x4b, 0x83, 0x42, 0x42, 0xd0, 0xc0, 0x30, 0x86,
  0x19, 0x05, 0x16, 0x43, 0xe0, 0x83, 0x78, 0x94, 0x0c, 0x85, 0x15, 0x12,
  0x93, 0x63, 0x05, 0x88, 0xc4, 0x04, 0x0c, 0x00, 0x00, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x0c, 0x3a, 0x2f, 0x2f, 0x01, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x09, 0xfe, 0xff, 0xff, 0x01, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x11, 0x01, 0x04, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x15, 0x01, 0x03, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x01, 0x03, 0x00, 0x01, 0x00,
  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3d, 0x01, 0x03, 0x00, 0x01, 0x00,
  0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x53, 0x01, 0x03, 0x00, 0x01, 0x00,
  0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
  };
  // clang-format on
}

TEST(HostileBomb, TiffWithDuplicateImageLengthTagStaysUnder150MB) {
  const long rss = bomb_peak_rss_kb("dup_length.tif", tiff_with_duplicate_image_length());
  std::printf("peak RSS: dup_length.tif (202 bytes, 14860x65033 by libtiff's reading) %ld KB\n",
              rss);
  if (!kSanitized) {
    EXPECT_LT(rss, kMaxBombRssKb);
  }
}

}  // namespace
}  // namespace imgflow::test::hostile
