// Internal: the name tables of the encoder's named settings (JPEG chroma
// subsampling, TIFF compression). parse_chroma_444 and parse_tiff_compression
// parse from them; the CLI shows them as the choices in its help.
#pragma once

#include <span>

#include "core/name_list.hpp"
#include "imgflow/encode.hpp"

namespace imgflow::detail {

/// "420" → false, "444" → true (EncodeOptions::chroma_444).
std::span<const Named<bool>> chroma_names() noexcept;
std::span<const Named<TiffCompression>> tiff_compression_names() noexcept;

}  // namespace imgflow::detail
