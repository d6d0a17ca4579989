#include "lanczos.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace imgflow::detail {
namespace {

constexpr double kLobes = 3.0;

double sinc(double x) {
  if (std::abs(x) < 1e-9) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

double lanczos(double x) {
  return std::abs(x) < kLobes ? sinc(x) * sinc(x / kLobes) : 0.0;
}

// For each output index: the first input index and the normalised weights.
struct Taps {
  std::vector<int> start;
  std::vector<int> count;
  std::vector<float> weights;  // count[i] weights for output i, at offset i * width
  int width = 0;               // the most taps any output uses
};

Taps make_taps(int in_size, int out_size) {
  const double scale = static_cast<double>(out_size) / in_size;
  const double stretch = std::max(1.0, 1.0 / scale);  // widen the kernel when shrinking
  const double support = kLobes * stretch;
  Taps taps;
  taps.width = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.start.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<std::size_t>(out_size) * taps.width, 0.0f);
  for (int o = 0; o < out_size; ++o) {
    const double centre = (o + 0.5) / scale;  // in input pixel coordinates
    int first = static_cast<int>(std::floor(centre - support));
    int last = static_cast<int>(std::ceil(centre + support));
    first = std::max(first, 0);
    last = std::min(last, in_size - 1);
    double total = 0;
    std::vector<double> w;
    for (int i = first; i <= last; ++i) {
      const double v = lanczos((i + 0.5 - centre) / stretch);
      w.push_back(v);
      total += v;
    }
    // Trim zero tails so the inner loops stay short.
    int begin = 0, end = static_cast<int>(w.size());
    while (begin < end && w[begin] == 0.0) ++begin;
    while (end > begin && w[end - 1] == 0.0) --end;
    taps.start[o] = first + begin;
    taps.count[o] = std::min(end - begin, taps.width);
    for (int k = 0; k < taps.count[o]; ++k) {
      taps.weights[static_cast<std::size_t>(o) * taps.width + k] =
          static_cast<float>(w[begin + k] / total);
    }
  }
  return taps;
}

// Resamples along columns, a whole output row at a time: the inner loop runs
// over a contiguous row, so the compiler vectorises it. `T` is the input
// sample type (8-bit on the first pass saves converting the full-size image).
template <typename T>
void vertical(const cv::Mat& in, cv::Mat& out, const Taps& taps) {
  const int row_length = in.cols * in.channels();
  for (int y = 0; y < out.rows; ++y) {
    float* acc = out.ptr<float>(y);
    std::fill(acc, acc + row_length, 0.0f);
    const float* w = &taps.weights[static_cast<std::size_t>(y) * taps.width];
    for (int k = 0; k < taps.count[y]; ++k) {
      const T* src = in.ptr<T>(taps.start[y] + k);
      const float weight = w[k];
      for (int i = 0; i < row_length; ++i) acc[i] += weight * static_cast<float>(src[i]);
    }
  }
}

cv::Mat resample_rows(const cv::Mat& in, int rows) {
  if (rows == in.rows && in.depth() == CV_32F) return in;
  cv::Mat out(rows, in.cols, CV_MAKETYPE(CV_32F, in.channels()));
  const Taps taps = make_taps(in.rows, rows);
  if (in.depth() == CV_8U) {
    vertical<std::uint8_t>(in, out, taps);
  } else {
    vertical<float>(in, out, taps);
  }
  return out;
}

}  // namespace

cv::Mat lanczos3(const cv::Mat& pixels, cv::Size size) {
  CV_Assert((pixels.depth() == CV_32F || pixels.depth() == CV_8U) && pixels.channels() <= 4);
  // Rows first, then columns as rows of the transposed image: both passes run
  // the same vectorised loop.
  const cv::Mat tall = resample_rows(pixels, size.height);
  if (size.width == tall.cols) return tall;
  cv::Mat transposed;
  cv::transpose(tall, transposed);
  cv::Mat out;
  cv::transpose(resample_rows(transposed, size.width), out);
  return out;
}

}  // namespace imgflow::detail
