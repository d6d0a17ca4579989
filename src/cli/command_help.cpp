#include "cli/command_help.hpp"

#include <stdexcept>

#include "imgflow/library_versions.hpp"
#include "imgflow/version.hpp"

namespace imgflow::cli {

std::string short_usage() {
  return "Usage: imgflow [OPTIONS] -o DIR INPUT...\n"
         "Resize image files, or whole directories of them, into DIR.\n"
         "\n"
         "Examples:\n"
         "  imgflow -r -s 800x800 -o thumbs/ photos/       # every photo fits in 800x800\n"
         "  imgflow -s 320x -s 640x -f webp -o web/ a.jpg  # a_320x.webp, a_640x.webp\n"
         "\n"
         "Run 'imgflow --help' for all options\n";
}

std::string version_text() {
  std::string text = std::string("imgflow ") + version;
  for (const auto& library : library_versions()) {
    text += "\n" + library.name + " " + library.version;
  }
  return text;
}

const std::vector<ExitStatus>& exit_statuses() {
  static const std::vector<ExitStatus> statuses = {
      {"0", "Every file was done."},
      {"1", "At least one file failed; all the others were still done."},
      {"2",
       "A usage or setup error (a bad option, an output directory that cannot be created): "
       "nothing was done."},
      {"3",
       "Stopped by the output side: the disk or quota is full, the output file system "
       "turned read-only, or the output folder vanished; the files not done are reported "
       "as skipped."},
      {"130, 143",
       "Interrupted by SIGINT or SIGTERM: the files in flight were finished, the rest "
       "reported as skipped; a second signal exits at once."},
  };
  return statuses;
}

const std::vector<OptionGroup>& option_groups() {
  static const std::vector<OptionGroup> groups = {
      {"General", {"INPUT", "--help", "--output", "--recursive", "--version"}},
      {"Sizing", {"--size", "--fit", "--gravity", "--enlarge", "--filter", "--background"}},
      {"Formats and encoding",
       {"--format", "--name", "--quality", "--progressive", "--chroma", "--png-compression",
        "--lossless", "--tiff-compression", "--keep-icc", "--keep-metadata", "--strip-gps"}},
      {"Decoding", {"--shrink-margin", "--progressive-bits", "--no-rotate", "--animated"}},
      {"Performance",
       {"--threads", "--readers", "--writers", "--max-in-flight", "--max-memory", "--no-fsync"}},
      {"Batch jobs",
       {"--files-from", "--null", "--shard", "--skip-existing", "--dry-run", "--fail-fast",
        "--max-errors", "--report", "--log-json", "--quiet"}},
      {"Limits",
       {"--max-pixels", "--max-scans", "--max-frames", "--max-file-size", "--timeout",
        "--allow-truncated"}},
  };
  return groups;
}

void group_options(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::string name = option->get_name();
    const OptionGroup* found = nullptr;
    for (const auto& group : option_groups()) {
      for (const auto& member : group.options) {
        if (member == name) found = &group;
      }
    }
    if (found == nullptr) throw std::logic_error("option " + name + " is in no --help group");
    option->group(found->name);
  }
}

}  // namespace imgflow::cli
