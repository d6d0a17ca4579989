// The formats we leave to OpenCV's imdecode (through the plugin, see
// opencv_codecs.hpp): BMP, PNM, JPEG 2000 (TIFF: tiff_decode.cpp).
#include <opencv2/imgproc.hpp>

#include <vector>

#include "codec/decoders.hpp"
#include "codec/opencv_codecs.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

Image decode_with_opencv(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && bytes.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input,
                std::string(format_name(header.format)) + " data ends early");
  }
  cv::Mat decoded;
  std::string why;
  if (!opencv_codecs().decode(bytes.data(), bytes.size(), &decoded, &why)) {
    throw Error(ErrorCode::corrupt_input, std::string(format_name(header.format)) + ": " + why);
  }
  Image image;
  image.source = {header.format, decoded.cols, decoded.rows};
  check_pixel_limit(image.source, options.max_pixels);
  // Everything downstream works on 8-bit (or 16-bit) gray, BGR or BGRA.
  if (decoded.depth() == CV_16U) {
    if (!options.keep_16bit) decoded.convertTo(decoded, CV_8U, 1.0 / 257.0);
  } else if (decoded.depth() == CV_32F) {
    decoded.convertTo(decoded, CV_8U, 255.0);
  } else if (decoded.depth() != CV_8U) {
    decoded.convertTo(decoded, CV_8U);
  }
  image.pixels = std::move(decoded);
  return image;
}

}  // namespace imgflow::detail
