// Batch jobs you can trust (issue 4): a run killed with SIGKILL never leaves a
// partial output under a final name and is completed by --skip-existing;
// job-array shards (K/N, Slurm's and Kubernetes' variables) cover every input
// exactly once. All through the REAL imgflow binary.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

namespace imgflow::test::hostile {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// `prefix` followed by `n` (GCC 12 warns falsely about "literal" + std::string).
std::string numbered(std::string prefix, int n) {
  prefix += std::to_string(n);
  return prefix;
}

// A name imgflow may leave behind only when killed: ".NAME.imgflow-XXXXXX".
bool is_temporary_name(const std::string& relative) {
  static const std::regex re(R"((.*/)?\.[^/]+\.imgflow-[A-Za-z0-9]{6})");
  return std::regex_match(relative, re);
}

// ---------------------------------------------------------------------------
// kill -9 and resume
// ---------------------------------------------------------------------------

TEST(KillResume, SigkillLeavesNoPartialOutputAndSkipExistingCompletesTheSet) {
  ScratchDir dir;
  const fs::path in = dir / "in";
  const fs::path out = dir / "out";
  constexpr int kCount = 200;
  // Distinct images in a few folders; 480x360 noise re-encoded as PNG keeps
  // one thread busy long enough to be killed mid-way.
  std::set<std::string> expected;
  for (int i = 0; i < kCount; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "d%d/img%03d", i % 4, i);
    write_bytes(in / (std::string(name) + ".jpg"),
                encoded_image(".jpg", 480, 360, 3, static_cast<unsigned>(i)));
    expected.insert(std::string(name) + ".png");
  }
  auto args = [&](const char* threads) {
    return std::vector<std::string>{"-r",  "-j", threads,      "-f",
                                    "png", "-o", out.string(), in.string()};
  };

  // Run 1: SIGKILL once at least 20 outputs are in place.
  std::size_t finals_at_kill = 0;
  {
    AsyncRun run(RunSpec(args("1")), dir / "out1.txt", dir / "err1.txt");
    ASSERT_TRUE(run.started());
    const auto start = Clock::now();
    while (run.running() && Clock::now() - start < std::chrono::seconds(60)) {
      std::size_t finals = 0;
      for (const auto& f : list_files(out)) finals += is_temporary_name(f) ? 0 : 1;
      if (finals >= 20) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(run.running()) << "the run ended before it could be killed:\n"
                               << read_text(dir / "err1.txt");
    run.signal(SIGKILL);
    run.wait(std::chrono::seconds(10));
    EXPECT_EQ(run.term_signal(), SIGKILL);
  }

  // Every file under a final name is a whole image; anything else is a
  // hidden temporary of imgflow's.
  std::size_t temporaries_after_kill = 0;
  for (const auto& f : list_files(out)) {
    if (is_temporary_name(f)) {
      ++temporaries_after_kill;
      continue;
    }
    ASSERT_TRUE(expected.count(f)) << "unexpected file " << f;
    EXPECT_EQ(decoded_size(out / f), cv::Size(480, 360)) << f << " is partial";
    ++finals_at_kill;
  }
  ASSERT_GT(finals_at_kill, 0u);
  ASSERT_LT(finals_at_kill, static_cast<std::size_t>(kCount)) << "the kill came too late";

  // Run 2: --skip-existing does the rest, and only the rest.
  std::vector<std::string> resume = args("2");
  resume.insert(resume.begin(), {"--skip-existing", "--report", (dir / "report.json").string()});
  const RunResult r = run_imgflow(RunSpec(resume).with_timeout(std::chrono::seconds(300)));
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const json report = parse_json(read_text(dir / "report.json"));
  const auto skipped = report["summary"]["skipped"].get<std::size_t>();
  const auto ok = report["summary"]["ok"].get<std::size_t>();
  std::printf(
      "kill -9 after %zu of %d outputs (%zu temporaries left); resume: %zu skipped, %zu "
      "done\n",
      finals_at_kill, kCount, temporaries_after_kill, skipped, ok);
  RecordProperty("skipped_on_resume", std::to_string(skipped));
  EXPECT_GT(skipped, 0u);
  EXPECT_EQ(skipped, finals_at_kill);
  EXPECT_EQ(ok, kCount - finals_at_kill);
  EXPECT_EQ(report["summary"]["failed"], 0);
  const auto lines = lines_of(r.err);
  ASSERT_EQ(lines.size(), 1u) << describe(r);
  EXPECT_TRUE(is_summary_line(lines[0], kCount, kCount - finals_at_kill, 0, finals_at_kill))
      << lines[0];

  std::set<std::string> finals;
  std::size_t temporaries_after_resume = 0;
  for (const auto& f : list_files(out)) {
    if (is_temporary_name(f)) {
      ++temporaries_after_resume;
    } else {
      finals.insert(f);
    }
  }
  EXPECT_EQ(finals, expected);
  for (const auto& f : finals) EXPECT_EQ(decoded_size(out / f), cv::Size(480, 360)) << f;
  // The resumed run itself leaves no temporary; those of the killed run stay
  // (hidden, and named as imgflow's).
  EXPECT_EQ(temporaries_after_resume, temporaries_after_kill);
}

// ---------------------------------------------------------------------------
// Sharding
// ---------------------------------------------------------------------------

class Sharding : public ::testing::Test {
 protected:
  static constexpr int kCount = 60;

  void SetUp() override {
    for (int i = 0; i < kCount; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "s%d/p%02d.jpg", i % 3, i);
      write_bytes(in() / name, encoded_image(".jpg", 40 + i % 5, 30, 3, static_cast<unsigned>(i)));
      all_.insert((in() / name).string());
    }
  }

