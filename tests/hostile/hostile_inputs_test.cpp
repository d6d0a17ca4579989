// The hostile-input catalogue (issue 4, "Batch jobs you can trust"): every
// kind of bad input a batch job meets, each in a batch together with good
// files, run through the REAL imgflow binary. Each case asserts:
//   - exactly one stderr line `imgflow: <input>: <code>: <message>` with the
//     expected stable code (then the summary line),
//   - the good files' outputs present and decodable at the right size, and
//     no other file (exact file set),
//   - no partial or temporary file (nothing named "*.imgflow-*") anywhere,
//   - a pre-existing output of the bad input untouched (byte for byte),
//   - exit code 1 (0 for the inputs that are accepted with a warning).
//
// Cases marked PRODUCT BUG assert documented behaviour that the product did
// not have when the case was written; "fixed in <commit>" where it has since
// been fixed (the case then guards against a regression).
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

namespace imgflow::test::hostile {
namespace {

using Bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;

// ---------------------------------------------------------------------------
// Building hostile files
// ---------------------------------------------------------------------------

void put_be32(Bytes& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

std::uint32_t get_be32(const Bytes& v, std::size_t i) {
  return (std::uint32_t(v[i]) << 24) | (std::uint32_t(v[i + 1]) << 16) |
         (std::uint32_t(v[i + 2]) << 8) | std::uint32_t(v[i + 3]);
}

struct PngChunk {
  std::string type;
  Bytes data;
  bool bad_crc = false;
};

std::vector<PngChunk> png_chunks(const Bytes& png) {
  std::vector<PngChunk> chunks;
  std::size_t i = 8;
  while (i + 12 <= png.size()) {
    const std::uint32_t length = get_be32(png, i);
    PngChunk c;
    c.type.assign(png.begin() + static_cast<std::ptrdiff_t>(i + 4),
                  png.begin() + static_cast<std::ptrdiff_t>(i + 8));
    c.data.assign(png.begin() + static_cast<std::ptrdiff_t>(i + 8),
                  png.begin() + static_cast<std::ptrdiff_t>(i + 8 + length));
    chunks.push_back(std::move(c));
    i += 12 + length;
  }
  return chunks;
}

Bytes png_assemble(const std::vector<PngChunk>& chunks) {
  Bytes out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  for (const auto& c : chunks) {
    put_be32(out, static_cast<std::uint32_t>(c.data.size()));
    Bytes typed(c.type.begin(), c.type.end());
    typed.insert(typed.end(), c.data.begin(), c.data.end());
    out.insert(out.end(), typed.begin(), typed.end());
    const std::uint32_t crc = png_crc(typed.data(), typed.size());
    put_be32(out, c.bad_crc ? crc ^ 0xDEADBEEFu : crc);
  }
  return out;
}

// A real PNG (noise, so that IDAT is large) with `edit` applied to its chunks.
Bytes edited_png(int width, int height, const std::function<void(std::vector<PngChunk>&)>& edit) {
  auto chunks = png_chunks(encoded_image(".png", width, height, 3, 21));
  edit(chunks);
  return png_assemble(chunks);
}

PngChunk& first_chunk(std::vector<PngChunk>& chunks, const std::string& type) {
  for (auto& c : chunks) {
    if (c.type == type) return c;
  }
  throw std::runtime_error("no " + type + " chunk");
}

void set_be32(Bytes& v, std::size_t i, std::uint32_t x) {
  for (int k = 0; k < 4; ++k)
    v[i + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(x >> (24 - 8 * k));
}

// Offset of the first start-of-frame marker (FF C0..CF except C4, C8, CC).
std::size_t jpeg_sof_offset(const Bytes& jpeg) {
  std::size_t i = 2;
  while (i + 4 <= jpeg.size()) {
    if (jpeg[i] != 0xFF) throw std::runtime_error("not a marker");
    const std::uint8_t m = jpeg[i + 1];
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) return i;
    i += 2 + ((std::size_t(jpeg[i + 2]) << 8) | jpeg[i + 3]);
  }
  throw std::runtime_error("no SOF marker");
}

// A real JPEG whose frame header declares `width`x`height`.
Bytes jpeg_declaring(int width, int height) {
  Bytes jpeg = encoded_image(".jpg", 64, 48, 3, 22);
  const std::size_t sof = jpeg_sof_offset(jpeg);
  jpeg[sof + 5] = static_cast<std::uint8_t>(height >> 8);
  jpeg[sof + 6] = static_cast<std::uint8_t>(height);
  jpeg[sof + 7] = static_cast<std::uint8_t>(width >> 8);
  jpeg[sof + 8] = static_cast<std::uint8_t>(width);
  return jpeg;
}

// A little-endian grayscale TIFF whose one strip claims width*height bytes,
// of which only 2 KB are there.
Bytes tiff_declaring(std::uint32_t width, std::uint32_t height) {
  struct Entry {
    std::uint16_t tag, type;
    std::uint32_t value;
  };
  const std::vector<Entry> entries = {{256, 4, width}, {257, 4, height}, {258, 3, 8},
                                      {259, 3, 1},     {262, 3, 1},      {273, 4, 0},
                                      {277, 3, 1},     {278, 4, height}, {279, 4, width * height}};
  const std::uint32_t data_offset = 8 + 2 + 12 * static_cast<std::uint32_t>(entries.size()) + 4;
  Bytes out = {'I', 'I', 42, 0, 8, 0, 0, 0};
  auto le16 = [&](std::uint32_t x) {
    out.push_back(static_cast<std::uint8_t>(x));
    out.push_back(static_cast<std::uint8_t>(x >> 8));
  };
  auto le32 = [&](std::uint32_t x) {
    le16(x & 0xFFFF);
    le16(x >> 16);
  };
  le16(static_cast<std::uint32_t>(entries.size()));
  for (const auto& e : entries) {
    le16(e.tag);
    le16(e.type);
    le32(1);
    const std::uint32_t value = e.tag == 273 ? data_offset : e.value;
    if (e.type == 3) {
      le16(value);
      le16(0);
    } else {
      le32(value);
    }
  }
  le32(0);
  for (int i = 0; i < 2048; ++i) out.push_back(static_cast<std::uint8_t>(i * 37));
  return out;
}

Bytes text_bytes(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

Bytes pnm(const std::string& header, std::size_t payload) {
  Bytes out = text_bytes(header);
  for (std::size_t i = 0; i < payload; ++i) out.push_back(static_cast<std::uint8_t>(i * 13));
  return out;
}

// A BMP info header declaring `width` x 1 (24-bit), with 16 bytes of pixels.
Bytes bmp_declaring(std::int32_t width) {
  Bytes out = {'B', 'M'};
  auto le32 = [&](std::uint32_t x) {
    for (int s = 0; s < 32; s += 8) out.push_back(static_cast<std::uint8_t>(x >> s));
  };
  auto le16 = [&](std::uint32_t x) {
    out.push_back(static_cast<std::uint8_t>(x));
    out.push_back(static_cast<std::uint8_t>(x >> 8));
  };
  le32(70);
  le32(0);
  le32(54);
  le32(40);
  le32(static_cast<std::uint32_t>(width));
  le32(1);
  le16(1);
  le16(24);
  for (int i = 0; i < 6; ++i) le32(0);
  for (int i = 0; i < 16; ++i) out.push_back(0x80);
  return out;
}

// ---------------------------------------------------------------------------
// The batch: two good files around the hostile input(s)
// ---------------------------------------------------------------------------

// Good files and the outputs they must give under `-s 64x64`.
struct GoodFile {
  const char* name;
  int width, height, channels;
  cv::Size output;
};
const GoodFile kGood[] = {{"good1.jpg", 320, 240, 3, {64, 48}},
                          {"good2.png", 200, 100, 4, {64, 32}}};

// A pre-existing output (a valid 10x10 JPEG) that a failing input must not touch.
Bytes previous_output() {
  return encoded_image(".jpg", 10, 10, 3, 99);
}

class Batch {
 public:
  Batch() {
    fs::create_directories(in());
    for (const auto& g : kGood) {
      write_bytes(in() / g.name, encoded_image(fs::path(g.name).extension().string(), g.width,
                                               g.height, g.channels, 7));
    }
  }
  fs::path in() const { return dir_ / "in"; }
  fs::path out() const { return dir_ / "out"; }
  const ScratchDir& dir() const { return dir_; }

  /// Puts an earlier output at out/NAME, to check that it is left alone.
  void put_previous_output(const std::string& name) {
    previous_ = out() / name;
    write_bytes(previous_, previous_output());
  }

  /// imgflow -s 64x64 -o OUT good1 BAD... good2 (absolute paths: outputs are
  /// named after the file name alone).
  RunResult run(const std::vector<std::string>& bad, RunSpec spec = RunSpec()) const {
    std::vector<std::string> args = {"-s", "64x64", "-o", out().string(),
                                     (in() / kGood[0].name).string()};
    args.insert(args.end(), bad.begin(), bad.end());
    args.push_back((in() / kGood[1].name).string());
    args.insert(args.begin(), spec.args.begin(), spec.args.end());
    spec.args = args;
    return run_imgflow(spec);
  }

  /// The good outputs are there and decode; besides them only `extra` (and
  /// the previous output) exist; no temporaries anywhere; the previous output
  /// is byte-identical.
  void expect_outputs(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> expected = extra;
    for (const auto& g : kGood) expected.push_back(g.name);
    if (!previous_.empty()) expected.push_back(previous_.lexically_relative(out()).string());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(list_files(out()), expected);
    for (const auto& g : kGood) EXPECT_EQ(decoded_size(out() / g.name), g.output) << g.name;
    EXPECT_EQ(temporaries_in(dir_.path()), std::vector<std::string>{});
    if (!previous_.empty()) {
      EXPECT_EQ(read_bytes(previous_), previous_output()) << previous_ << " was changed";
    }
  }

 private:
  ScratchDir dir_;
  fs::path previous_;
};

// Stderr holds exactly one line per failed input, `imgflow: <input>: <code>: <message>`
// (in `failures` order, which is the batch order), then the summary.
void expect_failure_lines(const RunResult& r,
                          const std::vector<std::pair<std::string, std::string>>& failures,
                          std::size_t total) {
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), failures.size() + 1) << describe(r);
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const std::string prefix = "imgflow: " + failures[i].first + ": " + failures[i].second + ": ";
    EXPECT_TRUE(starts_with(lines[i], prefix))
        << "expected a line starting \"" << prefix << "\", got \"" << lines[i] << "\"";
    EXPECT_GT(lines[i].size(), prefix.size()) << "no message: " << lines[i];
  }
  EXPECT_TRUE(is_summary_line(lines.back(), total, total - failures.size(), failures.size(), 0))
      << lines.back();
}

// ---------------------------------------------------------------------------
// Content cases: one table, one test each
// ---------------------------------------------------------------------------

struct ContentCase {
  const char* test_name;
  const char* file_name;
  std::function<Bytes()> bytes;
  /// Expected error code, or empty: accepted (exit 0) with one warning line
  /// starting with `warning` and an output of `accepted_size`.
  std::string code;
  std::string warning = {};
  cv::Size accepted_size = {};
};

std::ostream& operator<<(std::ostream& os, const ContentCase& c) {
  return os << c.test_name;
}

// The output name a failing input would have had under `-f keep`.
std::string would_be_output(const std::string& file_name) {
  const fs::path p(file_name);
  const auto ext = p.extension().string();
  if (ext == ".jpg" || ext == ".png") return file_name;
  return p.stem().string() + ".jpg";
}

class HostileContent : public ::testing::TestWithParam<ContentCase> {};

TEST_P(HostileContent, FailsAloneWithItsCodeAndLeavesNothingBehind) {
  const ContentCase& c = GetParam();
  Batch batch;
  const fs::path bad = batch.in() / c.file_name;
  write_bytes(bad, c.bytes());
  if (!c.code.empty()) batch.put_previous_output(would_be_output(c.file_name));

  const RunResult r = batch.run({bad.string()}, RunSpec().with_timeout(std::chrono::seconds(60)));
  ASSERT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.term_signal, 0) << describe(r);
  if (c.code.empty()) {
    // Accepted with a warning.
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 2u) << describe(r);
    EXPECT_TRUE(starts_with(lines[0], "imgflow: " + bad.string() + ": warning: " + c.warning))
        << lines[0];
    EXPECT_TRUE(is_summary_line(lines[1], 3, 3, 0, 0)) << lines[1];
    batch.expect_outputs({c.file_name});
    EXPECT_EQ(decoded_size(batch.out() / c.file_name), c.accepted_size);
  } else {
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    expect_failure_lines(r, {{bad.string(), c.code}}, 3);
    batch.expect_outputs();
  }
  EXPECT_EQ(r.out, "");
}

