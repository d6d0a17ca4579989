#include "codec/heif_boxes.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// Boxes looked at on one level before the walk gives up: real files have a
// handful at the top (ftyp, meta, mdat) and about ten in meta.
constexpr int kMaxBoxesWalked = 1024;

struct Box {
  std::array<char, 4> type{};
  std::uint64_t body = 0;  ///< where the body starts
  std::uint64_t end = 0;   ///< one past the box (the parent's end if the size says so)
};

std::uint64_t be(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// The box at `at`, if its header is whole and it lies within [at, parent_end).
bool read_box(InputBytes& input, std::uint64_t at, std::uint64_t parent_end, Box& box) {
  std::array<std::uint8_t, 16> head{};
  if (parent_end - at < 8 || input.read(at, head.data(), 8) != 8) return false;
  std::uint64_t size = be(head.data(), 4);
  box.type = {static_cast<char>(head[4]), static_cast<char>(head[5]), static_cast<char>(head[6]),
              static_cast<char>(head[7])};
  box.body = at + 8;
  if (size == 1) {  // a 64-bit size follows the type
    if (parent_end - at < 16 || input.read(at + 8, head.data() + 8, 8) != 8) return false;
    size = be(head.data() + 8, 8);
    box.body = at + 16;
  } else if (size == 0) {  // to the end of its parent
    size = parent_end - at;
  }
  if (size < box.body - at || size > parent_end - at) return false;
  box.end = at + size;
  return true;
}

bool is(const Box& box, const char (&type)[5]) {
  return std::string_view(box.type.data(), 4) == std::string_view(type, 4);
}

// A full box's version and the `n`-byte count that follows its version and
// flags (after `skip` more bytes); false if the box is too short.
bool full_box_count(InputBytes& input, const Box& box, std::uint64_t skip, int n,
                    std::uint64_t& count) {
  std::array<std::uint8_t, 8> bytes{};
  const std::uint64_t at = box.body + 4 + skip;
  if (box.end < at + static_cast<std::uint64_t>(n) ||
      input.read(at, bytes.data(), static_cast<std::size_t>(n)) != static_cast<std::size_t>(n)) {
    return false;
  }
  count = be(bytes.data(), n);
  return true;
}

int version_of(InputBytes& input, const Box& box) {
  std::uint8_t version = 0;
  if (box.end <= box.body || input.read(box.body, &version, 1) != 1) return -1;
  return version;
}

void count_in_meta(InputBytes& input, const Box& meta, HeifItemCounts& counts) {
  std::uint64_t at = meta.body + 4;  // after the version and flags
  for (int i = 0; i < kMaxBoxesWalked; ++i) {
    Box box;
    if (!read_box(input, at, meta.end, box)) return;
    if (is(box, "iinf")) {
      // entry_count: 16 bits in version 0, else 32.
      const int version = version_of(input, box);
      if (version >= 0) full_box_count(input, box, 0, version == 0 ? 2 : 4, counts.iinf_entries);
    } else if (is(box, "iloc")) {
      // After the version and flags: four 4-bit field sizes (2 bytes), then
      // item_count, 16 bits below version 2, else 32.
      const int version = version_of(input, box);
      if (version >= 0) full_box_count(input, box, 2, version < 2 ? 2 : 4, counts.iloc_items);
    }
    at = box.end;
  }
}

}  // namespace

HeifItemCounts count_heif_items(InputBytes& input) {
  HeifItemCounts counts;
  std::uint64_t at = 0;
  for (int i = 0; i < kMaxBoxesWalked; ++i) {
    Box box;
    if (!read_box(input, at, input.size(), box)) break;
    if (is(box, "meta")) {
      counts.found_meta = true;
      count_in_meta(input, box, counts);
      break;  // libheif reads the first meta box only
    }
    at = box.end;
  }
  return counts;
}

void check_heif_item_count(InputBytes& input, Format format) {
  const HeifItemCounts counts = count_heif_items(input);
  const std::uint64_t items = std::max(counts.iinf_entries, counts.iloc_items);
  if (items > kMaxHeifItems) {
    throw Error(ErrorCode::too_complex, std::string(format_name(format)) + " declares " +
                                            std::to_string(items) + " items, over the limit of " +
                                            std::to_string(kMaxHeifItems) + " (the item limit)");
  }
}

}  // namespace imgflow::detail
