#include "imgflow/geometry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "imgflow/error.hpp"
#include "resize/resize_names.hpp"

namespace imgflow {
namespace {

constexpr int kMaxSide = 1 << 20;

[[noreturn]] void bad_geometry(std::string_view text, std::string_view why) {
  std::string message =
      "sizes: expected WxH, W, Wx, xH, N%, N@, optionally ending in >, <, ^ "
      "or ! (e.g. 800x600), got \"";
  message.append(text).append("\": ").append(why);
  throw Error(ErrorCode::usage, message);
}

// One side; an empty string is "unconstrained" (0).
int parse_side(std::string_view whole, std::string_view side) {
  if (side.empty()) return 0;
  int value = 0;
  auto [end, ec] = std::from_chars(side.data(), side.data() + side.size(), value);
  if (ec != std::errc() || end != side.data() + side.size()) bad_geometry(whole, "not a number");
  if (value < 1 || value > kMaxSide) bad_geometry(whole, "sides must be 1 to 1048576");
  return value;
}

int clamp_side(double v) {
  // Don't let either axis drop below 1 px (a 6000×4 strip into 100×100).
  return static_cast<int>(std::clamp(std::lround(v), 1L, static_cast<long>(kMaxSide)));
}

// The offset of a `part`-long window in `whole` for a gravity along one axis:
// -1 start, 0 centre, +1 end.
int place(int whole, int part, int where) {
  if (where < 0) return 0;
  if (where > 0) return whole - part;
  return (whole - part) / 2;
}

void gravity_axes(Gravity g, int& horizontal, int& vertical) {
  horizontal = vertical = 0;
  switch (g) {
    case Gravity::north:
      vertical = -1;
      break;
    case Gravity::northeast:
      vertical = -1;
      horizontal = 1;
      break;
    case Gravity::east:
      horizontal = 1;
      break;
    case Gravity::southeast:
      vertical = 1;
      horizontal = 1;
      break;
    case Gravity::south:
      vertical = 1;
      break;
    case Gravity::southwest:
      vertical = 1;
      horizontal = -1;
      break;
    case Gravity::west:
      horizontal = -1;
      break;
    case Gravity::northwest:
      vertical = -1;
      horizontal = -1;
      break;
    default:
      break;  // centre, and content gravities start centred
  }
}

}  // namespace

Geometry parse_geometry(std::string_view text) {
  Geometry g;
  g.text = std::string(text);
  std::string_view body = text;
  if (body.empty()) bad_geometry(text, "empty");
  switch (body.back()) {
    case '>':
      g.only = Geometry::Only::shrink;
      body.remove_suffix(1);
      break;
    case '<':
      g.only = Geometry::Only::enlarge;
      body.remove_suffix(1);
      break;
    case '^':
      g.cover = true;
      body.remove_suffix(1);
      break;
    case '!':
      g.exact = true;
      body.remove_suffix(1);
      break;
    default:
      break;
  }
  if (body.empty()) bad_geometry(text, "no size before the flag");
  if (body.back() == '%') {
    body.remove_suffix(1);
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), g.percent);
    if (ec != std::errc() || end != body.data() + body.size()) bad_geometry(text, "not a number");
    if (g.percent == 0) bad_geometry(text, "N% needs a number above 0 and at most 10000");
  } else if (body.back() == '@') {
    body.remove_suffix(1);
    auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), g.max_pixels);
    if (ec != std::errc() || end != body.data() + body.size()) {
      bad_geometry(text, "not a whole number");
    }
    if (g.max_pixels == 0) bad_geometry(text, "N@ needs a whole number of pixels above 0");
  } else if (const auto x = body.find_first_of("xX"); x == std::string_view::npos) {
    g.width = g.height = parse_side(text, body);
  } else {
    g.width = parse_side(text, body.substr(0, x));
    g.height = parse_side(text, body.substr(x + 1));
  }
  if (const std::string why = geometry_problem(g); !why.empty()) bad_geometry(text, why);
  return g;
}

std::string geometry_problem(const Geometry& g) {
  const bool is_percent = g.percent != 0, is_area = g.max_pixels != 0;
  const bool is_box = g.width != 0 || g.height != 0;
  if (is_percent + is_area + is_box > 1) return "a box, N% and N@ cannot be combined";
  if (is_percent) {
    if (!(g.percent > 0) || g.percent > 10000) return "N% needs a number above 0 and at most 10000";
  } else if (!is_area) {
    if (!is_box) return "give at least one side";
    if (g.width < 0 || g.height < 0 || g.width > kMaxSide || g.height > kMaxSide) {
      return "sides must be 1 to 1048576";
    }
    if (g.exact && (g.width == 0 || g.height == 0)) return "! needs both sides";
  }
  if (g.exact && g.cover) return "! and ^ cannot be combined";
  return {};
}

