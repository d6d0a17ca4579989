// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Outputs: formats, names, folders.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "cli/cli_helpers.hpp"

namespace imgflow::test::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Outputs: formats, names, folders
// ---------------------------------------------------------------------------

TEST(CliOutputs, FormatOptionWritesDecodableFilesWithTheRightExtension) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "photo.jpg", 403, 299, 3, 11);
  write_image(in / "logo.png", 299, 403, 4, 12);  // with alpha
  struct Case {
    const char* format;
    const char* ext;
  };
  for (const Case c :
       {Case{"png", ".png"}, Case{"webp", ".webp"}, Case{"tiff", ".tif"}, Case{"jpeg", ".jpg"}}) {
    SCOPED_TRACE(c.format);
    const auto out = dir / (std::string("out-") + c.format);
    const auto r = imgflow({"-f", c.format, "-s", "200x", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    expect_only_summary(r, 2);
    const std::string ext = c.ext;
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"logo" + ext, "photo" + ext}));
    expect_decodes_to(out / ("photo" + ext), {200, 148});
    expect_decodes_to(out / ("logo" + ext), {200, 270});
    // Alpha is kept where the format has it, flattened for JPEG.
    const cv::Mat logo = cv::imread((out / ("logo" + ext)).string(), cv::IMREAD_UNCHANGED);
    EXPECT_EQ(logo.channels(), ext == ".jpg" ? 3 : 4);
  }
}

