// AVIF (AV1, libaom) and HEIC (HEVC, x265) encoding with libheif.
//
// Quality: -q means what it means for JPEG. libheif's own 0..100 scale is far
// more generous for x265 than for JPEG (HEIC at 85 made 3.6 times the JPEG's
// bytes), so -q is mapped onto it by the table in libheif_quality(), made so
// that the mean PSNR of the 4 top-level sample photos at 800 px matches the
// JPEG's at the same -q (JPEG XL and WebP already do, within 0.4 dB). Lossless
// (AVIF and HEIC): 4:4:4 and an identity (RGB) matrix, so nothing is lost to
// YCbCr.
//
// Effort: each encoder runs single-threaded (a batch already encodes one
// image per core), at a speed chosen from measurements: bench/heif_effort.sh
// on 3 sample photos (2.5-3 MP) at q 60, one thread, totals (CPU seconds):
//   AVIF speed 4: 651197 B, 42.52 dB, 17.08 s    HEIC slow:     1279092 B, 50.04 dB, 11.26 s
//   AVIF speed 6: 652188 B, 42.34 dB,  3.85 s    HEIC medium:   1301874 B, 49.87 dB,  5.75 s
//   AVIF speed 7: 631078 B, 41.79 dB,  2.69 s    HEIC fast:     1302161 B, 49.83 dB,  5.52 s
//   AVIF speed 8: 672508 B, 41.33 dB,  1.52 s    HEIC veryfast: 1302161 B, 49.83 dB,  5.72 s
//   AVIF speed 9: 613602 B, 40.75 dB,  1.03 s
// AVIF: libheif's default speed 6. Against sharp's .avif() defaults (aom
// cpu-used 5) on 24 bench photos at 800 px (bench/formats.sh; the -q giving
// sharp's bytes within 5%; wall at load 14, sharp 76-95 s):
//   speed 7, libheif q 57: +2.3% bytes, -0.90 dB, 13-15 s (misses the 0.3 dB goal)
//   speed 6, libheif q 56: +2.2% bytes, -0.28 dB, 24-28 s
//   speed 5, libheif q 56: +0.6% bytes, +0.17 dB, 53-55 s
// (The -q table below was measured again at speed 6: AVIF's PSNR at each
// point had risen 0.6-1.3 dB above the JPEG's.)
// 8 is both larger and worse than 7. HEIC medium (x265's own
// default) halves libheif's default slow for 0.17 dB and 1.8% more bytes;
// fast and veryfast gave the same files as each other, no faster.
#include <libheif/heif.h>

#include <iterator>
#include <memory>
#include <string>

#include <opencv2/imgproc.hpp>

#include "codec/encoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

/// libaom's cpu-used (0 slowest .. 9 fastest; libheif's default 6).
constexpr int kAvifSpeed = 6;
/// x265's preset (libheif's default "slow").
constexpr const char* kHeicPreset = "medium";

// -q (1..100) on libheif's scale for `format`, by linear steps between the
// measured points: the libheif quality whose mean PSNR equals the JPEG's at
// that -q (4 sample photos at 800 px, PSNR against the resized PNG):
//   JPEG q50 36.99 dB, q70 38.80, q85 41.18, q95 44.81;
//   HEIC at libheif q20 34.95 dB, 30 37.18, 40 39.61, 50 42.04, 60 44.59, 70 47.12;
//   AVIF (speed 6) at libheif q39 36.90 dB, 51 38.88, 67 41.20, 90 44.95.
// Below 50 and above 95 the steps run to 1 and to 100.
int libheif_quality(Format format, int quality) {
  struct Point {
    int q, libheif;
  };
  static constexpr Point kHeic[] = {{1, 1}, {50, 29}, {70, 37}, {85, 46}, {95, 61}, {100, 100}};
  static constexpr Point kAvif[] = {{1, 1}, {50, 39}, {70, 51}, {85, 67}, {95, 90}, {100, 100}};
  const auto& table = format == Format::avif ? kAvif : kHeic;
  for (std::size_t i = 1; i < std::size(table); ++i) {
    const Point a = table[i - 1], b = table[i];
    if (quality <= b.q) {
      return a.libheif +
             ((quality - a.q) * (b.libheif - a.libheif) + (b.q - a.q) / 2) / (b.q - a.q);
    }
  }
  return 100;
}

void check(const heif_error& error, const char* what) {
  if (error.code != heif_error_Ok) {
    throw Error(ErrorCode::encode_error, std::string(what) + ": " + error.message);
  }
}

struct ContextFree {
  void operator()(heif_context* context) const { heif_context_free(context); }
};
struct EncoderRelease {
  void operator()(heif_encoder* encoder) const { heif_encoder_release(encoder); }
};
struct ImageRelease {
  void operator()(heif_image* image) const { heif_image_release(image); }
};
struct EncodingOptionsFree {
  void operator()(heif_encoding_options* options) const { heif_encoding_options_free(options); }
};
struct HandleRelease {
  void operator()(heif_image_handle* handle) const { heif_image_handle_release(handle); }
};
struct NclxFree {
  void operator()(heif_color_profile_nclx* nclx) const { heif_nclx_color_profile_free(nclx); }
};

