// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
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

namespace imgflow::test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// Runs the built imgflow binary with `args` (no shell).
CommandResult imgflow(const std::vector<std::string>& args) {
  std::vector<std::string> argv{imgflow_binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

std::string describe(const CommandResult& r) {
  return "exit code " + std::to_string(r.exit_code) + "\n--- stdout ---\n" + r.out +
         "\n--- stderr ---\n" + r.err;
}

// No progress bar, no cursor movement: stderr is a pipe here, not a terminal.
void expect_no_terminal_control(const std::string& err) {
  EXPECT_EQ(err.find('\r'), std::string::npos) << err;
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << err;
}

// Stderr of a successful, non-quiet run: exactly one line, the summary.
void expect_only_summary(const CommandResult& r, std::size_t total) {
  expect_no_terminal_control(r.err);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(lines[0], total, total, 0, 0)) << lines[0];
}

// Stderr of a successful run over real photos: codec warnings (one line each,
// `imgflow: <input>: warning: <message>`) may come first, then the summary.
void expect_summary_after_warnings(const CommandResult& r, std::size_t total) {
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
void write_image(const fs::path& path, int width, int height, int channels = 3, unsigned seed = 1) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), make_test_pixels(width, height, channels, seed))) << path;
}

// Encodes a synthetic image to bytes (`ext` like ".png"), e.g. to write it
// under a misleading name.
std::vector<std::uint8_t> encoded_image(const std::string& ext, int width, int height,
                                        int channels = 3, unsigned seed = 1) {
  std::vector<std::uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, make_test_pixels(width, height, channels, seed), bytes));
  return bytes;
}

