// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp): Awkward names.
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
