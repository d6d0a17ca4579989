// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// failing I/O, injected into the real binary with an LD_PRELOAD shim
// (tests/support/io_faults.cpp): read, write, fsync and rename failing for
// chosen files with EIO, ENOSPC, EDQUOT or EROFS, short counts and EINTR,
// reads failing past the head of a file read in pieces, and the output
// folder removed under a write.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

#include "hostile/hostile_helpers.hpp"

namespace imgflow::test::hostile {
namespace {

#ifdef IMGFLOW_HOSTILE_SANITIZED
// ASan must be the first library loaded; a preloaded shim would abort the run.
constexpr const char* kSkip = "the I/O shim cannot be preloaded into a sanitizer build";
#else
constexpr const char* kSkip = nullptr;
#endif

RunSpec with_faults(const std::string& faults) {
  return RunSpec().with_env(
      {std::string("LD_PRELOAD=") + IMGFLOW_IO_FAULTS_LIB, "IMGFLOW_IO_FAULTS=" + faults});
}

// The outputs' temporary files are out/.NAME.imgflow-XXXXXX.
std::string temporary_of(const Batch& batch, const std::string& name) {
  return (batch.out() / ("." + name)).string();
}

TEST(HostileIo, WriteEioFailsThatFileAloneAndLeavesNothingPartial) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  const RunResult r = batch.run({}, with_faults("write:EIO:" + temporary_of(batch, "good1.jpg")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "good1.jpg").string(), "write-error"}}, 2);
  EXPECT_TRUE(contains(r.err, "write failed: Input/output error")) << describe(r);
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{"good2.png"});
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

TEST(HostileIo, WriteEnospcStopsTheRunWithExit3) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  const RunResult r =
      batch.run({}, with_faults("write:ENOSPC:" + temporary_of(batch, "good1.jpg")));
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow: " + (batch.in() / "good1.jpg").string() + ": disk-full: "))
      << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow: stopped: disk-full: ")) << describe(r);
  EXPECT_FALSE(fs::exists(batch.out() / "good1.jpg"));
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

// A failed fsync means the data may not be on disk: the output must not be
// renamed into place, and the earlier version stays.
TEST(HostileIo, FailedFsyncNeverRenamesAndKeepsThePreviousOutput) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  batch.put_previous_output("good1.jpg");
  const RunResult r = batch.run({}, with_faults("fsync:EIO:" + temporary_of(batch, "good1.jpg")));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "good1.jpg").string(), "write-error"}}, 2);
  EXPECT_TRUE(contains(r.err, "fsync failed: Input/output error")) << describe(r);
  EXPECT_EQ(read_bytes(batch.out() / "good1.jpg"), previous_output());
  EXPECT_EQ(decoded_size(batch.out() / "good2.png"), kGood[1].output);
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

TEST(HostileIo, FailedRenameKeepsThePreviousOutputAndNoTemporary) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  batch.put_previous_output("good1.jpg");
  const RunResult r =
      batch.run({}, with_faults("rename:EIO:" + (batch.out() / "good1.jpg").string()));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "good1.jpg").string(), "write-error"}}, 2);
  EXPECT_TRUE(contains(r.err, "cannot rename into place: Input/output error")) << describe(r);
  EXPECT_EQ(read_bytes(batch.out() / "good1.jpg"), previous_output());
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

TEST(HostileIo, ReadEioFailsThatInputAlone) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  const RunResult r = batch.run({}, with_faults("read:EIO:" + (batch.in() / "good1.jpg").string()));
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{(batch.in() / "good1.jpg").string(), "read-error"}}, 2);
  EXPECT_EQ(list_files(batch.out()), std::vector<std::string>{"good2.png"});
}

// Short reads and writes, and EINTR on every other read, write and fsync,
// are retried: the outputs are byte for byte those of an undisturbed run.
TEST(HostileIo, ShortCountsAndEintrGiveTheSameBytes) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  const RunResult clean = batch.run({});
  ASSERT_EQ(clean.exit_code, 0) << describe(clean);
  std::vector<Bytes> expected;
  for (const auto& g : kGood) expected.push_back(read_bytes(batch.out() / g.name));
  const std::string in = batch.in().string() + "/";
  const std::string out = batch.out().string() + "/";
  for (const std::string& faults : {"read:short:" + in + ";write:short:" + out,
                                    "read:EINTR:" + in + ";write:EINTR:" + out +
                                        ";fsync:EINTR:" + out + ";rename:EINTR:" + out}) {
    fs::remove_all(batch.out());
    const RunResult r = batch.run({}, with_faults(faults));
    EXPECT_EQ(r.exit_code, 0) << faults << "\n" << describe(r);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(read_bytes(batch.out() / kGood[i].name), expected[i]) << faults;
    }
    EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
  }
}

