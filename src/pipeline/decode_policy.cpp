#include "pipeline/decode_policy.hpp"

#include <algorithm>
#include <cmath>

#include "codec/decoders.hpp"
#include "imgflow/error.hpp"
#include "imgflow/plan.hpp"
#include "resize/resize_rows.hpp"

namespace imgflow::detail {

// How the decode stage asks for a file with this header to be decoded.
DecodeOptions decode_options_for(const SourceInfo& header, const DecodePolicy& policy) {
  DecodeOptions decode_options = policy.shared;
  // --keep-icc keeps the pixels in their own colour space only where the
  // profile can travel with them (every output format); else they become sRGB.
  decode_options.to_srgb =
      !(policy.keep_icc &&
        std::all_of(policy.formats.begin(), policy.formats.end(), [&](OutputFormat f) {
          return holds_metadata(choose_output_format(f, header.format));
        }));
  if (!policy.sizes.empty()) {
    // Shrink on load only as far as the largest output allows.
    Size upright{header.width, header.height};
    if (policy.shared.auto_orient && swaps_sides(header.orientation)) {
      std::swap(upright.width, upright.height);
    }
    for (const auto& box : policy.sizes) {
      // The whole image is scaled to plan.scaled before any crop: decode at least that.
      const Size target = plan_resize(upright, box, policy.spec).scaled;
      // Shrink-on-load keeps a margin (Options::shrink_margin) so the final
      // Lanczos step still has detail to work with.
      const int w = static_cast<int>(std::ceil(target.width * policy.shrink_margin));
      const int h = static_cast<int>(std::ceil(target.height * policy.shrink_margin));
      decode_options.at_least.width = std::max(decode_options.at_least.width, w);
      decode_options.at_least.height = std::max(decode_options.at_least.height, h);
    }
  }
  return decode_options;
}

namespace {

bool streams_rows(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodePolicy& policy) {
  const auto pixels =
      static_cast<std::uint64_t>(header.width) * static_cast<std::uint64_t>(header.height);
  ResizeOptions resizing;
  resizing.spec = policy.spec;
  resizing.filter = policy.filter;
  return pixels >= policy.stream_min_pixels && can_decode_rows(bytes, header) &&
         RowResizer::can_stream({header.width, header.height}, policy.sizes, resizing);
}

}  // namespace

bool streams_rows(std::span<const std::uint8_t> bytes, const DecodePolicy& policy) {
  try {
    return streams_rows(bytes, read_header(bytes), policy);
  } catch (const Error&) {
    return false;
  }
}

namespace {

bool decodes_in_pieces(std::span<const std::uint8_t> head, const SourceInfo& header,
                       const DecodePolicy& policy) {
  // With --animated, a GIF goes to the animation stage, which reads it whole.
  if (policy.animated && header.format == Format::gif) return false;
  return can_decode_in_pieces(head, header) && !streams_rows(head, header, policy);
}

}  // namespace

bool decodes_in_pieces(std::span<const std::uint8_t> bytes, const DecodePolicy& policy) {
  try {
    return decodes_in_pieces(bytes, read_header(bytes), policy);
  } catch (const Error&) {
    return false;
  }
}

bool decodes_in_pieces(InputBytes& input, const DecodePolicy& policy) {
  try {
    return decodes_in_pieces(input.head(), header_of(input), policy);
  } catch (const Error&) {
    return false;
  }
}

namespace {

// estimated_memory() for a file of `header`, of which `total` bytes are held
// (`bytes` from its start).
std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, std::uint64_t total,
                               const SourceInfo& header, const DecodePolicy& policy) {
  const auto full =
      static_cast<std::uint64_t>(header.width) * static_cast<std::uint64_t>(header.height);
  std::uint64_t pixels = full;
  if (header.format == Format::jpeg) {
    // Shrunk on load to the first of 1/8, 1/4, 1/2 that covers at_least.
    const Size at_least = decode_options_for(header, policy).at_least;
    const auto asked = static_cast<std::uint64_t>(std::max(at_least.width, 1)) *
                       static_cast<std::uint64_t>(std::max(at_least.height, 1));
    pixels = at_least.width > 0 ? std::clamp(4 * asked, full / 64, full) : full;
  }
  if (streams_rows(bytes, header, policy)) {
    // Row by row: no decoded image, only each output (BGRA, 16-bit at most)
    // and the few dozen rows the filters hold (see RowResizer).
    std::uint64_t outputs = 0;
    for (const auto& box : policy.sizes) {
      const Size scaled = plan_resize({header.width, header.height}, box, policy.spec).scaled;
      outputs +=
          static_cast<std::uint64_t>(scaled.width) * static_cast<std::uint64_t>(scaled.height) * 8;
    }
    return total + outputs + static_cast<std::uint64_t>(header.width) * 4 * 64;
  }
  // Decoded pixels (BGRA at most, as 8-bit photos nearly always are) and the
  // decoder's own buffers; the outputs are small beside them.
  total += pixels * 4 + header.coefficient_bytes;
  return total;
}

}  // namespace

std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, const DecodePolicy& policy) {
  SourceInfo header;
  try {
    header = read_header(bytes);
  } catch (const Error&) {
    return bytes.size();  // the decode stage will report it
  }
  return estimated_memory(bytes, bytes.size(), header, policy);
}

std::uint64_t estimated_memory(InputBytes& input, const DecodePolicy& policy) {
  SourceInfo header;
  try {
    header = header_of(input);
  } catch (const Error&) {
    return input.head().size();  // the decode stage will report it
  }
  return estimated_memory(input.head(), input.head().size(), header, policy);
}

}  // namespace imgflow::detail