const ContentCase kContentCases[] = {
    {"ZeroByteFile", "empty.jpg", [] { return Bytes{}; }, "empty-input"},
    {"TextNamedJpg", "text.jpg",
     [] { return text_bytes("This is a text file that happens to be named .jpg\n"); },
     "unknown-format"},
    {"JpegCutInHalf", "half.jpg",
     [] {
       auto jpeg = read_bytes(sample_jpeg());
       jpeg.resize(jpeg.size() / 2);
       return jpeg;
     },
     "truncated-input"},
    {"JpegMissingOnlyItsEndMarker",
     "no_eoi.jpg",
     [] {
       auto jpeg = encoded_image(".jpg", 300, 200, 3, 23);
       jpeg.resize(jpeg.size() - 2);  // drop FF D9
       return jpeg;
     },
     "",
     "jpeg: ",
     {64, 43}},
    {"PngCutInsideIdat", "cut.png",
     [] {
       // Everything up to the middle of the first IDAT chunk's data.
       const Bytes png = encoded_image(".png", 200, 150, 3, 24);
       std::size_t i = 8;
       while (std::string(png.begin() + static_cast<std::ptrdiff_t>(i + 4),
                          png.begin() + static_cast<std::ptrdiff_t>(i + 8)) != "IDAT") {
         i += 12 + get_be32(png, i);
       }
       return Bytes(png.begin(),
                    png.begin() + static_cast<std::ptrdiff_t>(i + 8 + get_be32(png, i) / 2));
     },
     "truncated-input"},
    {"PngBadCrcOnIdat", "bad_idat_crc.png",
     [] { return edited_png(200, 150, [](auto& c) { first_chunk(c, "IDAT").bad_crc = true; }); },
     "corrupt-input"},
    {"PngBadCrcOnAncillaryText",
     "bad_text_crc.png",
     [] {
       return edited_png(200, 150, [](auto& c) {
         PngChunk text{"tEXt", text_bytes(std::string("Comment\0hostile", 15)), true};
         c.insert(c.begin() + 1, text);  // right after IHDR
       });
     },
     "",
     "png: ",
     {64, 48}},
    // PRODUCT BUG, fixed in 03167b0 (src/format_sniff.cpp, detect_format): a
    // file that starts with the JPEG SOI marker FF D8 but whose next bytes are
    // garbage was reported as unknown-format; it is a damaged JPEG:
    // corrupt-input.
    {"JpegGarbageRightAfterSoi", "garbage_after_soi.jpg",
     [] {
       auto jpeg = encoded_image(".jpg", 300, 200, 3, 25);
       std::uint32_t x = 12345;
       for (std::size_t i = 2; i < 66; ++i) {  // overwrite the first 64 bytes of headers
         x = x * 1103515245u + 12345u;
         jpeg[i] = static_cast<std::uint8_t>((x >> 16) % 0xFF);  // never FF
       }
       return jpeg;
     },
     "corrupt-input"},
    {"PngHeaderDeclaresZeroWidth", "zero_width.png",
     [] {
       return edited_png(64, 48, [](auto& c) { set_be32(first_chunk(c, "IHDR").data, 0, 0); });
     },
     "corrupt-input"},
    {"JpegHeaderDeclaresZeroWidth", "zero_width.jpg", [] { return jpeg_declaring(0, 48); },
     "corrupt-input"},
    {"PngDeclaring60000x60000", "bomb.png",
     [] {
       ScratchDir d;
       write_bad_inputs(d.path());
       return read_bytes(d / "bomb.png");
     },
     "too-many-pixels"},
    {"JpegDeclaring65000x65000", "bomb.jpg", [] { return jpeg_declaring(65000, 65000); },
     "too-many-pixels"},
    // PRODUCT BUG, fixed in 03167b0 (src/format_sniff.cpp read_header): TIFF
    // and PNM sizes were not read from the header, so --max-pixels was not
    // checked before decoding (README: "checked before anything is decoded");
    // OpenCV allocated the declared image, failed, the file was reported as
    // corrupt-input, and OpenCV printed its own "imdecode_(''): can't read
    // data" line (or a message with an embedded newline) on stderr.
    {"TiffDeclaring20000x20000", "bomb.tif", [] { return tiff_declaring(20000, 20000); },
     "too-many-pixels"},
    {"PnmDeclaring20000x20000", "bomb.ppm", [] { return pnm("P6\n20000 20000\n255\n", 4096); },
     "too-many-pixels"},
    {"TiffDeclaring60000x60000", "bomb60k.tif", [] { return tiff_declaring(60000, 60000); },
     "too-many-pixels"},
    // PRODUCT BUG, fixed in 03167b0 (src/decode_opencv.cpp,
    // src/format_sniff.cpp), found by fuzz/decode_fuzzer: imgflow sniffed "P4"
    // as PNM, but OpenCV's imdecode re-sniffs with its own (stricter)
    // signatures, rejected it as PNM and fell through its whole decoder list
    // to the GDAL decoder, which claims "DTED" at offset 140: the bytes went
    // to GDAL (hundreds of drivers) through a temporary file
    // /tmp/__opencv_temp.XXXXXX, and GDAL printed "ERROR 4: ... not
    // recognized as a supported file format" on stderr. One stderr line per
    // file, and no decoder the README does not list.
    {"PnmLookalikeThatOpenCvHandsToGdal", "dted.pbm",
     [] {
       Bytes b(140, 0xFF);  // "DTED" must start at offset 140
       b[0] = 'P';
       b[1] = '4';
       for (char c : std::string("DTED")) b.push_back(static_cast<std::uint8_t>(c));
       return b;
     },
     "corrupt-input"},
    // PRODUCT BUG, fixed in 03167b0: a PNM whose pixel data ends early was
    // corrupt-input, with OpenCV's raw "imdecode_('')" line on stderr;
    // README: truncated-input, one line per file.
    {"PnmCutShort", "cut.ppm", [] { return pnm("P6\n64 64\n255\n", 3000); }, "truncated-input"},
    // The BMP header parser takes std::abs of the declared width: INT_MIN
    // must still give corrupt-input, not a huge or negative size.
    {"BmpDeclaringIntMinWidth", "int_min.bmp", [] { return bmp_declaring(INT32_MIN); },
     "corrupt-input"},
    {"Gif", "anim.gif",
     [] {
       return Bytes{'G',  'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0,    0, 0, 0xFF, 0xFF,
                    0xFF, ',', 0,   0,   0,   0,   1, 0, 1, 0, 0,    2, 2, 0x44, 1, 0, ';'};
     },
     "unsupported-format"},
    {"Svg", "drawing.svg",
     [] {
       return text_bytes(
           "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
           "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n");
     },
     "unsupported-format"},
    {"Heic", "photo.heic",
     [] {
       Bytes b(256, 0);
       const std::string box = std::string("\0\0\0\x18", 4) + "ftypheic";
       std::copy(box.begin(), box.end(), b.begin());
       return b;
     },
     "unsupported-format"},
};

