#include "imgflow/name_template.hpp"

#include <filesystem>
#include <string>

namespace imgflow {

std::string validate_name_template(std::string_view pattern) {
  if (pattern.empty()) return "empty";
  if (pattern.front() == '/') return "must be relative to the output folder";
  std::size_t i = 0;
  bool has_stem = false;
  while ((i = pattern.find('{', i)) != std::string_view::npos) {
    const auto close = pattern.find('}', i);
    if (close == std::string_view::npos) return "unclosed {";
    const auto key = pattern.substr(i + 1, close - i - 1);
    if (key != "stem" && key != "ext" && key != "width" && key != "height" && key != "size" &&
        key != "format") {
      return "unknown placeholder {" + std::string(key) + "}";
    }
    has_stem = has_stem || key == "stem";
    i = close + 1;
  }
  for (const auto& part : std::filesystem::path(std::string(pattern))) {
    if (part == "..") return "must not climb out of the output folder with ..";
  }
  if (!has_stem) return "needs {stem}, or every input would write the same file";
  return {};
}

}  // namespace imgflow
