// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: Interruption.
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
}  // namespace imgflow::test::cli
