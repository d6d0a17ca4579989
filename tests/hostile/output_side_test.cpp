// The hostile-input catalogue (what every case asserts: hostile_helpers.hpp): Output-side failures.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
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

// A file too large to write (RLIMIT_FSIZE with SIGXFSZ ignored, so write()
// fails with EFBIG, a limit on one file, not a full disk: the run goes on):
// the large output fails as write-error, nothing partial
// is left, the earlier version of that output is untouched, and the small
// outputs are written.
TEST(HostileOutput, FileSizeLimitIsWriteErrorWithNoPartialFile) {
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

// A small real file system for the outputs: a tmpfs of `size` mounted on
// `dir` (root only; the test is skipped with the reason elsewhere).
class SmallFileSystem {
 public:
  SmallFileSystem(const fs::path& dir, const std::string& size) : dir_(dir) {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
      skip_reason = std::string("cannot mount a tmpfs (needs root): ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;
  std::string skip_reason;

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// 21 real photos into a 300 KB file system: once a write finds the disk full,
// the run stops reading, drops what is in flight, and reports every file it
// did not write as skipped with the cause; one stderr line says why; exit 3.
TEST(HostileOutput, FullDiskStopsTheRunAndReportsTheRestAsSkipped) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  const fs::path out = dir / "out";
  SmallFileSystem disk(out, "300k");
  if (!disk.skip_reason.empty()) GTEST_SKIP() << disk.skip_reason;
  const fs::path photo = sample_images().front();
  constexpr int kFiles = 21;
  for (int i = 0; i < kFiles; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "photo%02d.jpg", i);
    write_bytes(in / name, read_bytes(photo));
  }
  const fs::path report = dir / "report.json";
  const RunResult r = run_imgflow(RunSpec(
      {"-s", "800", "-q", "95", "--report", report.string(), "-o", out.string(), in.string()}));
  EXPECT_EQ(r.exit_code, 3) << describe(r);

  const json doc = json::parse(read_text(report));
  const json& summary = doc["summary"];
  EXPECT_EQ(summary["stopped_on_fault"], "disk-full");
  EXPECT_EQ(summary["cancelled"], false);
  EXPECT_EQ(summary["total"], kFiles);
  std::size_t ok = 0, failed = 0, skipped = 0;
  for (const json& f : doc["files"]) {
    const std::string status = f["status"];
    if (status == "ok") {
      ++ok;
    } else if (status == "failed") {
      ++failed;
      EXPECT_EQ(f["error"]["code"], "disk-full") << f.dump();
    } else {
      ++skipped;
      EXPECT_EQ(f["error"]["code"], "cancelled") << f.dump();
      EXPECT_TRUE(contains(f["error"]["message"].get<std::string>(),
                           "not processed: the run stopped (disk-full: "))
          << f.dump();
    }
  }
  EXPECT_GE(ok, 1u);
  // Only the files being written when the disk filled (one per writer thread
  // at most) fail; the rest are not tried.
  EXPECT_GE(failed, 1u);
  EXPECT_LE(failed, 2u);
  EXPECT_GE(skipped, 5u);
  EXPECT_EQ(summary["ok"], ok);
  EXPECT_EQ(summary["failed"], failed);
  EXPECT_EQ(summary["skipped"], skipped);

  // Every output on the full disk is whole; no temporaries are left.
  const auto outputs = list_files(out);
  EXPECT_EQ(outputs.size(), ok);
  for (const auto& name : outputs) {
    const cv::Size size = decoded_size(out / name);
    EXPECT_EQ(std::max(size.width, size.height), 800) << name;
  }
  EXPECT_EQ(temporaries_in(out), std::vector<std::string>{});

  // One line says why the run stopped.
  std::size_t stop_lines = 0;
  for (const auto& line : lines_of(r.err)) {
    if (starts_with(line, "imgflow: stopped: disk-full: ")) ++stop_lines;
  }
  EXPECT_EQ(stop_lines, 1u) << describe(r);
}

// A killed run leaves ".NAME.imgflow-XXXXXX" beside an output (AtomicFile's
// temporary). A rerun removes those of the outputs it comes to, with
// --skip-existing too, and nothing that only looks like one: another length,
// another character, another output's, a suffix, a symbolic link.
TEST(HostileOutput, ARerunRemovesTheTemporariesAKilledRunLeft) {
  Batch batch;
  const fs::path out = batch.out();
  ASSERT_EQ(batch.run({}).exit_code, 0);
  const Bytes first = read_bytes(out / "good1.jpg");
  const Bytes partial = text_bytes("half an output");
  const std::vector<std::string> stale = {".good1.jpg.imgflow-Ab12Cd", ".good2.png.imgflow-000000"};
  const std::vector<std::string> kept = {".good1.jpg.imgflow-Ab12C",       // five characters
                                         ".good1.jpg.imgflow-Ab_2Cd",      // not mkstemp's alphabet
                                         ".good1.jpg.imgflow-Ab12Cd.bak",  // a suffix
                                         ".other.jpg.imgflow-Ab12Cd",  // not an output of this run
                                         "good1.jpg.imgflow-Ab12Cd",   // no leading dot
                                         ".good1.jpg.imgflow-XXXXXXX"};  // seven characters
  auto plant = [&] {
    for (const auto& name : stale) write_bytes(out / name, partial);
  };
  plant();
  for (const auto& name : kept) write_bytes(out / name, partial);
  // A link named exactly like a stale temporary is not removed, nor its target.
  write_bytes(batch.dir() / "target", partial);
  fs::create_symlink(batch.dir() / "target", out / ".good1.jpg.imgflow-L1nk00");

  // --skip-existing: every output is up to date, and the leftovers go.
  RunResult r = batch.run({}, RunSpec({"--skip-existing"}));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& name : stale) EXPECT_FALSE(fs::exists(out / name)) << name;
  for (const auto& name : kept) EXPECT_EQ(read_bytes(out / name), partial) << name;
  EXPECT_TRUE(fs::is_symlink(out / ".good1.jpg.imgflow-L1nk00"));
  EXPECT_EQ(read_bytes(batch.dir() / "target"), partial);
  EXPECT_EQ(read_bytes(out / "good1.jpg"), first);  // skipped, not rewritten

  // A plain rerun: the same, and the outputs are rewritten whole.
  plant();
  r = batch.run({});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& name : stale) EXPECT_FALSE(fs::exists(out / name)) << name;
  for (const auto& name : kept) EXPECT_EQ(read_bytes(out / name), partial) << name;
  for (const auto& g : kGood) EXPECT_EQ(decoded_size(out / g.name), g.output) << g.name;
  EXPECT_EQ(read_bytes(out / "good1.jpg"), first);
}