INSTANTIATE_TEST_SUITE_P(Catalogue, HostileContent, ::testing::ValuesIn(kContentCases),
                         [](const auto& info) { return std::string(info.param.test_name); });

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

// ---------------------------------------------------------------------------
// File-system cases
// ---------------------------------------------------------------------------

// `input`, named on the command line between two good files, is not a
// readable file: no hang, exit 1, one failure line with `code`, the good
// files done, and an earlier output of the same name left alone.
void expect_named_input_fails(Batch& batch, const fs::path& input, const char* code) {
  batch.put_previous_output(input.stem().string() + ".jpg");
  const RunResult r = batch.run({input.string()}, RunSpec().with_timeout(std::chrono::seconds(30)));
  ASSERT_FALSE(r.timed_out) << "imgflow hung on " << input << "\n" << describe(r);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{input.string(), code}}, 3);
  batch.expect_outputs();
}

TEST(HostileFiles, FifoNamedAsInputIsNotAFileAndDoesNotHang) {
  Batch batch;
  const fs::path fifo = batch.in() / "pipe.jpg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  expect_named_input_fails(batch, fifo, "not-a-file");
}

TEST(HostileFiles, FifoInsideAnInputDirectoryIsIgnoredWithoutHanging) {
  Batch batch;
  ASSERT_EQ(::mkfifo((batch.in() / "pipe.jpg").c_str(), 0644), 0);
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                      .with_timeout(std::chrono::seconds(30)));
  ASSERT_FALSE(r.timed_out) << "imgflow hung on a FIFO\n" << describe(r);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(lines[0], 2, 2, 0, 0)) << lines[0];
  batch.expect_outputs();
}

