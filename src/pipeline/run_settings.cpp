#include "pipeline/run_settings.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>

namespace imgflow::detail {

DecodePolicy::DecodePolicy(const Options& options)
    : sizes(options.sizes),
      spec{options.fit, options.gravity, options.enlarge},
      shrink_margin(options.shrink_margin),
      keep_icc(options.keep_icc),
      formats(options.formats),
      filter(options.filter),
      animated(options.animated) {
  shared.max_pixels = options.max_pixels;
  shared.max_scans = options.max_scans;
  shared.max_frames = options.max_frames;
  shared.auto_orient = options.auto_orient;
  shared.allow_truncated = options.allow_truncated;
  shared.progressive_bits = options.progressive_bits;
  shared.read_metadata = options.keep_metadata || options.strip_gps;
  // 16-bit samples survive only into formats that can hold them.
  shared.keep_16bit = std::any_of(formats.begin(), formats.end(), [](OutputFormat f) {
    return f == OutputFormat::keep || f == OutputFormat::png || f == OutputFormat::tiff;
  });
}

ResizeSettings::ResizeSettings(const Options& options) : sizes(options.sizes) {
  resizing.spec = {options.fit, options.gravity, options.enlarge};
  resizing.filter = options.filter;
  resizing.background = options.background;
}

bool holds_metadata(Format format) {
  return format == Format::jpeg || format == Format::png || format == Format::webp ||
         format == Format::avif || format == Format::heif || format == Format::jxl ||
         format == Format::tiff;
}

OutputRecipes::OutputRecipes(const Options& options)
    : embed_icc(options.keep_icc || options.keep_metadata || options.strip_gps),
      embed_metadata(options.keep_metadata || options.strip_gps),
      strip_location(options.strip_gps),
      auto_orient(options.auto_orient),
      naming(options) {
  EncodeOptions encoding;
  encoding.quality = options.quality;
  encoding.background = options.background;
  encoding.progressive = options.progressive;
  encoding.chroma_444 = options.chroma_444;
  encoding.png_compression = options.png_compression;
  encoding.lossless = options.lossless;
  encoding.tiff_compression = options.tiff_compression;
  for (const auto& spec : output_specs(options)) recipes.push_back({spec, encoding});
}

ReadSettings::ReadSettings(const Options& options)
    : max_file_bytes(options.max_file_bytes),
      skip_existing(options.skip_existing),
      naming(options) {
  if (const char* value = std::getenv("IMGFLOW_READ_IN_PIECES_ABOVE"); value && *value) {
    std::uint64_t parsed = 0;
    const std::string_view text(value);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec == std::errc() && end == text.data() + text.size()) pieces_above = parsed;
  }
  // Metadata is read from the whole file (a PNG's eXIf or iTXt may follow its
  // pixels), so with --keep-metadata every file is read whole.
  if (options.keep_metadata || options.strip_gps) pieces_above = 0;
}

}  // namespace imgflow::detail
