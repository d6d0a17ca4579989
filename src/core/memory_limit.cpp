#include "core/memory_limit.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace imgflow::detail {
namespace {

// A limit file's value: a number of bytes, or nullopt for "max", an
// unreadable file or anything else.
std::optional<std::uint64_t> read_limit(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text;
  if (!in || !(in >> text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The smallest `file_name` limit from `<hierarchy>/<cgroup>` up to `hierarchy`.
std::optional<std::uint64_t> tightest_limit(const std::filesystem::path& hierarchy,
                                            std::string_view cgroup, const char* file_name) {
  std::optional<std::uint64_t> tightest;
  std::filesystem::path level = std::filesystem::path(cgroup).relative_path();
  while (true) {
    if (const auto limit = read_limit(hierarchy / level / file_name)) {
      tightest = std::min(tightest.value_or(*limit), *limit);
    }
    if (level.empty()) break;
    level = level.parent_path();
  }
  return tightest;
}

// Whether a v1 line's comma-separated controller list names "memory".
bool names_memory(std::string_view controllers) {
  while (!controllers.empty()) {
    const auto comma = controllers.find(',');
    if (controllers.substr(0, comma) == "memory") return true;
    if (comma == std::string_view::npos) break;
    controllers.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::uint64_t cgroup_memory_limit(const std::filesystem::path& proc_self_cgroup,
                                  const std::filesystem::path& cgroup_root) {
  std::optional<std::uint64_t> tightest;
  auto take = [&](std::optional<std::uint64_t> limit) {
    if (limit) tightest = std::min(tightest.value_or(*limit), *limit);
  };
  try {
    std::ifstream in(proc_self_cgroup);
    std::string line;
    // Lines are "<id>:<controllers>:<path>"; v2's is "0::<path>".
    while (std::getline(in, line)) {
      const auto first = line.find(':');
      if (first == std::string::npos) continue;
      const auto second = line.find(':', first + 1);
      if (second == std::string::npos) continue;
      const std::string_view view(line);
      const auto controllers = view.substr(first + 1, second - first - 1);
      const auto path = view.substr(second + 1);
      if (controllers.empty()) {
        take(tightest_limit(cgroup_root, path, "memory.max"));
      } else if (names_memory(controllers)) {
        take(tightest_limit(cgroup_root / "memory", path, "memory.limit_in_bytes"));
      }
    }
  } catch (...) {
    // An unreadable cgroup tree is no limit (std::filesystem or a bad_alloc).
  }
  return tightest.value_or(0);
}

std::uint64_t physical_memory() noexcept {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

std::uint64_t auto_memory_budget(std::uint64_t cgroup_limit, std::uint64_t physical) noexcept {
  // cgroup v1 writes "no limit" as a number near 2^63: physical memory caps it.
  std::uint64_t usable = physical;
  if (cgroup_limit != 0) usable = physical == 0 ? cgroup_limit : std::min(cgroup_limit, physical);
  if (usable == 0) return 0;
  const std::uint64_t after_base = usable > kProcessBaseBytes ? usable - kProcessBaseBytes : 0;
  return std::max<std::uint64_t>(after_base / 2, 1);
}

}  // namespace imgflow::detail
