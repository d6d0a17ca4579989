// HEIC, AVIF, JPEG XL and GIF through the real binary: inputs made by the
// reference tools (heif-enc, cjxl, ImageMagick), outputs decoded back by
// heif-convert and djxl.
#include <gtest/gtest.h>

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

// The size heif-convert (the reference decoder) finds in `heif`.
cv::Size reference_size(const fs::path& heif) {
  const fs::path png = heif.string() + ".png";
  tool({"heif-convert", heif.string(), png.string()});
  return cv::imread(png.string(), cv::IMREAD_UNCHANGED).size();
}

// A 300x200 photo as `jpeg`.
void write_photo(const fs::path& jpeg) {
  cv::Mat photo = cv::imread(sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {300, 200}, 0, 0, cv::INTER_AREA);
  fs::create_directories(jpeg.parent_path());
  ASSERT_TRUE(cv::imwrite(jpeg.string(), photo, {cv::IMWRITE_JPEG_QUALITY, 95}));
}

TEST(CliFormats, HeicAvifAndGifInputsGiveExactSizes) {
  ScratchDir dir;
  const auto src = dir / "src";
  const auto in = dir / "in";
  write_photo(src / "photo.jpg");
  fs::create_directories(in);
  tool({"heif-enc", "-q", "80", "-o", (in / "phone.heic").string(), (src / "photo.jpg").string()});
  tool({"heif-enc", "-q", "80", "-o", (in / "web.avif").string(), (src / "photo.jpg").string()});
  tool({"convert", (src / "photo.jpg").string(), "-rotate", "90", (in / "anim.gif").string()});
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "64", "-o", out.string(), in.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // -f keep: HEIC and AVIF are written back as such; GIF (not written) as JPEG.
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"anim.jpg", "phone.heic", "web.avif"}));
  EXPECT_EQ(reference_size(out / "phone.heic"), cv::Size(64, 43));
  EXPECT_EQ(reference_size(out / "web.avif"), cv::Size(64, 43));
  EXPECT_EQ(cv::imread((out / "anim.jpg").string()).size(), cv::Size(43, 64));  // a 64x64 box
  EXPECT_EQ(read_header(read_bytes(out / "web.avif")).format, Format::avif);
  EXPECT_EQ(read_header(read_bytes(out / "phone.heic")).format, Format::heif);
}

TEST(CliFormats, AvifAndHeicOutputsRoundTripThroughTheReferenceDecoder) {
  ScratchDir dir;
  write_photo(dir / "in" / "photo.jpg");
  cv::Mat expected;
  cv::resize(cv::imread((dir / "in" / "photo.jpg").string()), expected, {150, 100}, 0, 0,
             cv::INTER_AREA);
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "150x150", "-f", "avif", "-f", "heic", "-q", "70", "-o",
                          out.string(), (dir / "in").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"photo.avif", "photo.heic"}));
  for (const char* name : {"photo.avif", "photo.heic"}) {
    const fs::path png = (out / name).string() + ".png";
    tool({"heif-convert", (out / name).string(), png.string()});
    const cv::Mat decoded = cv::imread(png.string(), cv::IMREAD_COLOR);
    ASSERT_EQ(decoded.size(), cv::Size(150, 100)) << name;
    // Colour and content kept (a channel swap or a wrong matrix: < 25 dB).
    EXPECT_GT(cv::PSNR(decoded, expected), 30.0) << name;
  }
  // Lossless keeps every pixel (a PNG, not resized).
  ASSERT_TRUE(cv::imwrite((dir / "exact.png").string(), expected));
  const auto lossless = dir / "lossless";
  for (const char* format : {"avif", "heic"}) {
    const auto l = imgflow(
        {"-f", format, "--lossless", "-o", lossless.string(), (dir / "exact.png").string()});
    ASSERT_EQ(l.exit_code, 0) << describe(l);
    const fs::path back = lossless / (std::string(format) + ".png");
    tool({"heif-convert", (lossless / ("exact." + std::string(format))).string(), back.string()});
    EXPECT_EQ(cv::norm(cv::imread(back.string(), cv::IMREAD_COLOR), expected, cv::NORM_INF), 0.0)
        << format;
  }
}

