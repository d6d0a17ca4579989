// Animations: which files are one, and the limits checked before any frame is
// decoded; the frames themselves come from gif_decode_frames.cpp and
// webp_decode_frames.cpp.
#include <string>

#include "codec/animation.hpp"
#include "codec/decoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

std::optional<AnimationInfo> read_animation_info(std::span<const std::uint8_t> bytes,
                                                 const SourceInfo& header) {
  if (header.format == Format::gif) {
    const AnimationInfo info = read_gif_animation(bytes);
    if (info.frames < 2) return std::nullopt;
    return info;
  }
  if (header.format == Format::webp) return read_webp_animation(bytes);
  return std::nullopt;
}

void decode_animation(std::span<const std::uint8_t> bytes, const AnimationInfo& info,
                      const DecodeOptions& options, const FrameSink& sink) {
  const std::string frames = std::to_string(info.frames) + " frames";
  if (info.truncated) {
    throw Error(ErrorCode::truncated_input, std::string(format_name(info.format)) +
                                                " data ends inside its animation (" + frames +
                                                " begun)");
  }
  if (options.max_frames != 0 && info.frames > options.max_frames) {
    throw Error(ErrorCode::too_complex,
                frames + " exceed the limit of " + std::to_string(options.max_frames));
  }
  check_pixel_limit({info.format, info.width, info.height}, options.max_pixels);
  const auto canvas =
      static_cast<std::uint64_t>(info.width) * static_cast<std::uint64_t>(info.height);
  if (options.max_pixels != 0 && canvas != 0 && info.frames > options.max_pixels / canvas) {
    throw Error(ErrorCode::too_many_pixels,
                std::to_string(info.width) + "x" + std::to_string(info.height) + " x " + frames +
                    " exceeds the limit of " + std::to_string(options.max_pixels) + " pixels");
  }
  if (info.format == Format::gif) {
    decode_gif_frames(bytes, options, sink);
  } else {
    decode_webp_frames(bytes, options, sink);
  }
}

}  // namespace imgflow::detail
