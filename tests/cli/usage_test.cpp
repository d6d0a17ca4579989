// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: --help, --version, usage and setup errors (exit 2, nothing written).
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

#include <png.h>
#include <zlib.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "imgflow/library_versions.hpp"
#include "imgflow/version.hpp"

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "cli/cli_helpers.hpp"

namespace imgflow::test::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

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

// `imgflow --version`: the program, then each library it runs with, as a
// bug report needs them; the versions are the ones this process loads too.
TEST(CliUsage, VersionPrintsImgflowAndItsLibraries) {
  const auto r = imgflow({"--version"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "");
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 12u) << r.out;
  EXPECT_EQ(lines[0], "imgflow 0.1.0");
  EXPECT_EQ(lines[0], std::string("imgflow ") + imgflow::version);
  const std::vector<std::string> names = {"libjpeg-turbo", "libpng", "libdeflate", "libwebp",
                                          "Little CMS",    "OpenCV", "oneTBB",     "zlib",
                                          "libheif",       "libjxl", "giflib"};
  const std::regex version_number(R"(\d+\.\d+(\.\d+)?)");
  const auto libraries = imgflow::library_versions();
  ASSERT_EQ(libraries.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    ASSERT_TRUE(starts_with(lines[i + 1], names[i] + " ")) << lines[i + 1];
    const std::string number = lines[i + 1].substr(names[i].size() + 1);
    EXPECT_TRUE(std::regex_match(number, version_number)) << lines[i + 1];
    EXPECT_EQ(libraries[i].name, names[i]);
    EXPECT_EQ(libraries[i].version, number);
  }
  EXPECT_EQ(lines[2], std::string("libpng ") + png_get_libpng_ver(nullptr));
  EXPECT_EQ(lines[6], "OpenCV " + cv::getVersionString());
  EXPECT_EQ(lines[8], std::string("zlib ") + zlibVersion());
}

// A new user's first try: a short usage with two examples on stderr, exit 2.
TEST(CliUsage, BareImgflowPrintsAShortUsageAndExits2) {
  const auto r = imgflow({});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(lines_of(r.err),
            (std::vector<std::string>{
                "Usage: imgflow [OPTIONS] -o DIR INPUT...",
                "Resize image files, or whole directories of them, into DIR.",
                "",
                "Examples:",
                "  imgflow -r -s 800x800 -o thumbs/ photos/       # every photo fits in 800x800",
                "  imgflow -s 320x -s 640x -f webp -o web/ a.jpg  # a_320x.webp, a_640x.webp",
                "",
                "Run 'imgflow --help' for all options",
            }))
      << r.err;
}

// --help lists the options under README.md's group headings, in its order
// (Coverage.ReadmeGroupsOptionsAsHelpDoes checks each group's members).
TEST(CliUsage, HelpShowsTheOptionGroupsInOrder) {
  const auto r = imgflow({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  std::vector<std::string> headings;
  for (const auto& line : lines_of(r.out)) {
    if (!line.empty() && line[0] != ' ' && line.back() == ':') headings.push_back(line);
  }
  EXPECT_EQ(headings, (std::vector<std::string>{
                          "Positionals:", "General:", "Sizing:", "Formats and encoding:",
                          "Decoding:", "Performance:", "Batch jobs:", "Limits:"}))
      << r.out;
  EXPECT_TRUE(contains(r.out, "General:\n  -h,--help")) << r.out;
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
                        Case{"--max-memory", {"-1", "lots", "1.5G"}, {"0", "1", "512M"}},
                        Case{"--timeout", {"-1", "604801", "inf", "soon"}, {"0", "0.5", "30"}}}) {
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

// --max-memory auto is the default (shown in --help) and can be named; a
// size keeps CLI11's suffixes, 0 turns the budget off.
TEST(CliUsage, MaxMemoryAutoIsTheDefault) {
  const auto help = imgflow({"--help"});
  EXPECT_EQ(help.exit_code, 0) << describe(help);
  EXPECT_TRUE(std::regex_search(help.out, std::regex("--max-memory SIZE=auto "))) << help.out;

  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  const auto input = (dir / "in" / "a.jpg").string();
  const auto dry = imgflow(
      {"--dry-run", "--max-memory", "auto", "-s", "20x20", "-o", (dir / "dry").string(), input});
  EXPECT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "a.jpg")) << dry.out;
  EXPECT_FALSE(fs::exists(dir / "dry"));
  for (const char* value : {"auto", "0", "2K", "1G"}) {
    SCOPED_TRACE(std::string("--max-memory ") + value);
    const auto out = dir / "out" / value;
    const auto r =
        imgflow({"--quiet", "--max-memory", value, "-s", "20x20", "-o", out.string(), input});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.err, "");
    EXPECT_TRUE(fs::exists(out / "a.jpg"));
  }
}

TEST(CliUsage, BadMaxMemoryIsOneLineUsageError) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  for (const char* value : {"-1", "lots", "1.5G", "Auto", "12Q", ""}) {
    SCOPED_TRACE(std::string("--max-memory ") + value);
    const auto r = imgflow(
        {"-o", (dir / "out").string(), "--max-memory", value, (dir / "in" / "a.jpg").string()});
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(r.err, std::string("imgflow: --max-memory: expected auto, 0 (no limit) or a size "
                                 "such as 512M, got \"") +
                         value + "\"\n");
    EXPECT_FALSE(fs::exists(dir / "out"));
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

// A value out of range and a name not in a list read alike: one line,
// "imgflow: <option>: expected <what>, got <value>", from Options::validate().
TEST(CliUsage, RangeAndNameErrorsShareOneFormat) {
  ScratchDir dir;
  write_image(dir / "in" / "a.jpg", 40, 30);
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-q", "0"}, "imgflow: --quality: expected 1 to 100, got 0"},
      {{"--png-compression", "10"}, "imgflow: --png-compression: expected 0 to 9, got 10"},
      {{"--shrink-margin", "0.5"}, "imgflow: --shrink-margin: expected 1 to 8, got 0.5"},
      {{"--progressive-bits", "14"}, "imgflow: --progressive-bits: expected -1 to 13, got 14"},
      {{"-f", "gif"}, "imgflow: --format: expected "},
  };
  for (const auto& [args, message] : cases) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    std::vector<std::string> all = {"-o", (dir / "out").string(), args[0], args[1],
                                    (dir / "in" / "a.jpg").string()};
    const auto r = imgflow(all);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_TRUE(starts_with(lines[0], message)) << lines[0];
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
    EXPECT_EQ(r.err,
              "imgflow: --format: expected keep, jpeg, png, webp, tiff, heif, avif or jxl, got \"" +
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

}  // namespace
}  // namespace imgflow::test::cli
