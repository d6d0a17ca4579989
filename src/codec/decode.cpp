// Decoding: dispatch by content to each format's decoder, then colour and orientation.
#include <atomic>

#include <opencv2/imgproc.hpp>

#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"

namespace imgflow {

namespace detail {

void check_pixel_limit(const SourceInfo& info, std::uint64_t max_pixels) {
  if (info.width < 0 || info.height < 0) {
    throw Error(ErrorCode::corrupt_input, "header declares an invalid size");
  }
  const auto pixels = static_cast<std::uint64_t>(info.width) * info.height;
  if (max_pixels != 0 && pixels > max_pixels) {
    throw Error(ErrorCode::too_many_pixels,
                std::to_string(info.width) + "x" + std::to_string(info.height) +
                    " exceeds the limit of " + std::to_string(max_pixels) + " pixels");
  }
}

}  // namespace detail

namespace {
std::atomic<std::uint64_t> decodes{0};
}  // namespace

std::uint64_t decode_count() noexcept {
  return decodes.load(std::memory_order_relaxed);
}

Image decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  return detail::decode_with_header(bytes, read_header(bytes), options);
}

Image detail::decode_with_header(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                                 const DecodeOptions& options) {
  decodes.fetch_add(1, std::memory_order_relaxed);
  if ((header.width == 0 || header.height == 0) &&
      (header.format == Format::jpeg || header.format == Format::png ||
       header.format == Format::webp || header.format == Format::bmp)) {
    throw Error(ErrorCode::corrupt_input, "header declares a zero width or height");
  }
  // Decoders work in stored orientation; the caller's sizes are upright.
  const int orientation = options.auto_orient ? header.orientation : 1;
  DecodeOptions stored = options;
  if (swaps_sides(orientation)) std::swap(stored.at_least.width, stored.at_least.height);
  Image image;
  switch (header.format) {
    case Format::jpeg:
      image = detail::decode_jpeg(bytes, header, stored);
      break;
    case Format::png:
      image = detail::decode_png(bytes, stored);
      break;
    case Format::webp:
      image = detail::decode_webp(bytes, header, stored);
      break;
    default:
      image = detail::decode_with_opencv(bytes, header, stored);
      break;
  }
  image.source.orientation = header.orientation;
  if (options.to_srgb && !image.icc.empty()) {
    std::string why;
    if (!detail::is_srgb_profile(image.icc) &&
        !detail::convert_to_srgb(image.pixels, image.icc, why)) {
      image.warnings.push_back(why);
    }
    image.icc.clear();
  }
  if (orientation != 1) {
    // Rotating after shrink-on-load touches the fewest pixels.
    image.pixels = apply_orientation(image.pixels, orientation);
    if (swaps_sides(orientation)) std::swap(image.source.width, image.source.height);
  }
  return image;
}

Image decode_file(const std::filesystem::path& path, const DecodeOptions& options) {
  const auto bytes = read_file(path);
  return decode(bytes, options);
}

}  // namespace imgflow