TEST(HostileFiles, CharacterDeviceNamedAsInputIsNotAFile) {
  Batch batch;
  expect_named_input_fails(batch, "/dev/null", "not-a-file");
}

TEST(HostileFiles, DanglingSymlinkNamedAsInputIsNotFound) {
  Batch batch;
  const fs::path link = batch.in() / "dangling.jpg";
  fs::create_symlink(batch.in() / "nowhere.jpg", link);
  expect_named_input_fails(batch, link, "not-found");
}

TEST(HostileFiles, NonexistentInputIsNotFound) {
  Batch batch;
  expect_named_input_fails(batch, batch.in() / "missing.jpg", "not-found");
}

// A directory with an image-like name inside an input directory is not an
// input (only regular files are picked up); named on the command line, a
// directory is an input directory: its images are processed.
TEST(HostileFiles, DirectoriesNamedLikeImagesAreNotFiles) {
  Batch batch;
  fs::create_directories(batch.in() / "folder.jpg");
  write_bytes(batch.in() / "folder.jpg" / "inner.jpg", encoded_image(".jpg", 100, 50, 3, 5));
  {
    const RunResult r =
        run_imgflow(RunSpec({"-s", "64x64", "-o", batch.out().string(), batch.in().string()}));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << describe(r);
    EXPECT_TRUE(is_summary_line(lines[0], 2, 2, 0, 0)) << lines[0];
    batch.expect_outputs();
  }
  {
    const fs::path out2 = batch.dir() / "out2";
    const RunResult r = run_imgflow(
        RunSpec({"-s", "64x64", "-o", out2.string(), (batch.in() / "folder.jpg").string()}));
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(list_files(out2), std::vector<std::string>{"inner.jpg"});
    EXPECT_EQ(decoded_size(out2 / "inner.jpg"), cv::Size(64, 32));
  }
}

