// --max-memory auto: the cgroup limit or physical memory, read from fake
// /proc/self/cgroup and cgroup trees in a scratch folder.
#include "core/memory_limit.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "imgflow/options.hpp"
#include "support/test_support.hpp"

namespace imgflow::test {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;
constexpr std::uint64_t kGiB = 1ull << 30;

// A fake machine: <dir>/cgroup (as /proc/self/cgroup) and <dir>/sys (as /sys/fs/cgroup).
struct FakeCgroups {
  ScratchDir dir;
  fs::path proc() const { return dir / "cgroup"; }
  fs::path root() const { return dir / "sys"; }
  void file(const fs::path& relative, const std::string& text) const {
    write_text(root() / relative, text);
  }
  std::uint64_t limit() const { return detail::cgroup_memory_limit(proc(), root()); }
};

// One fake machine: its /proc/self/cgroup, its cgroup files and the limit.
struct CgroupCase {
  const char* what;
  std::string proc_self_cgroup;
  std::vector<std::pair<std::string, std::string>> files;  // below /sys/fs/cgroup
  std::uint64_t limit;
};

const CgroupCase kCgroupCases[] = {
    {"v2: the process's own cgroup",
     "0::/kubepods/pod1/container1\n",
     {{"kubepods/pod1/container1/memory.max", "536870912\n"}},
     512 * kMiB},
    {"v2: \"max\" is no limit", "0::/user.slice\n", {{"user.slice/memory.max", "max\n"}}, 0},
    // Slurm sets the job's limit on job_<id>; the task's own cgroup says "max".
    {"v2: nested path, the tightest ancestor",
     "0::/system.slice/slurmstepd.scope/job_42/step_0/user/task_0\n",
     {{"system.slice/slurmstepd.scope/job_42/step_0/user/task_0/memory.max", "max\n"},
      {"system.slice/slurmstepd.scope/job_42/step_0/memory.max", "8589934592\n"},
      {"system.slice/slurmstepd.scope/job_42/memory.max", "4294967296\n"},
      {"system.slice/memory.max", "max\n"}},
     4 * kGiB},
    // A container with its own cgroup namespace sees "0::/" and its limit at the root.
    {"v2: namespace root", "0::/\n", {{"memory.max", "1073741824\n"}}, kGiB},
    // v1's "no limit" is a number near 2^63 (auto_memory_budget caps it).
    {"v1: the memory controller as a fallback",
     "12:pids:/slurm/uid_0/job_7\n4:memory:/slurm/uid_0/job_7/step_0\n1:name=systemd:/\n0::/\n",
     {{"memory/slurm/uid_0/job_7/step_0/memory.limit_in_bytes", "9223372036854771712\n"},
      {"memory/slurm/uid_0/job_7/memory.limit_in_bytes", "2147483648\n"},
      {"pids/slurm/uid_0/job_7/memory.limit_in_bytes", "1\n"}},  // not the memory controller
     2 * kGiB},
    {"v1: memory among other controllers",
     "3:cpu,memory:/batch\n",
     {{"memory/batch/memory.limit_in_bytes", "300000000\n"}},
     300000000},
};

TEST(MemoryLimit, CgroupV2ThenV1AtEveryLevelOfTheProcessPath) {
  for (const auto& c : kCgroupCases) {
    SCOPED_TRACE(c.what);
    FakeCgroups fake;
    write_text(fake.proc(), c.proc_self_cgroup);
    for (const auto& [path, text] : c.files) fake.file(path, text);
    EXPECT_EQ(fake.limit(), c.limit);
  }
}

TEST(MemoryLimit, MissingOrUnreadableFilesAreNoLimit) {
  FakeCgroups fake;
  EXPECT_EQ(fake.limit(), 0u);  // no /proc/self/cgroup at all
  write_text(fake.proc(), "0::/gone/away\n4:memory:/gone\n");
  EXPECT_EQ(fake.limit(), 0u);  // no cgroup files
  fake.file("gone/away/memory.max", "lots\n");
  EXPECT_EQ(fake.limit(), 0u);  // not a number
  write_text(fake.proc(), "garbage without colons\n");
  EXPECT_EQ(fake.limit(), 0u);
}

TEST(MemoryLimit, AutoBudgetIsHalfOfTheLimitAfterTheBase) {
  using detail::auto_memory_budget;
  // The cgroup limit when it is below physical memory.
  EXPECT_EQ(auto_memory_budget(2 * kGiB, 16 * kGiB), (2 * kGiB - 64 * kMiB) / 2);
  // Physical memory without a cgroup limit, or with v1's "unlimited" number.
  EXPECT_EQ(auto_memory_budget(0, 16 * kGiB), (16 * kGiB - 64 * kMiB) / 2);
  EXPECT_EQ(auto_memory_budget(9223372036854771712u, 16 * kGiB), (16 * kGiB - 64 * kMiB) / 2);
  EXPECT_EQ(auto_memory_budget(kGiB, 0), (kGiB - 64 * kMiB) / 2);
  // A limit at or below the base: one file at a time, never "no limit".
  EXPECT_EQ(auto_memory_budget(32 * kMiB, 16 * kGiB), 1u);
  // Nothing known: no limit.
  EXPECT_EQ(auto_memory_budget(0, 0), 0u);
}

TEST(MemoryLimit, OptionsResolveAutoAndKeepExplicitValues) {
  Options options;
  EXPECT_EQ(options.max_memory, Options::max_memory_auto);
  EXPECT_EQ(options.effective_max_memory(),
            detail::auto_memory_budget(detail::cgroup_memory_limit(), detail::physical_memory()));
  EXPECT_GT(options.effective_max_memory(), 0u);
  options.max_memory = 0;
  EXPECT_EQ(options.effective_max_memory(), 0u);
  options.max_memory = 512 * kMiB;
  EXPECT_EQ(options.effective_max_memory(), 512 * kMiB);
}

}  // namespace
}  // namespace imgflow::test
