// How the imgflow command sets up glibc's malloc for a batch of photos: large,
// short-lived pixel buffers, a few hundred small allocations per image.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace imgflow::cli {

/// The GLIBC_TUNABLES value that asks glibc's malloc for transparent huge
/// pages (glibc.malloc.hugetlb=1, glibc 2.35 and later), given the kernel's
/// setting (the text of /sys/kernel/mm/transparent_hugepage/enabled) and the
/// current value (null if unset). nullopt when nothing should change: the
/// kernel gives huge pages to every mapping ("[always]") or to none
/// ("[never]", or no such file), or the user set glibc.malloc.hugetlb.
std::optional<std::string> tunables_with_huge_pages(std::string_view thp_enabled,
                                                    const char* tunables);

/// Whether glibc's malloc gets transparent huge pages with that kernel
/// setting and GLIBC_TUNABLES value: every mapping has them ("[always]"), or
/// the kernel waits to be asked ("[madvise]") and glibc.malloc.hugetlb is 1 or 2.
bool huge_pages_in_effect(std::string_view thp_enabled, const char* tunables);

/// Called first in a run, before any file or thread is opened. glibc reads
/// its tunables only when a program starts, so when tunables_with_huge_pages()
/// has a value this executes the same binary again with it (same process id,
/// arguments and descriptors); if that fails the run goes on without. Then it
/// sets the malloc options that keep peak memory low (mallopt).
void set_up_malloc(char** argv);

}  // namespace imgflow::cli
