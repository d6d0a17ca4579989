// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp): Content cases: one
// table, one test each.
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
  if (ext == ".jpg" || ext == ".png" || ext == ".heic" || ext == ".avif" || ext == ".jxl") {
    return file_name;
  }
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
    {"TiffDeclaring100000x100000", "bomb100k.tif", [] { return tiff_declaring(100000, 100000); },
     "too-many-pixels"},
    // Within --max-pixels, but its one LZW strip declares 2 GB in a file of
    // about 2200 bytes: refused before any read (tiff_decode.cpp). (An
    // uncompressed strip's count libtiff recomputes itself.)
    {"TiffStripLargerThanTheFile", "strip.tif",
     [] {
       Bytes b = tiff_declaring(64, 48);
       b[8 + 2 + 3 * 12 + 8] = 5;                     // the 4th entry, Compression (259): LZW
       const std::size_t count = 8 + 2 + 8 * 12 + 8;  // the 9th, StripByteCounts (279)
       b[count] = 0xF0;
       b[count + 1] = b[count + 2] = 0xFF;
       b[count + 3] = 0x7F;
       return b;
     },
     "corrupt-input"},
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
    {"GifCutInItsFrame", "cut.gif",
     [] {
       return Bytes{'G', 'I',  'F',  '8',  '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0,
                    0,   0xFF, 0xFF, 0xFF, ',', 0,   0, 0, 0, 1, 0,    1, 0, 0, 2};
     },
     "truncated-input"},
    {"GifWithoutAnyFrame", "empty.gif",
     [] {
       return Bytes{'G',  'I', 'F', '8', '9', 'a', 1,    0,    1,    0,
                    0x80, 0,   0,   0,   0,   0,   0xFF, 0xFF, 0xFF, ';'};
     },
     "corrupt-input"},
    {"Svg", "drawing.svg",
     [] {
       return text_bytes(
           "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
           "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>\n");
     },
     "unsupported-format"},
    {"HeicWithOnlyItsFtypBox", "photo.heic",
     [] {
       Bytes b(256, 0);
       const std::string box = std::string("\0\0\0\x18", 4) + "ftypheic";
       std::copy(box.begin(), box.end(), b.begin());
       return b;
     },
     "corrupt-input"},
    {"HeicCutInItsPixels", "cut.heic",
     [] {
       Bytes heic = heic_by_heif_enc();
       heic.resize(heic.size() - 40);  // the coded pixels (mdat) come last
       return heic;
     },
     "truncated-input"},
    {"HeicCutInItsBoxes", "boxes.heic",
     [] {
       Bytes heic = heic_by_heif_enc();
       heic.resize(100);
       return heic;
     },
     "truncated-input"},
    {"AvifCutInItsPixels", "cut.avif",
     [] {
       Bytes avif = heic_by_heif_enc(true);
       avif.resize(avif.size() - 40);  // the coded pixels (mdat) come last
       return avif;
     },
     "truncated-input"},
    {"AvifCutInItsBoxes", "boxes.avif",
     [] {
       Bytes avif = heic_by_heif_enc(true);
       avif.resize(100);
       return avif;
     },
     "truncated-input"},
    {"JxlCutInItsPixels", "cut.jxl",
     [] {
       Bytes jxl = jxl_by_cjxl();
       jxl.resize(jxl.size() * 2 / 3);
       return jxl;
     },
     "truncated-input"},
    // A header that declares 300x200, then zeros where the frame should be:
    // libjxl waits for the rest of the frame.
    {"JxlWithAHeaderAndNoFrame", "headless.jxl", [] { return jxl_declaring(300, 200); },
     "truncated-input"},
};

INSTANTIATE_TEST_SUITE_P(Catalogue, HostileContent, ::testing::ValuesIn(kContentCases),
                         [](const auto& info) { return std::string(info.param.test_name); });

}  // namespace
}  // namespace imgflow::test::hostile
