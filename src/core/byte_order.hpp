// Internal: reading numbers and signatures out of file bytes, in either byte
// order. The callers check the bounds first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace imgflow::detail {

using Bytes = std::span<const std::uint8_t>;

/// True if `magic` (a string literal; embedded NUL bytes count) stands at `offset`.
template <std::size_t N>
bool starts_with(Bytes b, std::size_t offset, const char (&magic)[N]) noexcept {
  constexpr std::size_t n = N - 1;
  return b.size() >= offset + n && std::memcmp(b.data() + offset, magic, n) == 0;
}

inline std::uint32_t be16(Bytes b, std::size_t i) noexcept {
  return (b[i] << 8) | b[i + 1];
}
inline std::uint32_t be32(Bytes b, std::size_t i) noexcept {
  return (std::uint32_t(b[i]) << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
}
inline std::uint32_t le16(Bytes b, std::size_t i) noexcept {
  return b[i] | (b[i + 1] << 8);
}
inline std::uint32_t le24(Bytes b, std::size_t i) noexcept {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
}
inline std::uint32_t le32(Bytes b, std::size_t i) noexcept {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (std::uint32_t(b[i + 3]) << 24);
}

/// Numbers in one byte order, big- or little-endian.
struct ByteOrder {
  bool big_endian = false;
  std::uint32_t u16(Bytes b, std::size_t i) const noexcept {
    return big_endian ? be16(b, i) : le16(b, i);
  }
  std::uint32_t u32(Bytes b, std::size_t i) const noexcept {
    return big_endian ? be32(b, i) : le32(b, i);
  }
};

}  // namespace imgflow::detail
