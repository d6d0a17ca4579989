// Internal: how the run decodes each file (shrink-on-load target, 16-bit,
// colour, orientation, limits), and what that costs in memory.
#pragma once

#include <cstdint>
#include <span>

#include "imgflow/decode.hpp"
#include "pipeline/run_settings.hpp"

namespace imgflow::detail {

/// How the decode stage asks for a file with this header to be decoded.
DecodeOptions decode_options_for(const SourceInfo& header, const DecodePolicy& policy);

/// The memory a file will need while it is in flight (its bytes, decoded
/// pixels, the decoder's own buffers), estimated from its header, for
/// --max-memory. Never throws: an unreadable header counts as the file's size.
std::uint64_t estimated_memory(std::span<const std::uint8_t> bytes, const DecodePolicy& policy);

}  // namespace imgflow::detail
