#include "pipeline/stale_temporaries.hpp"

#include <exception>
#include <system_error>

#include "core/temporary_name.hpp"

namespace imgflow::detail {

namespace fs = std::filesystem;

StaleTemporaries::StaleTemporaries() : started_(fs::file_time_type::clock::now()) {}

StaleTemporaries::Directory StaleTemporaries::list(const fs::path& dir) const {
  Directory found;
  std::error_code ec;
  fs::directory_iterator it(dir.empty() ? fs::path(".") : dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // ".<output>.imgflow-" + 6: the output's name is what lies between.
    constexpr std::string_view kMark = ".imgflow-";
    if (name.size() < 1 + kMark.size() + 6 || name[0] != '.') continue;
    const std::string target = name.substr(1, name.size() - 1 - kMark.size() - 6);
    if (target.empty() || !is_temporary_name_for(name, target)) continue;
    std::error_code stat_ec;
    if (!it->is_regular_file(stat_ec) || it->is_symlink(stat_ec)) continue;
    const auto written = it->last_write_time(stat_ec);
    if (stat_ec || written >= started_) continue;
    found[target].push_back(it->path());
  }
  return found;
}

void StaleTemporaries::remove_for(const fs::path& output) noexcept {
  try {
    const fs::path dir = output.parent_path();
    std::lock_guard lock(mutex_);
    auto at = directories_.find(dir);
    if (at == directories_.end()) at = directories_.emplace(dir, list(dir)).first;
    const auto stale = at->second.find(output.filename().string());
    if (stale == at->second.end()) return;
    for (const auto& path : stale->second) {
      std::error_code ec;
      fs::remove(path, ec);
    }
    at->second.erase(stale);
  } catch (const std::exception&) {
    // Cleaning up is a courtesy: a failure here must not fail the file.
  }
}

}  // namespace imgflow::detail
