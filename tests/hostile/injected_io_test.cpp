// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp):
// failing I/O, injected into the real binary with an LD_PRELOAD shim
// (tests/support/io_faults.cpp): read, write, fsync and rename failing for
// chosen files with EIO or ENOSPC, short counts and EINTR.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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
  for (const std::string& faults :
       {"read:short:" + in + ";write:short:" + out,
        "read:EINTR:" + in + ";write:EINTR:" + out + ";fsync:EINTR:" + out}) {
    fs::remove_all(batch.out());
    const RunResult r = batch.run({}, with_faults(faults));
    EXPECT_EQ(r.exit_code, 0) << faults << "\n" << describe(r);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(read_bytes(batch.out() / kGood[i].name), expected[i]) << faults;
    }
    EXPECT_EQ(temporaries_in(batch.dir().path()), std::vector<std::string>{});
  }
}

}  // namespace
}  // namespace imgflow::test::hostile
