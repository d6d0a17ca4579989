// libFuzzer target: the geometry grammar and the resize planner.
//
// Input: a geometry string up to the first '\n'; if at least 8 bytes follow,
// they are the source width and height (two little-endian int32), otherwise
// a fixed set of awkward source sizes is tried.
//
// Checked beyond "no crash, no sanitizer report":
//   - parse_geometry throws only imgflow::Error with code `usage`;
//   - plan_resize, for every fit and gravity: sizes at least 1 px, the crop
//     inside the scaled image, the placed image inside the canvas;
//   - fit_inside never enlarges unless the geometry asks to ("<"), and gives
//     the plan's canvas;
//   - whatever parse_geometry accepts, geometry_problem() (the rule
//     Options::validate() asks) accepts too;
//   - N@ is a ceiling: at most N pixels, unless a side was held at 1 px (or
//     "<" forbids shrinking).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "imgflow/error.hpp"
#include "imgflow/geometry.hpp"

namespace {

[[noreturn]] void fail(const char* what, std::string_view text, imgflow::Size source) {
  std::fprintf(stderr, "geometry_fuzzer: %s for \"%.*s\" on %dx%d\n", what,
               static_cast<int>(text.size()), text.data(), source.width, source.height);
  std::abort();
}

bool inside(const imgflow::Rect& r, imgflow::Size area) {
  return r.x >= 0 && r.y >= 0 && r.width >= 1 && r.height >= 1 &&
         static_cast<long long>(r.x) + r.width <= area.width &&
         static_cast<long long>(r.y) + r.height <= area.height;
}

void check(std::string_view text, const imgflow::Geometry& g, imgflow::Size source) {
  const imgflow::Fit fits[] = {imgflow::Fit::inside, imgflow::Fit::cover, imgflow::Fit::contain,
                               imgflow::Fit::fill, imgflow::Fit::outside};
  const imgflow::Gravity gravities[] = {imgflow::Gravity::centre, imgflow::Gravity::northeast,
                                        imgflow::Gravity::southwest, imgflow::Gravity::entropy};
  for (const auto fit : fits) {
    for (const auto gravity : gravities) {
      for (const bool enlarge : {false, true}) {
        const imgflow::ResizePlan plan = imgflow::plan_resize(source, g, {fit, gravity, enlarge});
        if (plan.scaled.width < 1 || plan.scaled.height < 1)
          fail("empty scaled size", text, source);
        if (!inside(plan.crop, plan.scaled)) fail("crop outside the scaled image", text, source);
        if (!inside(plan.placed, plan.canvas)) fail("placed outside the canvas", text, source);
        if (plan.placed.width != plan.crop.width || plan.placed.height != plan.crop.height) {
          fail("placed size differs from the crop", text, source);
        }
      }
    }
  }
  const imgflow::Size fitted = imgflow::fit_inside(source, g);
  if (source.width <= 0 || source.height <= 0) {
    if (!(fitted == source)) fail("fit_inside changed a degenerate source", text, source);
    return;
  }
  if (fitted.width < 1 || fitted.height < 1) fail("fit_inside gave an empty size", text, source);
  if (g.max_pixels > 0 && g.only != imgflow::Geometry::Only::enlarge && fitted.width > 1 &&
      fitted.height > 1 &&
      static_cast<std::uint64_t>(fitted.width) * static_cast<std::uint64_t>(fitted.height) >
          g.max_pixels) {
    fail("N@ gave more than N pixels", text, source);
  }
  if (g.only != imgflow::Geometry::Only::enlarge &&
      (fitted.width > source.width || fitted.height > source.height)) {
    fail("fit_inside enlarged", text, source);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* chars = reinterpret_cast<const char*>(data);
  const void* newline = std::memchr(data, '\n', size);
  const std::size_t text_size =
      newline ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(newline) - data) : size;
  const std::string_view text(chars, text_size);

  imgflow::Geometry g;
  try {
    g = imgflow::parse_geometry(text);
  } catch (const imgflow::Error& e) {
    if (e.code() != imgflow::ErrorCode::usage) fail("parse error not 'usage'", text, {});
    return 0;
  }
  if (!imgflow::geometry_problem(g).empty()) fail("parsed, yet geometry_problem refuses", text, {});

  std::vector<imgflow::Size> sources = {
      {1, 1},         {4000, 3000}, {3000, 4000}, {6000, 4},    {4, 6000},
      {65535, 65535}, {0, 5},       {-3, 7},      {1 << 20, 1}, {2147483647, 2147483647}};
  const std::size_t rest = size - text_size;
  if (rest >= 9) {
    std::int32_t w = 0, h = 0;
    std::memcpy(&w, data + text_size + 1, 4);
    std::memcpy(&h, data + text_size + 5, 4);
    sources = {{w, h}};
  }
  for (const auto& source : sources) check(text, g, source);
  return 0;
}
