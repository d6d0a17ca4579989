// Planning: listing input files and mapping each to its output paths.
#include "imgflow/plan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "core/format_table.hpp"
#include "imgflow/error.hpp"

namespace imgflow {
namespace fs = std::filesystem;
namespace {

bool is_output_dir(const fs::path& dir, const fs::path& output_dir) {
  std::error_code ec;
  return fs::equivalent(dir, output_dir, ec);
}

void add_planned(std::vector<PlannedFile>& plan, const fs::path& input, const fs::path& relative) {
  plan.push_back(PlannedFile{input, relative});
}

// {size} in a file name: the geometry as written, with the characters that
// are awkward in file names (>, <, ^, !, %, @, /) spelled out or replaced.
std::string size_for_name(const std::string& geometry) {
  std::string out;
  for (const char c : geometry) {
    switch (c) {
      case '%':
        out += "pc";
        break;
      case '@':
        out += "px";
        break;
      case '>':
      case '<':
      case '^':
      case '!':
      case '/':
      case '\\':
      case ' ':
        break;
      default:
        out += c;
    }
  }
  return out.empty() ? "size" : out;
}

// The extension for `format`, keeping the input's own spelling when it names it.
std::string extension_for(const fs::path& input, Format format) {
  const auto input_ext = input.extension().string();
  if (detail::format_from_extension(input_ext) == format) return input_ext.substr(1);
  return std::string(format_extension(format));
}

std::string expand(std::string_view pattern, const PlannedFile& file, const Options& options,
                   const OutputSpec& spec, Format format, Size size) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] != '{') {
      out += pattern[i++];
      continue;
    }
    const auto close = pattern.find('}', i);
    const auto key = pattern.substr(i + 1, close - i - 1);
    if (key == "stem") {
      out += file.relative.stem().string();
    } else if (key == "ext") {
      out += extension_for(file.input, format);
    } else if (key == "width") {
      out += std::to_string(size.width);
    } else if (key == "height") {
      out += std::to_string(size.height);
    } else if (key == "size") {
      out += options.sizes.empty() ? std::string("original")
                                   : size_for_name(options.sizes[spec.size_index].text);
    } else if (key == "format") {
      out += std::string(format_name(format));
    }
    i = close + 1;
  }
  return out;
}

void scan_directory(std::vector<PlannedFile>& plan, const Options& options, const fs::path& root) {
  std::vector<fs::path> found;
  std::error_code ec;
  auto consider = [&](const fs::directory_entry& entry) {
    std::error_code type_ec;
    const auto name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') return;  // hidden files and our own temporaries
    if (entry.is_regular_file(type_ec) && has_image_extension(entry.path())) {
      found.push_back(entry.path());
    }
  };
  if (options.recursive) {
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      std::error_code type_ec;
      if (entry.is_directory(type_ec)) {
        const auto name = entry.path().filename().string();
        // Never read our own outputs back as inputs, nor hidden folders.
        if ((!name.empty() && name[0] == '.') || is_output_dir(entry.path(), options.output_dir)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      consider(entry);
    }
  } else {
    for (fs::directory_iterator it(root, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      consider(*it);
    }
  }
  std::sort(found.begin(), found.end());
  for (const auto& path : found) add_planned(plan, path, path.lexically_relative(root));
}

// Where a named file's outputs go: a relative path keeps its folders (as
// `find photos | imgflow --files-from -` expects); an absolute path or one
// that climbs out with ".." keeps only its name.
fs::path named_relative(const fs::path& input) {
  const fs::path normal = input.lexically_normal();
  if (normal.is_absolute() || normal.empty() || *normal.begin() == "..") return input.filename();
  return normal;
}

}  // namespace

bool has_image_extension(const fs::path& path) {
  return detail::format_from_extension(path.extension().string()) != Format::unknown;
}

std::vector<PlannedFile> plan_inputs(const Options& options) {
  std::vector<PlannedFile> plan;
  for (const auto& input : options.inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      scan_directory(plan, options, input);
    } else {
      // Named files are always processed; if missing, they fail when read.
      add_planned(plan, input, named_relative(input));
    }
  }
  if (options.shard.count > 0) {
    std::erase_if(plan, [&](const PlannedFile& f) { return !in_shard(f, options.shard); });
  }
  return plan;
}

bool in_shard(const PlannedFile& file, const Shard& shard) {
  if (shard.count <= 0) return true;
  // FNV-1a over the relative path: stable across runs, machines and listing order.
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : file.relative.generic_string()) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return static_cast<int>(hash % static_cast<std::uint64_t>(shard.count)) == shard.index - 1;
}

std::vector<OutputSpec> output_specs(const Options& options) {
  std::vector<OutputSpec> specs;
  const std::size_t sizes = std::max<std::size_t>(options.sizes.size(), 1);
  for (std::size_t i = 0; i < sizes; ++i) {
    for (const auto format : options.formats) specs.push_back({i, format});
  }
  return specs;
}

std::string name_template(const Options& options) {
  if (!options.name.empty()) return options.name;
  return options.sizes.size() > 1 ? "{stem}_{size}.{ext}" : "{stem}.{ext}";
}

fs::path output_path(const PlannedFile& file, const Options& options, const OutputSpec& spec,
                     Format format, Size size) {
  const std::string name = expand(name_template(options), file, options, spec, format, size);
  return (options.output_dir / file.relative.parent_path() / name).lexically_normal();
}

std::vector<std::optional<fs::path>> expected_outputs(const PlannedFile& file,
                                                      const Options& options) {
  const std::string pattern = name_template(options);
  const bool needs_size =
      pattern.find("{width}") != std::string::npos || pattern.find("{height}") != std::string::npos;
  std::vector<std::optional<fs::path>> out;
  for (const auto& spec : output_specs(options)) {
    if (needs_size) {
      out.push_back(std::nullopt);
    } else {
      const Format format = choose_output_format(
          spec.format, detail::format_from_extension(file.input.extension().string()));
      out.push_back(output_path(file, options, spec, format, {}));
    }
  }
  return out;
}

void check_plan(const std::vector<PlannedFile>& plan, const Options& options) {
  std::unordered_map<std::string, const PlannedFile*> owners;
  std::unordered_set<std::string> inputs;
  // A path that cannot be resolved (a symlink loop) is compared as written;
  // reading it fails later, per file.
  auto key = [](const fs::path& p) {
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(p, ec);
    return (ec ? fs::absolute(p, ec).lexically_normal() : resolved).string();
  };
  for (const auto& file : plan) inputs.insert(key(file.input));
  for (const auto& file : plan) {
    for (const auto& planned : expected_outputs(file, options)) {
      if (!planned) continue;  // named after the pixel size: checked when written
      const fs::path& output = *planned;
      const auto k = key(output);
      if (inputs.count(k)) {
        throw Error(ErrorCode::usage, "output " + output.string() + " would overwrite an input; " +
                                          "choose another --output directory");
      }
      const auto [it, inserted] = owners.emplace(k, &file);
      if (!inserted) {
        throw Error(ErrorCode::usage, "inputs " + it->second->input.string() + " and " +
                                          file.input.string() + " would both write " +
                                          output.string() + "; rename one or use another --format");
      }
    }
  }
}

}  // namespace imgflow
