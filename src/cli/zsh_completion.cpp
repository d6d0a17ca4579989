#include "cli/zsh_completion.hpp"

#include "cli/completion_values.hpp"

namespace imgflow::cli {

namespace {

// `text` inside a single-quoted _arguments spec: quotes closed and reopened,
// and what _arguments would read as the end of a [description] or of a
// :message: escaped.
std::string spec_text(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == ']' || c == '\\' || c == ':') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

// One _arguments spec per option, e.g.
//   '(-o --output)'{-o,--output}'[Output directory]:DIR:_files -/'
// Options that may be repeated (-s, -f) get '*' instead of an exclusion list.
std::string option_specs(const CLI::App& app, bool merge_reports) {
  std::string out;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->nonpositional() || option->get_group().empty()) continue;
    const auto names = option_names(*option);
    std::string all, braced;
    for (const auto& name : names) {
      all += (all.empty() ? "" : " ") + name;
      braced += (braced.empty() ? "" : ",") + name;
    }
    // '*' or the exclusion list, then the names: '(--fit)--fit[... or
    // '(-o --output)'{-o,--output}'[...
    const std::string prefix = option->get_expected_max() > 1 ? "*" : "(" + all + ")";
    out +=
        names.size() > 1 ? "  '" + prefix + "'{" + braced + "}'[" : "  '" + prefix + braced + "[";
    out += spec_text(option->get_description()) + "]";
    if (option->get_expected_max() != 0) {
      const std::string type = option->get_type_name().empty() ? "VALUE" : option->get_type_name();
      out += ":" + spec_text(type) + ":";
      switch (value_kind(*option, merge_reports)) {
        case ValueKind::choice:
          out += "(" + option_choices(option->get_name()) + ")";
          break;
        case ValueKind::directory:
          out += "_files -/";
          break;
        case ValueKind::file:
          out += "_files";
          break;
        case ValueKind::none:
          out += " ";  // a number, a size, a template: only the message
          break;
      }
    }
    out += "' \\\n";
  }
  return out;
}

}  // namespace

std::string zsh_completion(const CLI::App& app, const CLI::App& merge_reports) {
  return "#compdef imgflow\n"
         "# zsh completion for imgflow, generated from its options by imgflow_docs.\n"
         "local curcontext=$curcontext state state_descr line ret=1\n"
         "typeset -A opt_args\n"
         "if [[ ${words[2]} == merge-reports ]] && (( CURRENT > 2 )); then\n"
         "  shift words\n"
         "  (( CURRENT-- ))\n"
         "  _arguments -S : \\\n" +
         option_specs(merge_reports, true) +
         "  '*:report:_files' && ret=0\n"
         "  return ret\n"
         "fi\n"
         "_arguments -S : \\\n" +
         option_specs(app, false) +
         "  '*:input:->input' && ret=0\n"
         "if [[ $state == input ]]; then\n"
         "  if (( CURRENT == 2 )); then\n"
         "    _alternative 'subcommands:subcommand:(merge-reports)' 'files:input:_files' && ret=0\n"
         "  else\n"
         "    _files && ret=0\n"
         "  fi\n"
         "fi\n"
         "return ret\n";
}

}  // namespace imgflow::cli
