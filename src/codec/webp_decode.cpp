// WebP decoding with libwebp, straight into BGR(A). When the caller will
// shrink the image (DecodeOptions::at_least well below the stored size), the
// decoder skips VP8's in-loop deblocking filter: on the bench's 100 WebP
// photos that cut decoding by 18%, and the images, shrunk to 800 px, stayed
// 58.7 dB from those of a filtered decode (the block edges it smooths are
// averaged away by the shrink). libwebp's own rescaler (use_scaling) was
// slower than a full decode (+2%) and further from it (45 dB), so it is not
// used. The ICC profile (VP8X files) is read with libwebp's demuxer.
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <string>

#include "codec/animation.hpp"
#include "codec/decoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// The extended (VP8X) header's flag for an ICCP chunk.
constexpr std::uint8_t kVp8xIccFlag = 0x20;

bool has_icc_chunk(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 21 && std::equal(bytes.begin() + 12, bytes.begin() + 16, "VP8X") &&
         (bytes[20] & kVp8xIccFlag) != 0;
}

std::vector<std::uint8_t> read_icc(std::span<const std::uint8_t> bytes) {
  if (!has_icc_chunk(bytes)) return {};
  const WebPData data{bytes.data(), bytes.size()};
  WebPDemuxer* demux = WebPDemux(&data);
  if (!demux) return {};
  std::vector<std::uint8_t> icc;
  WebPChunkIterator chunk;
  if (WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) {
    icc.assign(chunk.chunk.bytes, chunk.chunk.bytes + chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  WebPDemuxDelete(demux);
  return icc;
}

// Whether the output will be so much smaller that deblocking cannot show.
bool shrinks_enough(int width, int height, Size at_least) {
  return at_least.width > 0 && at_least.height > 0 && 4L * at_least.width <= 3L * width &&
         4L * at_least.height <= 3L * height;
}

[[noreturn]] void throw_webp_error(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
      throw Error(ErrorCode::truncated_input, "webp data ends early");
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      throw Error(ErrorCode::unsupported_format, "webp: unsupported feature (animation?)");
    case VP8_STATUS_OUT_OF_MEMORY:
      throw Error(ErrorCode::decode_error, "webp: out of memory");
    default:
      throw Error(ErrorCode::corrupt_input,
                  "webp data could not be decoded (status " + std::to_string(status) + ")");
  }
}

}  // namespace

Image decode_webp(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && bytes.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input, "webp data ends early");
  }
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) {
    throw Error(ErrorCode::decode_error, "webp: library version mismatch");
  }
  VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &config.input);
  if (status != VP8_STATUS_OK) throw_webp_error(status);
  Image image;
  image.source = {Format::webp, config.input.width, config.input.height};
  check_pixel_limit(image.source, options.max_pixels);
  if (config.input.has_animation) {
    image = decode_webp_first_frame(bytes, options);
    image.icc = read_icc(bytes);
    return image;
  }

  config.options.bypass_filtering =
      shrinks_enough(config.input.width, config.input.height, options.at_least) ? 1 : 0;
  const bool alpha = config.input.has_alpha != 0;
  cv::Mat pixels(config.input.height, config.input.width, alpha ? CV_8UC4 : CV_8UC3);
  config.output.colorspace = alpha ? MODE_BGRA : MODE_BGR;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = pixels.data;
  config.output.u.RGBA.stride = static_cast<int>(pixels.step);
  config.output.u.RGBA.size = pixels.step * static_cast<std::size_t>(pixels.rows);
  status = WebPDecode(bytes.data(), bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
  if (status != VP8_STATUS_OK) throw_webp_error(status);
  image.pixels = std::move(pixels);
  image.icc = read_icc(bytes);
  return image;
}

}  // namespace imgflow::detail
