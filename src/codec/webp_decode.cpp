// WebP decoding with libwebp, straight into BGR(A). When the caller will
// shrink the image (DecodeOptions::at_least well below the stored size), the
// decoder skips VP8's in-loop deblocking filter: on the bench's 100 WebP
// photos that cut decoding by 18%, and the images, shrunk to 800 px, stayed
// 58.7 dB from those of a filtered decode (the block edges it smooths are
// averaged away by the shrink). libwebp's own rescaler (use_scaling) was
// slower than a full decode (+2%) and further from it (45 dB), so it is not
// used. The ICC profile (VP8X files) is read with libwebp's demuxer, or, from
// a file read in pieces, from the ICCP chunk that follows the VP8X header.
//
// A still image goes through libwebp's incremental decoder, fed in steps of
// kWebpStepBytes: the file's deadline (--timeout) is checked between steps,
// and a file read in pieces is fed from the file. Only a lossy image without
// alpha is read in pieces: libwebp's incremental decoder drops the bytes it
// has decoded only there (one token partition, as every encoder writes by
// default); lossless data and lossy data behind an ALPH chunk it keeps whole,
// growing its buffer by a copy at every step, which would cost more than
// reading the file whole. Animations are read whole (webp_decode_frames.cpp).
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <memory>
#include <string>

#include "codec/animation.hpp"
#include "codec/decoders.hpp"
#include "core/deadline.hpp"
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

// RIFF header (12 bytes) and VP8X chunk (8 + 10): the ICCP chunk, if any, follows.
constexpr std::size_t kIccChunkOffset = 30;

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
         (std::uint32_t(p[3]) << 24);
}

// The ICCP chunk of a file read in pieces (the chunk is read through `input`,
// whatever its size; it cannot be larger than the file).
std::vector<std::uint8_t> read_icc(InputBytes& input) {
  if (!has_icc_chunk(input.head())) return {};
  std::uint8_t chunk_header[8];
  if (input.read(kIccChunkOffset, chunk_header, 8) != 8 ||
      !std::equal(chunk_header, chunk_header + 4, "ICCP")) {
    return {};
  }
  const std::uint32_t size = le32(chunk_header + 4);
  if (size > input.size()) return {};
  std::vector<std::uint8_t> icc(size);
  if (input.read(kIccChunkOffset + 8, icc.data(), icc.size()) != icc.size()) return {};
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

// How many bytes libwebp's incremental decoder is given at a time: between
// steps the deadline is checked. A 256 KiB step of a lossy photo decodes in
// about 10 ms.
constexpr std::size_t kWebpStepBytes = 256 * 1024;

struct IDecoderDelete {
  void operator()(WebPIDecoder* decoder) const { WebPIDelete(decoder); }
};

// Reads the features of a still image into `config` (throws on an animation
// or unreadable header) and sets up the output: BGR(A) into `pixels`.
void prepare_still(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                   WebPDecoderConfig& config, cv::Mat& pixels, Image& image) {
  if (!WebPInitDecoderConfig(&config)) {
    throw Error(ErrorCode::decode_error, "webp: library version mismatch");
  }
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &config.input);
  if (status != VP8_STATUS_OK) throw_webp_error(status);
  image.source = {Format::webp, config.input.width, config.input.height};
  check_pixel_limit(image.source, options.max_pixels);
  if (config.input.has_animation) return;
  config.options.bypass_filtering =
      shrinks_enough(config.input.width, config.input.height, options.at_least) ? 1 : 0;
  const bool alpha = config.input.has_alpha != 0;
  pixels.create(config.input.height, config.input.width, alpha ? CV_8UC4 : CV_8UC3);
  config.output.colorspace = alpha ? MODE_BGRA : MODE_BGR;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = pixels.data;
  config.output.u.RGBA.stride = static_cast<int>(pixels.step);
  config.output.u.RGBA.size = pixels.step * static_cast<std::size_t>(pixels.rows);
}

