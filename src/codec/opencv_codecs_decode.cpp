// The formats we leave to OpenCV's imdecode (through the plugin, see
// opencv_codecs.hpp): TIFF, BMP, PNM, JPEG 2000.
#include <opencv2/imgproc.hpp>

#include <vector>

#include "codec/decoders.hpp"
#include "codec/opencv_codecs.hpp"
#include "core/tiff_ifd.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// OpenCV 4.6 sizes its TIFF strip buffer by RowsPerStrip even past the last
// row: a 196-byte file declaring 16396x9 pixels in strips of 31241 rows made
// it reserve 2 GB (12 s under ASan; found by the decode fuzzer). Rows past
// the end mean nothing (the one strip holds the whole image), so such a file
// is handed over with RowsPerStrip (278) set to the height; empty: unchanged.
std::vector<std::uint8_t> with_rows_per_strip_clamped(Bytes b, int height) {
  std::vector<std::uint8_t> copy;
  walk_first_ifd(b, [&](const IfdEntry& entry, const ByteOrder& order) {
    if (entry.tag != 278 || (entry.type != 3 && entry.type != 4)) return true;
    const std::uint32_t rows =
        entry.type == 3 ? order.u16(b, entry.value_at) : order.u32(b, entry.value_at);
    if (rows <= static_cast<std::uint32_t>(height)) return true;
    if (copy.empty()) copy.assign(b.begin(), b.end());
    const int bytes = entry.type == 3 ? 2 : 4;
    for (int k = 0; k < bytes; ++k) {
      const int shift = 8 * (order.big_endian ? bytes - 1 - k : k);
      copy[entry.value_at + static_cast<std::size_t>(k)] =
          static_cast<std::uint8_t>(static_cast<std::uint32_t>(height) >> shift);
    }
    return true;
  });
  return copy;
}

}  // namespace

Image decode_with_opencv(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && bytes.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input,
                std::string(format_name(header.format)) + " data ends early");
  }
  std::vector<std::uint8_t> clamped;
  if (header.format == Format::tiff) {
    clamped = with_rows_per_strip_clamped(bytes, header.height);
    if (!clamped.empty()) bytes = clamped;
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
