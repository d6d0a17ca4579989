// Internal: FNV-1a, a 64-bit hash that is the same on every machine and in
// every run, for decisions several processes must agree on (which shard a
// file belongs to, which job a report belongs to).
#pragma once

#include <cstdint>
#include <string_view>

namespace imgflow::detail {

inline std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

}  // namespace imgflow::detail
