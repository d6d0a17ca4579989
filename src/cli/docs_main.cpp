// imgflow_docs: writes the man page or a shell completion of the imgflow
// command from the same CLI11 apps the command parses with, at build time.
// Usage: imgflow_docs man|bash-completion|zsh-completion OUTPUT_FILE
#include <fstream>
#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

#include "cli/bash_completion.hpp"
#include "cli/command_help.hpp"
#include "cli/man_page.hpp"
#include "cli/merge_reports_cli.hpp"
#include "cli/options_cli.hpp"
#include "cli/zsh_completion.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: imgflow_docs man|bash-completion|zsh-completion OUTPUT_FILE\n";
    return 2;
  }
  CLI::App app{imgflow::cli::kDescription, "imgflow"};
  imgflow::cli::OptionsCli cli(app);
  const imgflow::cli::MergeReportsCli merge_reports;
  const std::string_view kind = argv[1];
  std::string text;
  if (kind == "man") {
    text = imgflow::cli::man_page(app, merge_reports.app());
  } else if (kind == "bash-completion") {
    text = imgflow::cli::bash_completion(app, merge_reports.app());
  } else if (kind == "zsh-completion") {
    text = imgflow::cli::zsh_completion(app, merge_reports.app());
  } else {
    std::cerr << "imgflow_docs: unknown kind " << kind << '\n';
    return 2;
  }
  std::ofstream out(argv[2], std::ios::binary);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "imgflow_docs: cannot write " << argv[2] << '\n';
    return 1;
  }
  return 0;
}
