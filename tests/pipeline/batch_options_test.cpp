// Batch-job options through the library: sharding, resume, error policy,
// planning checks, truncated input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"
#include "pipeline/stages.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

namespace fs = std::filesystem;
using test::ScratchDir;

void write_images(const fs::path& dir, int count) {
  for (int i = 0; i < count; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "s%d/p%03d.jpg", i % 4, i);
    fs::create_directories((dir / name).parent_path());
    ASSERT_TRUE(cv::imwrite((dir / name).string(), test::make_test_pixels(40, 30, 3, i)));
  }
}

Options batch(const fs::path& in, const fs::path& out) {
  Options options;
  options.inputs = {in};
  options.output_dir = out;
  options.recursive = true;
  options.sizes = {parse_geometry("20x20")};
  return options;
}

// N% and N@ from a program: parsed, or built field by field, validate() and
// run() accept them and give the sizes the CLI gives.
TEST(Geometries, PercentAndAreaWorkThroughTheLibrary) {
  ScratchDir out;
  Options options;
  options.inputs = {test::sample_dir() / "kite.jpg"};  // 2000x1250
  options.output_dir = out.path();
  Geometry half;
  half.percent = 50;
  half.text = "50%";
  options.sizes = {half, parse_geometry("2000000@"), parse_geometry("25%>")};
  EXPECT_EQ(options.validate(), std::vector<std::string>{});
  const Report report = run(options);
  ASSERT_EQ(report.files.size(), 1u);
  ASSERT_EQ(report.files[0].status, FileStatus::ok) << report.files[0].message;
  std::map<std::string, std::pair<int, int>> sizes;
  for (const auto& o : report.files[0].outputs) {
    sizes[o.path.filename().string()] = {o.width, o.height};
    const cv::Mat m = cv::imread(o.path.string());
    EXPECT_EQ(m.size(), cv::Size(o.width, o.height)) << o.path;
  }
  EXPECT_EQ(sizes, (std::map<std::string, std::pair<int, int>>{{"kite_50pc.jpg", {1000, 625}},
                                                               {"kite_2000000px.jpg", {1788, 1118}},
                                                               {"kite_25pc.jpg", {500, 313}}}));
  // A geometry that is neither a box nor a scale nor an area is refused by
  // the same rule as the parser's, naming the option.
  options.sizes = {Geometry{}};
  const auto problems = options.validate();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "sizes: expected a valid geometry, got \"\" (give at least one side)");
}

TEST(Shard, ThreeShardsCoverEveryFileExactlyOnce) {
  ScratchDir in, out;
  write_images(in.path(), 90);
  std::multiset<std::string> outputs;
  std::size_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    Options options = batch(in.path(), out.path());
    options.shard = {k, 3};
    const Report report = run(options);
    EXPECT_GT(report.summary.ok, 15u) << "shard " << k << " is badly unbalanced";
    total += report.summary.total;
    for (const auto& f : report.files) outputs.insert(f.outputs.at(0).path.string());
  }
  EXPECT_EQ(total, 90u);
  EXPECT_EQ(outputs.size(), 90u);
  EXPECT_EQ(std::set<std::string>(outputs.begin(), outputs.end()).size(), 90u);  // no overlap
  EXPECT_EQ(test::list_files(out.path()).size(), 90u);
}

TEST(Shard, MembershipDependsOnlyOnTheRelativePath) {
  PlannedFile a{"/one/root/x/y.jpg", "x/y.jpg"};
  PlannedFile b{"/another/place/x/y.jpg", "x/y.jpg"};
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(in_shard(a, {k, 5}), in_shard(b, {k, 5}));
  int owners = 0;
  for (int k = 1; k <= 5; ++k) owners += in_shard(a, {k, 5});
  EXPECT_EQ(owners, 1);
}

TEST(Shard, ParseForms) {
  EXPECT_EQ(parse_shard("2/3").index, 2);
  EXPECT_EQ(parse_shard("2/3").count, 3);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "-1/2"}) {
    EXPECT_THROW(parse_shard(bad), Error) << bad;
  }
  ::setenv("SLURM_ARRAY_TASK_ID", "7", 1);
  ::setenv("SLURM_ARRAY_TASK_MIN", "5", 1);
  ::setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
  EXPECT_EQ(parse_shard("auto").index, 3);
  EXPECT_EQ(parse_shard("auto").count, 4);
  ::unsetenv("SLURM_ARRAY_TASK_COUNT");
  ::setenv("SLURM_ARRAY_TASK_MAX", "9", 1);
  EXPECT_EQ(parse_shard("auto").count, 5);
  ::unsetenv("SLURM_ARRAY_TASK_ID");
  ::unsetenv("SLURM_ARRAY_TASK_MIN");
  ::unsetenv("SLURM_ARRAY_TASK_MAX");
  EXPECT_THROW(parse_shard("auto"), Error);
  ::setenv("JOB_COMPLETION_INDEX", "0", 1);
  EXPECT_EQ(parse_shard("auto/6").index, 1);
  EXPECT_EQ(parse_shard("auto/6").count, 6);
  ::unsetenv("JOB_COMPLETION_INDEX");
}

