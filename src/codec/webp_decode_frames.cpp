// Animated WebP with libwebp's WebPAnimDecoder, which composites each frame
// onto the canvas itself (blending, disposal to transparent). The frame count,
// canvas and loop count come from the demuxer, which reads only the chunks.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>
#include <string>

#include <opencv2/imgproc.hpp>

#include "codec/animation.hpp"
#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

struct DemuxDeleter {
  void operator()(WebPDemuxer* demux) const { WebPDemuxDelete(demux); }
};
struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* decoder) const { WebPAnimDecoderDelete(decoder); }
};
using AnimDecoder = std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter>;

AnimDecoder open_decoder(std::span<const std::uint8_t> bytes, WebPAnimInfo& info) {
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) {
    throw Error(ErrorCode::decode_error, "webp: library version mismatch");
  }
  options.color_mode = MODE_BGRA;
  options.use_threads = 0;
  const WebPData data{bytes.data(), bytes.size()};
  AnimDecoder decoder(WebPAnimDecoderNew(&data, &options));
  if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info)) {
    throw Error(ErrorCode::corrupt_input, "webp: the animation's chunks are damaged");
  }
  return decoder;
}

// The ICC profile's conversion to sRGB, opened if there is one to apply.
bool open_icc(const WebPAnimDecoder* decoder, SrgbConverter& converter) {
  WebPChunkIterator chunk;
  const WebPDemuxer* demux = WebPAnimDecoderGetDemuxer(decoder);
  if (!WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) return false;
  const std::span<const std::uint8_t> icc(chunk.chunk.bytes, chunk.chunk.size);
  std::string why;
  const bool opened = !is_srgb_profile(icc) && converter.open(icc, CV_8UC4, why);
  WebPDemuxReleaseChunkIterator(&chunk);
  return opened;
}

}  // namespace

std::optional<AnimationInfo> read_webp_animation(std::span<const std::uint8_t> bytes) {
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(bytes.data(), bytes.size(), &features) != VP8_STATUS_OK ||
      !features.has_animation) {
    return std::nullopt;
  }
  const WebPData data{bytes.data(), bytes.size()};
  WebPDemuxState state = WEBP_DEMUX_PARSE_ERROR;
  const std::unique_ptr<WebPDemuxer, DemuxDeleter> demux(WebPDemuxPartial(&data, &state));
  if (!demux || state == WEBP_DEMUX_PARSE_ERROR) return std::nullopt;
  AnimationInfo info;
  info.format = Format::webp;
  info.width = static_cast<int>(WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_WIDTH));
  info.height = static_cast<int>(WebPDemuxGetI(demux.get(), WEBP_FF_CANVAS_HEIGHT));
  info.frames = WebPDemuxGetI(demux.get(), WEBP_FF_FRAME_COUNT);
  info.loop_count = static_cast<int>(WebPDemuxGetI(demux.get(), WEBP_FF_LOOP_COUNT));
  info.truncated = state != WEBP_DEMUX_DONE;
  if (info.frames < 2) return std::nullopt;
  return info;
}

void decode_webp_frames(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                        const FrameSink& sink) {
  WebPAnimInfo info;
  const AnimDecoder decoder = open_decoder(bytes, info);
  SrgbConverter converter;
  const bool convert = options.to_srgb && open_icc(decoder.get(), converter);
  cv::Mat converted;
  int shown_until = 0;
  for (std::uint32_t index = 0; index < info.frame_count; ++index) {
    check_deadline("webp decode");
    std::uint8_t* pixels = nullptr;
    int timestamp = 0;  // when this frame ends, in ms from the start
    if (!WebPAnimDecoderGetNext(decoder.get(), &pixels, &timestamp)) {
      throw Error(ErrorCode::corrupt_input,
                  "webp: frame " + std::to_string(index + 1) + " could not be decoded");
    }
    // The decoder draws the next frame over this canvas: convert a copy.
    cv::Mat canvas(static_cast<int>(info.canvas_height), static_cast<int>(info.canvas_width),
                   CV_8UC4, pixels);
    if (convert) {
      canvas.copyTo(converted);
      for (int y = 0; y < converted.rows; ++y) converter.convert(converted.ptr(y), converted.cols);
      canvas = converted;
    }
    sink(canvas, timestamp - shown_until);
    shown_until = timestamp;
  }
}

Image decode_webp_first_frame(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  WebPAnimInfo info;
  const AnimDecoder decoder = open_decoder(bytes, info);
  Image image;
  image.source = {Format::webp, static_cast<int>(info.canvas_width),
                  static_cast<int>(info.canvas_height)};
  check_pixel_limit(image.source, options.max_pixels);
  std::uint8_t* pixels = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &pixels, &timestamp)) {
    throw Error(ErrorCode::corrupt_input, "webp: the first frame could not be decoded");
  }
  const cv::Mat canvas(image.source.height, image.source.width, CV_8UC4, pixels);
  cv::Mat alpha;
  cv::extractChannel(canvas, alpha, 3);
  if (cv::countNonZero(alpha == 255) == static_cast<int>(alpha.total())) {
    cv::cvtColor(canvas, image.pixels, cv::COLOR_BGRA2BGR);
  } else {
    image.pixels = canvas.clone();
  }
  return image;
}

}  // namespace imgflow::detail
