// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Real photos.
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
// Real photos
// ---------------------------------------------------------------------------

TEST(CliSamples, RecursiveGalleryHasExactSizesAndMatchingReport) {
  const auto samples = visible_samples();
  ASSERT_FALSE(samples.empty()) << "no images in " << sample_dir();
  ScratchDir dir;
  const auto out = dir / "thumbs";
  const auto report_path = dir / "report.json";
  const auto r = imgflow({"-r", "-s", "800x800", "--report", report_path.string(), "-o",
                          out.string(), sample_dir().string()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "");
  expect_summary_after_warnings(r, samples.size());

  struct Expected {
    std::string output;  // relative to out
    cv::Size source;
    cv::Size size;
    std::string format;
  };
  std::map<std::string, Expected> expected;  // by input path
  std::set<std::string> expected_files;
  for (const auto& input : samples) {
    // The upright size: OpenCV applies the EXIF orientation, as imgflow does.
    const cv::Mat source = cv::imread(input.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(source.empty()) << input;
    const auto keep = keep_format_for(input);
    fs::path rel = input.lexically_relative(sample_dir());
    rel.replace_extension(keep.output_ext);
    Expected e{rel.string(), source.size(), expected_fit(source.cols, source.rows, 800, 800),
               keep.format};
    expected_files.insert(e.output);
    expected[input.string()] = e;
    expect_decodes_to(out / e.output, e.size);
  }
  EXPECT_EQ(as_set(list_files(out)), expected_files);

  json report = parse_json(read_text(report_path));
  EXPECT_EQ(report["version"], 1);
  EXPECT_EQ(report["summary"]["total"], samples.size());
  EXPECT_EQ(report["summary"]["ok"], samples.size());
  EXPECT_EQ(report["summary"]["failed"], 0);
  EXPECT_EQ(report["summary"]["skipped"], 0);
  EXPECT_EQ(report["summary"]["cancelled"], false);
  EXPECT_TRUE(report["summary"]["seconds"].is_number());
  ASSERT_TRUE(report["files"].is_array());
  ASSERT_EQ(report["files"].size(), samples.size());
  for (auto& f : report["files"]) {
    const std::string input = f["input"].get<std::string>();
    SCOPED_TRACE(input);
    ASSERT_EQ(expected.count(input), 1u);
    const auto& e = expected[input];
    EXPECT_EQ(f["status"], "ok");
    EXPECT_FALSE(f.contains("error"));
    EXPECT_EQ(f["source"]["width"], e.source.width);
    EXPECT_EQ(f["source"]["height"], e.source.height);
    EXPECT_EQ(f["source"]["format"], e.format);
    ASSERT_EQ(f["outputs"].size(), 1u);
    auto& o = f["outputs"][0];
    EXPECT_EQ(o["path"], (out / e.output).string());
    EXPECT_EQ(o["width"], e.size.width);
    EXPECT_EQ(o["height"], e.size.height);
    std::error_code ec;
    EXPECT_EQ(o["bytes"], fs::file_size(out / e.output, ec));
    // Every stage ran, so each took some time; none can exceed the whole run.
    for (const char* stage : {"read", "decode", "resize", "encode", "write"}) {
      const double ms = f["timings_ms"][stage].get<double>();
      EXPECT_GT(ms, 0.0) << stage;
      EXPECT_LT(ms, report["summary"]["seconds"].get<double>() * 1000 + 1) << stage;
    }
  }
  // The files are listed in a stable sorted order.
  std::vector<std::string> inputs;
  for (auto& f : report["files"]) inputs.push_back(f["input"].get<std::string>());
  EXPECT_TRUE(std::is_sorted(inputs.begin(), inputs.end()));
}

TEST(CliSamples, SingleThreadedRunIsByteIdenticalToDefault) {
  ScratchDir dir;
  const auto in = dir / "in";
  // Real photos (shrink-on-load JPEG decoding) plus a few generated files.
  for (const auto& p : visible_samples()) {
    const auto rel = p.lexically_relative(sample_dir());
    fs::create_directories((in / rel).parent_path());
    fs::copy_file(p, in / rel);
  }
  write_image(in / "gen" / "alpha.png", 333, 222, 4, 3);
  write_image(in / "gen" / "gray.png", 250, 401, 1, 4);
  write_image(in / "gen" / "color.jpg", 1200, 900, 3, 5);
  const auto out1 = dir / "default";
  const auto out2 = dir / "single";
  const auto r1 = imgflow({"-r", "-s", "640x480", "-s", "x100", "-o", out1.string(), in.string()});
  ASSERT_EQ(r1.exit_code, 0) << describe(r1);
  const auto r2 = imgflow({"-j", "1", "--readers", "1", "--writers", "1", "-r", "-s", "640x480",
                           "-s", "x100", "-o", out2.string(), in.string()});
  ASSERT_EQ(r2.exit_code, 0) << describe(r2);
  const auto files = list_files(out1);
  EXPECT_EQ(files.size(), 2 * list_files(in).size());
  ASSERT_EQ(list_files(out2), files);
  for (const auto& name : files) {
    EXPECT_TRUE(read_bytes(out1 / name) == read_bytes(out2 / name)) << name << " differs";
  }
}

}  // namespace
}  // namespace imgflow::test::cli
