// The man page and the shell completions the build writes from the imgflow
// command's options (src/cli/man_page.cpp, src/cli/bash_completion.cpp,
// src/cli/zsh_completion.cpp): checked against the real binary's --help and
// `merge-reports --help`, rendered by groff, run by bash and by zsh.
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
std::vector<std::string> help_long_names(const std::vector<std::string>& help = {"--help"}) {
  const auto r = imgflow(help);
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
                                      "ERROR CODES", "ENVIRONMENT", "REPORT", "MERGE\\-REPORTS",
                                      "EXAMPLES", "SEE ALSO"}));
  // What src/cli/malloc_setup.cpp does to the environment, and the way out.
  EXPECT_TRUE(contains(page, ".TP\n\\fBGLIBC_TUNABLES\\fR\n")) << page;
  EXPECT_TRUE(contains(page, "\\fBglibc.malloc.hugetlb=0\\fR turns this off")) << page;
  EXPECT_EQ(subsections, help_groups());
  for (const char* code : {"not-found", "truncated-input", "too-complex", "output-unavailable"}) {
    EXPECT_TRUE(contains(page, std::string(".B ") + code + "\n") ||
                contains(page, std::string(".B ") + code + ",\n"))
        << code;
  }
}

TEST(CliDocs, ManPageDocumentsMergeReportsFromItsHelp) {
  const std::string page = read_text(IMGFLOW_MAN_PAGE);
  const auto at = page.find(".SH MERGE\\-REPORTS\n");
  ASSERT_NE(at, std::string::npos);
  const std::string section = page.substr(at, page.find(".SH ", at + 1) - at);
  const auto names = help_long_names({"merge-reports", "--help"});
  EXPECT_EQ(names, (std::vector<std::string>{"--help", "--output"}));
  for (const auto& name : names) {
    EXPECT_TRUE(contains(section, "\\fR, \\fB" + roff_name(name) + "\\fR")) << name << "\n"
                                                                            << section;
  }
  EXPECT_TRUE(contains(section, "\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIFILE\\fR\n")) << section;
  // Its exit statuses, the same text as `imgflow merge-reports --help` ends with.
  const auto r = imgflow({"merge-reports", "--help"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  for (const char* code : {"0", "1", "2"}) {
    EXPECT_TRUE(contains(section, std::string(".TP\n.B ") + code + "\n")) << code;
    EXPECT_TRUE(contains(r.out, std::string("\n  ") + code + "  ")) << r.out;
  }
  EXPECT_TRUE(
      contains(page, ".B imgflow merge\\-reports\n\\fB\\-o\\fR \\fIFILE\\fR \\fIREPORT\\fR...\n"))
      << "the synopsis lacks merge-reports";
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
  EXPECT_TRUE(contains(text, "\nMERGE-REPORTS\n")) << text;
}

TEST(CliDocs, BuildWritesTheManPageGzipped) {
  const auto r = run_command({"/usr/bin/env", "gzip", "-dc", IMGFLOW_MAN_PAGE ".gz"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, read_text(IMGFLOW_MAN_PAGE));
}

// Completes `line` as bash would after a TAB at its end (its last word
// possibly empty), in `dir`: the candidates, sorted. (_imgflow's status is
// compgen's, 1 when nothing matches; bash ignores it, and so does this.)
std::vector<std::string> complete(const std::vector<std::string>& words, const fs::path& dir) {
  std::string array;
  for (const auto& word : words) array += " '" + word + "'";
  const std::string script = "cd '" + dir.string() +
                             "' && source '" IMGFLOW_BASH_COMPLETION "' && COMP_WORDS=(" + array +
                             ") && COMP_CWORD=" + std::to_string(words.size() - 1) +
                             " && { _imgflow; printf '%s\\n' \"${COMPREPLY[@]}\"; }";
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

TEST(CliDocs, BashCompletesMergeReports) {
  ScratchDir dir;
  write_text(dir / "1.json", "{}");
  using Words = std::vector<std::string>;
  EXPECT_EQ(complete({"imgflow", "mer"}, dir.path()), Words{"merge-reports"});
  EXPECT_EQ(complete({"imgflow", ""}, dir.path()), (Words{"1.json", "merge-reports"}));
  EXPECT_EQ(complete({"imgflow", "merge-reports", "-"}, dir.path()),
            (Words{"--help", "--output", "-h", "-o"}));
  EXPECT_EQ(complete({"imgflow", "merge-reports", "-o", ""}, dir.path()), Words{"1.json"});
  EXPECT_EQ(complete({"imgflow", "merge-reports", "-o", "all.json", ""}, dir.path()),
            Words{"1.json"});
  EXPECT_EQ(complete({"imgflow", "-s", "800", "mer"}, dir.path()), Words{})
      << "merge-reports is a subcommand only as the first word";
}

// What zsh offers after `line` and a TAB, in `dir`, sorted: an interactive
// zsh with the generated _imgflow on its fpath and compinit loaded, driven on
// a pseudo-terminal by tests/cli/zsh_complete.zsh; `dump` is compinit's cache.
std::vector<std::string> zsh_complete(const std::string& line, const fs::path& dir,
                                      const fs::path& dump) {
  const auto r = run_command({"/usr/bin/env", "zsh", "-f", IMGFLOW_ZSH_COMPLETE,
                              fs::path(IMGFLOW_ZSH_COMPLETION).parent_path().string(), dir.string(),
                              dump.string(), line});
  EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err;
  auto lines = lines_of(r.out);
  lines.erase(std::remove(lines.begin(), lines.end(), ""), lines.end());
  return lines;
}

TEST(CliDocs, ZshCompletesOptionsChoicesFilesAndMergeReports) {
  if (run_command({"/bin/sh", "-c", "command -v zsh"}).exit_code != 0) {
    GTEST_SKIP() << "zsh is not installed (scripts/setup.sh installs it)";
  }
  const std::string file = read_text(IMGFLOW_ZSH_COMPLETION);
  ASSERT_TRUE(starts_with(file, "#compdef imgflow\n")) << file;
  ScratchDir dir, cache;
  write_text(dir / "a.jpg", "x");
  write_text(dir / "1.json", "{}");
  fs::create_directories(dir / "photos");
  const fs::path dump = cache / "zcompdump";
  using Words = std::vector<std::string>;
  EXPECT_EQ(zsh_complete("imgflow --fi", dir.path(), dump),
            (Words{"--files-from", "--filter", "--fit"}));
  EXPECT_EQ(zsh_complete("imgflow --fit ", dir.path(), dump),
            (Words{"contain", "cover", "fill", "inside", "outside"}));
  EXPECT_EQ(zsh_complete("imgflow -s 800 -f ", dir.path(), dump),
            (Words{"avif", "heif", "jpeg", "jxl", "keep", "png", "tiff", "webp"}));
  EXPECT_EQ(zsh_complete("imgflow -o ", dir.path(), dump), Words{"photos"});
  EXPECT_EQ(zsh_complete("imgflow -o out ", dir.path(), dump),
            (Words{"1.json", "a.jpg", "photos"}));
  // -s may be given again, -o not.
  EXPECT_EQ(zsh_complete("imgflow -s 800 -o out --s", dir.path(), dump),
            (Words{"--shard", "--shrink-margin", "--size", "--skip-existing", "--strip-gps"}));
  EXPECT_EQ(zsh_complete("imgflow -o out --outp", dir.path(), dump), Words{});
  EXPECT_EQ(zsh_complete("imgflow mer", dir.path(), dump), Words{"merge-reports"});
  EXPECT_EQ(zsh_complete("imgflow merge-reports --", dir.path(), dump),
            (Words{"--help", "--output"}));
  EXPECT_EQ(zsh_complete("imgflow merge-reports -o all.json ", dir.path(), dump),
            (Words{"1.json", "a.jpg", "photos"}));
}

}  // namespace
}  // namespace imgflow::test::cli
