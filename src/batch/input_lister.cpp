// Listing a run's inputs as it goes: folders walked depth first, each one's
// names sorted, then the paths of a --files-from list as they are read.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <system_error>

#include "core/format_table.hpp"
#include "imgflow/error.hpp"
#include "imgflow/plan.hpp"

namespace imgflow {
namespace fs = std::filesystem;
namespace {

bool is_output_dir(const fs::path& dir, const fs::path& output_dir) {
  std::error_code ec;
  return fs::equivalent(dir, output_dir, ec);
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

// The walk's state: the folders open from the current input folder down to
// the one being listed, each with its sorted entries. Sorting each folder's
// names and descending depth first gives the order of sorting all the paths
// (std::filesystem::path compares name by name).
struct InputLister::Walk {
  struct Entry {
    fs::path path;
    bool is_folder = false;
    bool operator<(const Entry& other) const { return path < other.path; }
  };
  struct Folder {
    std::vector<Entry> entries;
    std::size_t next = 0;
  };

  explicit Walk(const Options& o) : options(o) {
    if (options.files_from.empty()) return;
    if (options.files_from == "-") {
      list = &std::cin;
      return;
    }
    file.open(options.files_from, std::ios::binary);
    if (!file) {
      throw Error(ErrorCode::usage, "files_from: cannot read " + options.files_from.string());
    }
    list = &file;
  }

  // Hidden files and folders (our own temporaries among them) are left out,
  // and so is the output folder: a run never reads its outputs back.
  void open_folder(const fs::path& dir) {
    Folder folder;
    std::error_code ec;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      const auto name = entry.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      std::error_code type_ec;
      if (entry.is_directory(type_ec)) {
        if (options.recursive && !entry.is_symlink(type_ec) &&
            !is_output_dir(entry.path(), options.output_dir)) {
          folder.entries.push_back({entry.path(), true});
        }
      } else if (entry.is_regular_file(type_ec) && has_image_extension(entry.path())) {
        folder.entries.push_back({entry.path(), false});
      }
    }
    std::sort(folder.entries.begin(), folder.entries.end());
    folders.push_back(std::move(folder));
  }

  std::optional<PlannedFile> next_any() {
    while (true) {
      if (!folders.empty()) {
        Folder& folder = folders.back();
        if (folder.next == folder.entries.size()) {
          folders.pop_back();
          continue;
        }
        Entry entry = std::move(folder.entries[folder.next++]);
        if (entry.is_folder) {
          open_folder(entry.path);
          continue;
        }
        return PlannedFile{entry.path, entry.path.lexically_relative(root)};
      }
      if (next_input < options.inputs.size()) {
        const fs::path& input = options.inputs[next_input++];
        std::error_code ec;
        if (fs::is_directory(input, ec)) {
          root = input;
          open_folder(input);
          continue;
        }
        // Named files are always processed; if missing, they fail when read.
        return PlannedFile{input, named_relative(input)};
      }
      if (list) {
        // One path a line, or NUL-separated (find -print0).
        const char separator = options.files_from_nul ? '\0' : '\n';
        std::string line;
        while (std::getline(*list, line, separator)) {
          if (!options.files_from_nul && !line.empty() && line.back() == '\r') line.pop_back();
          if (!line.empty()) return PlannedFile{line, named_relative(line)};
        }
        list = nullptr;
      }
      return std::nullopt;
    }
  }

  const Options& options;
  std::size_t next_input = 0;
  fs::path root;
  std::vector<Folder> folders;
  std::ifstream file;
  std::istream* list = nullptr;
};

InputLister::InputLister(const Options& options) : walk_(std::make_unique<Walk>(options)) {}

InputLister::~InputLister() = default;

std::optional<PlannedFile> InputLister::next() {
  while (auto file = walk_->next_any()) {
    if (in_shard(*file, walk_->options.shard)) return file;
  }
  return std::nullopt;
}

std::vector<PlannedFile> plan_inputs(const Options& options) {
  std::vector<PlannedFile> plan;
  InputLister lister(options);
  while (auto file = lister.next()) plan.push_back(std::move(*file));
  return plan;
}

}  // namespace imgflow
