// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Report and quiet mode.
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
// Report and quiet mode
// ---------------------------------------------------------------------------

TEST(CliReport, ReportDashPrintsJsonOnStdout) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "a.jpg", 403, 299, 3, 31);
  write_image(in / "b.png", 100, 50, 4, 32);
  write_text(in / "c.jpg", "text, not an image\n");
  const auto out = dir / "out";
  const auto r = imgflow({"-s", "200x200", "--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  json report = parse_json(r.out);
  EXPECT_FALSE(fs::exists("-"));
  EXPECT_FALSE(fs::exists(out / "-"));

  EXPECT_EQ(report["version"], 1);
  auto& s = report["summary"];
  EXPECT_EQ(s["total"], 3);
  EXPECT_EQ(s["ok"], 2);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["skipped"], 0);
  EXPECT_EQ(s["cancelled"], false);
  EXPECT_TRUE(s["seconds"].is_number());
  EXPECT_GE(s["seconds"].get<double>(), 0.0);

  ASSERT_EQ(report["files"].size(), 3u);
  auto& a = report["files"][0];
  EXPECT_EQ(a["input"], (in / "a.jpg").string());
  EXPECT_EQ(a["status"], "ok");
  EXPECT_FALSE(a.contains("error"));
  EXPECT_EQ(a["source"]["width"], 403);
  EXPECT_EQ(a["source"]["height"], 299);
  EXPECT_EQ(a["source"]["format"], "jpeg");
  ASSERT_EQ(a["outputs"].size(), 1u);
  EXPECT_EQ(a["outputs"][0]["path"], (out / "a.jpg").string());
  EXPECT_EQ(a["outputs"][0]["width"], 200);
  EXPECT_EQ(a["outputs"][0]["height"], 148);
  EXPECT_EQ(a["outputs"][0]["bytes"], fs::file_size(out / "a.jpg"));

  auto& b = report["files"][1];
  EXPECT_EQ(b["input"], (in / "b.png").string());
  EXPECT_EQ(b["status"], "ok");
  EXPECT_EQ(b["source"]["width"], 100);
  EXPECT_EQ(b["source"]["height"], 50);
  EXPECT_EQ(b["source"]["format"], "png");
  ASSERT_EQ(b["outputs"].size(), 1u);
  EXPECT_EQ(b["outputs"][0]["path"], (out / "b.png").string());
  EXPECT_EQ(b["outputs"][0]["width"], 100);
  EXPECT_EQ(b["outputs"][0]["height"], 50);
  EXPECT_EQ(b["outputs"][0]["bytes"], fs::file_size(out / "b.png"));

  auto& c = report["files"][2];
  EXPECT_EQ(c["input"], (in / "c.jpg").string());
  EXPECT_EQ(c["status"], "failed");
  EXPECT_EQ(c["error"]["code"], "unknown-format");
  EXPECT_EQ(c["error"]["message"], "not an image format imgflow knows");
  EXPECT_EQ(c["outputs"], json::array());

  // Stderr: the error line and the summary, as usual.
  const auto err = lines_of(r.err);
  ASSERT_EQ(err.size(), 2u) << describe(r);
  EXPECT_EQ(err[0], "imgflow: " + (in / "c.jpg").string() +
                        ": unknown-format: not an image format imgflow knows");
  EXPECT_TRUE(is_summary_line(err[1], 3, 2, 1, 0)) << err[1];
  EXPECT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "b.png"}));
}

