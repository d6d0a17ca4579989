// WebP encoding with libwebp's simple API: lossy at a quality, or lossless;
// gray is written as BGR (WebP has no gray), alpha kept.
#include <webp/encode.h>

#include <opencv2/imgproc.hpp>

#include "codec/encoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

std::vector<std::uint8_t> encode_webp(const cv::Mat& pixels, int quality, bool lossless) {
  if (pixels.depth() != CV_8U || pixels.channels() == 2 || pixels.channels() > 4) {
    throw Error(ErrorCode::encode_error, "webp: needs 8-bit gray, BGR or BGRA pixels");
  }
  cv::Mat colour = pixels;
  if (pixels.channels() == 1) cv::cvtColor(pixels, colour, cv::COLOR_GRAY2BGR);
  const int stride = static_cast<int>(colour.step);
  const bool alpha = colour.channels() == 4;
  const auto q = static_cast<float>(quality);
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (lossless) {
    size = alpha ? WebPEncodeLosslessBGRA(colour.data, colour.cols, colour.rows, stride, &data)
                 : WebPEncodeLosslessBGR(colour.data, colour.cols, colour.rows, stride, &data);
  } else {
    size = alpha ? WebPEncodeBGRA(colour.data, colour.cols, colour.rows, stride, q, &data)
                 : WebPEncodeBGR(colour.data, colour.cols, colour.rows, stride, q, &data);
  }
  if (size == 0 || !data) {
    WebPFree(data);
    throw Error(ErrorCode::encode_error, "webp encoder failed (image too large?)");
  }
  std::vector<std::uint8_t> out(data, data + size);
  WebPFree(data);
  return out;
}

}  // namespace imgflow::detail