  fs::path in() const { return dir_ / "in"; }

  // One shard's run into `out`: the set of inputs its report lists (all ok).
  std::set<std::string> run_shard(const fs::path& out, const std::string& shard,
                                  const std::vector<std::string>& env, const std::string& tag) {
    const fs::path report = dir_ / ("report-" + tag + ".json");
    const RunResult r = run_imgflow(RunSpec({"-r", "-s", "32", "--shard", shard, "--report",
                                             report.string(), "-o", out.string(), in().string()})
                                        .with_env(env));
    EXPECT_EQ(r.exit_code, 0) << tag << ": " << describe(r);
    const json rep = parse_json(read_text(report));
    std::set<std::string> inputs;
    for (const auto& f : rep["files"]) {
      EXPECT_EQ(f["status"], "ok") << f.dump();
      inputs.insert(f["input"].get<std::string>());
      for (const auto& o : f["outputs"]) {
        EXPECT_EQ(decoded_size(o["path"].get<std::string>()).width, 32) << o.dump();
      }
    }
    EXPECT_EQ(rep["summary"]["total"].get<std::size_t>(), inputs.size()) << tag;
    return inputs;
  }

  // Checks that `shards` partition every input, and that `out` has every output.
  void expect_partition(const std::vector<std::set<std::string>>& shards, const fs::path& out) {
    std::set<std::string> seen;
    for (std::size_t k = 0; k < shards.size(); ++k) {
      EXPECT_FALSE(shards[k].empty()) << "shard " << k + 1 << " got nothing";
      for (const auto& input : shards[k]) {
        EXPECT_TRUE(seen.insert(input).second) << input << " is in two shards";
      }
    }
    EXPECT_EQ(seen, all_);
    std::vector<std::string> expected;
    for (const auto& input : all_) {
      expected.push_back(fs::path(input).lexically_relative(in()).string());
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(list_files(out), expected);
  }

  ScratchDir dir_;
  std::set<std::string> all_;
};

TEST_F(Sharding, ThreeShardsIntoOneOutputCoverEveryInputOnce) {
  const fs::path out = dir_ / "out";
  std::vector<std::set<std::string>> shards;
  for (int k = 1; k <= 3; ++k) {
    shards.push_back(run_shard(out, numbered("", k) + "/3", {}, numbered("k", k)));
  }
  expect_partition(shards, out);
  for (std::size_t k = 0; k < shards.size(); ++k) {
    std::printf("shard %zu/3: %zu files\n", k + 1, shards[k].size());
  }
  // The same shard again, into another folder: the same share.
  const auto again = run_shard(dir_ / "again", "2/3", {}, "again");
  EXPECT_EQ(again, shards[1]);
}

TEST_F(Sharding, SlurmArrayAutoMatchesExplicitShards) {
  std::vector<std::set<std::string>> explicit_shards, slurm, slurm_min1, k8s;
  for (int k = 1; k <= 3; ++k) {
    explicit_shards.push_back(
        run_shard(dir_ / "explicit", numbered("", k) + "/3", {}, numbered("e", k)));
    // #SBATCH --array=0-2
    slurm.push_back(
        run_shard(dir_ / "slurm", "auto",
                  {numbered("SLURM_ARRAY_TASK_ID=", k - 1), "SLURM_ARRAY_TASK_MIN=0",
                   "SLURM_ARRAY_TASK_MAX=2", "SLURM_ARRAY_TASK_COUNT=3", "SLURM_ARRAY_JOB_ID=4242"},
                  numbered("slurm", k)));
    // #SBATCH --array=1-3 (no _COUNT: from _MIN and _MAX)
    slurm_min1.push_back(run_shard(
        dir_ / "slurm_min1", "auto",
        {numbered("SLURM_ARRAY_TASK_ID=", k), "SLURM_ARRAY_TASK_MIN=1", "SLURM_ARRAY_TASK_MAX=3"},
        numbered("slurm_min1_", k)));
    // Kubernetes Indexed Job, completions: 3
    k8s.push_back(run_shard(dir_ / "k8s", "auto/3", {numbered("JOB_COMPLETION_INDEX=", k - 1)},
                            numbered("k8s", k)));
  }
  expect_partition(explicit_shards, dir_ / "explicit");
  expect_partition(slurm, dir_ / "slurm");
  expect_partition(slurm_min1, dir_ / "slurm_min1");
  expect_partition(k8s, dir_ / "k8s");
  EXPECT_EQ(slurm, explicit_shards);
  EXPECT_EQ(slurm_min1, explicit_shards);
  EXPECT_EQ(k8s, explicit_shards);
}

TEST_F(Sharding, AutoWithoutTheVariablesIsUsageErrorAndWritesNothing) {
  for (const char* shard : {"auto", "auto/3"}) {
    SCOPED_TRACE(shard);
    const fs::path out = dir_ / "out";
    const RunResult r =
        run_imgflow(RunSpec({"-r", "--shard", shard, "-o", out.string(), in().string()}));
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    const auto lines = lines_of(r.err);
    ASSERT_EQ(lines.size(), 1u) << describe(r);
    EXPECT_TRUE(starts_with(lines[0], "imgflow: --shard: ")) << lines[0];
    EXPECT_FALSE(fs::exists(out));
  }
  // A task id outside the array.
  const RunResult r =
      run_imgflow(RunSpec({"-r", "--shard", "auto", "-o", (dir_ / "out").string(), in().string()})
                      .with_env({"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=0",
                                 "SLURM_ARRAY_TASK_COUNT=3"}));
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

}  // namespace
}  // namespace imgflow::test::hostile
