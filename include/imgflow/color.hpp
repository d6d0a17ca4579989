// An RGBA colour: what transparent pixels are flattened onto and what padding is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace imgflow {

/// An 8-bit RGBA colour.
struct Color {
  std::uint8_t r = 255, g = 255, b = 255, a = 255;
  friend bool operator==(const Color&, const Color&) = default;
};

/// Parses "white", "black", "transparent", "#rgb", "#rrggbb", "#rrggbbaa" or
/// "r,g,b[,a]" (0-255). Throws imgflow::Error{ErrorCode::usage}.
Color parse_color(std::string_view text);

/// A text parse_color() reads back as `color`: its name ("white", "black",
/// "transparent") where it has one, else "#rrggbb", or "#rrggbbaa" when not opaque.
std::string color_name(Color color);

}  // namespace imgflow
