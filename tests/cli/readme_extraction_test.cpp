// The README example tests' own machinery: the extractor reads every example
// as the shell would, and the generic check can fail.
//
// The examples themselves are run in readme_examples_test.cpp.
#include <gtest/gtest.h>

#include "cli/readme_helpers.hpp"

namespace imgflow::test::readme_tests {
namespace {

// 9 lines under "Examples:", the job-array script's line, the Job's command.
constexpr std::size_t kExpectedExamples = 11;

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

TEST(Readme, ExtractsEveryExample) {
  const auto extraction = read_readme_examples();
  for (const auto& p : extraction.problems) ADD_FAILURE() << p;
  std::string found;
  for (const auto& e : extraction.examples) {
    found += "  README.md:" + std::to_string(e.line) + " [" + e.fence + "] " + e.command + "\n";
  }
  EXPECT_GE(extraction.examples.size(), kExpectedExamples) << "found only:\n" << found;
  const auto count = [&](auto pred) {
    return std::count_if(extraction.examples.begin(), extraction.examples.end(), pred);
  };
  EXPECT_GE(count([](const Example& e) { return !e.argv.empty(); }), 1) << "no YAML command: found";
  EXPECT_GE(count([](const Example& e) { return contains(e.command, " | imgflow "); }), 1)
      << "no pipe into imgflow found";
  EXPECT_GE(count([](const Example& e) { return contains(e.command, "$SLURM_ARRAY_TASK_ID"); }), 1)
      << "the job-array script's continued line was not joined";
  EXPECT_EQ(count([](const Example& e) { return contains(e.command, "#"); }),
            count([](const Example& e) { return contains(e.command, "'#"); }))
      << "a comment was left on a command:\n"
      << found;
}

// The generic check itself can fail.
TEST(Readme, GenericCheckCatchesWhatAnExampleGetsWrong) {
  ScratchDir scratch;
  lay_out_inputs(scratch.path());
  EXPECT_TRUE(generic_problems("imgflow -s 100x -f png -o out1/ photos/", scratch.path()).empty());
  EXPECT_FALSE(generic_problems("imgflow -s 100x -o out2/ no-such-folder/", scratch.path()).empty())
      << "a failing run passed";
  EXPECT_FALSE(generic_problems("true imgflow -o out3/", scratch.path()).empty())
      << "a line that writes nothing passed";
  // Exit 0, but the WebP that -f webp promises is not there (only a PNG).
  fs::create_directories(scratch / "out4");
  fs::copy_file(sample_dir() / "special/alpha.png", scratch / "out4/alpha.png");
  const auto problems =
      generic_problems("imgflow --dry-run -s 100x -f webp -o out4/ photos/", scratch.path());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(contains(problems[0], "no webp image")) << problems[0];
}

TEST(Readme, ExtractorReadsShellLinesAsTheShellDoes) {
  EXPECT_EQ(split_comment("imgflow -s 1x1 --background '#202020' -o o/ i/  # a # b").first,
            "imgflow -s 1x1 --background '#202020' -o o/ i/");
  EXPECT_EQ(split_comment("imgflow -o o/ i/  # a # b").second, "a # b");
  EXPECT_TRUE(invokes_imgflow("find x -print0 | imgflow --files-from - -o o/"));
  EXPECT_TRUE(invokes_imgflow("A=1 imgflow -o o/ i/"));
  EXPECT_FALSE(invokes_imgflow("cmake --install build  # imgflow"));
  EXPECT_FALSE(invokes_imgflow("echo imgflow"));
  EXPECT_EQ(imgflow_words("imgflow -j \"$N\" --report \"r/${ID}.json\" -o '/a b/' x",
                          {{"N", "8"}, {"ID", "3"}}),
            (std::vector<std::string>{"-j", "8", "--report", "r/3.json", "-o", "/a b/", "x"}));
  EXPECT_EQ(map_absolute_paths("-o /data/thumbs \"/data/photos\" x/data/y", "/s"),
            "-o /s/data/thumbs \"/s/data/photos\" x/data/y");
}

}  // namespace
}  // namespace imgflow::test::readme_tests
