// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Broken inputs.
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

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "cli/cli_helpers.hpp"

namespace imgflow::test::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Broken inputs
// ---------------------------------------------------------------------------

TEST(CliErrors, BadInputsFailPerFileAndLeaveNoPartialOutputs) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_bad_inputs(in);
  write_image(in / "good1.jpg", 403, 299, 3, 7);
  write_image(in / "good2.png", 120, 300, 4, 8);
  const auto out = dir / "out";
  const auto report_path = dir / "report.json";
  const auto r =
      imgflow({"-s", "200x200", "--report", report_path.string(), "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out, "");
  expect_no_terminal_control(r.err);

  const std::map<std::string, std::string> codes = {{"empty.jpg", "empty-input"},
                                                    {"text.jpg", "unknown-format"},
                                                    {"truncated.jpg", "truncated-input"},
                                                    {"bomb.png", "too-many-pixels"}};
  // One error line per bad file, then the summary; nothing else.
  std::map<std::string, int> seen;
  int summaries = 0;
  for (const auto& line : lines_of(r.err)) {
    if (is_summary_line(line, 6, 2, 4, 0)) {
      ++summaries;
      continue;
    }
    bool matched = false;
    for (const auto& [name, code] : codes) {
      if (starts_with(line, "imgflow: " + (in / name).string() + ": " + code + ": ")) {
        ++seen[name];
        matched = true;
      }
    }
    EXPECT_TRUE(matched) << "unexpected stderr line: " << line;
  }
  EXPECT_EQ(summaries, 1) << r.err;
  for (const auto& [name, code] : codes) EXPECT_EQ(seen[name], 1) << name << " (" << code << ")";
  EXPECT_EQ(lines_of(r.err).size(), 5u) << r.err;

  // Exactly the good files' outputs: no partial outputs, no temporaries.
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"good1.jpg", "good2.png"}));
  expect_decodes_to(out / "good1.jpg", {200, 148});
  expect_decodes_to(out / "good2.png", {80, 200});

  json report = parse_json(read_text(report_path));
  EXPECT_EQ(report["summary"]["total"], 6);
  EXPECT_EQ(report["summary"]["ok"], 2);
  EXPECT_EQ(report["summary"]["failed"], 4);
  EXPECT_EQ(report["summary"]["skipped"], 0);
  EXPECT_EQ(report["summary"]["cancelled"], false);
  ASSERT_EQ(report["files"].size(), 6u);
  for (auto& f : report["files"]) {
    const auto name = fs::path(f["input"].get<std::string>()).filename().string();
    SCOPED_TRACE(name);
    EXPECT_EQ(f["input"], (in / name).string());
    if (codes.count(name)) {
      EXPECT_EQ(f["status"], "failed");
      EXPECT_EQ(f["error"]["code"], codes.at(name));
      EXPECT_TRUE(f["error"]["message"].is_string());
      EXPECT_FALSE(f["error"]["message"].get<std::string>().empty());
      EXPECT_EQ(f["outputs"], json::array());
    } else {
      EXPECT_EQ(f["status"], "ok");
      EXPECT_FALSE(f.contains("error"));
      ASSERT_EQ(f["outputs"].size(), 1u);
      EXPECT_EQ(f["outputs"][0]["bytes"], fs::file_size(out / name));
    }
  }
}

TEST(CliErrors, MissingInputIsNotFoundAndTheRestIsDone) {
  ScratchDir dir;
  write_image(dir / "good.jpg", 64, 48);
  const auto missing = dir / "no-such-photo.jpg";
  const auto out = dir / "out";
  const auto r = imgflow({"-o", out.string(), (dir / "good.jpg").string(), missing.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + missing.string() + ": not-found: ")) << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  EXPECT_EQ(list_files(out), std::vector<std::string>{"good.jpg"});
  expect_decodes_to(out / "good.jpg", {64, 48});
}

