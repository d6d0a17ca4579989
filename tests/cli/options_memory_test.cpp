// Every documented option through the REAL imgflow binary (issue 9, item 4);
// the coverage table is in options_coverage_test.cpp.
//
// This file: Concurrency and memory settings: --threads, --readers, --writers,
// --max-in-flight, --max-memory.
#include <gtest/gtest.h>

#include "cli/options_helpers.hpp"

namespace imgflow::test::option_tests {
namespace {

// ---------------------------------------------------------------------------
// Concurrency and memory settings
// ---------------------------------------------------------------------------

TEST(Options, ConcurrencySettingsGiveIdenticalOutputs) {
  ScratchDir dir;
  const auto in = dir / "in";
  copy_to(photos().landscape, in / "a.jpg");
  copy_to(photos().portrait, in / "b.jpg");
  copy_to(photos().alpha, in / "c.png");
  copy_to(sample_dir() / "more" / "evening_glow.webp", in / "d.webp");
  write_pixels(in / "e.png", make_test_pixels(300, 200, 3, 9));
  const std::vector<std::vector<std::string>> settings = {{},
                                                          {"-j", "1"},
                                                          {"-j", "2"},
                                                          {"--readers", "1"},
                                                          {"--readers", "3"},
                                                          {"--writers", "1"},
                                                          {"--writers", "3"},
                                                          {"--max-in-flight", "1"},
                                                          {"--max-in-flight", "8"},
                                                          {"--max-memory", "0"},
                                                          {"--max-memory", "1"},
                                                          {"--max-memory", "512M"}};
  std::vector<std::string> files;
  for (std::size_t i = 0; i < settings.size(); ++i) {
    std::vector<std::string> args = settings[i];
    const std::string tag = numbered("run", static_cast<int>(i), "");
    for (const auto& s : {std::string("-s"), std::string("150"), std::string("-o"),
                          (dir / tag).string(), in.string()}) {
      args.push_back(s);
    }
    SCOPED_TRACE(settings[i].empty() ? "default" : settings[i][0] + " " + settings[i][1]);
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    if (i == 0) {
      files = list_files(dir / tag);
      ASSERT_EQ(files.size(), 5u);
      continue;
    }
    ASSERT_EQ(list_files(dir / tag), files);
    for (const auto& name : files) {
      EXPECT_EQ(read_bytes(dir / tag / name), read_bytes(dir / "run0" / name)) << name;
    }
  }
}

// Four PNGs of 4000x4000 (48 MB each decoded, 0.2 MB on disk): with one image
// in flight, or a memory budget below two images, the peak stays below 1.5
// images above a tiny run's; by default two decode at once. --filter area
// keeps them on the whole-image path; with the default filter they stream
// row by row into the resizer and never come near one image.
TEST(Options, MaxInFlightAndMaxMemoryBoundPeakMemory) {
  if (kSanitized) GTEST_SKIP() << "peak RSS means nothing under a sanitizer";
  ScratchDir dir;
  const auto in = dir / "in";
  {
    // Freed before the runs: a child's peak RSS starts at this process's RSS
    // when it forks (Linux keeps the high-water mark across exec).
    const cv::Mat flat(4000, 4000, CV_8UC3, cv::Scalar(40, 90, 160));
    write_pixels(in / "m0.png", flat);
  }
  for (int i = 1; i < 4; ++i) fs::copy_file(in / "m0.png", in / numbered("m", i, ".png"));
  const long image_kb = 4000L * 4000 * 3 / 1024;
  write_pixels(dir / "tiny.png", make_test_pixels(8, 8, 3));
  const long baseline_kb =
      run({"-o", (dir / "tiny_out").string(), (dir / "tiny.png").string()}).max_rss_kb;
  std::map<std::string, long> peaks;
  for (const auto& setting : std::vector<std::vector<std::string>>{
           {}, {"--max-in-flight", "1"}, {"--max-memory", "1"}, {"--max-memory", "80M"}}) {
    const std::string tag = setting.empty() ? "default" : setting[0] + " " + setting[1];
    std::vector<std::string> args = setting;
    for (const auto& s : {std::string("-j"), std::string("2"), std::string("-s"),
                          std::string("100"), std::string("--filter"), std::string("area"),
                          std::string("-o"), (dir / "out").string(), in.string()}) {
      args.push_back(s);
    }
    const RunResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << tag << ": " << describe(r);
    peaks[tag] = r.max_rss_kb;
    std::printf("peak RSS %s: %ld KB (a tiny run: %ld KB, one image %ld KB)\n", tag.c_str(),
                r.max_rss_kb, baseline_kb, image_kb);
    if (!setting.empty()) {
      EXPECT_LT(r.max_rss_kb, baseline_kb + image_kb * 3 / 2) << tag;
    }
  }
  // The bound means something: without a setting it is exceeded.
  EXPECT_GT(peaks["default"], baseline_kb + image_kb * 3 / 2);
  const RunResult streamed =
      run({"-j", "2", "-s", "100", "-o", (dir / "streamed").string(), in.string()});
  EXPECT_EQ(streamed.exit_code, 0) << describe(streamed);
  std::printf("peak RSS streamed: %ld KB\n", streamed.max_rss_kb);
  EXPECT_LT(streamed.max_rss_kb, baseline_kb + image_kb / 4);
}

}  // namespace
}  // namespace imgflow::test::option_tests
