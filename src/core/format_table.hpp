// Internal: every format imgflow knows, in one table: its name, its file
// extensions, how its first bytes look, and whether imgflow reads and writes
// it. The sniffer, the planner's extension lists, the CLI help and the error
// texts all read it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imgflow/format.hpp"

namespace imgflow::detail {

struct FormatEntry {
  Format format = Format::unknown;
  std::string_view name;  ///< lower case, e.g. "jpeg"
  /// Lower case, without the dot; the first is what outputs get. Unused slots are empty.
  std::array<std::string_view, 4> extensions;
  /// True if the first bytes of a file are this format's.
  bool (*magic)(std::span<const std::uint8_t> bytes) noexcept = nullptr;
  bool readable = false;  ///< imgflow decodes it
  bool writable = false;  ///< imgflow encodes it
};

/// Every known format, in sniffing order: the first whose magic matches wins.
std::span<const FormatEntry> format_table() noexcept;

/// The entry of `format`, or nullptr for Format::unknown.
const FormatEntry* find_format(Format format) noexcept;

/// The format a file extension (with its dot, any case: ".JPG") names, or Format::unknown.
Format format_from_extension(std::string_view extension) noexcept;

/// The names of the writable formats, in table order.
std::vector<std::string_view> writable_format_names();

}  // namespace imgflow::detail
