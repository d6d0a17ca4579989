// A deliberate heap-buffer overflow, built only in sanitizer builds: the
// `sanitizer_exit_code` test checks that ASan reports it with exit code 86
// (scripts/sanitize.sh sets exitcode=86), never 1, which is imgflow's
// "a file failed" and would let a report pass in tests that expect it.
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char**) {
  auto* bytes = static_cast<char*>(std::malloc(8));
  std::memset(bytes, 'x', 8);
  const int index = 7 + argc;  // 8: one past the end, unknown to the compiler
  std::printf("%d\n", bytes[index]);
  std::free(bytes);
  return 0;
}