TEST(SkipExisting, SecondRunSkipsAndANewerInputIsRedone) {
  ScratchDir in, out;
  write_images(in.path(), 12);
  Options options = batch(in.path(), out.path());
  options.skip_existing = true;
  EXPECT_EQ(run(options).summary.ok, 12u);
  const Report again = run(options);
  EXPECT_EQ(again.summary.ok, 0u);
  EXPECT_EQ(again.summary.skipped, 12u);
  EXPECT_EQ(again.files[0].message, "outputs are up to date");
  EXPECT_EQ(again.files[0].error, ErrorCode::ok);

  // Touch one input into the future, delete another's output: both are redone.
  fs::last_write_time(in / "s1/p001.jpg", fs::file_time_type::clock::now() + std::chrono::hours(1));
  fs::remove(out / "s2/p002.jpg");
  const Report third = run(options);
  EXPECT_EQ(third.summary.ok, 2u);
  EXPECT_EQ(third.summary.skipped, 10u);
}

TEST(MaxErrors, StopsReadingAfterNFailures) {
  ScratchDir in, out;
  for (int i = 0; i < 40; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "bad%02d.jpg", i);
    test::write_text(in / name, "not an image");
  }
  Options options = batch(in.path(), out.path());
  options.max_errors = 3;
  options.threads = 1;
  options.readers = 1;
  options.max_in_flight = 1;  // one file at a time: exactly 3 are read
  const Report report = run(options);
  EXPECT_TRUE(report.summary.stopped_on_errors);
  EXPECT_FALSE(report.summary.cancelled);
  EXPECT_EQ(report.summary.failed, 3u);
  EXPECT_EQ(report.summary.skipped, 37u);
  EXPECT_EQ(report.files.back().error, ErrorCode::cancelled);
}

// A whole plan is checked before any work; a streamed run fails the later of
// two colliding inputs, and every input whose output would replace an input,
// with output-conflict, unread.
TEST(CheckPlan, CollidingOutputsAndOverwritingInputsAreRefused) {
  ScratchDir dir;
  const cv::Mat pixels = test::make_test_pixels(20, 20, 3);
  fs::create_directories(dir / "in");
  ASSERT_TRUE(cv::imwrite((dir / "in/a.jpg").string(), pixels));
  ASSERT_TRUE(cv::imwrite((dir / "in/a.png").string(), pixels));
  const auto inputs_before = test::list_files(dir / "in");
  Options options = batch(dir / "in", dir / "out");
  options.formats = {OutputFormat::webp};  // a.jpg and a.png → a.webp
  try {
    run(options, plan_inputs(options));
    ADD_FAILURE() << "collision not detected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("a.webp"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "out"));  // nothing done

  const Report streamed = run(options);
  ASSERT_EQ(streamed.files.size(), 2u);
  EXPECT_EQ(streamed.files[0].status, FileStatus::ok);
  EXPECT_EQ(streamed.files[1].error, ErrorCode::output_conflict);
  EXPECT_NE(streamed.files[1].message.find("would both write"), std::string::npos);
  EXPECT_EQ(test::list_files(dir / "out"), std::vector<std::string>{"a.webp"});

  options.formats = {OutputFormat::keep};
  options.output_dir = dir / "in";  // outputs would replace the inputs
  try {
    check_plan(plan_inputs(options), options);
    ADD_FAILURE() << "overwrite not detected";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::usage);
    EXPECT_NE(std::string(e.what()).find("overwrite an input"), std::string::npos) << e.what();
  }
  const Report in_place = run(options);
  ASSERT_EQ(in_place.files.size(), 2u);
  for (const auto& f : in_place.files) {
    EXPECT_EQ(f.error, ErrorCode::output_conflict) << f.input;
    EXPECT_NE(f.message.find("overwrite an input"), std::string::npos) << f.message;
  }
  EXPECT_EQ(test::list_files(dir / "in"), inputs_before);
}

// The decode stage shrinks a JPEG on load to the smallest of 1/1, 1/2, 1/4,
// 1/8 that keeps shrink_margin times the output size on both sides.
TEST(ShrinkMargin, ChoosesTheScaleThatKeepsTheMargin) {
  const auto bytes = test::read_bytes(test::sample_jpeg());
  const SourceInfo header = read_header(bytes);
  Options options;
  options.sizes = {parse_geometry(std::to_string(header.width / 5) + "x")};
  const int target = header.width / 5;
  for (const double margin : {1.0, 1.25, 2.0, 3.0}) {
    SCOPED_TRACE(margin);
    options.shrink_margin = margin;
    const int decoded = detail::decode_stage(bytes, detail::DecodePolicy(options)).pixels.cols;
    int expected = header.width;
    for (const int denom : {8, 4, 2}) {
      if ((header.width + denom - 1) / denom >= std::ceil(target * margin)) {
        expected = (header.width + denom - 1) / denom;
        break;
      }
    }
    EXPECT_EQ(decoded, expected);
  }
}

TEST(AllowTruncated, AcceptsAHalfJpegWithAWarning) {
  ScratchDir in, out;
  test::write_bad_inputs(in.path());
  Options options = batch(in / "truncated.jpg", out.path());
  options.allow_truncated = true;
  const Report report = run(options);
  ASSERT_EQ(report.summary.ok, 1u);
  ASSERT_EQ(report.files[0].warnings.size(), 1u);
  EXPECT_NE(report.files[0].warnings[0].find("ends early"), std::string::npos);
  options.allow_truncated = false;
  EXPECT_EQ(run(options).files[0].error, ErrorCode::truncated_input);
}

}  // namespace
}  // namespace imgflow
