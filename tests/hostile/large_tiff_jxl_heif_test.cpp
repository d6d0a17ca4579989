// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// TIFF, JPEG XL and HEIF/AVIF inputs that cost time or memory by their size.
// A HEIF or AVIF declaring more items than kMaxHeifItems (4,096) is refused
// as too-complex before libheif parses it; large TIFF and JPEG XL files are
// decoded from the pieces of the file (IMGFLOW_READ_IN_PIECES_ABOVE), with
// the same output as the same file read whole (IMGFLOW_READ_IN_PIECES_ABOVE=0).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

using Bytes = std::vector<std::uint8_t>;
using nlohmann::json;

#ifdef IMGFLOW_HOSTILE_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// A HEIC grid of 128x128 tiles declares 16,385 items (the grid and its
// tiles): libheif 1.15 took 42 s to parse it, before any decode and beyond
// the reach of --timeout. It is refused from its box headers as too-complex
// in milliseconds, with and without --keep-metadata (libheif's metadata
// path), while the photo beside it is resized. (Without the cap: ok after
// 40+ s.)
TEST(HostileTimeBomb, HeicOfSixteenThousandItemsIsTooComplexBeforeLibheifParsesIt) {
  ScratchDir dir;
  const fs::path bomb = dir / "items.heic";
  write_bytes(bomb, heic_grid(128, 128, 64));
  const fs::path photo = sample_dir() / "kite.jpg";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--keep-metadata"}}) {
    std::vector<std::string> argv = {
        "-s", "200", "--report", (dir / "report.json").string(), "-o", (dir / "out").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(bomb.string());
    argv.push_back(photo.string());
    const auto start = std::chrono::steady_clock::now();
    const RunResult r = run_imgflow(RunSpec(argv).with_timeout(std::chrono::seconds(120)));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    expect_failure_lines(r, {{bomb.string(), "too-complex"}}, 2);
    EXPECT_TRUE(
        contains(r.err, "heif declares 16385 items, over the limit of 4096 (the item limit)"))
        << describe(r);
    EXPECT_TRUE(fs::exists(dir / "out" / "kite.jpg")) << describe(r);
    EXPECT_LT(seconds, kSanitized ? 10.0 : 2.0) << describe(r);
    const json doc = json::parse(read_text(dir / "report.json"));
    ASSERT_EQ(doc["files"].size(), 2u);
    EXPECT_EQ(doc["files"][0]["error"]["code"], "too-complex") << doc["files"][0].dump();
    fs::remove_all(dir / "out");
  }
}

}  // namespace
}  // namespace imgflow::test::hostile