// --files-from names a file that is deleted before the run reads it.
TEST(HostileFiles, FilesFromEntryDeletedBeforeReadingIsNotFound) {
  Batch batch;
  const fs::path doomed = batch.in() / "doomed.jpg";
  write_bytes(doomed, encoded_image(".jpg", 100, 80, 3, 6));
  const fs::path list = batch.dir() / "list.txt";
  write_text(list, (batch.in() / kGood[0].name).string() + "\n" + doomed.string() + "\n" +
                       (batch.in() / kGood[1].name).string() + "\n");
  fs::remove(doomed);
  batch.put_previous_output("doomed.jpg");
  const RunResult r = run_imgflow(
      RunSpec({"-s", "64x64", "--files-from", list.string(), "-o", batch.out().string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{doomed.string(), "not-found"}}, 3);
  batch.expect_outputs();
}

// Files replaced between listing and reading: deleted, turned into a
// directory, turned into a FIFO. The run reads one file at a time
// (--readers 1 --max-in-flight 1), so the last files are still unread when
// the test changes them.
TEST(HostileFiles, FilesChangedBetweenListingAndReading) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  const fs::path out = dir / "out";
  constexpr int kCount = 80;
  const Bytes jpeg = encoded_image(".jpg", 640, 480, 3, 8);
  char name[32];
  for (int i = 0; i < kCount; ++i) {
    std::snprintf(name, sizeof name, "a%03d.jpg", i);
    write_bytes(in / name, jpeg);
  }
  for (const char* z : {"z_deleted.jpg", "z_dir.jpg", "z_fifo.jpg"}) write_bytes(in / z, jpeg);
  const fs::path report = dir / "report.json";
  AsyncRun run(RunSpec({"-j", "1", "--readers", "1", "--max-in-flight", "1", "-f", "png",
                        "--report", report.string(), "-o", out.string(), in.string()}),
               dir / "stdout.txt", dir / "stderr.txt");
  ASSERT_TRUE(run.started());
  const auto start = std::chrono::steady_clock::now();
  auto any_output = [&] {
    for (const auto& f : list_files(out)) {
      if (!contains(f, ".imgflow-")) return true;
    }
    return false;
  };
  while (run.running() && !any_output() &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(any_output()) << "no output within 30 s";
  // Planned already (an output exists); now change the last three.
  fs::remove(in / "z_deleted.jpg");
  fs::remove(in / "z_dir.jpg");
  fs::create_directory(in / "z_dir.jpg");
  fs::remove(in / "z_fifo.jpg");
  ASSERT_EQ(::mkfifo((in / "z_fifo.jpg").c_str(), 0644), 0);
  // With one image in flight, file k is read only after file k-1's output is
  // written: if a077 has no output yet, the z_ files have not been read.
  const bool in_time = !fs::exists(out / "a077.png");
  run.wait(std::chrono::seconds(120));
  ASSERT_FALSE(run.timed_out()) << read_text(dir / "stderr.txt");
  ASSERT_TRUE(in_time) << "the run went too fast to change files before reading them";
  ASSERT_TRUE(run.exited()) << "killed by signal " << run.term_signal();
  EXPECT_EQ(run.exit_code(), 1);
  RunResult r;
  r.err = read_text(dir / "stderr.txt");
  expect_failure_lines(r,
                       {{(in / "z_deleted.jpg").string(), "not-found"},
                        {(in / "z_dir.jpg").string(), "not-a-file"},
                        {(in / "z_fifo.jpg").string(), "not-a-file"}},
                       kCount + 3);
  EXPECT_EQ(list_files(out).size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
  const json rep = json::parse(read_text(report));
  EXPECT_EQ(rep["summary"]["failed"], 3);
  EXPECT_EQ(rep["summary"]["ok"], kCount);
}

// A symlink loop (a directory link to its parent, a link to itself, two
// links to each other) under -r: the scan terminates, loops are not inputs.
// Named explicitly, a link to itself fails alone as read-error.
// PRODUCT BUG, fixed in 03167b0 (src/plan.cpp, check_plan): the throwing
// fs::weakly_canonical on the named loop aborted the whole run
// (std::filesystem_error escaped main: "terminate called", SIGABRT).
TEST(HostileFiles, SymlinkLoopsUnderRecursiveTerminate) {
  Batch batch;
  fs::create_directories(batch.in() / "sub");
  fs::create_directory_symlink("..", batch.in() / "sub" / "up");
  fs::create_symlink("self.jpg", batch.in() / "self.jpg");
  fs::create_symlink("pong.jpg", batch.in() / "ping.jpg");
  fs::create_symlink("ping.jpg", batch.in() / "pong.jpg");
  {
    const RunResult r =
        run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                        .with_timeout(std::chrono::seconds(30)));
    ASSERT_FALSE(r.timed_out) << "a symlink loop made -r run forever\n" << describe(r);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << describe(r);
    EXPECT_TRUE(is_summary_line(lines[0], 2, 2, 0, 0)) << lines[0];
    batch.expect_outputs();
  }
  {
    batch.put_previous_output("self.jpg");
    const fs::path self = batch.in() / "self.jpg";
    const RunResult r =
        batch.run({self.string()}, RunSpec().with_timeout(std::chrono::seconds(30)));
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    expect_failure_lines(r, {{self.string(), "read-error"}}, 3);
    batch.expect_outputs();
  }
}

// ---------------------------------------------------------------------------
// Output-side failures
// ---------------------------------------------------------------------------

// -r in/ with in/sub/a.jpg: the output folder out/sub cannot be created
// because a regular file has that name. Works as root too.
TEST(HostileOutput, OutputFolderBlockedByAFileIsWriteErrorPerFile) {
  Batch batch;
  write_bytes(batch.in() / "sub" / "deep.jpg", encoded_image(".jpg", 100, 50, 3, 9));
  write_text(batch.out() / "sub", "a file where a folder should be\n");
  const RunResult r =
      run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", batch.out().string(), batch.in().string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  // Batch order: good1.jpg, good2.png, sub/deep.jpg.
  expect_failure_lines(r, {{(batch.in() / "sub" / "deep.jpg").string(), "write-error"}}, 3);
  batch.expect_outputs({"sub"});
  EXPECT_EQ(read_text(batch.out() / "sub"), "a file where a folder should be\n");
}

// Runs `check` with the run as an unprivileged user: as root, chmod 0555
// keeps nobody out, so the child drops to uid 65534 (nobody) first.
struct ReadOnlySetup {
  Batch batch;
  bool as_nobody = running_as_root();
  std::string skip_reason;

  ReadOnlySetup() {
    if (!as_nobody) return;
    // nobody must reach the scratch tree and own the output folder.
    fs::permissions(batch.dir().path(), fs::perms(0755));
    fs::create_directories(batch.out());
    if (::chown(batch.out().c_str(), 65534, 65534) != 0) skip_reason = "chown to nobody failed";
    const RunResult probe = run_imgflow(RunSpec({"--version"}).as_user_nobody());
    if (probe.exit_code != 0) {
      skip_reason =
          "the imgflow binary cannot be run as nobody (uid 65534) here: " + describe(probe);
    }
  }

  /// Lets nobody read every input, whatever the umask was.
  void share_inputs() const {
    if (!as_nobody) return;
    fs::permissions(batch.in(), fs::perms(0755));
    for (const auto& e : fs::recursive_directory_iterator(batch.in())) {
      fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644));
    }
  }
};