std::string base64_decode(const std::string& text) {
  static const std::string digits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto v = digits.find(c);
    if (v == std::string::npos) {
      ADD_FAILURE() << "not base64: " << text;
      return {};
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

// A Latin-1 file name (not UTF-8) maps back to its file from the report and
// from --log-json alike: "input" shows it with U+FFFD, "input_base64" (and
// "path_base64" for outputs) holds the exact bytes.
TEST(CliReport, NonUtf8FileNamesRoundTripThroughReportAndLogJson) {
  ScratchDir dir;
  const auto in = dir / "in";
  const std::string latin1 = std::string("caf\xE9.jpg");
  write_image(in / latin1, 120, 90, 3, 61);
  write_image(in / "plain.jpg", 120, 90, 3, 62);
  const auto out = dir / "out";
  const auto report_path = dir / "report.json";
  const auto r = imgflow({"--quiet", "--log-json", "--report", report_path.string(), "-s", "60",
                          "-o", out.string(), in.string()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  std::vector<json> entries;
  for (const auto& line : lines) entries.push_back(parse_json(line));
  const json report = parse_json(read_text(report_path));
  ASSERT_EQ(report["files"].size(), 2u);
  for (const auto& f : report["files"]) entries.push_back(f);
  int latin1_entries = 0;
  for (const auto& f : entries) {
    SCOPED_TRACE(f.dump());
    if (!f.contains("input_base64")) {
      EXPECT_EQ(f["input"], (in / "plain.jpg").string());
      EXPECT_FALSE(f["outputs"][0].contains("path_base64"));
      continue;
    }
    ++latin1_entries;
    EXPECT_EQ(f["input"], (in / "caf\xEF\xBF\xBD.jpg").string());
    const fs::path input = base64_decode(f["input_base64"]);
    EXPECT_EQ(input, in / latin1);
    EXPECT_TRUE(fs::is_regular_file(input));
    ASSERT_EQ(f["outputs"].size(), 1u);
    const fs::path output = base64_decode(f["outputs"][0]["path_base64"]);
    EXPECT_EQ(output, out / latin1);
    expect_decodes_to(output, {60, 45});
  }
  EXPECT_EQ(latin1_entries, 2);  // one line of --log-json, one entry of the report
}

TEST(CliReport, ReportFileIsWrittenWholeAndStdoutStaysEmpty) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  const auto report_path = dir / "reports" / "run.json";
  fs::create_directories(report_path.parent_path());
  const auto r = imgflow(
      {"--report", report_path.string(), "-o", (dir / "out").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(list_files(report_path.parent_path()), std::vector<std::string>{"run.json"});
  json report = parse_json(read_text(report_path));
  EXPECT_EQ(report["summary"]["ok"], 1);
  ASSERT_EQ(report["files"].size(), 1u);
  EXPECT_EQ(report["files"][0]["outputs"][0]["bytes"], fs::file_size(dir / "out" / "a.jpg"));
}

TEST(CliReport, QuietSuccessHasEmptyStderr) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  write_image(dir / "in" / "b.png", 64, 48);
  const auto r =
      imgflow({"-s", "32x32", "--quiet", "-o", (dir / "out").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(list_files(dir / "out"), (std::vector<std::string>{"a.jpg", "b.png"}));
}

TEST(CliReport, QuietFailureHasOnlyErrorLines) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  write_bytes(dir / "in" / "empty.png", {});
  const auto r =
      imgflow({"-s", "32x32", "--quiet", "-o", (dir / "out").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.err,
            "imgflow: " + (dir / "in" / "empty.png").string() + ": empty-input: file is empty\n");
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{"a.jpg"});
}

// OpenCV's imgcodecs is a plugin beside libimgflow (src/opencv_codecs.hpp).
// A libimgflow whose plugin is missing fails only the files that need it,
// each with a stable code and a message that names the plugin. TIFF is read
// and written by libtiff (src/codec/tiff_*code.cpp) and needs no plugin.
TEST(CliReport, MissingCodecsPluginFailsOnlyTheFilesThatNeedIt) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  write_image(dir / "in" / "b.bmp", 64, 48);
  write_image(dir / "in" / "c.tif", 64, 48);
  const fs::path library = imgflow_binary().parent_path() / "libimgflow.so.0";
  if (!fs::exists(library)) GTEST_SKIP() << "static build: the codecs are built in";
  fs::create_directories(dir / "lib");
  fs::copy_file(library, dir / "lib" / "libimgflow.so.0");  // without the plugin beside it
  const auto r = run_imgflow(RunSpec({"-s", "32x32", "--quiet", "-f", "png", "-f", "tiff", "-o",
                                      (dir / "out").string(), (dir / "in").string()})
                                 .with_env({"LD_LIBRARY_PATH=" + (dir / "lib").string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(starts_with(r.err, "imgflow: " + (dir / "in" / "b.bmp").string() +
                                     ": unsupported-format: BMP, PNM and JPEG 2000 need "
                                     "OpenCV's codecs plugin: "))
      << r.err;
  EXPECT_TRUE(contains(r.err, "libimgflow_opencv_codecs.so")) << r.err;
  EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
  EXPECT_EQ(list_files(dir / "out"),
            (std::vector<std::string>{"a.png", "a.tif", "c.png", "c.tif"}));
}

}  // namespace
}  // namespace imgflow::test::cli
