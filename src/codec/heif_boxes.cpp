#include "codec/heif_boxes.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

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

std::string fourcc_name(std::uint32_t type) {
  std::string name(4, ' ');
  for (int k = 0; k < 4; ++k) {
    const auto c = static_cast<char>((type >> (24 - 8 * k)) & 0xFF);
    name[static_cast<std::size_t>(k)] = c >= 0x20 && c < 0x7F ? c : '?';
  }
  return name;
}

constexpr std::uint32_t fourcc(const char (&type)[5]) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(type[0])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(type[1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(type[2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(type[3]));
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

// The iinf box's entries: which items are derived images (libheif 1.15
// decodes their inputs, found through 'dimg' references, one by one).
void read_item_types(InputBytes& input, const Box& iinf, HeifItems& items) {
  const int version = version_of(input, iinf);
  if (version < 0) return;
  std::uint64_t at = iinf.body + 4 + (version == 0 ? 2 : 4);  // after entry_count
  for (std::uint64_t i = 0; i <= kMaxHeifItems; ++i) {
    Box infe;
    if (!read_box(input, at, iinf.end, infe)) return;
    at = infe.end;
    // Version 2 and 3 entries: item_ID (16 or 32 bits), protection index
    // (16 bits), item_type. Earlier versions name no type.
    std::array<std::uint8_t, 14> field{};  // version and flags, the longest id, index, type
    const int infe_version = version_of(input, infe);
    if (!is(infe, "infe") || (infe_version != 2 && infe_version != 3)) continue;
    const std::size_t id_bytes = infe_version == 2 ? 2 : 4;
    const std::size_t need = 4 + id_bytes + 2 + 4;
    if (infe.end - infe.body < need || input.read(infe.body, field.data(), need) != need) continue;
    const std::uint64_t id = be(field.data() + 4, static_cast<int>(id_bytes));
    const auto type = static_cast<std::uint32_t>(be(field.data() + need - 4, 4));
    items.types.try_emplace(id, type);  // libheif keeps the first entry of an id
    if (type == fourcc("grid") || type == fourcc("iden") || type == fourcc("iovl")) {
      items.derived.insert(id);
    }
  }
}

// Reads big-endian fields one after another within [at, end); once a read
// fails (past the end, or the file ends early) every later one gives 0 and
// ok() stays false.
class FieldReader {
 public:
  FieldReader(InputBytes& input, std::uint64_t at, std::uint64_t end)
      : input_(input), at_(at), end_(end) {}

  std::uint64_t take(int n) {
    std::array<std::uint8_t, 8> bytes{};
    const auto size = static_cast<std::size_t>(n);
    if (!ok_ || n < 0 || n > 8 || end_ - at_ < size ||
        input_.read(at_, bytes.data(), size) != size) {
      ok_ = false;
      return 0;
    }
    at_ += size;
    return be(bytes.data(), n);
  }

  void skip(std::uint64_t n) {
    if (!ok_ || end_ - at_ < n) {
      ok_ = false;
      return;
    }
    at_ += n;
  }

  bool ok() const { return ok_; }

 private:
  InputBytes& input_;
  std::uint64_t at_, end_;
  bool ok_ = true;
};

// The iloc box: where each item's data starts (ISO/IEC 14496-12 8.11.3).
// Only an item's first extent is kept: a grid's or an overlay's description
// is at most 20 bytes, and the canvas size is in its first 12.
void read_locations(InputBytes& input, const Box& iloc, HeifItems& items) {
  FieldReader field(input, iloc.body, iloc.end);
  const auto version = static_cast<int>(field.take(1));
  field.skip(3);  // flags
  const std::uint64_t sizes = field.take(2);
  const int offset_size = static_cast<int>(sizes >> 12);
  const int length_size = static_cast<int>((sizes >> 8) & 15);
  const int base_offset_size = static_cast<int>((sizes >> 4) & 15);
  const int index_size = version == 1 || version == 2 ? static_cast<int>(sizes & 15) : 0;
  const std::uint64_t count = field.take(version < 2 ? 2 : 4);
  for (std::uint64_t i = 0; i < std::min(count, kMaxHeifItems) && field.ok(); ++i) {
    const std::uint64_t id = field.take(version < 2 ? 2 : 4);
    HeifLocation location;
    if (version == 1 || version == 2) location.construction = static_cast<int>(field.take(2) & 15);
    field.skip(2);  // data_reference_index
    location.offset = field.take(base_offset_size);
    const std::uint64_t extents = field.take(2);
    if (extents == 0) continue;
    field.skip(static_cast<std::uint64_t>(index_size));
    location.offset += field.take(offset_size);
    location.length = field.take(length_size);
    // The other extents, skipped whole (up to 65,535 of them).
    field.skip((extents - 1) * static_cast<std::uint64_t>(index_size + offset_size + length_size));
    if (field.ok()) items.locations.try_emplace(id, location);
  }
}

// The canvas a grid's or an overlay's description declares (ISO/IEC
// 23008-12 6.6.2.3 and 6.6.2.2: 16-bit sizes, or 32-bit when flags bit 0 is
// set); false where the description cannot be read (libheif reports that).
bool read_canvas(InputBytes& input, const HeifItems& items, std::uint64_t item,
                 HeifCanvas& canvas) {
  const auto found = items.locations.find(item);
  if (found == items.locations.end()) return false;
  const HeifLocation& location = found->second;
  std::uint64_t at = location.offset;
  if (location.construction == 1) {
    if (items.idat_body == 0) return false;
    at += items.idat_body;
  } else if (location.construction != 0) {
    return false;
  }
  const std::uint64_t end =
      location.length == 0 || location.length > input.size() - std::min(at, input.size())
          ? input.size()
          : at + location.length;
  FieldReader field(input, std::min(at, end), end);
  field.skip(1);  // version
  const int size_bytes = (field.take(1) & 1) != 0 ? 4 : 2;
  // A grid: rows - 1 and columns - 1, one byte each. An overlay: the
  // background colour, four 16-bit samples.
  field.skip(items.types.at(item) == fourcc("grid") ? 2 : 8);
  canvas.item = item;
  canvas.width = field.take(size_bytes);
  canvas.height = field.take(size_bytes);
  return field.ok();
}

// The iref box's 'dimg' (derived image -> its inputs) and 'auxl' (alpha or
// depth -> its master, which decodes its alpha with it) references, read as
// libheif 1.15 reads them: one after another, each entry's own box size
// ignored (an entry that declares more bytes than it holds is not skipped).
void read_references(InputBytes& input, const Box& iref, HeifItems& items) {
  const int version = version_of(input, iref);
  if (version < 0) return;
  const std::size_t id_bytes = version == 0 ? 2 : 4;
  std::uint64_t at = iref.body + 4;
  std::vector<std::uint8_t> ids;
  for (int i = 0; i < kMaxBoxesWalked * 16 && at < iref.end; ++i) {
    // An entry: size and type (a 64-bit size after them if size is 1, a
    // 16-byte extended type if the type is 'uuid'), then from_item_ID and
    // reference_count, then the to_item_IDs.
    std::array<std::uint8_t, 8> head{};
    if (iref.end - at < 8 || input.read(at, head.data(), 8) != 8) return;
    const std::string_view type(reinterpret_cast<const char*>(head.data()) + 4, 4);
    at += 8;
    if (be(head.data(), 4) == 1) at += 8;
    if (type == "uuid") at += 16;
    const std::size_t fields = id_bytes + 2;
    std::array<std::uint8_t, 6> field{};
    if (at > iref.end || iref.end - at < fields || input.read(at, field.data(), fields) != fields) {
      return;
    }
    at += fields;
    const std::uint64_t from = be(field.data(), static_cast<int>(id_bytes));
    const std::uint64_t count = be(field.data() + id_bytes, 2);
    const std::uint64_t held = std::min<std::uint64_t>(count, (iref.end - at) / id_bytes);
    ids.resize(static_cast<std::size_t>(held * id_bytes));
    if (input.read(at, ids.data(), ids.size()) != ids.size()) return;
    at += ids.size();
    const bool dimg = type == "dimg";
    if (!dimg && type != "auxl") continue;
    items.references += held;
    if (items.references > kMaxHeifReferences) return;
    for (std::size_t k = 0; k + id_bytes <= ids.size(); k += id_bytes) {
      const std::uint64_t to = be(ids.data() + k, static_cast<int>(id_bytes));
      if (dimg) {
        items.inputs[from].push_back(to);
      } else {
        items.auxiliary[to].push_back(from);  // decoding the master decodes its alpha
      }
    }
  }
}

void read_meta(InputBytes& input, const Box& meta, HeifItems& items) {
  std::uint64_t at = meta.body + 4;  // after the version and flags
  for (int i = 0; i < kMaxBoxesWalked; ++i) {
    Box box;
    if (!read_box(input, at, meta.end, box)) return;
    if (is(box, "iinf")) {
      // entry_count: 16 bits in version 0, else 32.
      const int version = version_of(input, box);
      if (version >= 0) full_box_count(input, box, 0, version == 0 ? 2 : 4, items.iinf_entries);
      if (items.iinf_entries <= kMaxHeifItems) read_item_types(input, box, items);
    } else if (is(box, "iloc")) {
      // After the version and flags: four 4-bit field sizes (2 bytes), then
      // item_count, 16 bits below version 2, else 32.
      const int version = version_of(input, box);
      if (version >= 0) full_box_count(input, box, 2, version < 2 ? 2 : 4, items.iloc_items);
      if (items.iloc_items <= kMaxHeifItems) read_locations(input, box, items);
    } else if (is(box, "iref")) {
      read_references(input, box, items);
    } else if (is(box, "idat") && items.idat_body == 0) {
      items.idat_body = box.body;
    }
    at = box.end;
  }
}

// What decoding `item` costs in coded images, and how deep its derivations
// nest; throws for a cycle and past the limits.
class DerivationWalk {
 public:
  DerivationWalk(const HeifItems& items, Format format) : items_(items), format_(format) {}

  void walk(std::uint64_t item, int depth) {
    if (depth > kMaxHeifNesting) too_deep();
    const auto [it, first] = seen_.try_emplace(item);
    if (!first) {
      if (!it->second.done) {
        fail(ErrorCode::corrupt_input,
             "derived images reference each other in a cycle (item " + std::to_string(item) + ")");
      }
    } else {
      Cost cost;
      cost.decodes = 1;
      if (items_.derived.contains(item)) {
        cost.decodes = 0;  // its inputs are decoded, not itself
        add_below(item, items_.inputs, depth, cost);
      }
      add_below(item, items_.auxiliary, depth, cost);
      cost.done = true;
      seen_[item] = cost;  // (walk() may have rehashed seen_)
    }
    const Cost& cost = seen_.at(item);
    if (depth + cost.height > kMaxHeifNesting) too_deep();
    if (cost.decodes > kMaxHeifDecodes) {
      fail(ErrorCode::too_complex, "derived images expand to more than " +
                                       std::to_string(kMaxHeifDecodes) +
                                       " coded images (the decode limit)");
    }
  }

 private:
  struct Cost {
    std::uint64_t decodes = 0;
    int height = 0;
    bool done = false;
  };

  using Edges = std::unordered_map<std::uint64_t, std::vector<std::uint64_t>>;

  void add_below(std::uint64_t item, const Edges& edges, int depth, Cost& cost) {
    const auto found = edges.find(item);
    if (found == edges.end()) return;
    for (const std::uint64_t below : found->second) {
      walk(below, depth + 1);
      const Cost& child = seen_.at(below);
      cost.decodes = std::min(cost.decodes + child.decodes, kMaxHeifDecodes + 1);
      cost.height = std::max(cost.height, child.height + 1);
    }
  }

  [[noreturn]] void too_deep() const {
    fail(ErrorCode::too_complex, "nests derived images more than " +
                                     std::to_string(kMaxHeifNesting) + " deep (the nesting limit)");
  }

  [[noreturn]] void fail(ErrorCode code, const std::string& what) const {
    throw Error(code, std::string(format_name(format_)) + " " + what);
  }

  const HeifItems& items_;
  Format format_;
  std::unordered_map<std::uint64_t, Cost> seen_;
};

}  // namespace

HeifItems read_heif_items(InputBytes& input) {
  HeifItems items;
  std::uint64_t at = 0;
  for (int i = 0; i < kMaxBoxesWalked; ++i) {
    Box box;
    if (!read_box(input, at, input.size(), box)) break;
    if (is(box, "meta")) {
      items.found_meta = true;
      read_meta(input, box, items);
      break;  // libheif reads the first meta box only
    }
    at = box.end;
  }
  return items;
}

HeifCanvas check_heif_items(InputBytes& input, Format format) {
  const HeifItems items = read_heif_items(input);
  const std::string name(format_name(format));
  const std::uint64_t count = std::max(items.iinf_entries, items.iloc_items);
  if (count > kMaxHeifItems) {
    throw Error(ErrorCode::too_complex, name + " declares " + std::to_string(count) +
                                            " items, over the limit of " +
                                            std::to_string(kMaxHeifItems) + " (the item limit)");
  }
  if (items.references > kMaxHeifReferences) {
    throw Error(ErrorCode::too_complex, name + " declares more than " +
                                            std::to_string(kMaxHeifReferences) +
                                            " references (the reference limit)");
  }
  // Derived images, in id order (the same message for the same file): each
  // input an image, as libheif 1.15 asserts before it decodes one (an
  // 'iden' of a missing item aborted the process), an 'iden' exactly one.
  std::vector<std::uint64_t> derived(items.derived.begin(), items.derived.end());
  std::sort(derived.begin(), derived.end());
  const auto is_image = [&](std::uint64_t item) {
    const auto type = items.types.find(item);
    if (type == items.types.end()) return false;
    for (const std::uint32_t image :
         {fourcc("hvc1"), fourcc("av01"), fourcc("grid"), fourcc("iden"), fourcc("iovl")}) {
      if (type->second == image) return true;
    }
    return false;
  };
  const std::vector<std::uint64_t> none;
  HeifCanvas largest;
  for (const std::uint64_t item : derived) {
    const auto found = items.inputs.find(item);
    const std::vector<std::uint64_t>& inputs = found == items.inputs.end() ? none : found->second;
    const std::uint32_t type = items.types.at(item);
    const std::string what = name + " derived image " + std::to_string(item) + " (" +
                             std::string(fourcc_name(type)) + ")";
    if (type == fourcc("iden") && inputs.size() != 1) {
      throw Error(ErrorCode::corrupt_input,
                  what + " has " + std::to_string(inputs.size()) + " inputs instead of one");
    }
    for (const std::uint64_t below : inputs) {
      if (!is_image(below)) {
        throw Error(ErrorCode::corrupt_input, what + " is made from item " + std::to_string(below) +
                                                  ", which is not an image");
      }
    }
    HeifCanvas canvas;
    if (type != fourcc("iden") && read_canvas(input, items, item, canvas) &&
        canvas.width * canvas.height > largest.width * largest.height) {
      largest = canvas;
    }
  }
  // From every item that leads to others, in id order.
  std::vector<std::uint64_t> starts;
  for (const auto& [item, inputs] : items.inputs) starts.push_back(item);
  for (const auto& [item, auxiliary] : items.auxiliary) starts.push_back(item);
  std::sort(starts.begin(), starts.end());
  DerivationWalk walk(items, format);
  for (const std::uint64_t item : starts) walk.walk(item, 0);
  return largest;
}

}  // namespace imgflow::detail
