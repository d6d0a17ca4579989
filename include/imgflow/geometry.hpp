// Target-size geometry: "800x600", "800x", "x600", "800".
#pragma once

#include <string>
#include <string_view>

namespace imgflow {

/// A width and height in pixels.
struct Size {
  int width = 0;
  int height = 0;
  friend bool operator==(const Size&, const Size&) = default;
};

/// A bounding box to fit images inside, keeping their aspect ratio and never
/// enlarging them. A zero side means "unconstrained".
struct Geometry {
  int width = 0;
  int height = 0;
  std::string text;  ///< the geometry as the user wrote it, e.g. "800x"
};

/// Parses "WxH", "Wx", "xH" or "W" (W alone means a W×W box).
/// Throws imgflow::Error{ErrorCode::usage} naming the text and what was expected.
Geometry parse_geometry(std::string_view text);

/// The size of `source` scaled to fit inside `box`, keeping the aspect ratio and
/// never enlarging. Each side is at least 1 px. A box with both sides 0 keeps
/// the source size.
Size fit_inside(Size source, const Geometry& box) noexcept;

}  // namespace imgflow
