// imgflow's HEVC decoder plugin for libheif, on libde265 (as libheif's own
// plugin is). What it adds: (1) when the caller will shrink the image a lot,
// libde265's in-loop filters (deblocking and SAO) are skipped, which the
// shrink averages away (bench/results/formats.md); (2) the file's --timeout
// deadline is checked before each picture (a grid HEIC's tiles are pictures
// of their own) and after each slice, so a file with thousands of tiles stops
// at its limit. It decodes on the calling thread (no libde265 worker thread:
// each file already has a core of its own).
#include "codec/hevc_decoder.hpp"

#include <libde265/de265.h>
#include <libheif/heif.h>
#include <libheif/heif_plugin.h>

#include <cstdint>
#include <cstring>

#include "core/deadline.hpp"

namespace imgflow::detail {
namespace {

// libheif keeps the message pointers it is handed: static strings only.
constexpr const char* kOk = "Success";
constexpr const char* kTimedOut = "stopped at the file's time limit (--timeout)";
constexpr const char* kCutNal = "HEVC data cut inside a NAL unit";
constexpr const char* kNoPicture = "libde265 decoded no picture";
constexpr const char* kNoMemory = "libde265: out of memory";
constexpr const char* kPlanes = "HEVC planes of different bit depths";
constexpr const char* kPlaneSize = "HEVC plane of no size";

constexpr int kPriority = 200;  // libheif's libde265 plugin says 100

struct Decoder {
  de265_decoder_context* context = nullptr;
};

heif_error ok() {
  return {heif_error_Ok, heif_suberror_Unspecified, kOk};
}
heif_error plugin_error(const char* message) {
  return {heif_error_Decoder_plugin_error, heif_suberror_Unspecified, message};
}

// True (and noted) once the thread's deadline has passed.
bool past_deadline() {
  if (!thread_deadline().passed()) return false;
  hevc_decode_settings().timed_out = true;
  return true;
}

const char* plugin_name() {
  return "imgflow libde265 HEVC decoder";
}
void init_plugin() {
  de265_init();
}
void deinit_plugin() {
  de265_free();
}
int supports(heif_compression_format format) {
  return format == heif_compression_HEVC ? kPriority : 0;
}

heif_error new_decoder(void** out) {
  if (past_deadline()) return plugin_error(kTimedOut);
  auto* decoder = new Decoder;
  decoder->context = de265_new_decoder();
  if (!decoder->context) {
    delete decoder;
    return {heif_error_Memory_allocation_error, heif_suberror_Unspecified, kNoMemory};
  }
  if (hevc_decode_settings().skip_filters) {
    de265_set_parameter_bool(decoder->context, DE265_DECODER_PARAM_DISABLE_DEBLOCKING, 1);
    de265_set_parameter_bool(decoder->context, DE265_DECODER_PARAM_DISABLE_SAO, 1);
  }
  *out = decoder;
  return ok();
}

void free_decoder(void* raw) {
  auto* decoder = static_cast<Decoder*>(raw);
  de265_free_decoder(decoder->context);
  delete decoder;
}

void set_strict_decoding(void*, int) {}

// libheif hands over NAL units, each after its 4-byte big-endian size.
heif_error push_data(void* raw, const void* data, std::size_t size) {
  auto* decoder = static_cast<Decoder*>(raw);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::size_t at = 0;
  while (at < size) {
    if (size - at < 4) return {heif_error_Decoder_plugin_error, heif_suberror_End_of_data, kCutNal};
    const std::uint32_t nal = (std::uint32_t{bytes[at]} << 24) |
                              (std::uint32_t{bytes[at + 1]} << 16) |
                              (std::uint32_t{bytes[at + 2]} << 8) | bytes[at + 3];
    at += 4;
    if (nal > size - at)
      return {heif_error_Decoder_plugin_error, heif_suberror_End_of_data, kCutNal};
    de265_push_NAL(decoder->context, bytes + at, static_cast<int>(nal), 0, nullptr);
    at += nal;
  }
  return ok();
}

// The picture's planes copied into a new heif_image (YCbCr or monochrome).
heif_error to_heif_image(const de265_image* picture, heif_image** out) {
  const auto chroma = de265_get_chroma_format(picture);
  const bool mono = chroma == de265_chroma_mono;
  const int bits = de265_get_bits_per_pixel(picture, 0);
  heif_image* image = nullptr;
  // de265_chroma and heif_chroma number mono, 4:2:0, 4:2:2 and 4:4:4 alike.
  heif_error error =
      heif_image_create(de265_get_image_width(picture, 0), de265_get_image_height(picture, 0),
                        mono ? heif_colorspace_monochrome : heif_colorspace_YCbCr,
                        static_cast<heif_chroma>(chroma), &image);
  if (error.code != heif_error_Ok) return error;
  const heif_channel channels[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
  for (int c = 0; c < (mono ? 1 : 3); ++c) {
    const int width = de265_get_image_width(picture, c);
    const int height = de265_get_image_height(picture, c);
    if (de265_get_bits_per_pixel(picture, c) != bits) {
      heif_image_release(image);
      return {heif_error_Unsupported_feature, heif_suberror_Unsupported_color_conversion, kPlanes};
    }
    if (width <= 0 || height <= 0) {
      heif_image_release(image);
      return {heif_error_Decoder_plugin_error, heif_suberror_Invalid_image_size, kPlaneSize};
    }
    error = heif_image_add_plane(image, channels[c], width, height, bits);
    if (error.code != heif_error_Ok) {
      heif_image_release(image);
      return error;
    }
    int from_stride = 0, to_stride = 0;
    const std::uint8_t* from = de265_get_image_plane(picture, c, &from_stride);
    std::uint8_t* to = heif_image_get_plane(image, channels[c], &to_stride);
    const auto row = static_cast<std::size_t>(width) * static_cast<std::size_t>((bits + 7) / 8);
    for (int y = 0; y < height; ++y) {
      std::memcpy(to + static_cast<std::ptrdiff_t>(y) * to_stride,
                  from + static_cast<std::ptrdiff_t>(y) * from_stride, row);
    }
  }
  // The colour the bitstream's VUI describes (libheif prefers a colr box).
  heif_color_profile_nclx* nclx = heif_nclx_color_profile_alloc();
  if (nclx) {
    heif_nclx_color_profile_set_color_primaries(
        nclx, static_cast<std::uint16_t>(de265_get_image_colour_primaries(picture)));
    heif_nclx_color_profile_set_transfer_characteristics(
        nclx, static_cast<std::uint16_t>(de265_get_image_transfer_characteristics(picture)));
    heif_nclx_color_profile_set_matrix_coefficients(
        nclx, static_cast<std::uint16_t>(de265_get_image_matrix_coefficients(picture)));
    nclx->full_range_flag = static_cast<std::uint8_t>(de265_get_image_full_range_flag(picture));
    heif_image_set_nclx_color_profile(image, nclx);
    heif_nclx_color_profile_free(nclx);
  }
  *out = image;
  return ok();
}

// Decodes what was pushed; the last picture is the image (as libheif's
// plugin does).
heif_error decode_image(void* raw, heif_image** out) {
  auto* decoder = static_cast<Decoder*>(raw);
  *out = nullptr;
  de265_flush_data(decoder->context);
  int more = 1;
  while (more) {
    if (past_deadline()) break;
    more = 0;
    if (de265_decode(decoder->context, &more) != DE265_OK) break;
    if (const de265_image* picture = de265_get_next_picture(decoder->context)) {
      if (*out) heif_image_release(*out);
      *out = nullptr;
      const heif_error error = to_heif_image(picture, out);
      de265_release_next_picture(decoder->context);
      if (error.code != heif_error_Ok) return error;
    }
  }
  if (hevc_decode_settings().timed_out) {
    if (*out) heif_image_release(*out);
    *out = nullptr;
    return plugin_error(kTimedOut);
  }
  return *out ? ok() : plugin_error(kNoPicture);
}

const heif_decoder_plugin kPlugin = {3,
                                     plugin_name,
                                     init_plugin,
                                     deinit_plugin,
                                     supports,
                                     new_decoder,
                                     free_decoder,
                                     push_data,
                                     decode_image,
                                     set_strict_decoding,
                                     "imgflow-libde265"};

}  // namespace

HevcDecodeSettings& hevc_decode_settings() noexcept {
  thread_local HevcDecodeSettings settings;
  return settings;
}

void register_hevc_decoder() {
  static const bool registered = [] {
    // libheif's own plugins first (heif_init is counted; never undone here),
    // so ours joins them rather than being dropped by a later lazy init.
    heif_init(nullptr);
    return heif_register_decoder_plugin(&kPlugin).code == heif_error_Ok;
  }();
  (void)registered;
}

}  // namespace imgflow::detail