TEST(HostileOutput, ReadOnlyOutputSubfolderIsWriteErrorPerFile) {
  ReadOnlySetup s;
  if (!s.skip_reason.empty()) GTEST_SKIP() << s.skip_reason;
  Batch& batch = s.batch;
  write_bytes(batch.in() / "sub" / "deep.jpg", encoded_image(".jpg", 100, 50, 3, 9));
  fs::create_directories(batch.out() / "sub");
  if (s.as_nobody) {
    ASSERT_EQ(::chown((batch.out() / "sub").c_str(), 65534, 65534), 0);
  }
  fs::permissions(batch.out() / "sub", fs::perms(0555));
  s.share_inputs();
  const RunResult r =
      run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                      .as_user_nobody(s.as_nobody));
  fs::permissions(batch.out() / "sub", fs::perms(0755));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "sub" / "deep.jpg").string(), "write-error"}}, 3);
  batch.expect_outputs();
}

TEST(HostileOutput, ReadOnlyOutputRootIsSetupErrorExit2) {
  ReadOnlySetup s;
  if (!s.skip_reason.empty()) GTEST_SKIP() << s.skip_reason;
  Batch& batch = s.batch;
  fs::create_directories(batch.out());
  fs::permissions(batch.out(), fs::perms(0555));
  s.share_inputs();
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                      .as_user_nobody(s.as_nobody));
  fs::permissions(batch.out(), fs::perms(0755));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(starts_with(lines[0], "imgflow: --output: ")) << lines[0];
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{});
}

