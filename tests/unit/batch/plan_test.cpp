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
  const auto outputs = expected_outputs(plan[1], options);
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0], dir / "in/thumbs/sub/deeper/c.tif");
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
  EXPECT_EQ(expected_outputs(plan[1], options)[0], dir / "out/missing.jpg");
  EXPECT_EQ(expected_outputs(plan[0], options)[0], dir / "out/photo.jpg");  // unknown: JPEG
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
  const auto outputs = expected_outputs(plan[0], options);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0], dir / "out/a_320x.jpg");
  EXPECT_EQ(outputs[1], dir / "out/a_1280x720.jpg");
}

// The path of one output for an input at `input` (relative `relative`).
std::filesystem::path path_for(const char* relative, Format format, Options options = {},
                               OutputSpec spec = {}, Size size = {}) {
  if (options.output_dir.empty()) options.output_dir = "/o";
  return output_path({std::string("/i/") + relative, relative}, options, spec, format, size);
}

TEST(OutputPath, KeepsTheInputsSpellingWhenItNamesTheFormat) {
  EXPECT_EQ(path_for("a.JPG", Format::jpeg), "/o/a.JPG");
  EXPECT_EQ(path_for("a.jpeg", Format::jpeg), "/o/a.jpeg");
  EXPECT_EQ(path_for("a.png", Format::jpeg), "/o/a.jpg");
  EXPECT_EQ(path_for("a.jpg", Format::webp), "/o/a.webp");
  EXPECT_EQ(path_for("a.tiff", Format::tiff), "/o/a.tiff");
  EXPECT_EQ(path_for("a.png", Format::tiff), "/o/a.tif");
  EXPECT_EQ(path_for("v1.2.png", Format::png), "/o/v1.2.png");
  EXPECT_EQ(path_for("sub/dir/b.png", Format::png), "/o/sub/dir/b.png");
}

TEST(OutputPath, NameTemplates) {
  Options options;
  options.output_dir = "/o";
  options.sizes = {parse_geometry("320x"), parse_geometry("50%"), parse_geometry("800x600>")};
  EXPECT_EQ(path_for("p/a.jpg", Format::jpeg, options, {0}), "/o/p/a_320x.jpg");
  EXPECT_EQ(path_for("p/a.jpg", Format::jpeg, options, {1}), "/o/p/a_50pc.jpg");
  EXPECT_EQ(path_for("p/a.jpg", Format::jpeg, options, {2}), "/o/p/a_800x600.jpg");
  options.name = "{size}/{stem}-{width}x{height}.{format}.{ext}";
  EXPECT_EQ(path_for("p/a.jpg", Format::webp, options, {0, OutputFormat::webp}, {320, 213}),
            "/o/p/320x/a-320x213.webp.webp");
  EXPECT_EQ(name_template(Options{}), "{stem}.{ext}");
}

TEST(OutputPath, TemplateValidation) {
  EXPECT_EQ(validate_name_template("{stem}.{ext}"), "");
  EXPECT_EQ(validate_name_template("thumbs/{stem}_{width}.jpg"), "");
  EXPECT_NE(validate_name_template(""), "");
  EXPECT_NE(validate_name_template("/abs/{stem}"), "");
  EXPECT_NE(validate_name_template("../{stem}"), "");
  EXPECT_NE(validate_name_template("{stem}.{bogus}"), "");
  EXPECT_NE(validate_name_template("{stem"), "");
  EXPECT_NE(validate_name_template("fixed.jpg"), "");  // every input would write one file
  Options options;
  options.inputs = {"a.jpg"};
  options.output_dir = "out";
  options.name = "../{stem}";
  ASSERT_EQ(options.validate().size(), 1u);
  EXPECT_NE(options.validate()[0].find("name: "), std::string::npos);
}

TEST(OutputSpecs, EverySizeInEveryFormat) {
  Options options;
  EXPECT_EQ(output_specs(options).size(), 1u);
  options.sizes = {parse_geometry("320x"), parse_geometry("640x")};
  options.formats = {OutputFormat::jpeg, OutputFormat::webp};
  const auto specs = output_specs(options);
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[1].size_index, 0u);
  EXPECT_EQ(specs[1].format, OutputFormat::webp);
  EXPECT_EQ(specs[2].size_index, 1u);
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
  EXPECT_EQ(problems[2], "quality: expected 1 to 100, got 0");
  EXPECT_EQ(problems[3], "readers: expected 1 to 64, got 0");
  options.inputs = {"a.jpg"};
  options.output_dir = "out";
  options.quality = 100;
  options.readers = 1;
  EXPECT_TRUE(options.validate().empty());
}

TEST(Options, ParseOutputFormat) {
  EXPECT_EQ(parse_output_format("jpg"), OutputFormat::jpeg);
  EXPECT_EQ(parse_output_format("tif"), OutputFormat::tiff);
  EXPECT_EQ(parse_output_format("avif"), OutputFormat::avif);
  EXPECT_EQ(parse_output_format("heic"), OutputFormat::heic);
  EXPECT_EQ(parse_output_format("heif"), OutputFormat::heic);
  EXPECT_EQ(choose_output_format(OutputFormat::heic, Format::jpeg), Format::heif);
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::avif), Format::avif);
  EXPECT_EQ(choose_output_format(OutputFormat::keep, Format::gif), Format::jpeg);
  EXPECT_THROW(parse_output_format("gif"), Error);
}

}  // namespace
}  // namespace imgflow
