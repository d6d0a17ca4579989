// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Geometries: N% and N@ through the binary, alone and combined.
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
// Geometries: N% and N@ through the binary, alone and combined
// ---------------------------------------------------------------------------

// Runs imgflow on the two sample photos (kite.jpg 2000x1250, the portrait
// 1000x1600) with `args`, expecting success, and returns the output folder.
fs::path resize_samples(const ScratchDir& dir, const std::string& name,
                        std::vector<std::string> args) {
  const auto out = dir / name;
  args.insert(args.end(), {"--quiet", "-o", out.string(), (sample_dir() / "kite.jpg").string(),
                           (sample_dir() / "summer_1am_portrait.jpg").string()});
  const auto r = imgflow(args);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
  return out;  // inputs named by absolute path are written under their file name
}

TEST(CliGeometry, PercentAndAreaGiveTheDocumentedSizes) {
  ASSERT_EQ(decoded_size(sample_dir() / "kite.jpg"), cv::Size(2000, 1250));
  ASSERT_EQ(decoded_size(sample_dir() / "summer_1am_portrait.jpg"), cv::Size(1000, 1600));
  ScratchDir dir;
  struct Case {
    std::vector<std::string> args;
    cv::Size kite, portrait;
  };
  const std::vector<Case> cases = {
      {{"-s", "50%"}, {1000, 625}, {500, 800}},
      {{"-s", "12.5%"}, {250, 156}, {125, 200}},
      // At most 2,000,000 px: 1788x1118 = 1,998,984 (1789 would be 2,000,102);
      // the 1.6 MP portrait is never enlarged.
      {{"-s", "2000000@"}, {1788, 1118}, {1000, 1600}},
      {{"-s", "100000@"}, {400, 250}, {250, 400}},
      {{"-s", "200%"}, {2000, 1250}, {1000, 1600}},               // never enlarged by default
      {{"-s", "150%", "--enlarge"}, {3000, 1875}, {1500, 2400}},  // unless asked
      {{"-s", "200%<"}, {4000, 2500}, {2000, 3200}},              // "<" enlarges
      {{"-s", "50%<"}, {2000, 1250}, {1000, 1600}},               // ... and never shrinks
      {{"-s", "50%>"}, {1000, 625}, {500, 800}},                  // ">" only shrinks
      {{"-s", "200%>", "--enlarge"}, {2000, 1250}, {1000, 1600}},
      {{"-s", "2000000@>"}, {1788, 1118}, {1000, 1600}},
      {{"-s", "4000000@<"}, {2530, 1581}, {1581, 2530}},
      // A scale or an area has no box: --fit cannot crop or pad it.
      {{"-s", "50%", "--fit", "cover"}, {1000, 625}, {500, 800}},
      {{"-s", "50%", "--fit", "contain"}, {1000, 625}, {500, 800}},
      {{"-s", "100000@", "--fit", "fill"}, {400, 250}, {250, 400}},
  };
  int n = 0;
  for (const auto& c : cases) {
    std::string what;
    for (const auto& a : c.args) what += a + " ";
    SCOPED_TRACE(what);
    const auto out = resize_samples(dir, "out" + std::to_string(++n), c.args);
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"kite.jpg", "summer_1am_portrait.jpg"}));
    expect_decodes_to(out / "kite.jpg", c.kite);
    expect_decodes_to(out / "summer_1am_portrait.jpg", c.portrait);
    const cv::Size k = decoded_size(out / "kite.jpg");
    if (!c.args.empty() && c.args[1].find('@') != std::string::npos) {
      EXPECT_LE(std::int64_t{k.width} * k.height, std::stoll(c.args[1])) << "area is a ceiling";
    }
  }
}

TEST(CliGeometry, SeveralSizesAndNameTemplatesSpellPercentAsPcAndAreaAsPx) {
  ScratchDir dir;
  {
    const auto out = resize_samples(dir, "several", {"-s", "50%", "-s", "2000000@", "-s", "300x"});
    EXPECT_EQ(
        list_files(out),
        (std::vector<std::string>{"kite_2000000px.jpg", "kite_300x.jpg", "kite_50pc.jpg",
                                  "summer_1am_portrait_2000000px.jpg",
                                  "summer_1am_portrait_300x.jpg", "summer_1am_portrait_50pc.jpg"}));
    expect_decodes_to(out / "kite_50pc.jpg", {1000, 625});
    expect_decodes_to(out / "kite_2000000px.jpg", {1788, 1118});
    expect_decodes_to(out / "kite_300x.jpg", {300, 188});
    expect_decodes_to(out / "summer_1am_portrait_50pc.jpg", {500, 800});
  }
  {
    const auto out = resize_samples(dir, "named",
                                    {"-s", "25%>", "-s", "100000@", "-f", "png", "--name",
                                     "{size}/{stem}_{width}x{height}.{ext}"});
    EXPECT_EQ(list_files(out),
              (std::vector<std::string>{
                  "100000px/kite_400x250.png", "100000px/summer_1am_portrait_250x400.png",
                  "25pc/kite_500x313.png", "25pc/summer_1am_portrait_250x400.png"}));
    expect_decodes_to(out / "25pc/kite_500x313.png", {500, 313});
    expect_decodes_to(out / "100000px/kite_400x250.png", {400, 250});
  }
}

TEST(CliGeometry, InvalidScalesAndAreasAreUsageErrorsInOneFormat) {
  ScratchDir dir;
  for (const std::string bad : {"0%", "-5%", "10001%", "0@", "1.5@", "50%x", "%", "@"}) {
    SCOPED_TRACE(bad);
    const auto out = dir / "out";
    const auto r = imgflow({"-s", bad, "-o", out.string(), sample_jpeg().string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(starts_with(r.err,
                            "imgflow: --size: expected WxH, W, Wx, xH, N%, N@, optionally "
                            "ending in >, <, ^ or ! (e.g. 800x600), got \"" +
                                bad + "\": "))
        << describe(r);
    EXPECT_FALSE(fs::exists(out));
  }
}

// An output that would replace one of the inputs fails that file with
// output-conflict before it is read, and the input is left as it was.
TEST(CliUsage, OutputOverwritingAnInputIsRefused) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  const auto before = read_bytes(dir / "in" / "a.jpg");
  const auto r = imgflow({"-s", "32", "-o", (dir / "in").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "a.jpg: output-conflict: output ")) << r.err;
  EXPECT_TRUE(contains(r.err, "would overwrite an input")) << r.err;
  EXPECT_EQ(list_files(dir / "in"), std::vector<std::string>{"a.jpg"});
  EXPECT_TRUE(read_bytes(dir / "in" / "a.jpg") == before);
}

}  // namespace
}  // namespace imgflow::test::cli
