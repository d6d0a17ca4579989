// The formats we leave to OpenCV's imdecode: TIFF, BMP, PNM, JPEG 2000.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "decoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

Image decode_with_opencv(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && bytes.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input,
                std::string(format_name(header.format)) + " data ends early");
  }
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1,
                        const_cast<std::uint8_t*>(bytes.data()));
  cv::Mat decoded;
  try {
    decoded = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::corrupt_input, std::string(format_name(header.format)) + ": " + e.msg);
  }
  if (decoded.empty()) {
    throw Error(ErrorCode::corrupt_input,
                std::string(format_name(header.format)) + " data could not be decoded");
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
