// Helpers shared by the CLI suites
// tests/cli/{usage,geometry,samples,errors,outputs,report,signals}_test.cpp: running the binary,
// writing synthetic images, expected sizes.
#pragma once

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

namespace imgflow::test::cli {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// Runs the built imgflow binary with `args` (no shell).
inline CommandResult imgflow(const std::vector<std::string>& args) {
  std::vector<std::string> argv{imgflow_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

inline std::string describe(const CommandResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// No progress bar, no cursor movement: stderr is a pipe here, not a terminal.
inline void expect_no_terminal_control(const std::string& err) {
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << err;
}

// Stderr of a successful, non-quiet run: exactly one line, the summary.
inline void expect_only_summary(const CommandResult& r, std::size_t total) {
  expect_no_terminal_control(r.err);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(lines[0], total, total, 0, 0)) << lines[0];
}

// Stderr of a successful run over real photos: codec warnings (one line each,
// `imgflow: <input>: warning: <message>`) may come first, then the summary.
inline void expect_summary_after_warnings(const CommandResult& r, std::size_t total) {
  expect_no_terminal_control(r.err);
  const auto lines = lines_of(r.err);
  ASSERT_GE(lines.size(), 1u) << describe(r);
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_TRUE(starts_with(lines[i], "imgflow: ") && contains(lines[i], ": warning: "))
        << "unexpected stderr line: " << lines[i];
  }
  EXPECT_TRUE(is_summary_line(lines.back(), total, total, 0, 0)) << lines.back();
}

// Writes a synthetic image with OpenCV; the format follows the extension.
inline void write_image(const fs::path& path, int width, int height, int channels = 3,
                        unsigned seed = 1) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), make_test_pixels(width, height, channels, seed))) << path;
}

// Encodes a synthetic image to bytes (`ext` like ".png"), e.g. to write it
// under a misleading name.
inline std::vector<std::uint8_t> encoded_image(const std::string& ext, int width, int height,
                                               int channels = 3, unsigned seed = 1) {
  std::vector<std::uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, make_test_pixels(width, height, channels, seed), bytes));
  return bytes;
}

// Fit `w`x`h` inside a `bw`x`bh` box (0 = unconstrained), keeping the aspect
// ratio, never enlarging, rounding to nearest, at least 1 px. Exact integer
// arithmetic, independent of the product's floating-point version.
inline cv::Size expected_fit(int w, int h, int bw, int bh) {
  const std::int64_t W = w, H = h, BW = bw, BH = bh;
  bool by_width;
  if (bw > 0 && bh > 0) {
    by_width = BW * H <= BH * W;  // bw/w <= bh/h
  } else {
    by_width = bw > 0;
  }
  auto rounded = [](std::int64_t num, std::int64_t den) { return (2 * num + den) / (2 * den); };
  if (by_width) {
    if (BW >= W) return {w, h};
    const auto other = std::max<std::int64_t>(1, rounded(H * BW, W));
    return {bw, static_cast<int>(other)};
  }
  if (BH >= H) return {w, h};
  const auto other = std::max<std::int64_t>(1, rounded(W * BH, H));
  return {static_cast<int>(other), bh};
}

// Decodes `path` as stored (no EXIF rotation) and checks its size.
inline void expect_decodes_to(const fs::path& path, cv::Size size) {
  const cv::Mat m = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(m.empty()) << path << " does not decode";
  EXPECT_EQ(m.cols, size.width) << path;
  EXPECT_EQ(m.rows, size.height) << path;
}

inline std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// For a sample file: the format name in the report and, under `-f keep`, the
// output extension (the input's own spelling when it names the output format).
struct KeepFormat {
  std::string format;
  std::string output_ext;
};

inline KeepFormat keep_format_for(const fs::path& input) {
  const std::string ext = input.extension().string();
  const std::string e = lower(ext);
  if (e == ".jpg" || e == ".jpeg" || e == ".jpe") return {"jpeg", ext};
  if (e == ".png") return {"png", ext};
  if (e == ".webp") return {"webp", ext};
  if (e == ".tif" || e == ".tiff") return {"tiff", ext};
  if (e == ".bmp") return {"bmp", ".jpg"};
  if (e == ".ppm" || e == ".pgm" || e == ".pbm" || e == ".pnm") return {"pnm", ".jpg"};
  if (e == ".jp2") return {"jpeg2000", ".jpg"};
  ADD_FAILURE() << "sample with an extension this test does not know: " << input;
  return {"unknown", ".jpg"};
}

inline bool is_hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    const auto s = part.string();
    if (!s.empty() && s[0] == '.' && s != "." && s != "..") return true;
  }
  return false;
}

// The real sample photos that a recursive run over sample_images/ picks up.
inline std::vector<fs::path> visible_samples() {
  std::vector<fs::path> out;
  for (const auto& p : sample_images()) {
    if (!is_hidden(p.lexically_relative(sample_dir()))) out.push_back(p);
  }
  return out;
}

}  // namespace imgflow::test::cli
