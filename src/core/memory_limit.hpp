// Internal: how much memory this process may use, for --max-memory auto: the
// limit of its cgroup (the one Slurm and Kubernetes set), or else the
// machine's physical memory.
#pragma once

#include <cstdint>
#include <filesystem>

namespace imgflow::detail {

/// The tightest memory limit on this process's cgroup and its ancestors, in
/// bytes; 0 when there is none (no cgroup files, or every level says "max").
/// Reads `proc_self_cgroup` (the format of /proc/self/cgroup), then for the
/// cgroup v2 line ("0::<path>") `<cgroup_root>/<path>/memory.max` and for a v1
/// line naming the memory controller ("<n>:memory:<path>")
/// `<cgroup_root>/memory/<path>/memory.limit_in_bytes`, at every level from
/// <path> up to the root: a job's limit is often set on a parent (Slurm's
/// job_<id> above step_<n>/task_<n>). Files that are missing or unreadable
/// count as no limit. Never throws.
std::uint64_t cgroup_memory_limit(
    const std::filesystem::path& proc_self_cgroup = "/proc/self/cgroup",
    const std::filesystem::path& cgroup_root = "/sys/fs/cgroup");

/// Physical memory in bytes (sysconf), 0 when unknown.
std::uint64_t physical_memory() noexcept;

/// What --max-memory auto allows the files in flight: half of what the
/// process may use (the cgroup limit, or physical memory when the cgroup has
/// none or more) after a base of kProcessBaseBytes. 0 when neither is known
/// (no limit); at least 1 (one file at a time) otherwise.
std::uint64_t auto_memory_budget(std::uint64_t cgroup_limit, std::uint64_t physical) noexcept;

/// What the process needs besides the files in flight: code and libraries,
/// thread stacks, the plan and the report (about 40 MB RSS for a small run).
inline constexpr std::uint64_t kProcessBaseBytes = 64ull << 20;

}  // namespace imgflow::detail
