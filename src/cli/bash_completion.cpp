#include "cli/bash_completion.hpp"

#include "cli/completion_values.hpp"

namespace imgflow::cli {

namespace {

// What bash offers after one of the option's names.
std::string value_action(const CLI::Option& option, bool merge_reports) {
  switch (value_kind(option, merge_reports)) {
    case ValueKind::choice:
      return "COMPREPLY=($(compgen -W '" + option_choices(option.get_name()) + "' -- \"$cur\"))";
    case ValueKind::directory:
      return "COMPREPLY=($(compgen -d -- \"$cur\"))";
    case ValueKind::file:
      return "COMPREPLY=($(compgen -f -- \"$cur\"))";
    case ValueKind::none:
      break;
  }
  return "COMPREPLY=()";  // a number, a size, a template: nothing to offer
}

// Every name of the options of `app` (space-separated), and a `case $prev`
// branch ("-o|--output) ...") for each option that takes a value.
struct OptionWords {
  std::string names;
  std::string cases;
};

OptionWords option_words(const CLI::App& app, bool merge_reports, const std::string& indent) {
  OptionWords out;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_group().empty()) continue;
    std::string pattern;
    for (const auto& name : option_names(*option)) {
      out.names += (out.names.empty() ? "" : " ") + name;
      pattern += (pattern.empty() ? "" : "|") + name;
    }
    if (option->get_expected_max() == 0) continue;  // a flag: what follows is another word
    out.cases += indent + pattern + ")\n" + indent + "  " + value_action(*option, merge_reports) +
                 "\n" + indent + "  return ;;\n";
  }
  return out;
}

}  // namespace

std::string bash_completion(const CLI::App& app, const CLI::App& merge_reports) {
  const OptionWords command = option_words(app, false, "    ");
  const OptionWords merge = option_words(merge_reports, true, "      ");
  return "# bash completion for imgflow, generated from its options by imgflow_docs.\n"
         "_imgflow() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=\n"
         "  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[1]} == merge-reports ]]; then\n"
         "    case $prev in\n" +
         merge.cases +
         "    esac\n"
         "    if [[ $cur == -* ]]; then\n"
         "      COMPREPLY=($(compgen -W '" +
         merge.names +
         "' -- \"$cur\"))\n"
         "    else\n"
         "      COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "    fi\n"
         "    return\n"
         "  fi\n"
         "  case $prev in\n" +
         command.cases +
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    COMPREPLY=($(compgen -W '" +
         command.names +
         "' -- \"$cur\"))\n"
         "  elif ((COMP_CWORD == 1)); then\n"
         "    COMPREPLY=($(compgen -W 'merge-reports' -- \"$cur\") $(compgen -f -- \"$cur\"))\n"
         "  else\n"
         "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "  fi\n"
         "}\n"
         "complete -o filenames -F _imgflow imgflow\n";
}

}  // namespace imgflow::cli
