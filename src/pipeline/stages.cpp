#include "pipeline/stages.hpp"

#include "codec/decoders.hpp"
#include "codec/metadata.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/row_handoff.hpp"
#include "resize/resize_rows.hpp"

namespace imgflow::detail {

Image decode_stage(std::span<const std::uint8_t> bytes, const DecodePolicy& policy) {
  const SourceInfo header = read_header(bytes);
  return decode_with_header(bytes, header, decode_options_for(header, policy));
}

Image decode_stage(InputBytes& input, const DecodePolicy& policy) {
  const SourceInfo header = header_of(input);
  return decode_in_pieces(input, header, decode_options_for(header, policy));
}

std::vector<cv::Mat> decode_resize_stage(InputBytes& input, const DecodePolicy& policy,
                                         const ResizeSettings& settings, Image& decoded) {
  const SourceInfo header = read_header(input.head());
  RowResizer resizer(settings.sizes, settings.resizing, {header.width, header.height});
  // The decoder inflates on this thread while the resizer works on another core.
  RowHandoff handoff(resizer);
  decoded = decode_rows(input, header, decode_options_for(header, policy), handoff);
  handoff.finish();
  return resizer.finish();
}

std::vector<cv::Mat> resize_stage(const Image& image, const ResizeSettings& settings) {
  if (settings.sizes.empty()) return {image.pixels};
  std::vector<cv::Mat> out;
  out.reserve(settings.sizes.size());
  const Size source{image.source.width, image.source.height};
  for (const auto& box : settings.sizes) {
    // Between sizes: cv::resize (most filters) has no loop of ours inside.
    check_deadline("resize");
    out.push_back(resize(image.pixels, box, settings.resizing, source));
  }
  return out;
}

EncodeOptions encoding_for(const OutputRecipe& recipe, const Image& decoded,
                           const OutputRecipes& outputs, Size output) {
  EncodeOptions encoding = recipe.encoding;
  encoding.format =
      choose_output_format(recipe.spec.format, decoded.source.format, outputs.naming.animated);
  if (!holds_metadata(encoding.format)) return encoding;
  if (outputs.embed_icc) encoding.icc = decoded.icc;
  if (outputs.embed_metadata) {
    // Upright pixels need no turning; kept as stored (--no-rotate), they
    // still need the source's.
    const MetadataEdit edit{outputs.auto_orient ? 1 : decoded.source.orientation, output.width,
                            output.height, outputs.strip_location};
    encoding.exif = exif_for_output(decoded.exif, edit);
    encoding.xmp = xmp_for_output(decoded.xmp, edit);
  }
  return encoding;
}

std::vector<EncodedOutput> encode_stage(const std::vector<cv::Mat>& images,
                                        const PlannedFile& planned, const Image& decoded,
                                        const OutputRecipes& outputs,
                                        std::span<std::vector<std::uint8_t>> animated) {
  std::vector<EncodedOutput> out;
  const auto expected = expected_outputs(planned, outputs.naming);  // claimed when listed
  for (const auto& recipe : outputs.recipes) {
    const cv::Mat& image = images.at(recipe.spec.size_index);
    const EncodeOptions encoding = encoding_for(recipe, decoded, outputs, {image.cols, image.rows});
    EncodedOutput encoded;
    encoded.path = output_path(planned, outputs.naming, recipe.spec, encoding.format,
                               {image.cols, image.rows});
    const auto& listed = expected.at(out.size());
    encoded.claimed = listed && *listed == encoded.path;
    encoded.width = image.cols;
    encoded.height = image.rows;
    if (const std::size_t index = out.size(); index < animated.size() && !animated[index].empty()) {
      encoded.bytes = std::move(animated[index]);
    } else {
      check_deadline("encode");  // between outputs: libheif's encoders cannot be stopped
      encoded.bytes = encode(image, encoding);
    }
    out.push_back(std::move(encoded));
  }
  return out;
}

}  // namespace imgflow::detail
