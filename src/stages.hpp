// Internal: the CPU stages of the flow graph, as small functions on typed data.
// Each may throw imgflow::Error; the graph turns that into a failed file.
#pragma once

#include <vector>

#include "file_job.hpp"
#include "imgflow/options.hpp"

namespace imgflow::detail {

/// The resize settings of a run.
ResizeOptions resize_options(const Options& options);

/// decode: encoded bytes → pixels, shrunk on load to no smaller than the
/// largest output needs.
Image decode_stage(std::span<const std::uint8_t> bytes, const Options& options);

/// The memory a file will need while it is in flight (its bytes, decoded
/// pixels, the decoder's own buffers), estimated from its header, for
/// --max-memory. Never throws: an unreadable header counts as the file's size.
std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, const Options& options);

/// resize: one image per requested size (or the image itself when no size).
std::vector<cv::Mat> resize_stage(const Image& image, const Options& options);

/// encode: each resized image to bytes, with its final output path; `decoded`
/// supplies the source format and the metadata to keep (its pixels are not used).
std::vector<EncodedOutput> encode_stage(const std::vector<cv::Mat>& images,
                                        const PlannedFile& planned, const Image& decoded,
                                        const Options& options);

}  // namespace imgflow::detail