TEST(CliOutputs, ExtensionKeepsTheInputSpellingWhenItNamesTheFormat) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "UPPER.JPG", 40, 30);
  write_image(in / "long.jpeg", 40, 30);
  write_image(in / "pic.PNG", 40, 30);
  write_image(in / "scan.TIFF", 40, 30);
  write_image(in / "bitmap.bmp", 40, 30);
  write_bytes(in / "disguised.jpg", encoded_image(".png", 40, 30));  // PNG content
  {
    const auto out = dir / "keep";
    const auto r = imgflow({"-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(as_set(list_files(out)),
              (std::set<std::string>{"UPPER.JPG", "long.jpeg", "pic.PNG", "scan.TIFF", "bitmap.jpg",
                                     "disguised.png"}));
    for (const auto& name : list_files(out)) expect_decodes_to(out / name, {40, 30});
  }
  {
    const auto out = dir / "png";
    const auto r = imgflow({"-f", "png", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(as_set(list_files(out)),
              (std::set<std::string>{"UPPER.png", "long.png", "pic.PNG", "scan.png", "bitmap.png",
                                     "disguised.png"}));
  }
  {
    const auto out = dir / "jpeg";
    const auto r = imgflow({"-f", "jpeg", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(as_set(list_files(out)),
              (std::set<std::string>{"UPPER.JPG", "long.jpeg", "pic.jpg", "scan.jpg", "bitmap.jpg",
                                     "disguised.jpg"}));
  }
}

TEST(CliOutputs, SeveralSizesGiveOneNamedOutputEach) {
  ScratchDir dir;
  write_image(dir / "a.jpg", 403, 299, 3, 21);
  write_image(dir / "b.png", 299, 403, 3, 22);
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "200x", "-s", "x100", "-s", "50", "-s", "1000x1000", "-o",
                          out.string(), (dir / "a.jpg").string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  expect_only_summary(r, 1);
  EXPECT_EQ(list_files(out),
            (std::vector<std::string>{"a_1000x1000.jpg", "a_200x.jpg", "a_50.jpg", "a_x100.jpg"}));
  expect_decodes_to(out / "a_200x.jpg", expected_fit(403, 299, 200, 0));
  expect_decodes_to(out / "a_200x.jpg", {200, 148});
  expect_decodes_to(out / "a_x100.jpg", {135, 100});
  expect_decodes_to(out / "a_50.jpg", {50, 37});
  expect_decodes_to(out / "a_1000x1000.jpg", {403, 299});  // never enlarged

  const auto out2 = dir / "out2";
  const auto r2 = imgflow({"-s", "200x", "-s", "x100", "-f", "webp", "--report", "-", "-o",
                           out2.string(), (dir / "b.png").string()});
  EXPECT_EQ(r2.exit_code, 0) << describe(r2);
  EXPECT_EQ(list_files(out2), (std::vector<std::string>{"b_200x.webp", "b_x100.webp"}));
  expect_decodes_to(out2 / "b_200x.webp", {200, 270});
  expect_decodes_to(out2 / "b_x100.webp", {74, 100});
  json report = parse_json(r2.out);
  ASSERT_EQ(report["files"].size(), 1u);
  auto& outputs = report["files"][0]["outputs"];
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0]["path"], (out2 / "b_200x.webp").string());
  EXPECT_EQ(outputs[0]["width"], 200);
  EXPECT_EQ(outputs[0]["height"], 270);
  EXPECT_EQ(outputs[1]["path"], (out2 / "b_x100.webp").string());
  EXPECT_EQ(outputs[1]["width"], 74);
  EXPECT_EQ(outputs[1]["height"], 100);
}

TEST(CliOutputs, LargePngIsStreamedWithTheWholeImagePixels) {
  // Sample photos tiled 2x2 into a 4000x2500 (10 MP) PNG: above the 5 MP from
  // which a PNG is decoded row by row into the resizer.
  ScratchDir dir;
  const cv::Mat kite = cv::imread((sample_dir() / "kite.jpg").string());
  const cv::Mat ripple = cv::imread((sample_dir() / "cold_ripple.jpg").string());
  ASSERT_EQ(kite.size(), ripple.size());
  cv::Mat top, bottom, mosaic;
  cv::hconcat(kite, ripple, top);
  cv::hconcat(ripple, kite, bottom);
  cv::vconcat(top, bottom, mosaic);
  write_bytes(dir / "big.png", encode(mosaic, EncodeOptions(Format::png, 1)));
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "800", "-s", "300x200", "--fit", "cover", "--report", "-", "-o",
                          out.string(), (dir / "big.png").string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json report = parse_json(r.out);
  // Resized inside the decode node: the resize stage had nothing to do.
  EXPECT_EQ(report["files"][0]["timings_ms"]["resize"], 0.0);
  ResizeOptions cover;
  cover.spec.fit = Fit::cover;
  for (const auto& [name, box] :
       {std::pair{"big_800.png", "800"}, {"big_300x200.png", "300x200"}}) {
    const cv::Mat written = cv::imread((out / name).string(), cv::IMREAD_UNCHANGED);
    const cv::Mat whole = resize(mosaic, parse_geometry(box), cover);
    ASSERT_EQ(written.size(), whole.size()) << name;
    EXPECT_EQ(cv::norm(written, whole, cv::NORM_INF), 0.0) << name;
  }
}

TEST(CliOutputs, RecursiveMirrorsFoldersAndPlainRunSkipsThem) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "top.jpg", 64, 48);
  write_image(in / "sub" / "deep.png", 48, 64);
  write_image(in / "sub" / "deeper" / "x.JPG", 64, 64);
  write_image(in / ".hidden.jpg", 64, 48);
  write_image(in / ".cache" / "y.jpg", 64, 48);
  write_text(in / "notes.txt", "not an image\n");
  {
    const auto out = dir / "flat";
    const auto r = imgflow({"-s", "32", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    expect_only_summary(r, 1);
    EXPECT_EQ(list_files(out), std::vector<std::string>{"top.jpg"});
    expect_decodes_to(out / "top.jpg", {32, 24});
  }
  {
    const auto out = dir / "tree";
    const auto r = imgflow({"-r", "-s", "32", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    expect_only_summary(r, 3);
    EXPECT_EQ(list_files(out),
              (std::vector<std::string>{"sub/deep.png", "sub/deeper/x.JPG", "top.jpg"}));
    expect_decodes_to(out / "top.jpg", {32, 24});
    expect_decodes_to(out / "sub" / "deep.png", {24, 32});
    expect_decodes_to(out / "sub" / "deeper" / "x.JPG", {32, 32});
  }
  {
    // An output directory inside the input tree is never read back.
    const auto out = in / "thumbs";
    for (int run = 0; run < 2; ++run) {
      const auto r = imgflow({"-r", "-s", "32", "-o", out.string(), in.string()});
      EXPECT_EQ(r.exit_code, 0) << describe(r);
      expect_only_summary(r, 3);
    }
    EXPECT_EQ(list_files(out),
              (std::vector<std::string>{"sub/deep.png", "sub/deeper/x.JPG", "top.jpg"}));
  }
}

// A JPEG of `width`x`height` stored pixels with an Exif APP1 segment carrying
// only the orientation tag (0x0112).
std::vector<std::uint8_t> jpeg_with_orientation(int width, int height, int orientation) {
  const auto jpeg = encoded_image(".jpg", width, height, 3, 61);
  const auto o = static_cast<std::uint8_t>(orientation);
  // clang-format off
  const std::vector<std::uint8_t> app1 = {
      0xFF, 0xE1, 0, 34,               // APP1, length 34
      'E', 'x', 'i', 'f', 0, 0,        // Exif identifier
      'I', 'I', 42, 0, 8, 0, 0, 0,     // little-endian TIFF, IFD0 at offset 8
      1, 0,                            // one entry:
      0x12, 0x01, 3, 0, 1, 0, 0, 0,    //   Orientation, SHORT, count 1,
      o, 0, 0, 0,                      //   value
      0, 0, 0, 0};                     // no next IFD
  // clang-format on
  // SOI, then APP1, then the rest. (Element-wise: GCC 12 warns falsely about
  // vector::insert here at -O3.)
  std::vector<std::uint8_t> out;
  out.reserve(jpeg.size() + app1.size());
  for (std::size_t k = 0; k < jpeg.size(); ++k) {
    if (k == 2) {
      for (const auto b : app1) out.push_back(b);
    }
    out.push_back(jpeg[k]);
  }
  return out;
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar m = cv::mean(diff);
  return (m[0] + m[1] + m[2]) / 3.0;
}

TEST(CliOutputs, ExifOrientationIsAppliedUnlessNoRotate) {
  ScratchDir dir;
  const auto input = dir / "in" / "turned.jpg";
  write_bytes(input, jpeg_with_orientation(403, 299, 6));  // 6: rotate 90° clockwise
  const cv::Mat stored = cv::imread(input.string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(stored.size(), cv::Size(403, 299));
  cv::Mat upright;
  cv::rotate(stored, upright, cv::ROTATE_90_CLOCKWISE);

  {
    const auto out = dir / "upright";
    const auto r = imgflow({"--report", "-", "-o", out.string(), input.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    const cv::Mat m = cv::imread((out / "turned.jpg").string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(m.size(), cv::Size(299, 403));
    EXPECT_LT(mean_abs_diff(m, upright), 8.0) << "not turned clockwise";
    json report = parse_json(r.out);
    auto& source = report["files"][0]["source"];
    EXPECT_EQ(source["width"], 299);
    EXPECT_EQ(source["height"], 403);
    EXPECT_EQ(source["orientation"], 6);
  }
  {
    const auto out = dir / "upright-small";
    const auto r = imgflow({"-s", "200x", "-o", out.string(), input.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    expect_decodes_to(out / "turned.jpg", {200, 270});
  }
  {
    const auto out = dir / "stored";
    const auto r = imgflow({"--no-rotate", "-s", "200x", "-o", out.string(), input.string()});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    expect_decodes_to(out / "turned.jpg", {200, 148});
  }
}

// Two inputs that map to the same output path by name (a.jpg and a.png under
// -f png): the inputs are listed while the run goes, so the first in planning
// order keeps the path and the later one fails with output-conflict before
// it is read; nothing is replaced.
TEST(CliOutputs, InputsMappingToOneOutputByNameFailTheLaterOneBeforeItIsRead) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "a.jpg", 400, 300, 3, 51);
  write_image(in / "a.png", 200, 100, 3, 52);
  const auto out = dir / "out";
  const auto r = imgflow({"-f", "png", "--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err,
                       "a.png: output-conflict: this input and an earlier one would both "
                       "write " +
                           (out / "a.png").string()))
      << describe(r);
  json report = parse_json(r.out);
  ASSERT_EQ(report["files"].size(), 2u) << describe(r);
  EXPECT_EQ(report["files"][0]["status"], "ok");
  EXPECT_EQ(report["files"][1]["status"], "failed");
  EXPECT_EQ(report["files"][1]["error"]["code"], "output-conflict");
  EXPECT_FALSE(report["files"][1].contains("source"));  // never read
  EXPECT_EQ(list_files(out), std::vector<std::string>{"a.png"});
  expect_decodes_to(out / "a.png", {400, 300});
}

// The same when only the content shows it: x.jpg holds a PNG, so under
// `-f keep` it becomes x.png, like its neighbour x.png. The first to be
// written keeps the path; the other fails with output-conflict and replaces
// nothing.
TEST(CliOutputs, InputsMappingToOneOutputByContentFailTheSecondWithOutputConflict) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_bytes(in / "x.jpg", encoded_image(".png", 400, 300, 3, 53));
  write_image(in / "x.png", 200, 100, 3, 54);
  const auto out = dir / "out";
  const auto r = imgflow({"--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  json report = parse_json(r.out);
  ASSERT_EQ(report["files"].size(), 2u) << describe(r);
  EXPECT_EQ(report["summary"]["ok"], 1);
  EXPECT_EQ(report["summary"]["failed"], 1);
  const std::map<std::string, cv::Size> input_size{{(in / "x.jpg").string(), {400, 300}},
                                                   {(in / "x.png").string(), {200, 100}}};
  for (auto& f : report["files"]) {
    const std::string input = f["input"];
    if (f["status"] == "ok") {
      ASSERT_EQ(f["outputs"].size(), 1u);
      EXPECT_EQ(f["outputs"][0]["path"], (out / "x.png").string());
      // The file on disk is the winner's: its own size, not the other's.
      expect_decodes_to(out / "x.png", input_size.at(input));
    } else {
      EXPECT_EQ(f["status"], "failed");
      EXPECT_EQ(f["error"]["code"], "output-conflict") << f.dump();
      EXPECT_EQ(f["outputs"], json::array());
      EXPECT_TRUE(contains(r.err, "imgflow: " + input + ": output-conflict: ")) << describe(r);
    }
  }
  EXPECT_EQ(list_files(out), std::vector<std::string>{"x.png"});
}

}  // namespace
}  // namespace imgflow::test::cli