// A full disk, simulated with RLIMIT_FSIZE (SIGXFSZ ignored, so write()
// fails with EFBIG): the large output fails as write-error, nothing partial
// is left, the earlier version of that output is untouched, and the small
// outputs are written.
TEST(HostileOutput, DiskFullIsWriteErrorWithNoPartialFile) {
  Batch batch;
  const fs::path big = batch.in() / "big.png";
  write_bytes(big, encoded_image(".png", 1200, 900, 3, 10));  // noise: ~2 MB as PNG
  batch.put_previous_output("big.png");
  constexpr long long kLimit = 256 * 1024;
  const RunResult r =
      run_imgflow(RunSpec({"-o", batch.out().string(), (batch.in() / kGood[0].name).string(),
                           big.string(), (batch.in() / kGood[1].name).string()})
                      .with_file_size_limit(kLimit));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{big.string(), "write-error"}}, 3);
  EXPECT_TRUE(contains(r.err, "File too large")) << r.err;
  // Without -s the good outputs keep their size.
  std::vector<std::string> expected = {"big.png", "good1.jpg", "good2.png"};
  EXPECT_EQ(list_files(batch.out()), expected);
  EXPECT_EQ(decoded_size(batch.out() / "good1.jpg"), cv::Size(320, 240));
  EXPECT_EQ(decoded_size(batch.out() / "good2.png"), cv::Size(200, 100));
  EXPECT_EQ(read_bytes(batch.out() / "big.png"), previous_output());
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

