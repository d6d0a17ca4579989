// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp): Output-side failures.
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
// Output-side failures
// ---------------------------------------------------------------------------

// -r in/ with in/sub/a.jpg: the output folder out/sub cannot be created
// because a regular file has that name. Works as root too.
TEST(HostileOutput, OutputFolderBlockedByAFileIsWriteErrorPerFile) {
  Batch batch;
  write_bytes(batch.in() / "sub" / "deep.jpg", encoded_image(".jpg", 100, 50, 3, 9));
  write_text(batch.out() / "sub", "a file where a folder should be\n");
  const RunResult r =
      run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", batch.out().string(), batch.in().string()}));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  // Batch order: good1.jpg, good2.png, sub/deep.jpg.
  expect_failure_lines(r, {{(batch.in() / "sub" / "deep.jpg").string(), "write-error"}}, 3);
  batch.expect_outputs({"sub"});
  EXPECT_EQ(read_text(batch.out() / "sub"), "a file where a folder should be\n");
}

// Runs `check` with the run as an unprivileged user: as root, chmod 0555
// keeps nobody out, so the child drops to uid 65534 (nobody) first.
struct ReadOnlySetup {
  Batch batch;
  bool as_nobody = running_as_root();
  std::string skip_reason;

  ReadOnlySetup() {
    if (!as_nobody) return;
    // nobody must reach the scratch tree and own the output folder.
    fs::permissions(batch.dir().path(), fs::perms(0755));
    fs::create_directories(batch.out());
    if (::chown(batch.out().c_str(), 65534, 65534) != 0) skip_reason = "chown to nobody failed";
    const RunResult probe = run_imgflow(RunSpec({"--version"}).as_user_nobody());
    if (probe.exit_code != 0) {
      skip_reason =
          "the imgflow binary cannot be run as nobody (uid 65534) here: " + describe(probe);
    }
  }

  /// Lets nobody read every input, whatever the umask was.
  void share_inputs() const {
    if (!as_nobody) return;
    fs::permissions(batch.in(), fs::perms(0755));
    for (const auto& e : fs::recursive_directory_iterator(batch.in())) {
      fs::permissions(e.path(), e.is_directory() ? fs::perms(0755) : fs::perms(0644));
    }
  }
};

TEST(HostileOutput, ReadOnlyOutputSubfolderIsWriteErrorPerFile) {
  ReadOnlySetup s;
  if (!s.skip_reason.empty()) GTEST_SKIP() << s.skip_reason;
  Batch& batch = s.batch;
  write_bytes(batch.in() / "sub" / "deep.jpg", encoded_image(".jpg", 100, 50, 3, 9));
  fs::create_directories(batch.out() / "sub");
  if (s.as_nobody) {
    ASSERT_EQ(::chown((batch.out() / "sub").c_str(), 65534, 65534), 0);
  }
  fs::permissions(batch.out() / "sub", fs::perms(0555));
  s.share_inputs();
  const RunResult r =
      run_imgflow(RunSpec({"-r", "-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                      .as_user_nobody(s.as_nobody));
  fs::permissions(batch.out() / "sub", fs::perms(0755));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "sub" / "deep.jpg").string(), "write-error"}}, 3);
  batch.expect_outputs();
}

TEST(HostileOutput, ReadOnlyOutputRootIsSetupErrorExit2) {
  ReadOnlySetup s;
  if (!s.skip_reason.empty()) GTEST_SKIP() << s.skip_reason;
  Batch& batch = s.batch;
  fs::create_directories(batch.out());
  fs::permissions(batch.out(), fs::perms(0555));
  s.share_inputs();
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "-o", batch.out().string(), batch.in().string()})
                      .as_user_nobody(s.as_nobody));
  fs::permissions(batch.out(), fs::perms(0755));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(starts_with(lines[0], "imgflow: --output: ")) << lines[0];
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{});
}

// A full disk, simulated with RLIMIT_FSIZE (SIGXFSZ ignored, so write()
// fails with EFBIG): the large output fails as write-error, nothing partial
// is left, the earlier version of that output is untouched, and the small
// outputs are written.
TEST(HostileOutput, DiskFullIsWriteErrorWithNoPartialFile) {
  Batch batch;
  const fs::path big = batch.in() / "big.png";
  write_bytes(big, encoded_image(".png", 1200, 900, 3, 10));  // noise: ~2 MB as PNG
  batch.put_previous_output("big.png");
  constexpr long long kLimit = 256 * 1024;
  const RunResult r =
      run_imgflow(RunSpec({"-o", batch.out().string(), (batch.in() / kGood[0].name).string(),
                           big.string(), (batch.in() / kGood[1].name).string()})
                      .with_file_size_limit(kLimit));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{big.string(), "write-error"}}, 3);
  EXPECT_TRUE(contains(r.err, "File too large")) << r.err;
  // Without -s the good outputs keep their size.
  std::vector<std::string> expected = {"big.png", "good1.jpg", "good2.png"};
  EXPECT_EQ(list_files(batch.out()), expected);
  EXPECT_EQ(decoded_size(batch.out() / "good1.jpg"), cv::Size(320, 240));
  EXPECT_EQ(decoded_size(batch.out() / "good2.png"), cv::Size(200, 100));
  EXPECT_EQ(read_bytes(batch.out() / "big.png"), previous_output());
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

// The JSON report hits the limit too: it fails alone, atomically.
TEST(HostileOutput, DiskFullForTheReportLeavesNoPartialReport) {
  Batch batch;
  const fs::path report = batch.dir() / "report.json";
  write_text(report, "{\"previous\": true}\n");
  const RunResult r =
      run_imgflow(RunSpec({"-s", "64x64", "--report", report.string(), "-o", batch.out().string(),
                           batch.in().string()})
                      .with_file_size_limit(64));  // the outputs are larger too: every write fails
  // The report is opened before the run: one that cannot be written stops it
  // before any work, as a setup error.
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow: --report: ")) << describe(r);
  EXPECT_EQ(read_text(report), "{\"previous\": true}\n");
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{});
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace imgflow::test::hostile
