// Planning: where each input's outputs go, and which inputs may not write
// them (listing the inputs is input_lister.cpp).
#include "imgflow/plan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <unordered_set>

#include "core/fnv1a.hpp"
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

std::string expand(const OutputNaming& naming, const PlannedFile& file, const OutputSpec& spec,
                   Format format, Size size) {
  const std::string_view pattern = naming.pattern;
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
      out += naming.size_names.at(spec.size_index);
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
  // Over the relative path: stable across runs, machines and listing order.
  const std::uint64_t hash = detail::fnv1a64(file.relative.generic_string());
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

OutputNaming::OutputNaming(const Options& options)
    : output_dir(options.output_dir),
      pattern(name_template(options)),
      specs(output_specs(options)),
      animated(options.animated) {
  for (const auto& size : options.sizes) size_names.push_back(size_for_name(size.text));
  if (size_names.empty()) size_names.push_back("original");
  needs_pixel_size =
      pattern.find("{width}") != std::string::npos || pattern.find("{height}") != std::string::npos;
}

fs::path output_path(const PlannedFile& file, const OutputNaming& naming, const OutputSpec& spec,
                     Format format, Size size) {
  const std::string name = expand(naming, file, spec, format, size);
  return (naming.output_dir / file.relative.parent_path() / name).lexically_normal();
}

fs::path output_path(const PlannedFile& file, const Options& options, const OutputSpec& spec,
                     Format format, Size size) {
  return output_path(file, OutputNaming(options), spec, format, size);
}

std::vector<std::optional<fs::path>> expected_outputs(const PlannedFile& file,
                                                      const OutputNaming& naming) {
  std::vector<std::optional<fs::path>> out;
  for (const auto& spec : naming.specs) {
    if (naming.needs_pixel_size) {
      out.push_back(std::nullopt);
    } else {
      const Format format = choose_output_format(
          spec.format, detail::format_from_extension(file.input.extension().string()),
          naming.animated);
      out.push_back(output_path(file, naming, spec, format, {}));
    }
  }
  return out;
}

std::vector<std::optional<fs::path>> expected_outputs(const PlannedFile& file,
                                                      const Options& options) {
  return expected_outputs(file, OutputNaming(options));
}

namespace {

// Paths are compared resolved: the folder through its symbolic links (one
// look-up per folder, kept for the next path: paths come folder by folder),
// the name as written. A rename replaces a link, not what it points to, so an
// output over a link leaves the linked file alone.
class PathKeys {
 public:
  std::string key(const fs::path& path) {
    return folder_key(path.parent_path()) + path.filename().string();
  }
  /// The resolved folder, ending in '/'.
  std::string folder_key(const fs::path& folder) {
    const fs::path dir = folder.empty() ? fs::path(".") : folder;
    if (dir == cached_folder_) return cached_key_;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(dir, ec);
    if (ec) resolved = fs::absolute(dir, ec).lexically_normal();
    cached_folder_ = dir;
    cached_key_ = resolved.string();
    if (cached_key_.empty() || cached_key_.back() != '/') cached_key_ += '/';
    return cached_key_;
  }

 private:
  fs::path cached_folder_;
  std::string cached_key_;
};

std::uint64_t hash_of(const std::string& key) {
  return std::hash<std::string>{}(key);
}

// `folder` is `ancestor` or lies below it (relative paths; "" is the root).
bool is_within(const fs::path& folder, const fs::path& ancestor) {
  auto f = folder.begin();
  for (auto a = ancestor.begin(); a != ancestor.end(); ++a, ++f) {
    if (f == folder.end() || *f != *a) return false;
  }
  return true;
}

}  // namespace

struct OutputScope::Hashes {
  std::mutex mutex;
  PathKeys keys;
  std::unordered_set<std::uint64_t> claimed;

  bool contains(std::uint64_t hash) {
    std::lock_guard lock(mutex);
    return claimed.count(hash) != 0;
  }
};

OutputScope::OutputScope() : hashes_(std::make_unique<Hashes>()) {}

OutputScope::~OutputScope() = default;

bool OutputScope::claim(const fs::path& output) {
  std::lock_guard lock(hashes_->mutex);
  return hashes_->claimed.insert(hash_of(hashes_->keys.key(output))).second;
}

struct OutputClaims::Keys {
  Keys(const Options& o, bool in_listing_order) : options(o), naming(o) {
    output_dir = paths.folder_key(options.output_dir);
    std::size_t folders = 0;
    for (const auto& input : options.inputs) {
      std::error_code ec;
      if (fs::is_directory(input, ec)) {
        roots.push_back(paths.folder_key(input));
        ++folders;
      } else {
        add_input(input);  // named inputs are known at once
      }
    }
    per_folder = in_listing_order && folders == 1 && options.inputs.size() == 1 &&
                 options.files_from.empty();
  }

  // Only an input in the output directory can be replaced by an output.
  void add_input(const fs::path& input) {
    const std::string key = paths.key(input);
    if (key.starts_with(output_dir)) inputs.insert(hash_of(key));
  }

  // The scope of a file in `folder` (its path relative to its input folder):
  // the listing walks one folder tree depth first, so the folders still open
  // are the current one's ancestors; the others are done for good.
  std::shared_ptr<OutputScope> scope_for(const fs::path& folder) {
    if (!per_folder) {
      if (!current) current = std::make_shared<OutputScope>();
      return current;
    }
    while (!open.empty() && !is_within(folder, open.back().folder)) open.pop_back();
    if (open.empty() || open.back().folder != folder) {
      open.push_back({folder, std::make_shared<OutputScope>()});
    }
    return current = open.back().scope;
  }

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

  struct OpenFolder {
    fs::path folder;
    std::shared_ptr<OutputScope> scope;
  };

  const Options& options;
  OutputNaming naming;
  PathKeys paths;
  std::string output_dir;
  std::vector<std::string> roots;            // input folders, resolved, ending in '/'
  std::unordered_set<std::uint64_t> inputs;  // inputs in the output directory
  bool per_folder = false;                   // scopes per input folder (see OutputScope)
  std::vector<OpenFolder> open;
  std::shared_ptr<OutputScope> current;
};

OutputClaims::OutputClaims(const Options& options, bool in_listing_order)
    : keys_(std::make_unique<Keys>(options, in_listing_order)) {}

OutputClaims::~OutputClaims() = default;

void OutputClaims::add_input(const PlannedFile& file) {
  keys_->add_input(file.input);
}

std::shared_ptr<OutputScope> OutputClaims::scope() const {
  return keys_->current;
}

std::string OutputClaims::claim(const PlannedFile& file) {
  Keys& k = *keys_;
  OutputScope::Hashes& scope = *k.scope_for(file.relative.parent_path())->hashes_;
  const std::uint64_t input = hash_of(k.paths.key(file.input));
  if (scope.contains(input)) {
    return "an earlier input of this run writes its output over this input; choose another "
           "output directory";
  }
  std::vector<std::uint64_t> claimed;
  for (const auto& planned : expected_outputs(file, k.naming)) {
    if (!planned) continue;  // named after the pixel size: claimed when written
    const fs::path& output = *planned;
    const std::string key = k.paths.key(output);
    const std::uint64_t h = hash_of(key);
    if (h == input || k.inputs.count(h) || k.listed_later(key, output)) {
      return "output " + output.string() +
             " would overwrite an input; choose another output directory";
    }
    if (scope.contains(h) || std::find(claimed.begin(), claimed.end(), h) != claimed.end()) {
      return "this input and an earlier one would both write " + output.string() +
             "; rename one or choose another format";
    }
    claimed.push_back(h);
  }
  std::lock_guard lock(scope.mutex);
  scope.claimed.insert(claimed.begin(), claimed.end());
  return {};
}

void check_plan(const std::vector<PlannedFile>& plan, const Options& options) {
  OutputClaims claims(options, false);
  for (const auto& file : plan) claims.add_input(file);
  for (const auto& file : plan) {
    if (auto conflict = claims.claim(file); !conflict.empty()) {
      throw Error(ErrorCode::usage, file.input.string() + ": " + conflict);
    }
  }
}

void dry_run(const Options& options, const std::function<void(const DryRunFile&)>& visit) {
  InputLister lister(options);
  OutputClaims claims(options);
  const OutputNaming naming(options);
  while (auto file = lister.next()) {
    claims.add_input(*file);
    DryRunFile entry{std::move(*file), {}, {}};
    entry.conflict = claims.claim(entry.file);
    if (entry.conflict.empty()) entry.outputs = expected_outputs(entry.file, naming);
    visit(entry);
  }
}

}  // namespace imgflow
