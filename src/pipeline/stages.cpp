#include "pipeline/stages.hpp"

#include <algorithm>
#include <cmath>

#include "codec/decoders.hpp"
#include "imgflow/error.hpp"
#include "pipeline/decode_policy.hpp"

namespace imgflow::detail {

ResizeOptions resize_options(const Options& options) {
  ResizeOptions r;
  r.spec = {options.fit, options.gravity, options.enlarge};
  r.filter = options.filter;
  r.background = options.background;
  return r;
}

Image decode_stage(std::span<const std::uint8_t> bytes, const Options& options) {
  const SourceInfo header = read_header(bytes);
  return decode_with_header(bytes, header, decode_options_for(header, options));
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
