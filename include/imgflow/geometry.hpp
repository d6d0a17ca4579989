// Target-size geometry and fit modes: what size an image becomes, and how it
// is cropped or padded to get there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "imgflow/size.hpp"

namespace imgflow {

/// How an image meets a W×H box (sharp's names).
enum class Fit {
  inside,   ///< fit inside the box, keep aspect (default)
  cover,    ///< cover the box, keep aspect, crop to exactly W×H (see Gravity)
  contain,  ///< fit inside, keep aspect, pad to exactly W×H with the background
  fill,     ///< stretch to exactly W×H, ignoring aspect
  outside,  ///< cover the box, keep aspect, no crop (ImageMagick's "^")
};

/// Which part of the image `cover` keeps (and where `contain` places it).
/// `entropy` and `attention` look at the pixels: the crop with the most
/// information (Shannon entropy of luminance), or with the most edges and
/// saturated colour.
enum class Gravity {
  centre,
  north,
  northeast,
  east,
  southeast,
  south,
  southwest,
  west,
  northwest,
  entropy,
  attention
};

/// A geometry as ImageMagick and vipsthumbnail write it:
///   WxH, W (a W×W box), Wx, xH   fit a box (a missing side is unconstrained)
///   N%                           scale by N percent
///   N@                           at most N pixels, keeping aspect
///   WxH>  only shrink            WxH<  only enlarge
///   WxH^  cover the box (fit outside)   WxH!  exactly W×H (fit fill)
struct Geometry {
  int width = 0;                 ///< 0 = unconstrained
  int height = 0;                ///< 0 = unconstrained
  double percent = 0;            ///< N%: scale factor × 100 (width/height unused)
  std::uint64_t max_pixels = 0;  ///< N@: at most this many pixels
  enum class Only { any, shrink, enlarge } only = Only::any;  ///< ">" / "<"
  bool exact = false;                                         ///< "!": fit fill
  bool cover = false;                                         ///< "^": fit outside
  std::string text;                                           ///< as the user wrote it, e.g. "800x"
};

/// Parses the grammar above. Throws imgflow::Error{ErrorCode::usage} naming the
/// text and what was expected.
Geometry parse_geometry(std::string_view text);

/// What is wrong with a geometry, or "" when it is valid: the one rule that
/// parse_geometry() enforces and Options::validate() asks (a geometry built
/// field by field in a program gets the same answer as one parsed from text).
/// Valid: exactly one of a box (a side of 1..1048576, the other 0..1048576;
/// "!" needs both), a percentage (0 < N <= 10000) or an area (N >= 1).
std::string geometry_problem(const Geometry& geometry);

/// How to apply a geometry; the same for every size of a run.
struct ResizeSpec {
  Fit fit = Fit::inside;
  Gravity gravity = Gravity::centre;
  bool enlarge = false;  ///< allow enlarging (otherwise never, unless the geometry says "<")
};

/// A rectangle in pixels.
struct Rect {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};

/// What to do to an image of a given size: resize the whole of it to
/// `scaled`, then keep `crop` of that (cover), then place it at `placed` on a
/// `canvas`-sized background (contain). Without crop or padding, crop covers
/// all of `scaled` and canvas equals it.
struct ResizePlan {
  Size scaled;
  Rect crop;    ///< within `scaled`; for content gravities, centred (the resizer moves it)
  Size canvas;  ///< the output size
  Rect placed;  ///< where the cropped image sits on the canvas
};

/// Plans the resize of a `source`-sized (upright) image. Every side of every
/// result is at least 1 px.
ResizePlan plan_resize(Size source, const Geometry& geometry, const ResizeSpec& spec = {});

/// The output size of `plan_resize(source, box)` with the default spec
/// (fit inside, never enlarge).
Size fit_inside(Size source, const Geometry& box);

/// Parses fit and gravity names ("inside", "centre"/"center", "northeast",
/// "entropy", ...). Throw imgflow::Error{ErrorCode::usage}.
Fit parse_fit(std::string_view text);
Gravity parse_gravity(std::string_view text);

}  // namespace imgflow