// A HEIC shrunk to a quarter is decoded without HEVC's deblocking and SAO
// filters (src/codec/hevc_decoder.cpp): its output stays close to that of the
// filtered decode (heif-convert's PNG through the same resize) but is not the
// same; at half size the filters stay on and the outputs are identical.
TEST(CliFormats, HeicShrunkALotSkipsTheInLoopFiltersAndStaysClose) {
  ScratchDir dir;
  cv::Mat photo = cv::imread(sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {800, 600}, 0, 0, cv::INTER_AREA);
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "heic");
  fs::create_directories(dir / "png");
  ASSERT_TRUE(cv::imwrite((dir / "src" / "photo.png").string(), photo));
  // A low quality: blocky enough for the filters to matter.
  tool({"heif-enc", "-q", "30", "-o", (dir / "heic" / "photo.heic").string(),
        (dir / "src" / "photo.png").string()});
  tool({"heif-convert", (dir / "heic" / "photo.heic").string(),
        (dir / "png" / "photo.png").string()});
  // -s 200: at least 250x188 decoded (margin 1.25), under half of 800x600.
  // -s 400: at least 500x375, over half: the filters stay on.
  for (const char* size : {"200", "400"}) {
    const auto from_heic = dir / (std::string("heic-") + size);
    const auto from_png = dir / (std::string("png-") + size);
    for (const auto& [in, out] : {std::pair{dir / "heic", from_heic}, {dir / "png", from_png}}) {
      const auto r = imgflow({"-s", size, "-f", "png", "-o", out.string(), in.string()});
      ASSERT_EQ(r.exit_code, 0) << describe(r);
    }
    const cv::Mat fast = cv::imread((from_heic / "photo.png").string(), cv::IMREAD_COLOR);
    const cv::Mat filtered = cv::imread((from_png / "photo.png").string(), cv::IMREAD_COLOR);
    ASSERT_EQ(fast.size(), filtered.size()) << size;
    if (std::string(size) == "400") {
      EXPECT_EQ(cv::norm(fast, filtered, cv::NORM_INF), 0.0) << "filters on: the same pixels";
    } else {
      // Block edges the filters would smooth are averaged away by the
      // shrink: over 45 dB, no pixel off by more than 8 (measured: 56.6 dB, 2).
      EXPECT_GT(cv::norm(fast, filtered, cv::NORM_INF), 0.0) << "the filters were not skipped";
      EXPECT_GT(cv::PSNR(fast, filtered), 45.0);
      EXPECT_LE(cv::norm(fast, filtered, cv::NORM_INF), 8.0);
    }
  }
}

TEST(CliFormats, AlphaSurvivesIntoAvif) {
  ScratchDir dir;
  cv::Mat bgra(80, 120, CV_8UC4, cv::Scalar(200, 100, 50, 255));
  bgra(cv::Rect(60, 0, 60, 80)).setTo(cv::Scalar(0, 0, 0, 0));
  fs::create_directories(dir / "in");
  ASSERT_TRUE(cv::imwrite((dir / "in" / "half.png").string(), bgra));
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "60", "-f", "avif", "-o", out.string(), (dir / "in").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const fs::path png = out / "half.png";
  tool({"heif-convert", (out / "half.avif").string(), png.string()});
  const cv::Mat decoded = cv::imread(png.string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(decoded.type(), CV_8UC4);
  ASSERT_EQ(decoded.size(), cv::Size(60, 40));
  EXPECT_GE(decoded.at<cv::Vec4b>(20, 10)[3], 250);
  EXPECT_LE(decoded.at<cv::Vec4b>(20, 50)[3], 5);
}

TEST(CliFormats, JpegXlInAndOutRoundTripsThroughTheReferenceTools) {
  ScratchDir dir;
  write_photo(dir / "src" / "photo.jpg");
  fs::create_directories(dir / "in");
  // cjxl's default for a JPEG: lossless recompression; -d 1: a lossy XYB file.
  tool({"cjxl", "--num_threads=0", (dir / "src" / "photo.jpg").string(),
        (dir / "in" / "recompressed.jxl").string()});
  tool({"cjxl", "--num_threads=0", "--lossless_jpeg=0", "-d", "1",
        (dir / "src" / "photo.jpg").string(), (dir / "in" / "lossy.jxl").string()});
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "120", "-o", out.string(), (dir / "in").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  // -f keep writes JPEG XL back; -f jxl makes one of the JPEG.
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"lossy.jxl", "recompressed.jxl"}));
  const auto converted = dir / "converted";
  const auto c = imgflow({"-s", "150x150", "-f", "jxl", "-q", "80", "-o", converted.string(),
                          (dir / "src" / "photo.jpg").string()});
  ASSERT_EQ(c.exit_code, 0) << describe(c);
  cv::Mat expected;
  cv::resize(cv::imread((dir / "src" / "photo.jpg").string()), expected, {150, 100}, 0, 0,
             cv::INTER_AREA);
  for (const fs::path& jxl :
       {out / "lossy.jxl", out / "recompressed.jxl", converted / "photo.jxl"}) {
    EXPECT_EQ(read_header(read_bytes(jxl)).format, Format::jxl) << jxl;
    const fs::path png = jxl.string() + ".png";
    tool({"djxl", "--num_threads=0", jxl.string(), png.string()});
    const cv::Mat decoded = cv::imread(png.string(), cv::IMREAD_COLOR);
    if (jxl.parent_path() == out) {
      EXPECT_EQ(decoded.size(), cv::Size(120, 80)) << jxl;
    } else {
      ASSERT_EQ(decoded.size(), cv::Size(150, 100));
      EXPECT_GT(cv::PSNR(decoded, expected), 32.0);  // a channel swap: < 25 dB
    }
  }
}

}  // namespace
}  // namespace imgflow::test::cli
