// Internal: animated GIF and WebP, frame by frame. The decoders hand each
// frame, composited onto the whole canvas, to a callback as soon as it is
// drawn, so a long animation never lies in memory decoded; AnimatedWebpEncoder
// takes the frames one at a time the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/decode.hpp"

struct WebPAnimEncoder;  // libwebp's, <webp/mux.h>

namespace imgflow::detail {

/// What an animated GIF or WebP declares, from its blocks or chunks alone
/// (no pixel decoded).
struct AnimationInfo {
  Format format = Format::unknown;  ///< gif or webp
  int width = 0;                    ///< the canvas (GIF: the logical screen)
  int height = 0;
  std::uint64_t frames = 0;  ///< frames found, including one the data ends inside
  /// How many times it plays, WebP's way: 0 = forever. A GIF's NETSCAPE2.0
  /// count n repeats it n more times (n + 1 plays, as browsers play it; 0 =
  /// forever); a GIF without one plays once.
  int loop_count = 0;
  bool truncated = false;  ///< the data ends inside a frame or a block
};

/// The animation `bytes` hold (read_header's `header`), if it is a GIF or WebP
/// of more than one frame; nullopt for any other file, and for a GIF or WebP
/// of one frame. Never decodes a pixel. Throws imgflow::Error only for a GIF
/// or WebP too damaged to tell.
std::optional<AnimationInfo> read_animation_info(std::span<const std::uint8_t> bytes,
                                                 const SourceInfo& header);

/// Receives each frame: the whole canvas as it shows at that frame (8-bit
/// BGRA, valid only during the call) and how long it shows, in milliseconds.
using FrameSink = std::function<void(const cv::Mat& canvas, int duration_ms)>;

/// Decodes every frame of `info`'s animation in order, composited as a
/// browser shows it (GIF disposal methods 0-3, transparency; WebP blending and
/// disposal, its ICC profile converted to sRGB), into `sink`. Before any
/// pixel: throws too-many-pixels if canvas × frames exceeds
/// options.max_pixels, too-complex beyond options.max_frames frames, and
/// truncated-input for data that ends inside a frame (no frame is given then).
/// Checks the calling thread's deadline (--timeout) every frame.
void decode_animation(std::span<const std::uint8_t> bytes, const AnimationInfo& info,
                      const DecodeOptions& options, const FrameSink& sink);

/// The first frame of an animated WebP (libwebp's still decoder refuses
/// them), as decode_webp gives a still: BGRA if it has alpha, else BGR.
Image decode_webp_first_frame(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

// Per format, behind the two functions above (gif_decode_frames.cpp,
// webp_decode_frames.cpp).
AnimationInfo read_gif_animation(std::span<const std::uint8_t> bytes);
void decode_gif_frames(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                       const FrameSink& sink);
std::optional<AnimationInfo> read_webp_animation(std::span<const std::uint8_t> bytes);
void decode_webp_frames(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                        const FrameSink& sink);

/// An animated WebP built one frame at a time with libwebp's WebPAnimEncoder,
/// which encodes each frame as it is added (only the changed rectangle, as
/// a key frame now and then) and keeps only the encoded bytes and a few
/// canvases. Lossy at `quality` (the still WebP's scale), or lossless.
/// Consecutive identical frames become one frame (their durations summed).
class AnimatedWebpEncoder {
 public:
  /// `loop_count`: plays, 0 = forever.
  AnimatedWebpEncoder(int quality, bool lossless, int loop_count);
  ~AnimatedWebpEncoder();
  AnimatedWebpEncoder(AnimatedWebpEncoder&&) noexcept;
  AnimatedWebpEncoder& operator=(AnimatedWebpEncoder&&) noexcept;

  /// Adds a frame of 8-bit gray, BGR or BGRA pixels shown for `duration_ms`;
  /// every frame must have the first one's size. Throws encode-error, and
  /// timed-out once the calling thread's deadline has passed.
  void add(const cv::Mat& frame, int duration_ms);

  /// The animated WebP of the frames added. Throws encode-error.
  std::vector<std::uint8_t> finish();

 private:
  struct Deleter {
    void operator()(WebPAnimEncoder* encoder) const noexcept;
  };
  std::unique_ptr<WebPAnimEncoder, Deleter> encoder_;
  int quality_;
  bool lossless_;
  int loop_count_;
  cv::Size size_;
  std::int64_t timestamp_ms_ = 0;  ///< where the next frame starts
};

}  // namespace imgflow::detail
