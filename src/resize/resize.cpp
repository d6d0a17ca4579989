// Resizing: the plan from geometry.cpp carried out on pixels.
#include "imgflow/resize.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "resize/lanczos.hpp"
#include "resize/resample_steps.hpp"
#include "resize/resize_names.hpp"

namespace imgflow {
namespace {

int opencv_interpolation(Filter filter) {
  switch (filter) {
    case Filter::nearest:
      return cv::INTER_NEAREST;
    case Filter::linear:
      return cv::INTER_LINEAR;
    case Filter::cubic:
      return cv::INTER_CUBIC;
    default:
      return cv::INTER_AREA;
  }
}

// libvips' shrink + reduce: box-average by a whole factor while at least twice
// the target remains (exact and fast), leaving Lanczos-3 the rest.
cv::Mat box_shrink(const cv::Mat& pixels, cv::Size size) {
  const cv::Size k = detail::box_factors(pixels.size(), size);
  if (k.width == 1 && k.height == 1) return pixels;
  cv::Mat out;
  cv::resize(pixels, out, cv::Size(pixels.cols / k.width, pixels.rows / k.height), 0, 0,
             cv::INTER_AREA);
  return out;
}

// Premultiplied float [0, 1] pixels straight from 8- or 16-bit BGRA, box-
// averaged by whole factors on the way: no full-size float copy of a large
// image is ever made.
template <typename T>
cv::Mat premultiplied_box(const cv::Mat& bgra, int kx, int ky, float max) {
  cv::Mat out(bgra.rows / ky, bgra.cols / kx, CV_32FC4);
  detail::PremultipliedBox box(out.cols, kx, ky, max);
  for (int oy = 0; oy < out.rows; ++oy) {
    for (int dy = 0; dy < ky; ++dy) box.add_row(bgra.ptr<T>(oy * ky + dy));
    box.take_row(out.ptr<cv::Vec4f>(oy));
  }
  return out;
}

// Resamples in float. With alpha, colour is weighted by it (premultiplied)
// through every step, so a transparent pixel's (often black) colour does not
// bleed into its opaque neighbours.
cv::Mat resample_float(const cv::Mat& pixels, cv::Size size, Filter filter) {
  const double max = pixels.depth() == CV_16U ? 65535.0 : 255.0;
  const bool alpha = pixels.channels() == 4;
  cv::Mat source = pixels;
  if (filter == Filter::automatic && !alpha) source = box_shrink(pixels, size);
  if (!alpha && source.depth() == CV_8U && filter != Filter::area && filter != Filter::linear &&
      filter != Filter::cubic) {
    // The common case: Lanczos straight from 8-bit, no full-size float copy.
    return detail::lanczos3(source, size, CV_8U);
  }
  cv::Mat f;
  if (alpha) {
    int kx = 1, ky = 1;
    if (filter == Filter::automatic) {
      const cv::Size k = detail::box_factors(pixels.size(), size);
      kx = k.width;
      ky = k.height;
    }
    f = pixels.depth() == CV_16U
            ? premultiplied_box<std::uint16_t>(pixels, kx, ky, static_cast<float>(max))
            : premultiplied_box<std::uint8_t>(pixels, kx, ky, static_cast<float>(max));
  } else {
    source.convertTo(f, CV_MAKETYPE(CV_32F, source.channels()), 1.0 / max);
  }
  cv::Mat r;
  if (f.size() == size) {
    r = f;
  } else if (filter == Filter::lanczos || filter == Filter::automatic) {
    r = detail::lanczos3(f, size);
  } else {
    cv::resize(f, r, size, 0, 0, opencv_interpolation(filter));
  }
  if (alpha) detail::unpremultiply(r);
  cv::Mat out;
  r.convertTo(out, pixels.depth(), max);  // rounds and saturates: Lanczos overshoots
  return out;
}

cv::Mat resample(const cv::Mat& pixels, Size size, Filter filter) {
  if (size.width == pixels.cols && size.height == pixels.rows) return pixels;
  const cv::Size target(size.width, size.height);
  const bool needs_float = filter == Filter::automatic || filter == Filter::lanczos ||
                           (pixels.channels() == 4 && filter != Filter::nearest);
  if (needs_float) return resample_float(pixels, target, filter);
  cv::Mat out;
  cv::resize(pixels, out, target, 0, 0, opencv_interpolation(filter));
  return out;
}

// Shannon entropy of a window's 8-bit luminance histogram.
double entropy_score(const cv::Mat& gray) {
  std::array<int, 256> histogram{};
  for (int y = 0; y < gray.rows; ++y) {
    const auto* row = gray.ptr<std::uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) ++histogram[row[x]];
  }
  const double total = static_cast<double>(gray.total());
  double entropy = 0;
  for (const int n : histogram) {
    if (n > 0) entropy -= (n / total) * std::log2(n / total);
  }
  return entropy;
}

// Where a cover crop should sit for a content gravity: slides the window along
// the free axes and keeps the highest score (entropy, or edges + saturation).
Rect content_crop(const cv::Mat& scaled, Rect crop, Gravity gravity) {
  cv::Mat bgr8 = scaled;
  if (bgr8.depth() != CV_8U) bgr8.convertTo(bgr8, CV_8U, 1.0 / 257.0);
  cv::Mat gray;
  if (bgr8.channels() == 1) {
    gray = bgr8;
  } else {
    cv::cvtColor(bgr8, gray, bgr8.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  }
  cv::Mat interest;  // per-pixel "attention": edge strength plus colour saturation
  if (gravity == Gravity::attention) {
    cv::Mat edges;
    cv::Laplacian(gray, edges, CV_32F);
    interest = cv::abs(edges);
    if (bgr8.channels() >= 3) {
      cv::Mat hsv, bgr3 = bgr8;
      if (bgr8.channels() == 4) cv::cvtColor(bgr8, bgr3, cv::COLOR_BGRA2BGR);
      cv::cvtColor(bgr3, hsv, cv::COLOR_BGR2HSV);
      cv::Mat channels[3];
      cv::split(hsv, channels);
      cv::Mat saturation;
      channels[1].convertTo(saturation, CV_32F, 0.25);
      interest += saturation;
    }
  }
  const int free_x = scaled.cols - crop.width, free_y = scaled.rows - crop.height;
  constexpr int kSteps = 24;
  Rect best = crop;
  double best_score = -1;
  for (int i = 0; i <= (free_x > 0 ? kSteps : 0); ++i) {
    for (int j = 0; j <= (free_y > 0 ? kSteps : 0); ++j) {
      Rect r = crop;
      r.x = free_x > 0 ? free_x * i / kSteps : crop.x;
      r.y = free_y > 0 ? free_y * j / kSteps : crop.y;
      const cv::Rect window(r.x, r.y, r.width, r.height);
      const double score =
          gravity == Gravity::entropy ? entropy_score(gray(window)) : cv::mean(interest(window))[0];
      if (score > best_score + 1e-9) {
        best_score = score;
        best = r;
      }
    }
  }
  return best;
}

cv::Scalar background_scalar(const Color& c, int channels, int depth) {
  const double k = depth == CV_16U ? 257.0 : 1.0;
  if (channels == 1) return cv::Scalar(k * std::lround(0.299 * c.r + 0.587 * c.g + 0.114 * c.b));
  return cv::Scalar(k * c.b, k * c.g, k * c.r, k * c.a);
}

}  // namespace

cv::Size detail::box_factors(cv::Size in, cv::Size target) {
  return {std::max(1, in.width / (2 * target.width)), std::max(1, in.height / (2 * target.height))};
}

detail::PremultipliedBox::PremultipliedBox(int out_width, int kx, int ky, float max)
    : kx_(kx),
      norm_(1.0f / (max * max * static_cast<float>(kx * ky))),
      max_(max),
      sums_(static_cast<std::size_t>(out_width), cv::Vec4f(0, 0, 0, 0)) {}

template <typename T>
void detail::PremultipliedBox::add_row(const T* row) {
  for (std::size_t ox = 0; ox < sums_.size(); ++ox) {
    cv::Vec4f& sum = sums_[ox];
    for (int dx = 0; dx < kx_; ++dx) {
      const T* p = row + 4 * (static_cast<int>(ox) * kx_ + dx);
      const float a = p[3];
      sum[0] += p[0] * a;
      sum[1] += p[1] * a;
      sum[2] += p[2] * a;
      sum[3] += a * max_;
    }
  }
}
template void detail::PremultipliedBox::add_row(const std::uint8_t*);
template void detail::PremultipliedBox::add_row(const std::uint16_t*);

void detail::PremultipliedBox::take_row(cv::Vec4f* out) {
  for (std::size_t ox = 0; ox < sums_.size(); ++ox) {
    out[ox] = sums_[ox] * norm_;
    sums_[ox] = cv::Vec4f(0, 0, 0, 0);
  }
}

void detail::unpremultiply(cv::Mat& f) {
  for (int y = 0; y < f.rows; ++y) {
    auto* p = f.ptr<cv::Vec4f>(y);
    for (int x = 0; x < f.cols; ++x) {
      const float a = std::clamp(p[x][3], 0.0f, 1.0f);
      const float inv = a > 1e-6f ? 1.0f / a : 0.0f;
      p[x] = cv::Vec4f(p[x][0] * inv, p[x][1] * inv, p[x][2] * inv, a);
    }
  }
}

cv::Mat detail::crop_and_pad(cv::Mat out, const ResizePlan& plan, const ResizeOptions& options) {
  if (plan.crop.width != out.cols || plan.crop.height != out.rows) {
    Rect crop = plan.crop;
    if (options.spec.gravity == Gravity::entropy || options.spec.gravity == Gravity::attention) {
      crop = content_crop(out, crop, options.spec.gravity);
    }
    out = out(cv::Rect(crop.x, crop.y, crop.width, crop.height)).clone();
  }
  if (plan.canvas.width != out.cols || plan.canvas.height != out.rows) {
    // A see-through padding needs an alpha channel, also around an opaque image.
    if (options.background.a < 255 && out.channels() != 4) {
      cv::cvtColor(out, out, out.channels() == 1 ? cv::COLOR_GRAY2BGRA : cv::COLOR_BGR2BGRA);
    }
    cv::Mat canvas(plan.canvas.height, plan.canvas.width, out.type(),
                   background_scalar(options.background, out.channels(), out.depth()));
    out.copyTo(canvas(cv::Rect(plan.placed.x, plan.placed.y, out.cols, out.rows)));
    out = canvas;
  }
  return out;
}

cv::Mat resize(const cv::Mat& pixels, const Geometry& geometry, const ResizeOptions& options,
               Size source_size) {
  if (source_size.width <= 0 || source_size.height <= 0) source_size = {pixels.cols, pixels.rows};
  const ResizePlan plan = plan_resize(source_size, geometry, options.spec);
  return detail::crop_and_pad(resample(pixels, plan.scaled, options.filter), plan, options);
}

std::span<const detail::Named<Filter>> detail::filter_names() noexcept {
  static constexpr Named<Filter> names[] = {
      {"auto", Filter::automatic}, {"nearest", Filter::nearest}, {"area", Filter::area},
      {"linear", Filter::linear},  {"cubic", Filter::cubic},     {"lanczos", Filter::lanczos}};
  return names;
}

Filter parse_filter(std::string_view text) {
  return detail::parse_named(detail::filter_names(), "filter", text);
}

cv::Mat resize_to_fit(const cv::Mat& pixels, const Geometry& box, Size source_size) {
  return resize(pixels, box, {}, source_size);
}

}  // namespace imgflow