ResizePlan plan_resize(Size source, const Geometry& g, const ResizeSpec& spec) {
  ResizePlan plan;
  source.width = std::max(source.width, 1);
  source.height = std::max(source.height, 1);
  const double w = source.width, h = source.height;

  Fit fit = spec.fit;
  // Stretching needs both sides; with one, keep the aspect ratio.
  if (fit == Fit::fill && (g.width == 0 || g.height == 0)) fit = Fit::inside;
  if (g.exact) fit = Fit::fill;
  if (g.cover) fit = Fit::outside;
  const bool box = g.percent == 0 && g.max_pixels == 0;
  if (!box) fit = Fit::inside;  // a scale or an area: no box to crop or pad to

  // Scale per axis (equal unless filling), before the enlarge rules; and which
  // box side decided it, so that side can be met exactly despite rounding.
  double sx = 1, sy = 1;
  bool exact_width = false, exact_height = false;
  if (g.percent > 0) {
    sx = sy = g.percent / 100.0;
  } else if (g.max_pixels > 0) {
    sx = sy = std::sqrt(static_cast<double>(g.max_pixels) / (w * h));
  } else if (fit == Fit::fill) {
    sx = g.width / w;  // only to decide about enlarging; the sizes are set below
    sy = g.height / h;
  } else {
    const double bx = g.width > 0 ? g.width / w : 0, by = g.height > 0 ? g.height / h : 0;
    const bool covering = fit == Fit::cover || fit == Fit::outside;
    if (bx > 0 && by > 0) {
      sx = sy = covering ? std::max(bx, by) : std::min(bx, by);
    } else {
      sx = sy = std::max(bx, by);  // one side given
    }
    exact_width = sx == bx;
    exact_height = sy == by;
  }
  // Never enlarge unless asked; "<" only enlarges, ">" only shrinks.
  const bool would_enlarge = sx > 1 || sy > 1;
  const bool may_enlarge =
      (spec.enlarge && g.only != Geometry::Only::shrink) || g.only == Geometry::Only::enlarge;
  if ((g.only == Geometry::Only::enlarge && !would_enlarge) || (!may_enlarge && would_enlarge)) {
    sx = std::min(sx, 1.0);
    sy = std::min(sy, 1.0);
    if (g.only == Geometry::Only::enlarge) sx = sy = 1;
    exact_width = exact_height = false;
  }

  if (fit == Fit::fill && box) {
    // Exactly W×H, each side held at the source's unless enlarging is allowed.
    plan.scaled = {may_enlarge ? g.width : std::min(g.width, source.width),
                   may_enlarge ? g.height : std::min(g.height, source.height)};
  } else {
    plan.scaled = {clamp_side(w * sx), clamp_side(h * sy)};
    // N@ is a ceiling: when rounding went over it (1789x1118 for 2000000@ of
    // 2000x1250), round both sides down instead.
    if (g.max_pixels > 0 && static_cast<std::uint64_t>(plan.scaled.width) *
                                    static_cast<std::uint64_t>(plan.scaled.height) >
                                g.max_pixels) {
      plan.scaled = {clamp_side(std::floor(w * sx)), clamp_side(std::floor(h * sy))};
    }
    // The deciding side meets the box exactly (no off-by-one from rounding).
    if (exact_width) plan.scaled.width = g.width;
    if (exact_height) plan.scaled.height = g.height;
  }

  int horizontal = 0, vertical = 0;
  gravity_axes(spec.gravity, horizontal, vertical);
  plan.crop = {0, 0, plan.scaled.width, plan.scaled.height};
  if (box && fit == Fit::cover) {
    const int cw = g.width > 0 ? std::min(g.width, plan.scaled.width) : plan.scaled.width;
    const int ch = g.height > 0 ? std::min(g.height, plan.scaled.height) : plan.scaled.height;
    plan.crop = {place(plan.scaled.width, cw, horizontal), place(plan.scaled.height, ch, vertical),
                 cw, ch};
  }
  plan.canvas = {plan.crop.width, plan.crop.height};
  plan.placed = {0, 0, plan.crop.width, plan.crop.height};
  if (box && fit == Fit::contain) {
    plan.canvas = {std::max(g.width > 0 ? g.width : plan.crop.width, plan.crop.width),
                   std::max(g.height > 0 ? g.height : plan.crop.height, plan.crop.height)};
    plan.placed.x = place(plan.canvas.width, plan.crop.width, horizontal);
    plan.placed.y = place(plan.canvas.height, plan.crop.height, vertical);
  }
  return plan;
}

Size fit_inside(Size source, const Geometry& box) {
  if (source.width <= 0 || source.height <= 0) return source;
  if (box.width == 0 && box.height == 0 && box.percent == 0 && box.max_pixels == 0) return source;
  return plan_resize(source, box).canvas;
}

namespace detail {

std::span<const Named<Fit>> fit_names() noexcept {
  static constexpr Named<Fit> names[] = {{"inside", Fit::inside},
                                         {"cover", Fit::cover, false, "crop"},
                                         {"contain", Fit::contain, false, "pad"},
                                         {"fill", Fit::fill, false, "stretch"},
                                         {"outside", Fit::outside}};
  return names;
}

std::span<const Named<Gravity>> gravity_names() noexcept {
  static constexpr Named<Gravity> names[] = {
      {"centre", Gravity::centre},   {"center", Gravity::centre, true},
      {"north", Gravity::north},     {"northeast", Gravity::northeast},
      {"east", Gravity::east},       {"southeast", Gravity::southeast},
      {"south", Gravity::south},     {"southwest", Gravity::southwest},
      {"west", Gravity::west},       {"northwest", Gravity::northwest},
      {"entropy", Gravity::entropy}, {"attention", Gravity::attention}};
  return names;
}

}  // namespace detail

Fit parse_fit(std::string_view text) {
  return detail::parse_named(detail::fit_names(), "fit", text);
}

Gravity parse_gravity(std::string_view text) {
  return detail::parse_named(detail::gravity_names(), "gravity", text);
}

}  // namespace imgflow