TEST(CliErrors, MissingInputAloneExitsOne) {
  ScratchDir dir;
  const auto missing = dir / "nowhere" / "x.png";
  const auto r = imgflow({"-o", (dir / "out").string(), missing.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_EQ(err[0],
            "imgflow: " + missing.string() + ": not-found: no such file (or a dangling link)");
  EXPECT_TRUE(is_summary_line(err[1], 1, 0, 1, 0)) << err[1];
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{});
}

TEST(CliErrors, CodecChatterIsCapturedNotPrintedRaw) {
  // OpenCV's TIFF reader printed "imdecode_(''): can't read data" straight to
  // stderr for a TIFF whose strip is cut short (imgflow turned it into a
  // warning line). libtiff now reads TIFF with its messages captured per file:
  // the file is truncated-input, with no line of libtiff's or OpenCV's at all.
  // An uncompressed 8-bit RGB TIFF, header first, cut in half.
  ScratchDir dir;
  const std::uint32_t w = 64, h = 64, data_at = 8 + 2 + 10 * 12 + 4 + 6;
  std::vector<std::uint8_t> tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 10, 0};
  auto put16 = [&](std::uint32_t v) {
    tiff.push_back(v & 0xFF);
    tiff.push_back((v >> 8) & 0xFF);
  };
  auto put32 = [&](std::uint32_t v) {
    put16(v & 0xFFFF);
    put16(v >> 16);
  };
  auto entry = [&](std::uint32_t tag, std::uint32_t type, std::uint32_t count,
                   std::uint32_t value) {
    put16(tag);
    put16(type);
    put32(count);
    put32(value);
  };
  entry(256, 4, 1, w);
  entry(257, 4, 1, h);
  entry(258, 3, 3, data_at - 6);  // BitsPerSample 8,8,8 stored after the IFD
  entry(259, 3, 1, 1);            // no compression
  entry(262, 3, 1, 2);            // RGB
  entry(273, 4, 1, data_at);      // the one strip
  entry(277, 3, 1, 3);
  entry(278, 4, 1, h);
  entry(279, 4, 1, w * h * 3);
  entry(284, 3, 1, 1);  // chunky
  put32(0);
  put16(8);
  put16(8);
  put16(8);
  tiff.resize(data_at + w * h * 3 / 2, 0x80);  // half the pixels
  write_bytes(dir / "in" / "cut.tif", tiff);
  write_image(dir / "in" / "good.png", 40, 30);
  const auto r = imgflow({"-s", "20", "-o", (dir / "out").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  for (const auto& line : lines_of(r.err)) {
    EXPECT_TRUE(starts_with(line, "imgflow: ")) << "raw line on stderr: " << line;
  }
  EXPECT_TRUE(r.err.find("cut.tif: truncated-input: ") != std::string::npos) << describe(r);
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << describe(r);
  EXPECT_TRUE(fs::exists(dir / "out" / "good.png"));
}

TEST(CliErrors, SvgIsUnsupportedFormat) {
  ScratchDir dir;
  const auto in = dir / "in";
  // Two SVGs named by directory scan.
  const std::string svg =
      "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" "
      "height=\"4\"/>\n";
  write_text(in / "old.svg", svg);
  write_text(in / "new.svg", "<svg width=\"1\" height=\"1\"></svg>");
  // Named explicitly, with a misleading extension: the content decides.
  write_text(dir / "really-an-svg.jpg", svg);
  write_image(in / "ok.png", 30, 20);
  const auto out = dir / "out";
  {
    const auto r = imgflow({"-s", "10x10", "-o", out.string(), in.string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 3u) << describe(r);
    // Two error lines (in either order), then the summary.
    std::vector<std::string> errors{err[0], err[1]};
    std::sort(errors.begin(), errors.end());
    EXPECT_TRUE(
        starts_with(errors[0], "imgflow: " + (in / "new.svg").string() + ": unsupported-format: "))
        << errors[0];
    EXPECT_TRUE(
        starts_with(errors[1], "imgflow: " + (in / "old.svg").string() + ": unsupported-format: "))
        << errors[1];
    EXPECT_TRUE(is_summary_line(err[2], 3, 1, 2, 0)) << err[2];
    EXPECT_EQ(list_files(out), std::vector<std::string>{"ok.png"});
  }
  {
    const auto r = imgflow({"-o", (dir / "out2").string(), (dir / "really-an-svg.jpg").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 2u) << describe(r);
    EXPECT_TRUE(starts_with(
        err[0], "imgflow: " + (dir / "really-an-svg.jpg").string() + ": unsupported-format: "))
        << err[0];
    EXPECT_EQ(list_files(dir / "out2"), std::vector<std::string>{});
  }
}

TEST(CliErrors, GifIsReadByContentAndACutGifIsTruncated) {
  ScratchDir dir;
  const auto in = dir / "in";
  // A complete 1x1 GIF87a, a GIF89a cut after its header, and a GIF named .jpg.
  const std::vector<std::uint8_t> gif = {'G', 'I', 'F', '8', '7', 'a', 1,   0,    1, 0, 0x80, 0,
                                         0,   0,   0,   0,   255, 255, 255, ',',  0, 0, 0,    0,
                                         1,   0,   1,   0,   0,   2,   2,   0x44, 1, 0, ';'};
  write_bytes(in / "old.gif", gif);
  write_bytes(in / "new.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0});
  write_bytes(dir / "really-a-gif.jpg", gif);
  const auto out = dir / "out";
  const auto r = imgflow({"-o", out.string(), in.string(), (dir / "really-a-gif.jpg").string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + (in / "new.gif").string() + ": truncated-input: "))
      << err[0];
  // GIF is not written: -f keep gives JPEG.
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"old.jpg", "really-a-gif.jpg"}));
}

TEST(CliErrors, MaxPixelsRefusesLargerImages) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "at-limit.png", 40, 25);    // 1000 pixels: accepted
  write_image(in / "over-limit.jpg", 40, 26);  // 1040 pixels: refused
  const auto out = dir / "out";
  const auto r = imgflow({"--max-pixels", "1000", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(
      starts_with(err[0], "imgflow: " + (in / "over-limit.jpg").string() + ": too-many-pixels: "))
      << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 2, 1, 1, 0)) << err[1];
  EXPECT_EQ(list_files(out), std::vector<std::string>{"at-limit.png"});
}

TEST(CliErrors, JpegMissingOnlyItsEndMarkerIsOkWithAWarning) {
  ScratchDir dir;
  auto bytes = encoded_image(".jpg", 160, 120);
  ASSERT_GE(bytes.size(), 2u);
  ASSERT_EQ(bytes[bytes.size() - 2], 0xFF);
  ASSERT_EQ(bytes.back(), 0xD9);
  bytes.resize(bytes.size() - 2);
  write_bytes(dir / "no-eoi.jpg", bytes);
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "80x80", "-o", out.string(), (dir / "no-eoi.jpg").string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_TRUE(starts_with(err[0], "imgflow: " + (dir / "no-eoi.jpg").string() + ": warning: "))
      << err[0];
  EXPECT_TRUE(is_summary_line(err[1], 1, 1, 0, 0)) << err[1];
  expect_decodes_to(out / "no-eoi.jpg", {80, 60});

  // --quiet: errors only, so not even the warning.
  const auto q = imgflow(
      {"-s", "80x80", "--quiet", "-o", (dir / "out2").string(), (dir / "no-eoi.jpg").string()});
  EXPECT_EQ(q.exit_code, 0) << describe(q);
  EXPECT_EQ(q.err, "");
}

}  // namespace
}  // namespace imgflow::test::cli