TEST(HostileOutput, ARerunRemovesTheTemporariesOfOutputsNamedAfterTheirSize) {
  // {width}x{height} names are known only once the pixels are resized: the
  // readers cannot look for their temporaries beforehand, the writers do.
  Batch batch;
  const fs::path out = batch.out();
  const RunSpec named({"--name", "{stem}_{width}x{height}.{ext}"});
  ASSERT_EQ(batch.run({}, named).exit_code, 0);
  ASSERT_TRUE(fs::exists(out / "good1_64x48.jpg"));
  ASSERT_TRUE(fs::exists(out / "good2_64x32.png"));
  const Bytes partial = text_bytes("half an output");
  const std::vector<std::string> stale = {".good1_64x48.jpg.imgflow-Ab12Cd",
                                          ".good2_64x32.png.imgflow-000000"};
  const std::vector<std::string> kept = {".good1_64x49.jpg.imgflow-Ab12Cd",  // not an output
                                         ".good1_64x48.jpg.imgflow-Ab12C"};  // five characters
  for (const auto& name : stale) write_bytes(out / name, partial);
  for (const auto& name : kept) write_bytes(out / name, partial);
  const RunResult r = batch.run({}, named);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const auto& name : stale) EXPECT_FALSE(fs::exists(out / name)) << name;
  for (const auto& name : kept) EXPECT_EQ(read_bytes(out / name), partial) << name;
  EXPECT_EQ(decoded_size(out / "good1_64x48.jpg"), cv::Size(64, 48));
}

}  // namespace
}  // namespace imgflow::test::hostile
