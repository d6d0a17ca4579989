// The man page and the bash completion the build writes from the imgflow
// command's options (src/cli/man_page.cpp, src/cli/bash_completion.cpp):
// checked against the real binary's --help, rendered by groff, run by bash.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

#include "cli/cli_helpers.hpp"

namespace imgflow::test::cli {
namespace {

// The long option names in `imgflow --help`'s option lines ("  -o,--output TEXT ...").
std::vector<std::string> help_long_names() {
  const auto r = imgflow({"--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  std::vector<std::string> names;
  static const std::regex long_name(R"((^|,)(--[a-z][a-z0-9-]*))");
  for (const auto& line : lines_of(r.out)) {
    if (!starts_with(line, "  -")) continue;
    const std::string column = line.substr(2, line.find(' ', 2) - 2);
    std::smatch m;
    if (std::regex_search(column, m, long_name)) names.push_back(m[2].str());
  }
  return names;
}

// --help's group headings, without the trailing ':' and the positionals.
std::vector<std::string> help_groups() {
  const auto r = imgflow({"--help"});
  std::vector<std::string> groups;
  for (const auto& line : lines_of(r.out)) {
    if (!line.empty() && line[0] != ' ' && line.back() == ':' && line != "Positionals:") {
      groups.push_back(line.substr(0, line.size() - 1));
    }
  }
  return groups;
}

// "--max-file-size" as roff writes it: "\-\-max\-file\-size".
std::string roff_name(const std::string& name) {
  std::string out;
  for (const char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(CliDocs, ManPageListsEveryOptionOfHelpInItsGroups) {
  const std::string page = read_text(IMGFLOW_MAN_PAGE);
  const auto names = help_long_names();
  ASSERT_GE(names.size(), 40u);
  for (const auto& name : names) {
    EXPECT_TRUE(contains(page, ".TP\n\\fB" + roff_name(name) + "\\fR") ||
                contains(page, "\\fR, \\fB" + roff_name(name) + "\\fR"))
        << "imgflow.1 does not list " << name;
  }
  std::vector<std::string> sections, subsections;
  for (const auto& line : lines_of(page)) {
    if (starts_with(line, ".SH ")) sections.push_back(line.substr(4));
    if (starts_with(line, ".SS ")) subsections.push_back(line.substr(4));
  }
  EXPECT_EQ(sections,
            (std::vector<std::string>{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                                      "ERROR CODES", "REPORT", "EXAMPLES", "SEE ALSO"}));
  EXPECT_EQ(subsections, help_groups());
  for (const char* code : {"not-found", "truncated-input", "too-complex", "output-unavailable"}) {
    EXPECT_TRUE(contains(page, std::string(".B ") + code + "\n") ||
                contains(page, std::string(".B ") + code + ",\n"))
        << code;
  }
}

TEST(CliDocs, ManPageRendersWithoutWarnings) {
  const auto r =
      run_command({"/usr/bin/env", "groff", "-man", "-Tutf8", "-ww", "-P-cbou", IMGFLOW_MAN_PAGE});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string& text = r.out;  // -P-cbou: plain text, no bold or underline
  EXPECT_TRUE(contains(text, "\nNAME\n       imgflow  -  resize")) << text;
  EXPECT_TRUE(contains(text, "\n       --max-file-size UINT\n")) << text;
  EXPECT_TRUE(contains(text, "\nEXIT STATUS\n")) << text;
  EXPECT_TRUE(contains(text, "\n              imgflow -r -s 800x800 -o thumbs/ photos/\n")) << text;
}

// Completes `line` as bash would after a TAB at its end (its last word
// possibly empty), in `dir`: the candidates, sorted.
std::vector<std::string> complete(const std::vector<std::string>& words, const fs::path& dir) {
  std::string array;
  for (const auto& word : words) array += " '" + word + "'";
  const std::string script = "cd '" + dir.string() +
                             "' && source '" IMGFLOW_BASH_COMPLETION "' && COMP_WORDS=(" + array +
                             ") && COMP_CWORD=" + std::to_string(words.size() - 1) +
                             " && _imgflow && printf '%s\\n' \"${COMPREPLY[@]}\"";
  const auto r = run_command({"/usr/bin/env", "bash", "--norc", "--noprofile", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  auto lines = lines_of(r.out);
  lines.erase(std::remove(lines.begin(), lines.end(), ""), lines.end());
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(CliDocs, BashCompletesOptionsChoicesFilesAndDirectories) {
  ScratchDir dir;
  write_text(dir / "a.jpg", "x");
  fs::create_directories(dir / "photos");
  using Words = std::vector<std::string>;
  EXPECT_EQ(complete({"imgflow", "--fi"}, dir.path()),
            (Words{"--files-from", "--filter", "--fit"}));
  EXPECT_EQ(complete({"imgflow", "--fit", ""}, dir.path()),
            (Words{"contain", "cover", "fill", "inside", "outside"}));
  EXPECT_EQ(complete({"imgflow", "-s", "800", "--format", ""}, dir.path()),
            (Words{"avif", "heif", "jpeg", "jxl", "keep", "png", "tiff", "webp"}));
  EXPECT_EQ(complete({"imgflow", "--chroma", ""}, dir.path()), (Words{"420", "444"}));
  EXPECT_EQ(complete({"imgflow", "-o", ""}, dir.path()), (Words{"photos"}));
  EXPECT_EQ(complete({"imgflow", "-o", "out", ""}, dir.path()), (Words{"a.jpg", "photos"}));
  EXPECT_EQ(complete({"imgflow", "-q", ""}, dir.path()), Words{});
}

}  // namespace
}  // namespace imgflow::test::cli
