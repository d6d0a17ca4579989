// Internal: how the run decodes each file (shrink-on-load target, 16-bit,
// colour, orientation, limits), and what that costs in memory.
#pragma once

#include <cstdint>
#include <span>

#include "core/input_bytes.hpp"
#include "imgflow/decode.hpp"
#include "pipeline/run_settings.hpp"

namespace imgflow::detail {

/// How the decode stage asks for a file with this header to be decoded.
DecodeOptions decode_options_for(const SourceInfo& header, const DecodePolicy& policy);

/// True if the decode stage hands this file's rows straight to the resizer
/// (decode_resize_stage) instead of decoding it whole: a non-interlaced PNG of
/// at least policy.stream_min_pixels whose every output RowResizer can make.
/// Never throws: false for an unreadable header.
bool streams_rows(std::span<const std::uint8_t> bytes, const DecodePolicy& policy);

/// True if the decode stage decodes this file from its pieces without
/// reading it whole (decode_in_pieces): a JPEG that does not stream rows, a
/// TIFF, JPEG XL, HEIF or AVIF, a still lossy WebP without alpha, an
/// interlaced PNG, or a GIF unless animations are decoded (--animated: the
/// animation stage reads it whole).
/// Never throws: false for an unreadable header (or one past the head).
bool decodes_in_pieces(std::span<const std::uint8_t> bytes, const DecodePolicy& policy);

/// decodes_in_pieces() for a file opened by InputBytes: its header read
/// through it where the head does not hold it (a TIFF's directory after the
/// pixels, a HEIF/AVIF: header_of()), so such files are decoded in pieces too.
bool decodes_in_pieces(InputBytes& input, const DecodePolicy& policy);

/// The memory a file will need while it is in flight (its bytes, decoded
/// pixels, the decoder's own buffers), estimated from its header, for
/// --max-memory. Never throws: an unreadable header counts as the file's size.
std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, const DecodePolicy& policy);

/// estimated_memory() for a file opened by InputBytes: the bytes held (all,
/// or the head of a file in pieces) and the pixels its header (header_of())
/// declares.
std::uint64_t estimated_memory(InputBytes& input, const DecodePolicy& policy);

}  // namespace imgflow::detail
