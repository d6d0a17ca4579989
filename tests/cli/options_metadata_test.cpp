// Options tests (part of option_tests; helpers in options_helpers.hpp).
// This file: --keep-metadata and --strip-gps into and out of every format that
// holds metadata, and --keep-icc beyond JPEG. Fixtures get their EXIF and XMP
// from the exiv2 command, HEIC/AVIF/JPEG XL inputs are made by heif-enc and
// cjxl, and every output's metadata is read back by exiv2.
#include <cstring>
#include <map>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

void tool(const std::vector<std::string>& argv) {
  const auto r = run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " (scripts/setup.sh installs it): " << r.err;
}

// ImageMagick's `identify -format format file`.
std::string identify(const fs::path& file, const std::string& format) {
  const auto r = run_command({"identify", "-format", format, file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// `file` as ImageMagick decodes it (through a PNG), in OpenCV's BGR(A) order.
cv::Mat magick_pixels(const fs::path& file) {
  const fs::path png = file.string() + ".png";
  tool({"convert", file.string(), png.string()});
  return cv::imread(png.string(), cv::IMREAD_UNCHANGED);
}

// Every EXIF and XMP tag exiv2 finds in `file`, key -> value as exiv2 prints it.
std::map<std::string, std::string> exiv2_tags(const fs::path& file) {
  const auto r = run_command({"exiv2", "-q", "-Pkv", file.string()});
  std::map<std::string, std::string> tags;
  for (const auto& line : lines_of(r.out)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const auto value = line.find_first_not_of(' ', space);
    tags[line.substr(0, space)] = value == std::string::npos ? "" : line.substr(value);
  }
  return tags;
}

// exiv2_tags() of an output; a HEIC's through heif-convert's JPEG (which
// copies EXIF and XMP): libexiv2 0.27 misreads the item locations of the
// HEICs libheif writes (it reads AVIFs).
std::map<std::string, std::string> output_tags(const fs::path& file) {
  if (file.extension() != ".heic") return exiv2_tags(file);
  const fs::path jpeg = file.string() + ".jpg";
  tool({"heif-convert", file.string(), jpeg.string()});
  return exiv2_tags(jpeg);
}

// The number of tags of `tags` whose key starts with `prefix`.
std::size_t count_prefix(const std::map<std::string, std::string>& tags,
                         const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& [key, value] : tags) n += key.starts_with(prefix) ? 1 : 0;
  return n;
}

// The exiv2 commands that give the fixture a camera, a date and a location
// (EXIF GPS and XMP).
constexpr const char* kExiv2Commands =
    "set Exif.Image.Make imgflow-camera\n"
    "set Exif.Image.Model Model-7\n"
    "set Exif.Photo.DateTimeOriginal 2021:05:06 07:08:09\n"
    "set Exif.Photo.PixelXDimension 300\n"
    "set Exif.Photo.PixelYDimension 200\n"
    "set Exif.GPSInfo.GPSLatitudeRef N\n"
    "set Exif.GPSInfo.GPSLatitude 48/1 51/1 24/1\n"
    "set Exif.GPSInfo.GPSLongitudeRef E\n"
    "set Exif.GPSInfo.GPSLongitude 2/1 17/1 40/1\n"
    "set Xmp.dc.creator Jane Photographer\n"
    "set Xmp.dc.rights Copyright Jane\n"
    "set Xmp.exif.GPSLatitude 48,51.4N\n"
    "set Xmp.photoshop.City Paris\n"
    "set Xmp.photoshop.Country France\n"
    "set Xmp.iptc.Location Champ de Mars\n";

// Runs exiv2's commands above on `file`, and sets both orientation tags.
void tag_with_exiv2(const fs::path& file, int orientation) {
  std::string commands = kExiv2Commands;
  for (const char* key : {"Exif.Image.Orientation", "Xmp.tiff.Orientation"}) {
    commands += "set ";
    commands += key;
    commands += ' ';
    commands += std::to_string(orientation);
    commands += '\n';
  }
  const fs::path script = file.string() + ".exiv2";
  write_bytes(script, Bytes(commands.begin(), commands.end()));
  tool({"exiv2", "-m", script.string(), file.string()});
  fs::remove(script);
}

// A 300x200 JPEG stored turned (orientation 6: 200x300 upright) with the
// metadata above.
void write_tagged_jpeg(const fs::path& jpeg) {
  cv::Mat photo = cv::imread(photos().landscape.string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {300, 200}, 0, 0, cv::INTER_AREA);
  write_pixels(jpeg, photo);
  tag_with_exiv2(jpeg, 6);
}

constexpr const char* kFormats[] = {"jpeg", "png", "webp", "avif", "heic", "jxl", "tiff"};
constexpr const char* kExtensions[] = {"jpg", "png", "webp", "avif", "heic", "jxl", "tif"};

std::vector<std::string> every_format(std::vector<std::string> args) {
  for (const char* format : kFormats) {
    args.push_back("-f");
    args.push_back(format);
  }
  return args;
}

TEST(Options, KeepMetadataCarriesExifAndXmpIntoEveryFormat) {
  ScratchDir dir;
  write_tagged_jpeg(dir / "in" / "photo.jpg");
  {
    const auto source = exiv2_tags(dir / "in" / "photo.jpg");
    ASSERT_EQ(source.count("Exif.Image.Make"), 1u) << "exiv2 did not tag the fixture";
    ASSERT_EQ(source.at("Exif.Image.Orientation"), "6");
    ASSERT_EQ(source.count("Exif.GPSInfo.GPSLatitude"), 1u);
  }
  const auto kept = dir / "kept";
  const RunResult r = run(every_format(
      {"--keep-metadata", "-s", "120", "-o", kept.string(), (dir / "in" / "photo.jpg").string()}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* ext : kExtensions) {
    const fs::path out = kept / (std::string("photo.") + ext);
    auto tags = output_tags(out);
    SCOPED_TRACE(out.filename().string());
    EXPECT_EQ(tags["Exif.Image.Make"], "imgflow-camera");
    EXPECT_EQ(tags["Exif.Image.Model"], "Model-7");
    EXPECT_EQ(tags["Exif.Photo.DateTimeOriginal"], "2021:05:06 07:08:09");
    // The pixels are upright (80x120): nothing may turn them again.
    EXPECT_EQ(tags["Exif.Image.Orientation"], "1");
    EXPECT_EQ(tags["Xmp.tiff.Orientation"], "1");
    EXPECT_EQ(tags["Exif.Photo.PixelXDimension"], "80");
    EXPECT_EQ(tags["Exif.Photo.PixelYDimension"], "120");
    EXPECT_EQ(tags["Exif.GPSInfo.GPSLatitudeRef"], "N");
    EXPECT_EQ(tags["Xmp.dc.creator"], "Jane Photographer");
    EXPECT_EQ(tags["Xmp.photoshop.City"], "Paris");
    EXPECT_EQ(tags["Xmp.iptc.Location"], "Champ de Mars");
  }
  // The pixels as the reference decoders see them: upright, 80x120.
  EXPECT_EQ(read_image(kept / "photo.jpg").size(), cv::Size(80, 120));
  EXPECT_EQ(read_image(kept / "photo.png").size(), cv::Size(80, 120));
  tool({"heif-convert", (kept / "photo.heic").string(), (dir / "heic.png").string()});
  EXPECT_EQ(read_image(dir / "heic.png").size(), cv::Size(80, 120));
  tool({"djxl", (kept / "photo.jxl").string(), (dir / "jxl.png").string()});
  EXPECT_EQ(read_image(dir / "jxl.png").size(), cv::Size(80, 120));
  // A TIFF's IFD0 is its own: libtiff's layout, exiv2's merge did not move it.
  EXPECT_EQ(identify(kept / "photo.tif", "%m %wx%h %[tiff:photometric]"), "TIFF 80x120 RGB");
  EXPECT_EQ(magick_pixels(kept / "photo.tif").size(), cv::Size(80, 120));

  // Without the option: no metadata at all.
  const auto plain = dir / "plain";
  const RunResult p =
      run(every_format({"-s", "120", "-o", plain.string(), (dir / "in" / "photo.jpg").string()}));
  ASSERT_EQ(p.exit_code, 0) << describe(p);
  for (const char* ext : kExtensions) {
    const fs::path out = plain / (std::string("photo.") + ext);
    auto tags = output_tags(out);
    if (out.extension() == ".tif") {
      // A TIFF's IFD0 holds its layout (Exif.Image.ImageWidth...): nothing else.
      EXPECT_EQ(tags.count("Exif.Image.Make"), 0u);
      EXPECT_EQ(count_prefix(tags, "Exif.Photo."), 0u);
      EXPECT_EQ(count_prefix(tags, "Exif.GPSInfo."), 0u);
      EXPECT_EQ(count_prefix(tags, "Xmp."), 0u);
      EXPECT_EQ(tags["Exif.Image.Orientation"], "1");
    } else {
      EXPECT_EQ(tags.size(), 0u) << out.filename();
    }
  }
}

// Moves `png`'s eXIf, iTXt, tEXt and zTXt chunks to just before IEND, after
// the pixels (where a PNG may keep them; CRCs cover type and data only).
void move_text_chunks_after_pixels(const fs::path& png) {
  const auto bytes = read_bytes(png);
  std::vector<std::uint8_t> front(bytes.begin(), bytes.begin() + 8), moved, end;
  for (std::size_t at = 8; at + 12 <= bytes.size();) {
    const std::size_t length = (std::size_t{bytes[at]} << 24) | (std::size_t{bytes[at + 1]} << 16) |
                               (std::size_t{bytes[at + 2]} << 8) | bytes[at + 3];
    const std::string type(bytes.begin() + static_cast<long>(at) + 4,
                           bytes.begin() + static_cast<long>(at) + 8);
    auto& to = type == "IEND"                                                           ? end
               : (type == "eXIf" || type == "iTXt" || type == "tEXt" || type == "zTXt") ? moved
                                                                                        : front;
    to.insert(to.end(), bytes.begin() + static_cast<long>(at),
              bytes.begin() + static_cast<long>(at + 12 + length));
    at += 12 + length;
  }
  ASSERT_FALSE(moved.empty()) << "exiv2 wrote no text or eXIf chunk";
  ASSERT_FALSE(end.empty());
  front.insert(front.end(), moved.begin(), moved.end());
  front.insert(front.end(), end.begin(), end.end());
  write_bytes(png, front);
}

TEST(Options, KeepMetadataFindsTheTagsOfALargePngAfterItsPixels) {
  // 5.3 MP: decoded row by row, and (with the knob at 1 byte) a file that
  // would be read in pieces, whose tags come after the pixels.
  ScratchDir dir;
  cv::Mat photo = cv::imread(photos().landscape.string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {2800, 1900}, 0, 0, cv::INTER_CUBIC);
  const fs::path png = dir / "in" / "large.png";
  write_pixels(png, photo);
  tag_with_exiv2(png, 1);
  move_text_chunks_after_pixels(png);
  ASSERT_EQ(exiv2_tags(png)["Exif.Image.Make"], "imgflow-camera");
  const auto out = dir / "out";
  const RunResult r = run_imgflow(
      RunSpec({"--keep-metadata", "-s", "120", "-f", "jpeg", "-o", out.string(), png.string()})
          .with_env({"IMGFLOW_READ_IN_PIECES_ABOVE=1"}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto tags = exiv2_tags(out / "large.jpg");
  EXPECT_EQ(tags["Exif.Image.Make"], "imgflow-camera");
  EXPECT_EQ(tags["Xmp.photoshop.City"], "Paris");
  EXPECT_EQ(read_image(out / "large.jpg").size(), cv::Size(120, 81));
}

// `png` with an eXIf chunk (a big-endian TIFF block whose IFD0 holds only
// Orientation = `orientation`) inserted just after IHDR, or just before IEND
// when `after_pixels`. exiv2 0.27 cannot write eXIf (it writes a zTXt raw
// profile), so the chunk is put together here, as the PNG extensions spec
// defines it.
void add_exif_chunk(const fs::path& png, int orientation, bool after_pixels) {
  auto bytes = read_bytes(png);
  const Bytes tiff = {'M',  'M',
                      0,    42,
                      0,    0,
                      0,    8,  // header, IFD0 at 8
                      0,    1,  // one entry:
                      0x01, 0x12,
                      0,    3,
                      0,    0,
                      0,    1,  // Orientation, SHORT, 1 value
                      0,    static_cast<std::uint8_t>(orientation),
                      0,    0,
                      0,    0,
                      0,    0};  // no next IFD
  Bytes chunk;
  put_png_chunk(chunk, "eXIf", tiff);
  const std::size_t at = after_pixels ? bytes.size() - 12 : 8 + 12 + 13;  // IEND / after IHDR
  bytes.insert(bytes.begin() + static_cast<long>(at), chunk.begin(), chunk.end());
  write_bytes(png, bytes);
}

TEST(Options, PngAndWebpExifOrientationTurnsThemUpright) {
  // The photo upright is 300x200; it is stored turned (200x300) with
  // orientation 6 (turn 90 degrees clockwise to show), as cameras store it.
  ScratchDir dir;
  cv::Mat upright = cv::imread(photos().landscape.string(), cv::IMREAD_COLOR);
  cv::resize(upright, upright, {300, 200}, 0, 0, cv::INTER_AREA);
  cv::Mat stored;
  cv::rotate(upright, stored, cv::ROTATE_90_COUNTERCLOCKWISE);
  const auto in = dir / "in";
  write_pixels(in / "exif.png", stored);
  add_exif_chunk(in / "exif.png", 6, false);
  write_pixels(in / "late_exif.png", stored);
  add_exif_chunk(in / "late_exif.png", 6, true);
  write_pixels(in / "webp_exif.webp", stored);
  tag_with_exiv2(in / "webp_exif.webp", 6);  // exiv2 writes WebP's EXIF chunk
  ASSERT_EQ(exiv2_tags(in / "exif.png")["Exif.Image.Orientation"], "6");
  ASSERT_EQ(exiv2_tags(in / "webp_exif.webp")["Exif.Image.Orientation"], "6");

  const auto out = dir / "out";
  RunResult r = run({"-s", "150", "-f", "png", "-o", out.string(), in.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  cv::Mat expected;
  cv::resize(upright, expected, {150, 100}, 0, 0, cv::INTER_AREA);
  for (const char* name : {"exif.png", "webp_exif.webp"}) {
    SCOPED_TRACE(name);
    const cv::Mat got = read_image(out / (fs::path(name).stem().string() + ".png"));
    ASSERT_EQ(got.size(), cv::Size(150, 100));
    // Lanczos against OpenCV's area filter, and WebP's loss: 28 dB; turned
    // the wrong way round the sizes already differ.
    EXPECT_GT(cv::PSNR(got, expected), 28.0);
  }
  // An eXIf after the pixels is not looked for (the PNG spec puts it before
  // IDAT): as stored.
  EXPECT_EQ(read_image(out / "late_exif.png").size(), cv::Size(100, 150));

  // --no-rotate keeps every one as stored.
  const auto raw = dir / "raw";
  r = run({"--no-rotate", "-s", "150", "-f", "png", "-o", raw.string(), in.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* stem : {"exif", "late_exif", "webp_exif"}) {
    EXPECT_EQ(read_image(raw / (std::string(stem) + ".png")).size(), cv::Size(100, 150)) << stem;
  }
}

TEST(Options, StripGpsKeepsEverythingButTheLocation) {
  ScratchDir dir;
  write_tagged_jpeg(dir / "in" / "photo.jpg");
  const auto out_dir = dir / "out";
  const RunResult r = run(every_format(
      {"--strip-gps", "-s", "120", "-o", out_dir.string(), (dir / "in" / "photo.jpg").string()}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* ext : kExtensions) {
    const fs::path out = out_dir / (std::string("photo.") + ext);
    auto tags = output_tags(out);
    SCOPED_TRACE(out.filename().string());
    EXPECT_EQ(count_prefix(tags, "Exif.GPSInfo."), 0u);
    EXPECT_EQ(tags.count("Exif.Image.GPSTag"), 0u);
    EXPECT_EQ(count_prefix(tags, "Xmp.exif.GPS"), 0u);
    EXPECT_EQ(tags.count("Xmp.photoshop.City"), 0u);
    EXPECT_EQ(tags.count("Xmp.photoshop.Country"), 0u);
    EXPECT_EQ(tags.count("Xmp.iptc.Location"), 0u);
    // Everything else kept.
    EXPECT_EQ(tags["Exif.Image.Make"], "imgflow-camera");
    EXPECT_EQ(tags["Exif.Photo.DateTimeOriginal"], "2021:05:06 07:08:09");
    EXPECT_EQ(tags["Exif.Image.Orientation"], "1");
    EXPECT_EQ(tags["Xmp.dc.creator"], "Jane Photographer");
    EXPECT_EQ(tags["Xmp.dc.rights"], "lang=\"x-default\" Copyright Jane");
  }
}

TEST(Options, KeepMetadataReadsEveryInputFormat) {
  ScratchDir dir;
  const auto src = dir / "src";
  const auto in = dir / "in";
  write_tagged_jpeg(src / "photo.jpg");
  fs::create_directories(in);
  // The reference encoders copy a JPEG's EXIF and XMP themselves...
  tool({"heif-enc", "-q", "80", "-o", (in / "phone.heic").string(), (src / "photo.jpg").string()});
  tool({"heif-enc", "-q", "80", "-o", (in / "web.avif").string(), (src / "photo.jpg").string()});
  // (cjxl 0.7 keeps them only when it recompresses the JPEG losslessly.)
  tool({"cjxl", "--num_threads=0", (src / "photo.jpg").string(), (in / "modern.jxl").string()});
  // ...PNG and WebP get theirs from exiv2 (on pixels written upright by OpenCV).
  cv::Mat upright;
  cv::rotate(cv::imread((src / "photo.jpg").string(), cv::IMREAD_UNCHANGED), upright,
             cv::ROTATE_90_CLOCKWISE);
  for (const char* name : {"lossless.png", "lossy.webp", "scan.tif"}) {
    write_pixels(in / name, upright);
    tag_with_exiv2(in / name, 1);
  }
  const auto out = dir / "out";
  const RunResult r =
      run({"--keep-metadata", "-f", "jpeg", "-s", "100", "-o", out.string(), in.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // The reference encoders copy the JPEG's EXIF and XMP (heif-convert and
  // exiv2 show them in their files; exiv2 cannot read cjxl's Brotli-compressed
  // boxes): every output has the source's.
  auto source = exiv2_tags(src / "photo.jpg");
  for (const char* stem : {"phone", "web", "modern", "lossless", "lossy", "scan"}) {
    SCOPED_TRACE(stem);
    auto tags = exiv2_tags(out / (std::string(stem) + ".jpg"));
    for (const char* key : {"Exif.Image.Make", "Exif.Image.Model", "Exif.Photo.DateTimeOriginal",
                            "Exif.GPSInfo.GPSLatitude", "Xmp.dc.creator", "Xmp.photoshop.City"}) {
      ASSERT_FALSE(source[key].empty()) << key;
      EXPECT_EQ(tags[key], source[key]) << key;
    }
    EXPECT_EQ(tags["Exif.Image.Orientation"], "1");
    EXPECT_EQ(tags["Xmp.tiff.Orientation"], "1");
  }
  // Not a TIFF's own layout: the JPEG made from it has the JPEG's.
  auto scan = exiv2_tags(out / "scan.jpg");
  EXPECT_EQ(scan.count("Exif.Image.StripOffsets"), 0u);
  EXPECT_EQ(scan.count("Exif.Image.Compression"), 0u);
  EXPECT_EQ(scan.count("Exif.Image.BitsPerSample"), 0u);
}

// The ICC profile in `file`, as exiv2 finds it (djxl for JPEG XL, whose
// profile is in the codestream, where exiv2 does not look).
Bytes embedded_icc(const fs::path& file) {
  if (file.extension() == ".jxl") {
    const fs::path icc = file.string() + ".icc";
    tool({"djxl", "--num_threads=0", "--orig_icc_out=" + icc.string(), file.string(),
          (file.string() + ".png")});
    return read_bytes(icc);
  }
  const auto r = run_command({"exiv2", "-q", "-pC", file.string()});
  return Bytes(r.out.begin(), r.out.end());
}

TEST(Options, KeepIccEmbedsTheProfileInEveryFormat) {
  ScratchDir dir;
  const Bytes profile = wide_gamut_profile();
  Bytes app2 = {'I', 'C', 'C', '_', 'P', 'R', 'O', 'F', 'I', 'L', 'E', 0, 1, 1};
  app2.insert(app2.end(), profile.begin(), profile.end());
  write_bytes(dir / "in" / "wide.jpg", with_segment(read_bytes(photos().landscape), 0xE2, app2));
  const auto out = dir / "out";
  const RunResult r =
      run(every_format({"--keep-icc", "-s", "120", "-o", out.string(), (dir / "in").string()}));
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  for (const char* ext : kExtensions) {
    const fs::path file = out / (std::string("wide.") + ext);
    EXPECT_EQ(embedded_icc(file), profile) << file.filename();
    // Pixels kept in the profile's space: the same as the untagged photo's
    // (a conversion to sRGB moves them by more than 3 levels on average).
  }
  const cv::Mat untagged = read_image(photos().landscape);
  cv::Mat expected;
  const cv::Mat png = read_image(out / "wide.png");
  cv::resize(untagged, expected, png.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(mean_abs_diff(png, expected), 1.5);
  // The TIFF's pixels too, as ImageMagick reads them.
  EXPECT_LT(mean_abs_diff(magick_pixels(out / "wide.tif"), expected), 1.5);
}

}  // namespace
}  // namespace imgflow::test::option_tests
