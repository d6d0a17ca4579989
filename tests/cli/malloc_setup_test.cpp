// The imgflow command as a user runs it: the real binary, real files, exit
// codes, stderr lines, the JSON report and the outputs on disk.
//
// This file: how the command sets up glibc's malloc (src/cli/malloc_setup.cpp):
// transparent huge pages asked for through GLIBC_TUNABLES, the user's own
// tunables kept, and glibc.malloc.hugetlb=0 as the way out.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "cli/cli_helpers.hpp"
#include "cli/malloc_setup.hpp"

namespace imgflow::test::cli {
namespace {

using imgflow::cli::huge_pages_in_effect;
using imgflow::cli::tunables_with_huge_pages;

TEST(CliMalloc, HugePagesAreAskedForOnlyWhereTheKernelWaitsToBeAsked) {
  const std::string madvise = "always [madvise] never\n";
  EXPECT_EQ(tunables_with_huge_pages(madvise, nullptr), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(tunables_with_huge_pages(madvise, ""), "glibc.malloc.hugetlb=1");
  // The user's own tunables stay, ours is added after them.
  EXPECT_EQ(tunables_with_huge_pages(madvise, "glibc.malloc.check=0"),
            "glibc.malloc.check=0:glibc.malloc.hugetlb=1");
  // The user chose: either way, nothing changes (and no second exec).
  EXPECT_EQ(tunables_with_huge_pages(madvise, "glibc.malloc.hugetlb=0"), std::nullopt);
  EXPECT_EQ(tunables_with_huge_pages(madvise, "glibc.malloc.check=0:glibc.malloc.hugetlb=1"),
            std::nullopt);
  // Every mapping has them already, or none can; no THP in the kernel at all.
  EXPECT_EQ(tunables_with_huge_pages("[always] madvise never\n", nullptr), std::nullopt);
  EXPECT_EQ(tunables_with_huge_pages("always madvise [never]\n", nullptr), std::nullopt);
  EXPECT_EQ(tunables_with_huge_pages("", nullptr), std::nullopt);

  // What the mmap threshold is chosen by: huge pages in effect after that.
  EXPECT_TRUE(huge_pages_in_effect(madvise, "glibc.malloc.hugetlb=1"));
  EXPECT_TRUE(huge_pages_in_effect(madvise, "glibc.malloc.check=0:glibc.malloc.hugetlb=2"));
  EXPECT_FALSE(huge_pages_in_effect(madvise, "glibc.malloc.hugetlb=0"));
  EXPECT_FALSE(huge_pages_in_effect(madvise, nullptr));
  EXPECT_TRUE(huge_pages_in_effect("[always] madvise never\n", nullptr));
  EXPECT_FALSE(huge_pages_in_effect("always madvise [never]\n", "glibc.malloc.hugetlb=1"));
}

// A 6000x4000 progressive JPEG keeps its coefficients, about 70 MB, in
// mappings that glibc faults in page by page. With huge pages they come 2 MiB
// at a time: measured 5,000 page faults for the whole run against 20,500
// with glibc.malloc.hugetlb=0. Same output either way.
TEST(CliMalloc, HugePagesCutThePageFaultsOfALargeProgressiveJpeg) {
#ifdef IMGFLOW_CLI_SANITIZED
  GTEST_SKIP() << "the sanitizers' malloc has no huge-page tunable";
#endif
  const std::string thp = read_text("/sys/kernel/mm/transparent_hugepage/enabled");
  if (thp.find("[madvise]") == std::string::npos) {
    GTEST_SKIP() << "transparent huge pages here: '" << thp
                 << "' (only in madvise mode does the command change anything)";
  }
  ScratchDir dir;
  cv::Mat photo = cv::imread(sample_jpeg().string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  cv::resize(photo, photo, cv::Size(6000, 4000), 0, 0, cv::INTER_LINEAR);
  const fs::path input = dir / "large.jpg";
  ASSERT_TRUE(cv::imwrite(input.string(), photo,
                          {cv::IMWRITE_JPEG_PROGRESSIVE, 1, cv::IMWRITE_JPEG_QUALITY, 90}));

  struct Case {
    const char* name;
    std::vector<std::string> env;
  };
  const Case cases[] = {
      {"default", {}},
      {"own_tunable", {"GLIBC_TUNABLES=glibc.malloc.check=0"}},
      {"opt_out", {"GLIBC_TUNABLES=glibc.malloc.hugetlb=0"}},
  };
  std::map<std::string, long> faults;
  std::vector<std::uint8_t> first_output;
  for (const Case& c : cases) {
    const fs::path out = dir / c.name;
    const RunResult r = run_imgflow(
        RunSpec({"-s", "800", "--quiet", "-o", out.string(), input.string()}).with_env(c.env));
    ASSERT_EQ(r.exit_code, 0) << c.name << "\n" << test::describe(r);
    expect_decodes_to(out / "large.jpg", {800, 533});
    const auto bytes = read_bytes(out / "large.jpg");
    if (first_output.empty()) first_output = bytes;
    EXPECT_EQ(bytes, first_output) << c.name;
    faults[c.name] = r.minor_faults;
  }
  EXPECT_LT(faults["default"] * 2, faults["opt_out"])
      << faults["default"] << " page faults with huge pages, " << faults["opt_out"] << " without";
  EXPECT_LT(faults["own_tunable"] * 2, faults["opt_out"])
      << faults["own_tunable"] << " page faults with huge pages added to the user's tunable, "
      << faults["opt_out"] << " without";
}

}  // namespace
}  // namespace imgflow::test::cli
