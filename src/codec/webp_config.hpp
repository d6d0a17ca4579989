// Internal: the libwebp encoder settings that still and animated WebP outputs
// share (webp_encode.cpp, webp_encode_animated.cpp).
#pragma once

#include <webp/encode.h>

namespace imgflow::detail {

/// libwebp's default preset at `quality`, or lossless at quality 70: the
/// settings of its simple API (WebPEncodeBGR, WebPEncodeLosslessBGR), so
/// outputs are the same as through that API. False if libwebp refuses them.
inline bool webp_config(int quality, bool lossless, WebPConfig& config) {
  if (!WebPConfigPreset(&config, WEBP_PRESET_DEFAULT,
                        lossless ? 70.0F : static_cast<float>(quality))) {
    return false;
  }
  config.lossless = lossless ? 1 : 0;
  return true;
}

}  // namespace imgflow::detail
