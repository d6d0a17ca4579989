// Internal: imgflow's own HEVC decoder for libheif (libde265 underneath), so
// HEIC decoding can skip libde265's in-loop filters when the image will be
// shrunk a lot, and stop at the file's --timeout deadline between pictures.
#pragma once

namespace imgflow::detail {

/// Registers the decoder with libheif, ahead of libheif's own libde265
/// plugin. Thread-safe; only the first call does anything. Call it before
/// any libheif decode.
void register_hevc_decoder();

/// How HEVC pictures decoded on this thread are decoded (libheif calls the
/// decoder on the thread of heif_decode_image when a context has no decoding
/// threads, as ours do).
struct HevcDecodeSettings {
  /// Skip deblocking and SAO: faster, slightly blockier pixels.
  bool skip_filters = false;
  /// Set by the decoder when it stopped because the thread's deadline passed.
  bool timed_out = false;
};

/// The calling thread's settings.
HevcDecodeSettings& hevc_decode_settings() noexcept;

/// Sets the calling thread's settings for one decode and restores the
/// previous ones on exit.
class HevcDecodeScope {
 public:
  explicit HevcDecodeScope(bool skip_filters) noexcept : saved_(hevc_decode_settings()) {
    hevc_decode_settings() = HevcDecodeSettings{skip_filters, false};
  }
  ~HevcDecodeScope() { hevc_decode_settings() = saved_; }
  HevcDecodeScope(const HevcDecodeScope&) = delete;
  HevcDecodeScope& operator=(const HevcDecodeScope&) = delete;

 private:
  HevcDecodeSettings saved_;
};

}  // namespace imgflow::detail
