// Planning: where each input's outputs go, and which inputs may not write
// them (listing the inputs is input_lister.cpp).
#include "imgflow/plan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include "core/format_table.hpp"
#include "imgflow/error.hpp"

namespace imgflow {
namespace fs = std::filesystem;
namespace {

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

}  // namespace

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

// Paths are compared resolved: the folder through its symbolic links (one
// look-up per folder, kept for the next file: inputs come folder by folder),
// the name as written. A rename replaces a link, not what it points to, so an
// output over a link leaves the linked file alone.
struct OutputClaims::Keys {
  explicit Keys(const Options& o) : options(o) {
    for (const auto& input : options.inputs) {
      std::error_code ec;
      if (fs::is_directory(input, ec)) {
        roots.push_back(folder_key(input));
      } else {
        inputs.insert(hash(key(input)));  // named inputs are known at once
      }
    }
    output_dir = folder_key(options.output_dir);
  }

  std::string folder_key(const fs::path& folder) {
    const fs::path dir = folder.empty() ? fs::path(".") : folder;
    if (dir == cached_folder) return cached_key;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(dir, ec);
    if (ec) resolved = fs::absolute(dir, ec).lexically_normal();
    cached_folder = dir;
    cached_key = resolved.string();
    if (cached_key.empty() || cached_key.back() != '/') cached_key += '/';
    return cached_key;
  }
  std::string key(const fs::path& path) {
    return folder_key(path.parent_path()) + path.filename().string();
  }
  static std::uint64_t hash(const std::string& key) { return std::hash<std::string>{}(key); }

  // Would listing the run's input folders pick up this existing file?
  bool listed_later(const std::string& output_key, const fs::path& output) const {
    const auto name = output.filename().string();
    if (name.empty() || name[0] == '.' || !has_image_extension(output)) return false;
    for (const auto& root : roots) {
      if (!output_key.starts_with(root)) continue;
      const std::string_view below = std::string_view(output_key).substr(root.size());
      if (!options.recursive && below.find('/') != std::string_view::npos) continue;
      // The output folder is not listed, unless it is the input folder itself.
      if (root != output_dir && output_key.starts_with(output_dir)) continue;
      if (below.find("/.") != std::string_view::npos) continue;  // in a hidden folder
      std::error_code ec;
      if (fs::is_regular_file(output, ec)) return true;
    }
    return false;
  }

  const Options& options;
  std::unordered_set<std::uint64_t> inputs;
  std::unordered_set<std::uint64_t> outputs;
  std::vector<std::string> roots;  // input folders, resolved, ending in '/'
  std::string output_dir;
  fs::path cached_folder;
  std::string cached_key;
};

OutputClaims::OutputClaims(const Options& options) : keys_(std::make_unique<Keys>(options)) {}

OutputClaims::~OutputClaims() = default;

void OutputClaims::add_input(const PlannedFile& file) {
  keys_->inputs.insert(Keys::hash(keys_->key(file.input)));
}

std::string OutputClaims::claim(const PlannedFile& file) {
  Keys& k = *keys_;
  const std::uint64_t input = Keys::hash(k.key(file.input));
  if (k.outputs.count(input)) {
    return "an earlier input of this run writes its output over this input; choose another "
           "output directory";
  }
  std::vector<std::uint64_t> claimed;
  for (const auto& planned : expected_outputs(file, k.options)) {
    if (!planned) continue;  // named after the pixel size: checked when written
    const fs::path& output = *planned;
    const std::string key = k.key(output);
    const std::uint64_t h = Keys::hash(key);
    if (h == input || k.inputs.count(h) || k.listed_later(key, output)) {
      return "output " + output.string() +
             " would overwrite an input; choose another output directory";
    }
    if (k.outputs.count(h) || std::find(claimed.begin(), claimed.end(), h) != claimed.end()) {
      return "this input and an earlier one would both write " + output.string() +
             "; rename one or choose another format";
    }
    claimed.push_back(h);
  }
  k.outputs.insert(claimed.begin(), claimed.end());
  return {};
}

void check_plan(const std::vector<PlannedFile>& plan, const Options& options) {
  OutputClaims claims(options);
  for (const auto& file : plan) claims.add_input(file);
  for (const auto& file : plan) {
    if (auto conflict = claims.claim(file); !conflict.empty()) {
      throw Error(ErrorCode::usage, file.input.string() + ": " + conflict);
    }
  }
}

}  // namespace imgflow
