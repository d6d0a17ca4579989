// `imgflow merge-reports`: the reports of a job's shards, written by the real
// binary over real photos, merged into one; a missing shard, files done by
// two shards, a foreign report and a rerun shard.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

namespace imgflow::test::cli {
namespace {

using json = nlohmann::json;

// The sample photos (with their subfolders) split into three shards.
struct ShardedRun {
  ScratchDir dir;
  fs::path out = dir / "out";

  RunResult shard(int k, const std::string& report, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"--quiet",
                                     "-r",
                                     "-s",
                                     "64",
                                     "--shard",
                                     std::to_string(k) + "/3",
                                     "--report",
                                     (dir / report).string(),
                                     "-o",
                                     out.string(),
                                     sample_dir().string()};
    args.insert(args.begin(), extra.begin(), extra.end());
    return run_imgflow(RunSpec(args));
  }
  RunResult merge(const std::vector<std::string>& reports) const {
    std::vector<std::string> args = {"merge-reports", "-o", (dir / "all.json").string()};
    for (const auto& r : reports) args.push_back((dir / r).string());
    return run_imgflow(RunSpec(args));
  }
  json merged() const { return json::parse(read_text(dir / "all.json")); }
};

std::set<std::string> inputs_of(const json& report) {
  std::set<std::string> inputs;
  for (const auto& f : report["files"]) inputs.insert(f["input"].get<std::string>());
  return inputs;
}

TEST(MergeReports, ThreeShardsGiveTheWholeRunOnce) {
  ShardedRun run;
  for (int k = 1; k <= 3; ++k) ASSERT_EQ(run.shard(k, std::to_string(k) + ".json").exit_code, 0);
  const RunResult r = run.merge({"1.json", "2.json", "3.json"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);

  // The same inputs as one unsharded run, each once.
  ScratchDir whole;
  const RunResult one =
      run_imgflow(RunSpec({"--quiet", "-r", "-s", "64", "--report", (whole / "r.json").string(),
                           "-o", (whole / "out").string(), sample_dir().string()}));
  ASSERT_EQ(one.exit_code, 0) << describe(one);
  const json single = json::parse(read_text(whole / "r.json"));
  const json merged = run.merged();
  EXPECT_EQ(inputs_of(merged), inputs_of(single));
  EXPECT_EQ(merged["files"].size(), single["files"].size());
  EXPECT_EQ(merged["summary"]["total"], single["summary"]["total"]);
  EXPECT_EQ(merged["summary"]["ok"], single["summary"]["total"]);
  EXPECT_EQ(merged["merge"]["shard_count"], 3);
  EXPECT_EQ(merged["merge"]["shards_missing"], json::array());
  EXPECT_EQ(merged["merge"]["complete"], true);
  EXPECT_EQ(merged["merge"]["all_ok"], true);
  EXPECT_EQ(merged["job"]["shard"], nullptr);
  EXPECT_EQ(merged["job"]["id"], json::parse(read_text(run.dir / "1.json"))["job"]["id"]);
  EXPECT_TRUE(contains(r.err, ": 3 of 3 shards, ")) << describe(r);
}

TEST(MergeReports, AMissingShardIsNamedAndExits1) {
  ShardedRun run;
  ASSERT_EQ(run.shard(1, "1.json").exit_code, 0);
  ASSERT_EQ(run.shard(3, "3.json").exit_code, 0);
  const RunResult r = run.merge({"1.json", "3.json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.err, "imgflow merge-reports: missing shards: 2\n")) << describe(r);
  const json merged = run.merged();
  EXPECT_EQ(merged["merge"]["shards_present"], json::parse("[1, 3]"));
  EXPECT_EQ(merged["merge"]["shards_missing"], json::parse("[2]"));
  EXPECT_EQ(merged["merge"]["complete"], false);
}

// A task that took the wrong index: shard 1's files again, reported as shard 2.
TEST(MergeReports, FilesProcessedByTwoShardsAreNamedAndExit1) {
  ShardedRun run;
  ASSERT_EQ(run.shard(1, "1.json").exit_code, 0);
  ASSERT_EQ(run.shard(3, "3.json").exit_code, 0);
  json wrong = json::parse(read_text(run.dir / "1.json"));
  wrong["job"]["shard"]["index"] = 2;
  write_text(run.dir / "2.json", wrong.dump(2));
  const RunResult r = run.merge({"1.json", "2.json", "3.json"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  const json merged = run.merged();
  const std::set<std::string> twice(merged["merge"]["in_several_shards"].begin(),
                                    merged["merge"]["in_several_shards"].end());
  EXPECT_EQ(twice, inputs_of(wrong));
  for (const auto& input : twice) {
    EXPECT_TRUE(contains(r.err, "processed by more than one shard: " + input)) << describe(r);
  }
  EXPECT_EQ(merged["files"].size(), inputs_of(merged).size());  // still each once
}

TEST(MergeReports, AReportOfAnotherJobIsRefusedWithExit2) {
  ShardedRun run;
  ASSERT_EQ(run.shard(1, "1.json").exit_code, 0);
  ASSERT_EQ(run.shard(2, "2.json", {"-f", "webp"}).exit_code, 0);  // other outputs
  const RunResult r = run.merge({"1.json", "2.json"});
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(contains(r.err, "2.json: it belongs to another job")) << describe(r);
  EXPECT_FALSE(fs::exists(run.dir / "all.json"));

  write_text(run.dir / "junk.json", "{\"not\": \"a report\"}");
  const RunResult junk = run.merge({"1.json", "junk.json"});
  EXPECT_EQ(junk.exit_code, 2) << describe(junk);
  EXPECT_TRUE(contains(junk.err, "junk.json: not an imgflow report")) << describe(junk);
}

// Shard 2 failed a file (a broken photo); the photo is replaced and shard 2
// run again with --skip-existing: the merge of all four reports is complete
// and ok, with the rerun's outcome for the file.
TEST(MergeReports, ARerunShardCompletesTheJob) {
  ShardedRun run;
  // A copy of the samples with one file broken in shard 2's share.
  const fs::path photos = run.dir / "photos";
  fs::create_directories(photos);
  for (const auto& p : sample_images()) fs::copy_file(p, photos / p.filename());
  auto shard = [&](int k, const std::string& report, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--quiet",
                                     "-s",
                                     "64",
                                     "--shard",
                                     std::to_string(k) + "/3",
                                     "--report",
                                     (run.dir / report).string(),
                                     "-o",
                                     run.out.string(),
                                     photos.string()};
    args.insert(args.begin(), extra.begin(), extra.end());
    return run_imgflow(RunSpec(args));
  };
  ASSERT_EQ(shard(2, "probe.json").exit_code, 0);
  const json probe = json::parse(read_text(run.dir / "probe.json"));
  ASSERT_FALSE(probe["files"].empty()) << "shard 2 of 3 got no sample photo";
  const fs::path victim = probe["files"][0]["input"].get<std::string>();
  const std::vector<std::uint8_t> good = read_bytes(victim);
  fs::remove_all(run.out);

  write_bytes(victim, std::vector<std::uint8_t>(good.begin(), good.begin() + 100));  // cut
  ASSERT_EQ(shard(1, "1.json").exit_code, 0);
  ASSERT_EQ(shard(2, "2.json").exit_code, 1);
  ASSERT_EQ(shard(3, "3.json").exit_code, 0);
  ASSERT_EQ(run.merge({"1.json", "2.json", "3.json"}).exit_code, 1);
  EXPECT_EQ(run.merged()["merge"]["all_ok"], false);

  write_bytes(victim, good);
  ASSERT_EQ(shard(2, "2-rerun.json", {"--skip-existing"}).exit_code, 0);
  const RunResult r = run.merge({"1.json", "2.json", "3.json", "2-rerun.json"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  const json merged = run.merged();
  EXPECT_EQ(merged["merge"]["complete"], true);
  EXPECT_EQ(merged["merge"]["in_several_shards"], json::array());
  EXPECT_EQ(merged["summary"]["failed"], 0);
  EXPECT_EQ(merged["summary"]["total"], sample_images().size());
  for (const auto& f : merged["files"]) {
    if (f["input"] == victim.string()) {
      EXPECT_EQ(f["status"], "ok") << f.dump();
    }
  }
}

}  // namespace
}  // namespace imgflow::test::cli
