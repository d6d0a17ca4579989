// Internal: the CPU stages of the flow graph, as small functions on typed data.
// Each may throw imgflow::Error; the graph turns that into a failed file.
#pragma once

#include <vector>

#include "imgflow/options.hpp"
#include "pipeline/file_job.hpp"

namespace imgflow::detail {

/// The resize settings of a run.
ResizeOptions resize_options(const Options& options);

/// decode: encoded bytes → pixels, shrunk on load to no smaller than the
/// largest output needs.
Image decode_stage(std::span<const std::uint8_t> bytes, const Options& options);

/// resize: one image per requested size (or the image itself when no size).
std::vector<cv::Mat> resize_stage(const Image& image, const Options& options);

/// encode: each resized image to bytes, with its final output path; `decoded`
/// supplies the source format and the metadata to keep (its pixels are not used).
std::vector<EncodedOutput> encode_stage(const std::vector<cv::Mat>& images,
                                        const PlannedFile& planned, const Image& decoded,
                                        const Options& options);

}  // namespace imgflow::detail
