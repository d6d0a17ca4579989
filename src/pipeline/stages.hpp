// Internal: the CPU stages of the flow graph, as small functions on typed data,
// each given only its own settings (see run_settings.hpp). Each may throw
// imgflow::Error; the graph turns that into a failed file.
#pragma once

#include <vector>

#include "pipeline/file_job.hpp"
#include "pipeline/run_settings.hpp"

namespace imgflow::detail {

/// decode: encoded bytes → pixels, shrunk on load to no smaller than the
/// largest output needs.
Image decode_stage(std::span<const std::uint8_t> bytes, const DecodePolicy& policy);

/// decode_stage for a file decodes_in_pieces() accepts: `input` may be in
/// pieces, and is read through once (twice for a progressive JPEG that
/// libjpeg warned about), never whole.
Image decode_stage(InputBytes& input, const DecodePolicy& policy);

/// decode and resize in one pass, for a file streams_rows() accepts: each row
/// goes from the PNG decoder straight into the resizer, so the full-size image
/// never exists, and a file read in pieces is read once, in order, without
/// holding what was consumed. Returns what resize_stage would; `decoded` gets
/// what decode_stage would, but no pixels.
std::vector<cv::Mat> decode_resize_stage(InputBytes& input, const DecodePolicy& policy,
                                         const ResizeSettings& settings, Image& decoded);

/// resize: one image per requested size (or the image itself when no size).
std::vector<cv::Mat> resize_stage(const Image& image, const ResizeSettings& settings);

/// How `recipe`'s output of `decoded`, `output` pixels in size, is encoded:
/// the recipe's settings, the format it asks for given the source's, and the
/// metadata the run keeps (edited for that output).
EncodeOptions encoding_for(const OutputRecipe& recipe, const Image& decoded,
                           const OutputRecipes& outputs, Size output);

/// encode: each resized image to bytes, with its final output path; `decoded`
/// supplies the source format and the metadata to keep (its pixels are not used).
/// `animated` (an animation's, per recipe): bytes already encoded, moved into
/// the outputs whose entry is not empty.
std::vector<EncodedOutput> encode_stage(const std::vector<cv::Mat>& images,
                                        const PlannedFile& planned, const Image& decoded,
                                        const OutputRecipes& outputs,
                                        std::span<std::vector<std::uint8_t>> animated = {});

}  // namespace imgflow::detail
