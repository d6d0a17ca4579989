// Internal: a PNG file split into its chunks, for the readers that look at
// chunks themselves (the fast decoder, the metadata reader).
#pragma once

#include <libdeflate.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "core/byte_order.hpp"

namespace imgflow::detail {

struct PngChunk {
  std::uint32_t type = 0;
  std::span<const std::uint8_t> data;
  std::span<const std::uint8_t> whole;  ///< length, type, data and CRC, as stored
};

constexpr std::uint32_t png_tag(const char (&name)[5]) {
  return (std::uint32_t(std::uint8_t(name[0])) << 24) |
         (std::uint32_t(std::uint8_t(name[1])) << 16) |
         (std::uint32_t(std::uint8_t(name[2])) << 8) | std::uint32_t(std::uint8_t(name[3]));
}

/// Splits the file into CRC-checked chunks; false if the file is not a
/// well-formed sequence of them ending in IEND.
inline bool read_png_chunks(std::span<const std::uint8_t> bytes, std::vector<PngChunk>& chunks) {
  static constexpr std::uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature, 8) != 0) return false;
  std::size_t at = 8;
  while (at + 12 <= bytes.size()) {
    const std::uint32_t length = be32(bytes, at);
    if (length > bytes.size() - at - 12) return false;
    const std::uint8_t* type_and_data = &bytes[at + 4];
    const std::uint32_t stored_crc = be32(bytes, at + 8 + length);
    if (libdeflate_crc32(0, type_and_data, 4 + std::size_t{length}) != stored_crc) return false;
    chunks.push_back({be32(bytes, at + 4), bytes.subspan(at + 8, length),
                      bytes.subspan(at, 12 + std::size_t{length})});
    if (chunks.back().type == png_tag("IEND")) return true;
    at += 12 + std::size_t{length};
  }
  return false;
}

}  // namespace imgflow::detail
