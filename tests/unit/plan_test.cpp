#include "imgflow/plan.hpp"

#include <gtest/gtest.h>

#include "imgflow/error.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

using test::ScratchDir;
using test::write_text;

std::vector<std::string> relatives(const std::vector<PlannedFile>& plan) {
  std::vector<std::string> out;
  for (const auto& p : plan) out.push_back(p.relative.string());
  return out;
}

TEST(PlanInputs, DirectoryWithoutRecursionTakesTopLevelImagesOnly) {
  ScratchDir dir;
  write_text(dir / "in/b.jpg", "x");
  write_text(dir / "in/a.PNG", "x");
  write_text(dir / "in/notes.txt", "x");
  write_text(dir / "in/.hidden.jpg", "x");
  write_text(dir / "in/sub/c.webp", "x");
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "out";
  EXPECT_EQ(relatives(plan_inputs(options)), (std::vector<std::string>{"a.PNG", "b.jpg"}));
}

TEST(PlanInputs, RecursionMirrorsRelativePathsAndSkipsTheOutputDir) {
  ScratchDir dir;
  write_text(dir / "in/a.jpg", "x");
  write_text(dir / "in/sub/deeper/c.tif", "x");
  write_text(dir / "in/thumbs/old.jpg", "x");  // the output dir, inside the input
  Options options;
  options.inputs = {dir / "in"};
  options.output_dir = dir / "in/thumbs";
  options.recursive = true;
  const auto plan = plan_inputs(options);
  EXPECT_EQ(relatives(plan), (std::vector<std::string>{"a.jpg", "sub/deeper/c.tif"}));
  ASSERT_EQ(plan[1].output_stems.size(), 1u);
  EXPECT_EQ(plan[1].output_stems[0], dir / "in/thumbs/sub/deeper/c");
}

TEST(PlanInputs, NamedFilesAreAlwaysTakenEvenIfMissingOrOddlyNamed) {
  ScratchDir dir;
  write_text(dir / "photo.data", "x");
  Options options;
  options.inputs = {dir / "photo.data", dir / "missing.jpg"};
  options.output_dir = dir / "out";
  const auto plan = plan_inputs(options);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].relative, "photo.data");
  EXPECT_EQ(plan[1].input, dir / "missing.jpg");
  EXPECT_EQ(plan[1].output_stems[0], dir / "out/missing");
}

TEST(PlanInputs, SeveralSizesGetOneStemEach) {
  ScratchDir dir;
  write_text(dir / "a.jpg", "x");
  Options options;
  options.inputs = {dir / "a.jpg"};
  options.output_dir = dir / "out";
  options.sizes = {parse_geometry("320x"), parse_geometry("1280x720")};
  const auto plan = plan_inputs(options);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].output_stems,
            (std::vector<std::filesystem::path>{dir / "out/a_320x", dir / "out/a_1280x720"}));
}

TEST(OutputPath, KeepsTheInputsSpellingWhenItNamesTheFormat) {
  EXPECT_EQ(output_path("/o/a", "/i/a.JPG", Format::jpeg), "/o/a.JPG");
  EXPECT_EQ(output_path("/o/a", "/i/a.jpeg", Format::jpeg), "/o/a.jpeg");
  EXPECT_EQ(output_path("/o/a", "/i/a.png", Format::jpeg), "/o/a.jpg");
  EXPECT_EQ(output_path("/o/a", "/i/a.jpg", Format::webp), "/o/a.webp");
  EXPECT_EQ(output_path("/o/a", "/i/a.tiff", Format::tiff), "/o/a.tiff");
  EXPECT_EQ(output_path("/o/a", "/i/a.png", Format::tiff), "/o/a.tif");
  EXPECT_EQ(output_path("/o/v1.2", "/i/v1.2.png", Format::png), "/o/v1.2.png");
}

TEST(ChooseOutputFormat, KeepUsesTheSourceWhereWritable) {
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::png), Format::png);
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::webp), Format::webp);
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::bmp), Format::jpeg);
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::pnm), Format::jpeg);
  EXPECT_EQ(choose_output_format(OutputFormat::png, Format::jpeg), Format::png);
}

TEST(Options, ValidateNamesEveryProblem) {
  Options options;
  options.quality = 0;
  options.readers = 0;
  const auto problems = options.validate();
  ASSERT_EQ(problems.size(), 4u);  // no inputs, no output, quality, readers
  EXPECT_EQ(problems[2], "--quality: expected 1 to 100, got 0");
  EXPECT_EQ(problems[3], "--readers: expected 1 to 64, got 0");
  options.inputs = {"a.jpg"};
  options.output_dir = "out";
  options.quality = 100;
  options.readers = 1;
  EXPECT_TRUE(options.validate().empty());
}

TEST(Options, ParseOutputFormat) {
  EXPECT_EQ(parse_output_format("jpg"), OutputFormat::jpeg);
  EXPECT_EQ(parse_output_format("tif"), OutputFormat::tiff);
  EXPECT_THROW(parse_output_format("gif"), Error);
}

}  // namespace
}  // namespace imgflow
