// Internal: a list of names in prose ("a, b or c") or as CLI choices ("a | b | c").
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace imgflow::detail {

/// "a, b or c".
std::string names_in_prose(std::span<const std::string_view> names);

/// "a | b | c".
std::string names_as_choices(std::span<const std::string_view> names);

}  // namespace imgflow::detail
