// Animated WebP encoding with libwebp's WebPAnimEncoder (libwebpmux): each
// frame is encoded as it is added, as the rectangle that changed since the
// previous one (or a key frame where that is smaller), with the still WebP's
// settings.
#include <webp/encode.h>
#include <webp/mux.h>

#include <cstdint>
#include <string>

#include <opencv2/imgproc.hpp>

#include "codec/animation.hpp"
#include "codec/webp_config.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

[[noreturn]] void throw_encoder_error(const WebPAnimEncoder* encoder, const char* step) {
  const char* why =
      encoder ? WebPAnimEncoderGetError(const_cast<WebPAnimEncoder*>(encoder)) : nullptr;
  throw Error(ErrorCode::encode_error,
              std::string("animated webp: ") + step + (why && *why ? std::string(": ") + why : ""));
}

// libwebp takes a timestamp as an int and allows it to wrap around: what
// counts is the difference between two, which a frame's duration bounds.
int wrapped(std::int64_t milliseconds) {
  return static_cast<int>(static_cast<std::uint32_t>(milliseconds & 0xFFFFFFFF));
}

}  // namespace

void AnimatedWebpEncoder::Deleter::operator()(WebPAnimEncoder* encoder) const noexcept {
  WebPAnimEncoderDelete(encoder);
}

AnimatedWebpEncoder::AnimatedWebpEncoder(int quality, bool lossless, int loop_count)
    : quality_(quality), lossless_(lossless), loop_count_(loop_count) {}
AnimatedWebpEncoder::~AnimatedWebpEncoder() = default;
AnimatedWebpEncoder::AnimatedWebpEncoder(AnimatedWebpEncoder&&) noexcept = default;
AnimatedWebpEncoder& AnimatedWebpEncoder::operator=(AnimatedWebpEncoder&&) noexcept = default;

void AnimatedWebpEncoder::add(const cv::Mat& frame, int duration_ms) {
  if (frame.depth() != CV_8U || frame.channels() == 2 || frame.channels() > 4) {
    throw Error(ErrorCode::encode_error, "animated webp: needs 8-bit gray, BGR or BGRA frames");
  }
  if (!encoder_) {
    size_ = frame.size();
    WebPAnimEncoderOptions options;
    if (!WebPAnimEncoderOptionsInit(&options)) throw_encoder_error(nullptr, "library mismatch");
    options.anim_params.loop_count = loop_count_;
    encoder_.reset(WebPAnimEncoderNew(size_.width, size_.height, &options));
    if (!encoder_) throw_encoder_error(nullptr, "cannot start (canvas too large?)");
  } else if (frame.size() != size_) {
    throw Error(ErrorCode::encode_error, "animated webp: frames of different sizes");
  }
  cv::Mat colour = frame;
  if (frame.channels() == 1) cv::cvtColor(frame, colour, cv::COLOR_GRAY2BGR);
  // The still WebP's settings (webp_encode.cpp): libwebp's default preset at
  // `quality`, or lossless at its default effort.
  WebPConfig config;
  if (!webp_config(quality_, lossless_, config)) {
    throw_encoder_error(nullptr, "cannot set up the encoder");
  }
  WebPPicture picture;
  if (!WebPPictureInit(&picture)) throw_encoder_error(nullptr, "library mismatch");
  picture.use_argb = 1;  // what WebPAnimEncoder works in
  picture.width = colour.cols;
  picture.height = colour.rows;
  const int stride = static_cast<int>(colour.step);
  const bool imported = colour.channels() == 4
                            ? WebPPictureImportBGRA(&picture, colour.data, stride)
                            : WebPPictureImportBGR(&picture, colour.data, stride);
  const bool added =
      imported && WebPAnimEncoderAdd(encoder_.get(), &picture, wrapped(timestamp_ms_), &config);
  WebPPictureFree(&picture);
  if (!added) throw_encoder_error(encoder_.get(), "cannot add a frame");
  timestamp_ms_ += duration_ms;
  // WebPAnimEncoderAdd has no progress hook: the deadline is checked per frame.
  check_deadline("webp encode");
}

std::vector<std::uint8_t> AnimatedWebpEncoder::finish() {
  if (!encoder_) throw Error(ErrorCode::encode_error, "animated webp: no frames");
  // A last, empty frame gives the one before it its duration.
  if (!WebPAnimEncoderAdd(encoder_.get(), nullptr, wrapped(timestamp_ms_), nullptr)) {
    throw_encoder_error(encoder_.get(), "cannot end the animation");
  }
  WebPData data;
  WebPDataInit(&data);
  if (!WebPAnimEncoderAssemble(encoder_.get(), &data)) {
    throw_encoder_error(encoder_.get(), "cannot assemble");
  }
  std::vector<std::uint8_t> out(data.bytes, data.bytes + data.size);
  WebPDataClear(&data);
  encoder_.reset();
  return out;
}

}  // namespace imgflow::detail