heif_error append(heif_context*, const void* data, size_t size, void* user) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(user);
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out->insert(out->end(), bytes, bytes + size);
  return {heif_error_Ok, heif_suberror_Unspecified, "ok"};
}

// 8-bit BGR or BGRA (gray becomes BGR) as a libheif interleaved RGB(A) image.
std::unique_ptr<heif_image, ImageRelease> rgb_image(const cv::Mat& pixels, const char* what) {
  cv::Mat rgb;
  const bool alpha = pixels.channels() == 4;
  cv::cvtColor(pixels, rgb,
               alpha                    ? cv::COLOR_BGRA2RGBA
               : pixels.channels() == 1 ? cv::COLOR_GRAY2RGB
                                        : cv::COLOR_BGR2RGB);
  heif_image* created = nullptr;
  check(heif_image_create(rgb.cols, rgb.rows, heif_colorspace_RGB,
                          alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
                          &created),
        what);
  std::unique_ptr<heif_image, ImageRelease> image(created);
  check(heif_image_add_plane(created, heif_channel_interleaved, rgb.cols, rgb.rows, 8), what);
  int stride = 0;
  std::uint8_t* plane = heif_image_get_plane(created, heif_channel_interleaved, &stride);
  if (!plane) throw Error(ErrorCode::encode_error, std::string(what) + ": no image plane");
  rgb.copyTo(cv::Mat(rgb.rows, rgb.cols, rgb.type(), plane, static_cast<std::size_t>(stride)));
  return image;
}

}  // namespace

std::vector<std::uint8_t> encode_heif(const cv::Mat& pixels, const EncodeOptions& settings) {
  const Format format = settings.format;
  const int quality = settings.quality;
  const bool lossless = settings.lossless;
  const bool avif = format == Format::avif;
  const char* what = avif ? "avif" : "heif";
  if (pixels.depth() != CV_8U || pixels.channels() == 2 || pixels.channels() > 4) {
    throw Error(ErrorCode::encode_error, std::string(what) + ": needs 8-bit gray, BGR or BGRA");
  }
  const std::unique_ptr<heif_context, ContextFree> context(heif_context_alloc());
  if (!context) throw Error(ErrorCode::encode_error, std::string(what) + ": out of memory");
  heif_encoder* found = nullptr;
  check(heif_context_get_encoder_for_format(
            context.get(), avif ? heif_compression_AV1 : heif_compression_HEVC, &found),
        what);
  const std::unique_ptr<heif_encoder, EncoderRelease> encoder(found);
  if (avif) {
    check(heif_encoder_set_parameter_integer(found, "speed", kAvifSpeed), what);
    check(heif_encoder_set_parameter_integer(found, "threads", 1), what);
  } else {
    check(heif_encoder_set_parameter_string(found, "preset", kHeicPreset), what);
    // x265's own thread pool would start one thread per core for every image.
    check(heif_encoder_set_parameter_string(found, "x265:pools", "none"), what);
    check(heif_encoder_set_parameter_string(found, "x265:frame-threads", "1"), what);
  }

  const std::unique_ptr<heif_encoding_options, EncodingOptionsFree> options(
      heif_encoding_options_alloc());
  const std::unique_ptr<heif_color_profile_nclx, NclxFree> nclx(heif_nclx_color_profile_alloc());
  if (!options || !nclx)
    throw Error(ErrorCode::encode_error, std::string(what) + ": out of memory");
  // sRGB, full range; YCbCr by BT.601 (what decoders assume), or RGB itself when lossless.
  nclx->color_primaries = heif_color_primaries_ITU_R_BT_709_5;
  nclx->transfer_characteristics = heif_transfer_characteristic_IEC_61966_2_1;
  nclx->matrix_coefficients =
      lossless ? heif_matrix_coefficients_RGB_GBR : heif_matrix_coefficients_ITU_R_BT_601_6;
  nclx->full_range_flag = 1;
  options->output_nclx_profile = nclx.get();
  if (lossless) {
    check(heif_encoder_set_lossless(found, 1), what);
    check(heif_encoder_set_parameter_string(found, "chroma", "444"), what);
  } else {
    check(heif_encoder_set_lossy_quality(found, libheif_quality(format, quality)), what);
  }

  const auto image = rgb_image(pixels, what);
  if (!settings.icc.empty()) {
    check(heif_image_set_raw_color_profile(image.get(), "prof", settings.icc.data(),
                                           settings.icc.size()),
          what);
  }
  heif_image_handle* encoded = nullptr;
  check(heif_context_encode_image(context.get(), image.get(), found, options.get(), &encoded),
        what);
  const std::unique_ptr<heif_image_handle, HandleRelease> handle(encoded);
  // libheif finds the TIFF header in the block and writes the offset to it
  // that HEIF's Exif item starts with.
  if (!settings.exif.empty()) {
    check(heif_context_add_exif_metadata(context.get(), encoded, settings.exif.data(),
                                         static_cast<int>(settings.exif.size())),
          what);
  }
  if (!settings.xmp.empty()) {
    check(heif_context_add_XMP_metadata(context.get(), encoded, settings.xmp.data(),
                                        static_cast<int>(settings.xmp.size())),
          what);
  }
  std::vector<std::uint8_t> out;
  heif_writer writer{1, append};
  check(heif_context_write(context.get(), &writer, &out), what);
  return out;
}

}  // namespace imgflow::detail