// The JSON report hits the limit too: it fails alone, atomically.
TEST(HostileOutput, DiskFullForTheReportLeavesNoPartialReport) {
  Batch batch;
  const fs::path report = batch.dir() / "report.json";
  write_text(report, "{\"previous\": true}\n");
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "--report", report.string(), "-o", batch.out().string(),
                           batch.in().string()})
                      .with_file_size_limit(64));  // the outputs are larger too: every write fails
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow: --report: ")) << describe(r);
  EXPECT_EQ(read_text(report), "{\"previous\": true}\n");
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{});
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------
// Awkward names
// ---------------------------------------------------------------------------

const std::vector<std::string> kAwkwardNames = {"with space.jpg",    "ünïcødé 写真.jpg",
                                                "-leading-dash.jpg", "non-utf8-\xff\xfe.jpg",
                                                "tab\there.png",     "new\nline.jpg"};

TEST(HostileNames, NamedAfterDoubleDashFromTheInputFolder) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  for (std::size_t i = 0; i < kAwkwardNames.size(); ++i) {
    const auto ext = fs::path(kAwkwardNames[i]).extension().string();
    write_bytes(in / kAwkwardNames[i], encoded_image(ext, 120, 90, 3, static_cast<unsigned>(i)));
  }
  const std::string bad = "bad \xc3\xa9\xff name.jpg";  // a failing one: its name on stderr
  write_text(in / bad, "not an image\n");
  std::vector<std::string> args = {"-s", "64x64", "--report", "-", "-o", "../out", "--"};
  args.insert(args.end(), kAwkwardNames.begin(), kAwkwardNames.end());
  args.push_back(bad);
  const RunResult r = run_imgflow(RunSpec(args).in_dir(in));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{bad, "unknown-format"}}, kAwkwardNames.size() + 1);
  std::vector<std::string> expected = kAwkwardNames;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_files(dir / "out"), expected);
  for (const auto& name : kAwkwardNames) {
    EXPECT_EQ(decoded_size(dir / "out" / name), cv::Size(64, 48)) << name;
  }
  // The report is valid JSON even with a non-UTF-8 name (replaced).
  json report;
  ASSERT_NO_THROW(report = json::parse(r.out)) << r.out;
  EXPECT_EQ(report["files"].size(), kAwkwardNames.size() + 1);
  EXPECT_EQ(report["files"][0]["input"], kAwkwardNames[0]);
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
}

TEST(HostileNames, FoundInARecursiveScan) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  for (std::size_t i = 0; i < kAwkwardNames.size(); ++i) {
    const auto ext = fs::path(kAwkwardNames[i]).extension().string();
    write_bytes(in / "sub dir \xff" / kAwkwardNames[i],
                encoded_image(ext, 120, 90, 3, static_cast<unsigned>(i)));
  }
  const RunResult r =
      run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", (dir / "out").string(), in.string()}));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  std::vector<std::string> expected;
  for (const auto& name : kAwkwardNames) expected.push_back("sub dir \xff/" + name);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(list_files(dir / "out"), expected);
  for (const auto& name : expected) {
    EXPECT_EQ(decoded_size(dir / "out" / name), cv::Size(64, 48)) << name;
  }
}

}  // namespace
}  // namespace imgflow::test::hostile
