// Encoding: JPEG with libjpeg, PNG with libdeflate, WebP with libwebp, AVIF and HEIC with
// libheif, JPEG XL with libjxl, TIFF with libtiff (*_encode.cpp).
#include <opencv2/imgproc.hpp>

#include "codec/encode_names.hpp"
#include "codec/encoders.hpp"
#include "imgflow/encode.hpp"
#include "imgflow/error.hpp"

namespace imgflow {
namespace {

// JPEG has no alpha: composite onto the background (white by default, as
// browsers show transparent areas).
cv::Mat flatten(const cv::Mat& bgra, const Color& background) {
  const int bg[3] = {background.b, background.g, background.r};
  cv::Mat bgr(bgra.rows, bgra.cols, CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    const auto* in = bgra.ptr<std::uint8_t>(y);
    auto* out = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < bgra.cols; ++x, in += 4, out += 3) {
      const int a = in[3];
      for (int c = 0; c < 3; ++c) {
        out[c] = static_cast<std::uint8_t>((in[c] * a + bg[c] * (255 - a) + 127) / 255);
      }
    }
  }
  return bgr;
}

}  // namespace

namespace detail {

std::span<const Named<bool>> chroma_names() noexcept {
  static constexpr Named<bool> names[] = {{"420", false}, {"444", true}};
  return names;
}

std::span<const Named<TiffCompression>> tiff_compression_names() noexcept {
  static constexpr Named<TiffCompression> names[] = {{"none", TiffCompression::none},
                                                     {"lzw", TiffCompression::lzw},
                                                     {"deflate", TiffCompression::deflate}};
  return names;
}

}  // namespace detail

TiffCompression parse_tiff_compression(std::string_view text) {
  return detail::parse_named(detail::tiff_compression_names(), "tiff_compression", text);
}

bool parse_chroma_444(std::string_view text) {
  return detail::parse_named(detail::chroma_names(), "chroma_444", text);
}

std::vector<std::uint8_t> encode(const cv::Mat& pixels, const EncodeOptions& options) {
  if (pixels.empty()) throw Error(ErrorCode::encode_error, "nothing to encode (empty image)");
  cv::Mat eight_bit = pixels;
  const bool keeps_16bit = options.format == Format::png || options.format == Format::tiff ||
                           options.format == Format::jxl;
  if (pixels.depth() == CV_16U && !keeps_16bit) pixels.convertTo(eight_bit, CV_8U, 1.0 / 257.0);

  if (options.format == Format::jpeg) {
    const cv::Mat opaque =
        eight_bit.channels() == 4 ? flatten(eight_bit, options.background) : eight_bit;
    return detail::encode_jpeg(opaque, options);
  }

  if (options.format == Format::png) return detail::encode_png(pixels, options);
  if (options.format == Format::webp) {
    return detail::add_webp_metadata(
        detail::encode_webp(eight_bit, options.quality, options.lossless), options);
  }
  if (options.format == Format::avif || options.format == Format::heif) {
    return detail::encode_heif(eight_bit, options);
  }
  if (options.format == Format::jxl) return detail::encode_jxl(pixels, options);
  if (options.format == Format::tiff) return detail::encode_tiff(pixels, options);
  throw Error(ErrorCode::encode_error,
              "cannot write " + std::string(format_name(options.format)) + " images");
}

}  // namespace imgflow
