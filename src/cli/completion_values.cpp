#include "cli/completion_values.hpp"

#include <string_view>

#include "codec/encode_names.hpp"
#include "core/format_table.hpp"
#include "core/name_list.hpp"
#include "resize/resize_names.hpp"

namespace imgflow::cli {

namespace {

std::string words(const std::vector<std::string_view>& names) {
  std::string out;
  for (const auto name : names) {
    if (!out.empty()) out += ' ';
    out += name;
  }
  return out;
}

}  // namespace

std::string option_choices(const std::string& long_name) {
  using namespace detail;
  if (long_name == "--fit") return words(listed_names(fit_names()));
  if (long_name == "--gravity") return words(listed_names(gravity_names()));
  if (long_name == "--filter") return words(listed_names(filter_names()));
  if (long_name == "--chroma") return words(listed_names(chroma_names()));
  if (long_name == "--tiff-compression") return words(listed_names(tiff_compression_names()));
  if (long_name == "--format") return "keep " + words(writable_format_names());
  return {};
}

ValueKind value_kind(const CLI::Option& option, bool merge_reports) {
  if (option.get_expected_max() == 0) return ValueKind::none;  // a flag
  const std::string long_name = option.get_name();
  if (merge_reports) return long_name == "--output" ? ValueKind::file : ValueKind::none;
  if (!option_choices(long_name).empty()) return ValueKind::choice;
  if (long_name == "--output") return ValueKind::directory;
  if (long_name == "--files-from" || long_name == "--report") return ValueKind::file;
  return ValueKind::none;
}

std::vector<std::string> option_names(const CLI::Option& option) {
  const std::string names = option.get_name(false, true);
  std::vector<std::string> out;
  for (std::size_t start = 0; start < names.size();) {
    const auto comma = names.find(',', start);
    out.push_back(names.substr(start, comma - start));
    start = comma == std::string::npos ? names.size() : comma + 1;
  }
  return out;
}

}  // namespace imgflow::cli
