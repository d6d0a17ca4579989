// Internal: temporary files that an earlier, killed run left beside its
// outputs (".name.imgflow-XXXXXX", see AtomicFile), removed when this run
// comes to the same outputs.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace imgflow::detail {

/// Each output directory is listed once, the first time one of its outputs
/// is considered; only regular files named exactly as AtomicFile names the
/// temporary of one of our outputs, and last written before this run
/// started, count (this run's own temporaries are newer). Thread-safe.
class StaleTemporaries {
 public:
  StaleTemporaries();

  /// Removes the stale temporaries of the output at `output`. Never throws:
  /// a file that cannot be listed or removed is left as it is.
  void remove_for(const std::filesystem::path& output) noexcept;

 private:
  /// An output directory's stale temporaries, by the name of their output.
  using Directory = std::map<std::string, std::vector<std::filesystem::path>>;
  Directory list(const std::filesystem::path& dir) const;

  std::filesystem::file_time_type started_;
  std::mutex mutex_;
  std::map<std::filesystem::path, Directory> directories_;
};

}  // namespace imgflow::detail
