#include "stages.hpp"

#include <algorithm>
#include <cmath>

#include "decoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

ResizeOptions resize_options(const Options& options) {
  ResizeOptions r;
  r.spec = {options.fit, options.gravity, options.enlarge};
  r.filter = options.filter;
  r.background = options.background;
  return r;
}

namespace {

// How the decode stage asks for a file with this header to be decoded.
DecodeOptions decode_options_for(const SourceInfo& header, const Options& options) {
  DecodeOptions decode_options;
  decode_options.max_pixels = options.max_pixels;
  decode_options.auto_orient = options.auto_orient;
  decode_options.allow_truncated = options.allow_truncated;
  decode_options.progressive_bits = options.progressive_bits;
  // 16-bit samples survive only into formats that can hold them.
  decode_options.keep_16bit =
      std::any_of(options.formats.begin(), options.formats.end(), [](OutputFormat f) {
        return f == OutputFormat::keep || f == OutputFormat::png || f == OutputFormat::tiff;
      });
  // --keep-icc keeps the pixels in their own colour space only where the
  // profile can travel with them (JPEG outputs); elsewhere they become sRGB.
  decode_options.to_srgb =
      !(options.keep_icc &&
        std::all_of(options.formats.begin(), options.formats.end(), [&](OutputFormat f) {
          return choose_output_format(f, header.format) == Format::jpeg;
        }));
  if (!options.sizes.empty()) {
    // Shrink on load only as far as the largest output allows.
    Size upright{header.width, header.height};
    if (options.auto_orient && swaps_sides(header.orientation)) {
      std::swap(upright.width, upright.height);
    }
    for (const auto& box : options.sizes) {
      // The whole image is scaled to plan.scaled before any crop: decode at least that.
      const Size target = plan_resize(upright, box, resize_options(options).spec).scaled;
      // Shrink-on-load keeps a margin (Options::shrink_margin) so the final
      // Lanczos step still has detail to work with.
      const int w = static_cast<int>(std::ceil(target.width * options.shrink_margin));
      const int h = static_cast<int>(std::ceil(target.height * options.shrink_margin));
      decode_options.at_least.width = std::max(decode_options.at_least.width, w);
      decode_options.at_least.height = std::max(decode_options.at_least.height, h);
    }
  }
  return decode_options;
}

}  // namespace

Image decode_stage(std::span<const std::uint8_t> bytes, const Options& options) {
  const SourceInfo header = read_header(bytes);
  return decode_with_header(bytes, header, decode_options_for(header, options));
}

std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, const Options& options) {
  std::uint64_t total = bytes.size();
  SourceInfo header;
  try {
    header = read_header(bytes);
  } catch (const Error&) {
    return total;  // the decode stage will report it
  }
  const auto full =
      static_cast<std::uint64_t>(header.width) * static_cast<std::uint64_t>(header.height);
  std::uint64_t pixels = full;
  if (header.format == Format::jpeg) {
    // Shrunk on load to the first of 1/8, 1/4, 1/2 that covers at_least.
    const Size at_least = decode_options_for(header, options).at_least;
    const auto asked = static_cast<std::uint64_t>(std::max(at_least.width, 1)) *
                       static_cast<std::uint64_t>(std::max(at_least.height, 1));
    pixels = at_least.width > 0 ? std::clamp(4 * asked, full / 64, full) : full;
  }
  // Decoded pixels (BGRA at most, as 8-bit photos nearly always are) and the
  // decoder's own buffers; the outputs are small beside them.
  total += pixels * 4 + header.coefficient_bytes;
  return total;
}

std::vector<cv::Mat> resize_stage(const Image& image, const Options& options) {
  if (options.sizes.empty()) return {image.pixels};
  std::vector<cv::Mat> out;
  out.reserve(options.sizes.size());
  const Size source{image.source.width, image.source.height};
  const ResizeOptions resizing = resize_options(options);
  for (const auto& box : options.sizes) out.push_back(resize(image.pixels, box, resizing, source));
  return out;
}

std::vector<EncodedOutput> encode_stage(const std::vector<cv::Mat>& images,
                                        const PlannedFile& planned, const Image& decoded,
                                        const Options& options) {
  std::vector<EncodedOutput> out;
  for (const auto& spec : output_specs(options)) {
    const cv::Mat& image = images.at(spec.size_index);
    const Format format = choose_output_format(spec.format, decoded.source.format);
    EncodedOutput encoded;
    encoded.path = output_path(planned, options, spec, format, {image.cols, image.rows});
    encoded.width = image.cols;
    encoded.height = image.rows;
    EncodeOptions encoding;
    encoding.format = format;
    encoding.quality = options.quality;
    encoding.background = options.background;
    encoding.progressive = options.progressive;
    encoding.chroma_444 = options.chroma_444;
    encoding.png_compression = options.png_compression;
    encoding.lossless = options.lossless;
    encoding.tiff_compression = options.tiff_compression;
    if (format == Format::jpeg) {
      if (options.keep_icc || options.keep_metadata) encoding.icc = decoded.icc;
      if (options.keep_metadata) encoding.exif = decoded.exif;
    }
    encoded.bytes = encode(image, encoding);
    out.push_back(std::move(encoded));
  }
  return out;
}

}  // namespace imgflow::detail