// The faults that every later file would meet too stop the run (exit 3):
// a full disk or quota at the write or at the fsync, a read-only file
// system at the write or at the rename. Nothing partial is left.
TEST(HostileIo, QuotaReadOnlyAndFsyncFaultsStopTheRunWithExit3) {
  if (kSkip) GTEST_SKIP() << kSkip;
  struct Case {
    std::string op, mode, code, message;
  };
  for (const Case& c : std::vector<Case>{
           {"write", "EDQUOT", "disk-full", "write failed: Disk quota exceeded"},
           {"fsync", "ENOSPC", "disk-full", "fsync failed: No space left on device"},
           {"write", "EROFS", "output-unavailable", "write failed: Read-only file system"},
           {"rename", "EROFS", "output-unavailable",
            "cannot rename into place: Read-only file system"}}) {
    Batch batch;
    const std::string match =
        c.op == "rename" ? (batch.out() / "good1.jpg").string() : temporary_of(batch, "good1.jpg");
    const RunResult r = batch.run({}, with_faults(c.op + ":" + c.mode + ":" + match));
    const std::string what = c.op + ":" + c.mode;
    EXPECT_EQ(r.exit_code, 3) << what << "\n" << describe(r);
    EXPECT_TRUE(
        contains(r.err, "imgflow: " + (batch.in() / "good1.jpg").string() + ": " + c.code + ": "))
        << what << "\n"
        << describe(r);
    EXPECT_TRUE(contains(r.err, c.message)) << what << "\n" << describe(r);
    EXPECT_TRUE(contains(r.err, "imgflow: stopped: " + c.code + ": ")) << what << "\n"
                                                                       << describe(r);
    EXPECT_FALSE(fs::exists(batch.out() / "good1.jpg")) << what;
    EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{}) << what;
  }
}

// A file read in pieces (larger than the pieces threshold) whose head reads
// fine and whose rest fails: that input alone fails, with read-error.
TEST(HostileIo, ReadEioPastTheHeadOfAFileReadInPiecesFailsThatInputAlone) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  const fs::path large = batch.in() / "large.jpg";
  cv::Mat noise(1200, 1600, CV_8UC3);
  cv::RNG(7).fill(noise, cv::RNG::UNIFORM, 0, 256);
  Bytes jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", noise, jpeg));
  write_bytes(large, jpeg);
  ASSERT_GT(fs::file_size(large), 4u * 65536u);
  RunSpec spec = with_faults("read:EIO@65536:" + large.string());
  spec.env.push_back(kPiecesEnv);  // read in pieces past 64 KiB
  const RunResult r = batch.run({large.string()}, spec);
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  expect_failure_lines(r, {{large.string(), "read-error"}}, 3);
  EXPECT_TRUE(contains(r.err, "read failed: Input/output error")) << describe(r);
  batch.expect_outputs();
}

// The output folder removed while a file is written into it (a volume
// unmounted mid-run): that file fails with output-unavailable, the run
// stops at once (exit 3) and nothing recreates the folder.
TEST(HostileIo, OutputFolderGoneDuringAWriteStopsTheRunWithExit3) {
  if (kSkip) GTEST_SKIP() << kSkip;
  Batch batch;
  RunSpec spec = with_faults("write:gone:" + temporary_of(batch, "good1.jpg"));
  spec.args = {"--writers", "1", "-j", "1"};
  const RunResult r = batch.run({}, spec);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  const std::string gone = "the output folder " + batch.out().string() + " is gone";
  EXPECT_TRUE(contains(
      r.err, "imgflow: " + (batch.in() / "good1.jpg").string() + ": output-unavailable: " + gone))
      << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow: stopped: output-unavailable: ")) << describe(r);
  EXPECT_FALSE(fs::exists(batch.out())) << describe(r);
  EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
}

}  // namespace
}  // namespace imgflow::test::hostile
