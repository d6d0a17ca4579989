// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: inputs listed while the run goes (issue 11) — a list still being
// written is already worked on, the dry run streams, and conflicts between
// outputs fail the later input alone.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "cli/cli_helpers.hpp"

namespace imgflow::test::cli {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

bool wait_for(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto start = Clock::now();
  while (!done()) {
    if (Clock::now() - start > limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// `find | imgflow --files-from -` on a tree that takes long to walk: the
// first path is resized while the list is still open, and the report names
// every file in list order.
TEST(CliStreaming, AListStillBeingWrittenIsAlreadyWorkedOn) {
  ScratchDir dir;
  write_image(dir / "in/first.jpg", 320, 200, 3, 71);
  write_image(dir / "in/second.png", 200, 320, 3, 72);
  const auto list = dir / "list.fifo";
  ASSERT_EQ(::mkfifo(list.c_str(), 0600), 0);
  const auto out = dir / "out";
  AsyncRun child(RunSpec({"--files-from", list.string(), "-s", "64", "--report",
                          (dir / "r.json").string(), "-o", out.string()})
                     .in_dir(dir.path()),
                 dir / "stdout.txt", dir / "stderr.txt");
  ASSERT_TRUE(child.started());
  // A FIFO opens for writing once imgflow has it open for reading.
  int fd = -1;
  ASSERT_TRUE(wait_for(
      [&] { return (fd = ::open(list.c_str(), O_WRONLY | O_NONBLOCK)) >= 0 || !child.running(); },
      std::chrono::seconds(60)));
  ASSERT_GE(fd, 0) << read_text(dir / "stderr.txt");
  ::fcntl(fd, F_SETFL, 0);
  const std::string first = "in/first.jpg\n";
  ASSERT_EQ(::write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  EXPECT_TRUE(wait_for([&] { return fs::exists(out / "in/first.jpg"); }, std::chrono::seconds(60)))
      << "no output while the list was open";
  EXPECT_TRUE(child.running());  // still waiting for the rest of the list
  const std::string second = "in/second.png\n";
  ASSERT_EQ(::write(fd, second.data(), second.size()), static_cast<ssize_t>(second.size()));
  ::close(fd);
  child.wait(std::chrono::seconds(60));
  ASSERT_TRUE(child.exited()) << read_text(dir / "stderr.txt");
  EXPECT_EQ(child.exit_code(), 0) << read_text(dir / "stderr.txt");
  const json report = parse_json(read_text(dir / "r.json"));
  ASSERT_EQ(report["files"].size(), 2u);
  EXPECT_EQ(report["files"][0]["input"], "in/first.jpg");
  EXPECT_EQ(report["files"][1]["input"], "in/second.png");
  EXPECT_EQ(report["summary"]["ok"], 2);
  expect_decodes_to(out / "in/first.jpg", {64, 40});
  expect_decodes_to(out / "in/second.png", {40, 64});
}

// --dry-run lists as it goes too: every input with its outputs, a conflict
// as an output-conflict line, exit 1 when an input would fail.
TEST(CliStreaming, DryRunShowsConflictsPerFileAndExitsOne) {
  ScratchDir dir;
  write_image(dir / "in/a.jpg", 40, 30, 3, 73);
  write_image(dir / "in/a.png", 40, 30, 3, 74);
  write_image(dir / "in/b.jpg", 40, 30, 3, 75);
  const auto out = dir / "out";
  const auto r = imgflow({"--dry-run", "-f", "webp", "-o", out.string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_EQ(r.out, (dir / "in/a.jpg").string() + " -> " + (out / "a.webp").string() + "\n" +
                       (dir / "in/b.jpg").string() + " -> " + (out / "b.webp").string() + "\n");
  EXPECT_TRUE(contains(r.err, "imgflow: " + (dir / "in/a.png").string() +
                                  ": output-conflict: this input and an earlier one would both "
                                  "write " +
                                  (out / "a.webp").string()))
      << r.err;
  EXPECT_TRUE(contains(r.err,
                       "dry run: 3 files planned, 1 would fail (output-conflict), "
                       "nothing written"))
      << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// A report that cannot be written is found before any work: exit 2.
TEST(CliStreaming, AReportThatCannotBeOpenedStopsTheRunBeforeItStarts) {
  ScratchDir dir;
  write_image(dir / "in/a.jpg", 40, 30, 3, 76);
  write_text(dir / "blocker", "a file where the report's folder should be");
  const auto out = dir / "out";
  const auto r = imgflow(
      {"--report", (dir / "blocker/r.json").string(), "-o", out.string(), (dir / "in").string()});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(starts_with(r.err, "imgflow: --report: ")) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace imgflow::test::cli
