#include "cli/bash_completion.hpp"

#include "codec/encode_names.hpp"
#include "core/format_table.hpp"
#include "core/name_list.hpp"
#include "resize/resize_names.hpp"

namespace imgflow::cli {

namespace {

// "-o|--output", a bash case pattern for every name of an option.
std::string case_pattern(const CLI::Option& option) {
  std::string names = option.get_name(false, true);
  for (auto& c : names) {
    if (c == ',') c = '|';
  }
  return names;
}

std::string words(const std::vector<std::string_view>& names) {
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

// The values an option takes from a fixed list, from the tables the options
// are parsed with; empty for options without one.
std::string choices(const std::string& long_name) {
  using namespace detail;
  if (long_name == "--fit") return words(listed_names(fit_names()));
  if (long_name == "--gravity") return words(listed_names(gravity_names()));
  if (long_name == "--filter") return words(listed_names(filter_names()));
  if (long_name == "--chroma") return words(listed_names(chroma_names()));
  if (long_name == "--tiff-compression") return words(listed_names(tiff_compression_names()));
  if (long_name == "--format") return "keep " + words(writable_format_names());
  return {};
}

}  // namespace

std::string bash_completion(const CLI::App& app) {
  std::string all_names, cases;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_group().empty()) continue;
    const std::string names = option->get_name(false, true);
    for (std::size_t start = 0; start < names.size();) {
      const auto comma = names.find(',', start);
      if (!all_names.empty()) all_names += ' ';
      all_names += names.substr(start, comma - start);
      start = comma == std::string::npos ? names.size() : comma + 1;
    }
    if (option->get_expected_max() == 0) continue;  // a flag: what follows is another word
    const std::string long_name = option->get_name();
    std::string action;
    if (const auto list = choices(long_name); !list.empty()) {
      action = "COMPREPLY=($(compgen -W '" + list + "' -- \"$cur\"))";
    } else if (long_name == "--output") {
      action = "COMPREPLY=($(compgen -d -- \"$cur\"))";
    } else if (long_name == "--files-from" || long_name == "--report") {
      action = "COMPREPLY=($(compgen -f -- \"$cur\"))";
    } else {
      action = "COMPREPLY=()";  // a number, a size, a template: nothing to offer
    }
    cases += "    " + case_pattern(*option) + ")\n      " + action + "\n      return ;;\n";
  }
  return "# bash completion for imgflow, generated from its options by imgflow_docs.\n"
         "_imgflow() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=\n"
         "  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  case $prev in\n" +
         cases +
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W '" +
         all_names +
         "' -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -F _imgflow imgflow\n";
}

}  // namespace imgflow::cli