// Decodes with libwebp's incremental decoder, giving it the next step of the
// file through `feed(decoder, status)` (false: the file has no more bytes)
// until the image is done; checks the deadline between steps. A file that
// ends before the image is done is decoded once more by WebPDecode from
// `whole()` (its bytes, read whole if they were in pieces): the incremental
// decoder waits for more data where WebPDecode tells a file cut short
// (truncated-input) from damaged data (corrupt-input), so the errors are
// WebPDecode's. Bad files only pay that second decode (not stopped inside
// by --timeout: it is checked before it).
template <typename Feed, typename Whole>
void decode_in_steps(WebPDecoderConfig& config, Feed&& feed, Whole&& whole) {
  {
    const std::unique_ptr<WebPIDecoder, IDecoderDelete> decoder(WebPIDecode(nullptr, 0, &config));
    if (!decoder) throw Error(ErrorCode::decode_error, "webp: out of memory");
    for (;;) {
      VP8StatusCode status = VP8_STATUS_SUSPENDED;
      if (!feed(decoder.get(), status)) break;
      if (status == VP8_STATUS_OK) {
        WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
        return;
      }
      if (status != VP8_STATUS_SUSPENDED) throw_webp_error(status);
      check_deadline("webp decode");
    }
  }
  check_deadline("webp decode");
  const std::span<const std::uint8_t> bytes = whole();
  const VP8StatusCode status = WebPDecode(bytes.data(), bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (status != VP8_STATUS_OK) throw_webp_error(status);
}

}  // namespace

Image decode_webp(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && bytes.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input, "webp data ends early");
  }
  WebPDecoderConfig config;
  cv::Mat pixels;
  Image image;
  prepare_still(bytes, options, config, pixels, image);
  if (config.input.has_animation) {
    image = decode_webp_first_frame(bytes, options);
    image.icc = read_icc(bytes);
    return image;
  }
  // The bytes stay ours (libwebp's "map" mode): each step shows it more of them.
  std::size_t given = 0;
  decode_in_steps(
      config,
      [&](WebPIDecoder* decoder, VP8StatusCode& status) {
        if (given == bytes.size()) return false;
        given += std::min(kWebpStepBytes, bytes.size() - given);
        status = WebPIUpdate(decoder, bytes.data(), given);
        return true;
      },
      [&] { return bytes; });
  image.pixels = std::move(pixels);
  image.icc = read_icc(bytes);
  return image;
}

bool webp_decodes_in_pieces(std::span<const std::uint8_t> head) {
  WebPBitstreamFeatures features;
  return WebPGetFeatures(head.data(), head.size(), &features) == VP8_STATUS_OK &&
         !features.has_animation && !features.has_alpha && features.format == 1;
}

Image decode_webp_in_pieces(InputBytes& input, const SourceInfo& header,
                            const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  if (header.declared_bytes != 0 && input.size() < header.declared_bytes) {
    throw Error(ErrorCode::truncated_input, "webp data ends early");
  }
  if (!webp_decodes_in_pieces(input.head())) {
    throw Error(ErrorCode::decode_error, "this webp cannot be decoded in pieces");
  }
  WebPDecoderConfig config;
  cv::Mat pixels;
  Image image;
  prepare_still(input.head(), options, config, pixels, image);
  // libwebp copies each step into its own buffer ("append" mode) and drops
  // what it has decoded.
  std::vector<std::uint8_t> step(kWebpStepBytes);
  std::uint64_t offset = 0;
  decode_in_steps(
      config,
      [&](WebPIDecoder* decoder, VP8StatusCode& status) {
        const std::size_t got = input.read(offset, step.data(), step.size());
        if (got == 0) return false;
        offset += got;
        status = WebPIAppend(decoder, step.data(), got);
        return true;
      },
      [&] {
        input.read_rest();
        return input.bytes();
      });
  image.pixels = std::move(pixels);
  image.icc = read_icc(input);
  return image;
}

}  // namespace imgflow::detail