// Fit `w`x`h` inside a `bw`x`bh` box (0 = unconstrained), keeping the aspect
// ratio, never enlarging, rounding to nearest, at least 1 px. Exact integer
// arithmetic, independent of the product's floating-point version.
cv::Size expected_fit(int w, int h, int bw, int bh) {
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
void expect_decodes_to(const fs::path& path, cv::Size size) {
  const cv::Mat m = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(m.empty()) << path << " does not decode";
  EXPECT_EQ(m.cols, size.width) << path;
  EXPECT_EQ(m.rows, size.height) << path;
}

std::set<std::string> as_set(const std::vector<std::string>& v) {
  return {v.begin(), v.end()};
}

std::string lower(std::string s) {
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

KeepFormat keep_format_for(const fs::path& input) {
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

bool is_hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    const auto s = part.string();
    if (!s.empty() && s[0] == '.' && s != "." && s != "..") return true;
  }
  return false;
}

// The real sample photos that a recursive run over sample_images/ picks up.
std::vector<fs::path> visible_samples() {
  std::vector<fs::path> out;
  for (const auto& p : sample_images()) {
    if (!is_hidden(p.lexically_relative(sample_dir()))) out.push_back(p);
  }
  return out;
}

// ---------------------------------------------------------------------------
// --help, --version, usage and setup errors (exit 2, nothing written)
// ---------------------------------------------------------------------------

TEST(CliUsage, HelpExitsZeroAndListsEveryOption) {
  const auto r = imgflow({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "Usage: imgflow [OPTIONS]")) << r.out;
  EXPECT_TRUE(contains(r.out, "INPUT")) << r.out;
  for (const char* option : {"-o,--output", "-s,--size", "-f,--format", "-q,--quality",
                             "-r,--recursive", "-j,--threads", "--readers", "--writers", "--report",
                             "--quiet", "--max-pixels", "--version", "-h,--help"}) {
    EXPECT_TRUE(contains(r.out, option)) << "--help does not list " << option << ":\n" << r.out;
  }
  EXPECT_EQ(r.err, "");
}

TEST(CliUsage, VersionPrintsVersion) {
  const auto r = imgflow({"--version"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "0.1.0\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliUsage, MissingOutputIsUsageError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  const auto r = imgflow({"-s", "20x20", "-r", (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "--output")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(list_files(dir.path()), std::vector<std::string>{"in/a.jpg"});
}

TEST(CliUsage, MissingInputIsUsageError) {
  ScratchDir dir;
  const auto r = imgflow({"-o", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "INPUT")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(CliUsage, BadGeometryIsUsageErrorAndCreatesNothing) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  for (const char* geometry : {"0x0", "abc", "0", "800x0", "x", "12y34", "800x600x2", ""}) {
    SCOPED_TRACE(std::string("-s \"") + geometry + "\"");
    const auto out = dir / "out";
    const auto r = imgflow({"-s", geometry, "-o", out.string(), (dir / "in").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << describe(r);
    EXPECT_TRUE(
        starts_with(err[0],
                    "imgflow: --size: expected WxH, W, Wx, xH, N%, N@, optionally ending in >, <, "
                    "^ or ! (e.g. 800x600), got \"" +
                        std::string(geometry) + "\": "))
        << err[0];
    EXPECT_FALSE(fs::exists(out)) << "the output directory was created";
    EXPECT_EQ(list_files(dir.path()), std::vector<std::string>{"in/a.jpg"});
  }
}

TEST(CliUsage, DecodeTuningOutOfRangeIsUsageError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  struct Case {
    std::string option;
    std::vector<std::string> bad, good;
  };
  for (const Case& c : {Case{"--progressive-bits", {"-2", "14", "all"}, {"-1", "0", "2"}},
                        Case{"--shrink-margin", {"0.5", "9", "x"}, {"1", "1.6", "8"}},
                        Case{"--max-memory", {"-1", "lots", "1.5G"}, {"0", "1", "512M"}}}) {
    for (const auto& value : c.bad) {
      SCOPED_TRACE(c.option + " " + value);
      const auto r =
          imgflow({"-o", (dir / "out").string(), c.option, value, (dir / "in" / "a.jpg").string()});
      EXPECT_EQ(r.exit_code, 2) << describe(r);
      EXPECT_TRUE(contains(r.err, c.option)) << r.err;
      EXPECT_FALSE(fs::exists(dir / "out"));
    }
    for (const auto& value : c.good) {
      const auto out = dir / "ok" / (c.option.substr(2) + value);
      const auto r = imgflow(
          {"-s", "20x20", "-o", out.string(), c.option, value, (dir / "in" / "a.jpg").string()});
      EXPECT_EQ(r.exit_code, 0) << describe(r);
      EXPECT_TRUE(fs::exists(out / "a.jpg")) << c.option << " " << value;
    }
  }
}

TEST(CliUsage, QualityOutOfRangeIsUsageError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  for (const char* quality : {"0", "101", "-5", "high"}) {
    SCOPED_TRACE(std::string("-q ") + quality);
    const auto r =
        imgflow({"-o", (dir / "out").string(), "-q", quality, (dir / "in" / "a.jpg").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(contains(r.err, "--quality")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

TEST(CliUsage, UnknownFormatNameIsUsageError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  for (const char* format : {"gif", "JPEG", "bmp", ""}) {
    SCOPED_TRACE(std::string("-f \"") + format + "\"");
    const auto r =
        imgflow({"-o", (dir / "out").string(), "-f", format, (dir / "in" / "a.jpg").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(r.err, "imgflow: --format: expected keep, jpeg, png, webp or tiff, got \"" +
                         std::string(format) + "\"\n");
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

TEST(CliUsage, BadThreadCountsAreUsageErrors) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"-j", "-1"}, {"--readers", "0"}, {"--writers", "0"}, {"--writers", "65"}}) {
    SCOPED_TRACE(bad[0] + " " + bad[1]);
    const auto r =
        imgflow({"-o", (dir / "out").string(), bad[0], bad[1], (dir / "in" / "a.jpg").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
}

TEST(CliUsage, OutputDirectoryThatCannotBeCreatedIsSetupError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  write_text(dir / "file", "a regular file\n");
  // Below a regular file, and the regular file itself.
  for (const fs::path& out : {dir / "file" / "out", dir / "file"}) {
    SCOPED_TRACE(out.string());
    const auto r = imgflow({"-s", "20x20", "-o", out.string(), (dir / "in").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 1u) << describe(r);
    EXPECT_TRUE(starts_with(err[0], "imgflow: --output: cannot create directory " + out.string()))
        << err[0];
    EXPECT_EQ(read_text(dir / "file"), "a regular file\n");
    EXPECT_EQ(list_files(dir.path()), (std::vector<std::string>{"file", "in/a.jpg"}));
  }
}

// `-s` is repeatable, one value per occurrence: it must not swallow the
// INPUT operands (or anything else) that follow it.
TEST(CliUsage, SizeOptionTakesOneValuePerOccurrence) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "a.jpg", 403, 299, 3, 1);
  write_image(in / "b.jpg", 403, 299, 3, 2);
  const std::vector<std::vector<std::string>> tails = {
      {in.string()},                                       // imgflow -o OUT -s 100 in
      {(in / "a.jpg").string(), (in / "b.jpg").string()},  // imgflow -o OUT -s 100 a b
      {in.string(), "--quiet"},                            // imgflow -o OUT -s 100 in --quiet
  };
  int n = 0;
  for (const auto& tail : tails) {
    const auto out = dir / ("out" + std::to_string(++n));
    std::vector<std::string> args{"--quiet", "-o", out.string(), "-s", "100"};
    args.insert(args.end(), tail.begin(), tail.end());
    SCOPED_TRACE("-s 100 followed by " + tail[0] + (tail.size() > 1 ? " " + tail[1] : ""));
    const auto r = imgflow(args);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(list_files(out), (std::vector<std::string>{"a.jpg", "b.jpg"}));
    if (fs::exists(out / "a.jpg")) expect_decodes_to(out / "a.jpg", {100, 74});
  }
}

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

// An output that would replace one of the inputs is refused before anything
// is written.
TEST(CliUsage, OutputOverwritingAnInputIsRefused) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  const auto before = read_bytes(dir / "in" / "a.jpg");
  const auto r = imgflow({"-s", "32", "-o", (dir / "in").string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "would overwrite an input")) << r.err;
  EXPECT_EQ(list_files(dir / "in"), std::vector<std::string>{"a.jpg"});
  EXPECT_TRUE(read_bytes(dir / "in" / "a.jpg") == before);
}

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
  // OpenCV's TIFF reader prints "imdecode_(''): can't read data" straight to
  // stderr for a TIFF whose strip is cut short; imgflow must turn it into its
  // own warning line. An uncompressed 8-bit RGB TIFF, header first, cut in half.
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
  EXPECT_TRUE(r.err.find("cut.tif: corrupt-input: ") != std::string::npos) << describe(r);
  EXPECT_TRUE(r.err.find("imgflow: warning: imdecode_") != std::string::npos) << describe(r);
  EXPECT_TRUE(fs::exists(dir / "out" / "good.png"));
}

TEST(CliErrors, GifIsUnsupportedFormat) {
  ScratchDir dir;
  const auto in = dir / "in";
  // A complete 1x1 GIF87a and a GIF89a header; both named by directory scan.
  write_bytes(in / "old.gif",
              {'G', 'I', 'F', '8', '7', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0,    0, 0, 255, 255,
               255, ',', 0,   0,   0,   0,   1, 0, 1, 0, 0,    2, 2, 0x44, 1, 0, ';'});
  write_bytes(in / "new.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'});
  // Named explicitly, with a misleading extension: the content decides.
  write_bytes(dir / "really-a-gif.jpg", {'G', 'I', 'F', '8', '7', 'a', 1, 0, 1, 0, 0, 0, 0, ';'});
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
        starts_with(errors[0], "imgflow: " + (in / "new.gif").string() + ": unsupported-format: "))
        << errors[0];
    EXPECT_TRUE(
        starts_with(errors[1], "imgflow: " + (in / "old.gif").string() + ": unsupported-format: "))
        << errors[1];
    EXPECT_TRUE(is_summary_line(err[2], 3, 1, 2, 0)) << err[2];
    EXPECT_EQ(list_files(out), std::vector<std::string>{"ok.png"});
  }
  {
    const auto r = imgflow({"-o", (dir / "out2").string(), (dir / "really-a-gif.jpg").string()});
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    const auto err = lines_of(r.err);
    ASSERT_EQ(err.size(), 2u) << describe(r);
    EXPECT_TRUE(starts_with(
        err[0], "imgflow: " + (dir / "really-a-gif.jpg").string() + ": unsupported-format: "))
        << err[0];
    EXPECT_EQ(list_files(dir / "out2"), std::vector<std::string>{});
  }
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
// -f png): the plan refuses the run before anything is written (exit 2).
TEST(CliOutputs, InputsMappingToOneOutputByNameAreRefusedBeforeAnythingIsWritten) {
  ScratchDir dir;
  const auto in = dir / "in";
  write_image(in / "a.jpg", 400, 300, 3, 51);
  write_image(in / "a.png", 200, 100, 3, 52);
  const auto out = dir / "out";
  const auto r = imgflow({"-f", "png", "--report", "-", "-o", out.string(), in.string()});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "would both write")) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(list_files(out), std::vector<std::string>{});
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
// each with a stable code and a message that names the plugin.
TEST(CliReport, MissingCodecsPluginFailsOnlyTheFilesThatNeedIt) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 64, 48);
  write_image(dir / "in" / "b.tif", 64, 48);
  const fs::path library = imgflow_binary().parent_path() / "libimgflow.so.0";
  if (!fs::exists(library)) GTEST_SKIP() << "static build: the codecs are built in";
  fs::create_directories(dir / "lib");
  fs::copy_file(library, dir / "lib" / "libimgflow.so.0");  // without the plugin beside it
  const auto r = run_imgflow(
      RunSpec({"-s", "32x32", "--quiet", "-o", (dir / "out").string(), (dir / "in").string()})
          .with_env({"LD_LIBRARY_PATH=" + (dir / "lib").string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(starts_with(r.err, "imgflow: " + (dir / "in" / "b.tif").string() +
                                     ": unsupported-format: TIFF, BMP, PNM and JPEG 2000 need "
                                     "OpenCV's codecs plugin: "))
      << r.err;
  EXPECT_TRUE(contains(r.err, "libimgflow_opencv_codecs.so")) << r.err;
  EXPECT_EQ(list_files(dir / "out"), std::vector<std::string>{"a.jpg"});
}

// ---------------------------------------------------------------------------
// Interruption
// ---------------------------------------------------------------------------

// Starts a run over `count` generated images with -j 1, waits until it has
// written its first output (so its signal handlers are in place) and at least
// `delay`, sends `sig`, and checks what the contract promises.
void interrupt_run(int sig, int expected_exit, int count, std::chrono::milliseconds delay) {
  ScratchDir dir;
  const auto in = dir / "in";
  fs::create_directories(in);
  // One moderately sized JPEG, copied: cheap to create, slow enough to
  // re-encode as PNG that the run is far from done after `delay`.
  const auto jpeg = encoded_image(".jpg", 640, 480, 3, 41);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%03d.jpg", i);
    write_bytes(in / name, jpeg);
  }
  const auto out = dir / "out";
  const auto report_path = dir / "report.json";
  const auto start = Clock::now();
  AsyncRun child(RunSpec({"-j", "1", "-f", "png", "--report", report_path.string(), "-o",
                          out.string(), in.string()}),
                 dir / "stdout.txt", dir / "stderr.txt");
  ASSERT_TRUE(child.started());
  bool first_output = false;
  while (child.running() && Clock::now() - start < std::chrono::seconds(20)) {
    if (!first_output) {
      for (const auto& name : list_files(out)) {
        if (!contains(name, ".imgflow-")) first_output = true;
      }
    }
    if (first_output && Clock::now() - start >= delay) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(first_output) << "the run wrote nothing within 20 s";
  ASSERT_TRUE(child.running()) << "the run finished before it could be interrupted";
  const auto signalled = Clock::now();
  child.signal(sig);
  child.wait(std::chrono::seconds(20));
  ASSERT_FALSE(child.timed_out()) << "the run did not stop within 20 s of the signal";
  // The contract: in-flight files finished or discarded, report written, exit within 2 s.
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(2));
  const std::string err = read_text(dir / "stderr.txt");
  ASSERT_TRUE(child.exited()) << "killed by signal " << child.term_signal() << "\n" << err;
  EXPECT_EQ(child.exit_code(), expected_exit) << err;
  EXPECT_EQ(read_text(dir / "stdout.txt"), "");

  json report = parse_json(read_text(report_path));
  auto& s = report["summary"];
  EXPECT_EQ(s["cancelled"], true);
  EXPECT_EQ(s["total"], count);
  EXPECT_EQ(s["failed"], 0);
  const auto ok = s["ok"].get<std::size_t>();
  const auto skipped = s["skipped"].get<std::size_t>();
  EXPECT_GE(ok, 1u);
  EXPECT_GE(skipped, 1u);
  EXPECT_EQ(ok + skipped, static_cast<std::size_t>(count));

  std::set<std::string> reported_outputs;
  std::size_t n_ok = 0, n_skipped = 0;
  ASSERT_EQ(report["files"].size(), static_cast<std::size_t>(count));
  for (auto& f : report["files"]) {
    SCOPED_TRACE(f["input"].get<std::string>());
    if (f["status"] == "ok") {
      ++n_ok;
      ASSERT_EQ(f["outputs"].size(), 1u);
      const fs::path path = f["outputs"][0]["path"].get<std::string>();
      reported_outputs.insert(path.lexically_relative(out).string());
      std::error_code ec;
      EXPECT_EQ(f["outputs"][0]["bytes"], fs::file_size(path, ec));
    } else {
      ++n_skipped;
      EXPECT_EQ(f["status"], "skipped");
      EXPECT_EQ(f["error"]["code"], "cancelled");
      EXPECT_EQ(f["outputs"], json::array());
    }
  }
  EXPECT_EQ(n_ok, ok);
  EXPECT_EQ(n_skipped, skipped);

  // Every output on disk is whole and reported; no temporaries anywhere.
  EXPECT_EQ(as_set(list_files(out)), reported_outputs);
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
  for (const auto& name : list_files(out)) expect_decodes_to(out / name, {640, 480});

  // Stderr: the summary says how far it got (no per-file lines: nothing failed).
  expect_no_terminal_control(err);
  const auto lines = lines_of(err);
  ASSERT_EQ(lines.size(), 1u) << err;
  EXPECT_TRUE(starts_with(lines[0], "imgflow: " + std::to_string(count) +
                                        " files: " + std::to_string(ok) + " ok, 0 failed, " +
                                        std::to_string(skipped) + " skipped in "))
      << lines[0];
}

TEST(CliSignals, SigintFinishesInFlightFilesAndExits130) {
  interrupt_run(SIGINT, 130, 300, std::chrono::milliseconds(300));
}

TEST(CliSignals, SigtermExits143) {
  interrupt_run(SIGTERM, 143, 300, std::chrono::milliseconds(300));
}

// True once `pid` has taken delivery of `sig` (it is no longer pending in
// /proc/PID/status), so a second signal cannot merge with the first.
bool signal_delivered(pid_t pid, int sig) {
  const std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  const std::uint64_t bit = std::uint64_t{1} << (sig - 1);
  for (const auto& line : lines_of(status)) {
    if (starts_with(line, "SigPnd:") || starts_with(line, "ShdPnd:")) {
      if (std::stoull(line.substr(7), nullptr, 16) & bit) return false;
    }
  }
  return true;
}

// The first SIGINT starts a graceful stop that needs seconds here (four
// 12 MP PNG encodes at level 9 in flight on one thread); the second, sent once
// the first was delivered, must end the run at once: no summary, exit 130,
// no temporary file left, every output whole.
TEST(CliSignals, SecondSigintExitsAtOnceLeavingNoTemporaries) {
  ScratchDir dir;
  const auto in = dir / "in";
  fs::create_directories(in);
  const auto jpeg = encoded_image(".jpg", 4000, 3000, 3, 43);
  for (int i = 0; i < 12; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "img%03d.jpg", i);
    write_bytes(in / name, jpeg);
  }
  const auto out = dir / "out";
  const auto start = Clock::now();
  AsyncRun child(RunSpec({"-j", "1", "--max-in-flight", "4", "-f", "png", "--png-compression", "9",
                          "-o", out.string(), in.string()}),
                 dir / "stdout.txt", dir / "stderr.txt");
  ASSERT_TRUE(child.started());
  while (child.running() && list_files(out).empty() &&
         Clock::now() - start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(child.running());
  const auto signalled = Clock::now();
  child.signal(SIGINT);
  while (!signal_delivered(child.pid(), SIGINT) &&
         Clock::now() - signalled < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  ASSERT_TRUE(child.running()) << "the graceful stop ended before the second signal";
  child.signal(SIGINT);
  child.wait(std::chrono::seconds(20));
  ASSERT_TRUE(child.exited());
  EXPECT_EQ(child.exit_code(), 130);
  EXPECT_LT(Clock::now() - signalled, std::chrono::seconds(1));
  // A graceful stop would have printed the summary; leaving at once prints nothing.
  EXPECT_EQ(read_text(dir / "stderr.txt"), "");
  EXPECT_EQ(temporaries_in(dir.path()), std::vector<std::string>{});
  for (const auto& name : list_files(out)) expect_decodes_to(out / name, {4000, 3000});
}

}  // namespace
}  // namespace imgflow::test
