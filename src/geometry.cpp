#include "imgflow/geometry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "imgflow/error.hpp"

namespace imgflow {
namespace {

constexpr int kMaxSide = 1 << 20;

[[noreturn]] void bad_geometry(std::string_view text, std::string_view why) {
  throw Error(ErrorCode::usage, "--size: expected WxH, Wx, xH or W (e.g. 800x600), got \"" +
                                    std::string(text) + "\": " + std::string(why));
}

// Parses one side; an empty string is "unconstrained" (0).
int parse_side(std::string_view whole, std::string_view side) {
  if (side.empty()) return 0;
  int value = 0;
  auto [end, ec] = std::from_chars(side.data(), side.data() + side.size(), value);
  if (ec != std::errc() || end != side.data() + side.size()) bad_geometry(whole, "not a number");
  if (value < 1 || value > kMaxSide) bad_geometry(whole, "sides must be 1 to 1048576");
  return value;
}

}  // namespace

Geometry parse_geometry(std::string_view text) {
  if (text.empty()) bad_geometry(text, "empty");
  Geometry g;
  g.text = std::string(text);
  const auto x = text.find_first_of("xX");
  if (x == std::string_view::npos) {
    g.width = g.height = parse_side(text, text);
    return g;
  }
  g.width = parse_side(text, text.substr(0, x));
  g.height = parse_side(text, text.substr(x + 1));
  if (g.width == 0 && g.height == 0) bad_geometry(text, "give at least one side");
  return g;
}

Size fit_inside(Size source, const Geometry& box) noexcept {
  if (source.width <= 0 || source.height <= 0) return source;
  double scale = 1.0;
  if (box.width > 0) scale = std::min(scale, double(box.width) / source.width);
  if (box.height > 0) scale = std::min(scale, double(box.height) / source.height);
  if (scale >= 1.0) return source;  // never enlarge
  // Round each side, but let the constrained side hit the box exactly and
  // don't let either side drop below 1 px (a 6000×4 strip into 100×100).
  auto side = [&](int src, int limit) {
    int v = static_cast<int>(std::lround(src * scale));
    if (limit > 0) v = std::min(v, limit);
    return std::max(v, 1);
  };
  return Size{side(source.width, box.width), side(source.height, box.height)};
}

}  // namespace imgflow
