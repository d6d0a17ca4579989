// HEIF (HEIC) and AVIF decoding with libheif: the primary image, upright.
//
// Orientation: libheif applies the file's own transforms (irot, imir, clap)
// itself, and MIAF says an EXIF orientation inside a HEIF is informational
// only (an iPhone HEIC carries both an irot box and EXIF orientation 6 for
// the same turn), so the header reports orientation 1 and the EXIF tag is
// never applied: nothing is turned twice. --no-rotate asks libheif to skip
// its transforms instead.
//
// Colour: an ICC profile (colr 'prof' or 'rICC') goes to Image::icc, so the
// common colour management converts it to sRGB. libheif turns YCbCr into RGB
// by the nclx matrix itself. nclx primaries other than BT.709's (or
// unspecified: taken as sRGB) become an ICC profile of those primaries with
// the sRGB tone curve (Display P3 and BT.2020 with sRGB or BT.709 transfer
// are then right); PQ and HLG (HDR) transfers are not tone-mapped, with a
// warning.
//
// Depth: 10- and 12-bit images become 8-bit, or 16-bit (scaled to the full
// range) with DecodeOptions::keep_16bit.
#include <libheif/heif.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "codec/heif_boxes.hpp"
#include "codec/hevc_decoder.hpp"
#include "core/byte_order.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// True if the top-level boxes run past the end of `input`: the file was cut
// (libheif then reports whatever it missed, e.g. "no meta box" or a
// decoder error for a cut mdat). Reads only the box headers.
bool boxes_cut_short(InputBytes& input) {
  const std::uint64_t end = input.size();
  std::uint64_t at = 0;
  std::array<std::uint8_t, 16> head{};
  while (end - at >= 8) {
    if (input.read(at, head.data(), 16) < std::min<std::uint64_t>(16, end - at)) return true;
    std::uint64_t size = be32(head, 0);
    if (size == 0) return false;  // to the end of the file
    if (size == 1) {              // a 64-bit size follows the type
      if (end - at < 16) return true;
      size = (std::uint64_t{be32(head, 8)} << 32) | be32(head, 12);
    }
    if (size < 8) return false;  // damage, not a cut
    if (size > end - at) return true;
    at += size;
  }
  return at != end;
}

[[noreturn]] void throw_heif_error(const heif_error& error, InputBytes& bytes, Format format) {
  const std::string what = std::string(format_name(format)) + ": " + error.message;
  const bool security_limit = error.subcode == heif_suberror_Security_limit_exceeded;
  // libheif's limits share one code; only its image-size one is about pixels
  // (the others count boxes, items, extents...: damage or hostility).
  const bool too_large =
      security_limit && std::string_view(error.message).find("image size") != std::string::npos;
  if (!security_limit && (error.subcode == heif_suberror_End_of_data || boxes_cut_short(bytes))) {
    throw Error(ErrorCode::truncated_input, what);
  }
  switch (error.code) {
    case heif_error_Invalid_input:
      throw Error(ErrorCode::corrupt_input, what);
    case heif_error_Unsupported_filetype:
    case heif_error_Decoder_plugin_error:
      throw Error(ErrorCode::corrupt_input, what);
    case heif_error_Unsupported_feature:
      throw Error(ErrorCode::unsupported_format, what);
    case heif_error_Memory_allocation_error:
      throw Error(too_large        ? ErrorCode::too_many_pixels
                  : security_limit ? ErrorCode::corrupt_input
                                   : ErrorCode::decode_error,
                  what);
    default:
      throw Error(ErrorCode::decode_error, what);
  }
}

struct ContextFree {
  void operator()(heif_context* context) const { heif_context_free(context); }
};
struct HandleRelease {
  void operator()(const heif_image_handle* handle) const { heif_image_handle_release(handle); }
};
struct ImageRelease {
  void operator()(const heif_image* image) const { heif_image_release(image); }
};
struct DecodingOptionsFree {
  void operator()(heif_decoding_options* options) const { heif_decoding_options_free(options); }
};
struct NclxFree {
  void operator()(heif_color_profile_nclx* nclx) const { heif_nclx_color_profile_free(nclx); }
};
using HandlePtr = std::unique_ptr<heif_image_handle, HandleRelease>;

// A file read in pieces, as libheif's reader: libheif reads the boxes it
// parses and each item's data when it is decoded, through InputBytes::read.
struct PiecesReader {
  InputBytes* input = nullptr;
  std::uint64_t at = 0;
  std::unique_ptr<Error> failed;  ///< a failed read (read-error), thrown after libheif returns

  static int64_t position(void* self) { return static_cast<int64_t>(of(self).at); }
  static int read(void* out, std::size_t n, void* self) {
    PiecesReader& r = of(self);
    std::size_t got = 0;
    try {
      got = r.input->read(r.at, static_cast<std::uint8_t*>(out), n);
    } catch (const Error& e) {
      if (!r.failed) r.failed = std::make_unique<Error>(e);
    }
    r.at += got;
    return got == n ? 0 : 1;
  }
  static int seek(int64_t position, void* self) {
    PiecesReader& r = of(self);
    if (position < 0 || static_cast<std::uint64_t>(position) > r.input->size()) return 1;
    r.at = static_cast<std::uint64_t>(position);
    return 0;
  }
  static heif_reader_grow_status wait_for_file_size(int64_t size, void* self) {
    return size >= 0 && static_cast<std::uint64_t>(size) <= of(self).input->size()
               ? heif_reader_grow_status_size_reached
               : heif_reader_grow_status_size_beyond_eof;
  }
  static PiecesReader& of(void* self) { return *static_cast<PiecesReader*>(self); }
};

const heif_reader kPiecesReader = {1, PiecesReader::position, PiecesReader::read,
                                   PiecesReader::seek, PiecesReader::wait_for_file_size};

// A parsed file (its boxes, no pixels) and its primary image. `input` must
// outlive it: libheif reads it in place (whole) or through it (in pieces).
class HeifFile {
 public:
  HeifFile(InputBytes& input, Format format)
      : format_(format),
        input_(input),
        // Before libheif parses anything (the header, decode and metadata
        // paths all come through here): too-complex past kMaxHeifItems items
        // and the other limits of heif_boxes.hpp, corrupt-input for a cycle
        // or a derived image made from what is not an image.
        canvas_(check_heif_items(input, format)),
        context_((register_hevc_decoder(), heif_context_alloc())) {
    if (!context_) throw Error(ErrorCode::decode_error, "libheif: out of memory");
    // One file per thread already keeps every core busy: no tile threads.
    heif_context_set_max_decoding_threads(context_.get(), 0);
    if (input.whole()) {
      check(heif_context_read_from_memory_without_copy(context_.get(), input.head().data(),
                                                       input.head().size(), nullptr));
    } else {
      reader_.input = &input;
      check(heif_context_read_from_reader(context_.get(), &kPiecesReader, &reader_, nullptr));
    }
    heif_image_handle* handle = nullptr;
    check(heif_context_get_primary_image_handle(context_.get(), &handle));
    primary_.reset(handle);
    // libheif 1.15 allocates a grid's or an overlay's canvas as its
    // description asks (up to 32767 x 32767, four planes: 4.2 GB) whatever
    // the image's ispe says, which is what --max-pixels and the memory
    // estimate were held to: no canvas may be larger than the image.
    const SourceInfo declared = info(false);
    if (canvas_.width * canvas_.height >
        static_cast<std::uint64_t>(std::max(declared.width, 0)) *
            static_cast<std::uint64_t>(std::max(declared.height, 0))) {
      throw Error(ErrorCode::corrupt_input,
                  std::string(format_name(format)) + " derived image " +
                      std::to_string(canvas_.item) + " has a canvas of " +
                      std::to_string(canvas_.width) + "x" + std::to_string(canvas_.height) +
                      ", larger than the image's " + std::to_string(declared.width) + "x" +
                      std::to_string(declared.height));
    }
  }

  /// Throws for a libheif error (a failed read of a file in pieces first).
  void check(const heif_error& error) {
    if (error.code == heif_error_Ok) return;
    if (reader_.failed) throw *reader_.failed;
    throw_heif_error(error, input_, format_);
  }

  Format format() const { return format_; }
  const heif_image_handle* primary() const { return primary_.get(); }

  /// The primary image's size after its transforms (upright), or as stored.
  SourceInfo info(bool transformed) const {
    const auto* h = primary_.get();
    return transformed ? SourceInfo{format_, heif_image_handle_get_width(h),
                                    heif_image_handle_get_height(h)}
                       : SourceInfo{format_, heif_image_handle_get_ispe_width(h),
                                    heif_image_handle_get_ispe_height(h)};
  }

  /// The smallest thumbnail at least `at_least` (upright) on both sides, with
  /// the primary's alpha and shape; null if there is none.
  HandlePtr thumbnail_for(Size at_least) const {
    const auto* h = primary_.get();
    const int count = heif_image_handle_get_number_of_thumbnails(h);
    if (at_least.width <= 0 || at_least.height <= 0 || count <= 0) return nullptr;
    std::vector<heif_item_id> ids(static_cast<std::size_t>(std::min(count, 16)));
    heif_image_handle_get_list_of_thumbnail_IDs(h, ids.data(), static_cast<int>(ids.size()));
    const long width = heif_image_handle_get_width(h), height = heif_image_handle_get_height(h);
    HandlePtr best;
    for (const auto id : ids) {
      heif_image_handle* thumb = nullptr;
      if (heif_image_handle_get_thumbnail(h, id, &thumb).code != heif_error_Ok) continue;
      HandlePtr candidate(thumb);
      const long w = heif_image_handle_get_width(thumb), t_h = heif_image_handle_get_height(thumb);
      // Same shape within a pixel of rounding, so the caller's geometry holds.
      const bool same_shape = std::abs(w * height - t_h * width) <= std::max(width, height);
      if (w < at_least.width || t_h < at_least.height || w >= width || !same_shape ||
          heif_image_handle_has_alpha_channel(thumb) != heif_image_handle_has_alpha_channel(h)) {
        continue;
      }
      if (!best || w < heif_image_handle_get_width(best.get())) best = std::move(candidate);
    }
    return best;
  }

 private:
  Format format_;
  InputBytes& input_;
  PiecesReader reader_;  ///< before context_: libheif reads through it until freed
  HeifCanvas canvas_;    ///< the largest grid or overlay canvas (heif_boxes.hpp)
  std::unique_ptr<heif_context, ContextFree> context_;
  HandlePtr primary_;
};

// Whether the output will be so much smaller than the image that HEVC's
// in-loop filters (deblocking, SAO) cannot show: `at_least` at most half the
// image on both sides (with the default --shrink-margin 1.25, outputs of at
// most 0.4 of it). On the bench's 24 HEICs shrunk to 800 px, JPEG q 85, the
// outputs stayed >= 59.5 dB from those of a filtered decode and their mean
// luma PSNR against the source JPEGs did not move (44.996 dB either way);
// imgflow's CPU time on them fell by 10% (bench/results/formats.md).
bool skips_filters(int width, int height, Size at_least) {
  return at_least.width > 0 && at_least.height > 0 && 2L * at_least.width <= width &&
         2L * at_least.height <= height;
}

// Interleaved RGB(A), 8 or 16 bits a sample, as BGR(A) we own; deeper
// samples scaled from `bits` to 16 or down to 8.
cv::Mat to_bgr(const heif_image* image, bool alpha, int bits, bool keep_16bit) {
  int stride = 0;
  const std::uint8_t* plane =
      heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
  const int width = heif_image_get_width(image, heif_channel_interleaved);
  const int height = heif_image_get_height(image, heif_channel_interleaved);
  if (!plane || width <= 0 || height <= 0) {
    throw Error(ErrorCode::decode_error, "libheif returned no pixels");
  }
  const int channels = alpha ? 4 : 3;
  const bool deep = bits > 8;
  const cv::Mat rgb(height, width, CV_MAKETYPE(deep ? CV_16U : CV_8U, channels),
                    const_cast<std::uint8_t*>(plane), static_cast<std::size_t>(stride));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
  if (deep) {
    const double max = static_cast<double>((1 << bits) - 1);
    bgr.convertTo(bgr, keep_16bit ? CV_16U : CV_8U, (keep_16bit ? 65535.0 : 255.0) / max);
  }
  return bgr;
}

// The colour an nclx box describes, as an ICC profile in `image` (none for
// sRGB), or a warning where it cannot be converted.
void nclx_colour(const heif_image_handle* handle, Image& image) {
  heif_color_profile_nclx* found = nullptr;
  const heif_error error = heif_image_handle_get_nclx_color_profile(handle, &found);
  // libheif may hand out a profile with an error (none in the file): free it either way.
  const std::unique_ptr<heif_color_profile_nclx, NclxFree> nclx(found);
  if (error.code != heif_error_Ok || !nclx) return;
  const int transfer = nclx->transfer_characteristics;
  if (transfer == heif_transfer_characteristic_ITU_R_BT_2100_0_PQ ||
      transfer == heif_transfer_characteristic_ITU_R_BT_2100_0_HLG) {
    image.warnings.push_back("heif: HDR transfer (nclx " + std::to_string(transfer) +
                             ") is not tone-mapped");
  }
  const int primaries = nclx->color_primaries;
  if (primaries == heif_color_primaries_ITU_R_BT_709_5 ||
      primaries == heif_color_primaries_unspecified) {
    return;
  }
  const RgbPrimaries xy{nclx->color_primary_red_x,   nclx->color_primary_red_y,
                        nclx->color_primary_green_x, nclx->color_primary_green_y,
                        nclx->color_primary_blue_x,  nclx->color_primary_blue_y,
                        nclx->color_primary_white_x, nclx->color_primary_white_y};
  image.icc = rgb_profile(xy);
  if (image.icc.empty()) {
    image.warnings.push_back("heif: nclx colour primaries " + std::to_string(primaries) +
                             " not converted (pixels taken as sRGB)");
  }
}

}  // namespace

void read_heif_metadata(std::span<const std::uint8_t> bytes, Format format, Image& image) {
  InputBytes input = InputBytes::view(bytes);
  const HeifFile file(input, format);
  const heif_image_handle* handle = file.primary();
  const int count = heif_image_handle_get_number_of_metadata_blocks(handle, nullptr);
  if (count <= 0) return;
  std::vector<heif_item_id> ids(static_cast<std::size_t>(count));
  heif_image_handle_get_list_of_metadata_block_IDs(handle, nullptr, ids.data(), count);
  for (const heif_item_id id : ids) {
    const std::string type = heif_image_handle_get_metadata_type(handle, id);
    const std::string content = heif_image_handle_get_metadata_content_type(handle, id);
    const bool exif = type == "Exif" && image.exif.empty();
    const bool xmp = type == "mime" && content == "application/rdf+xml" && image.xmp.empty();
    const std::size_t size = heif_image_handle_get_metadata_size(handle, id);
    if ((!exif && !xmp) || size == 0 || size > kMaxMetadataBytes) continue;
    std::vector<std::uint8_t> data(size);
    if (heif_image_handle_get_metadata(handle, id, data.data()).code != heif_error_Ok) continue;
    if (xmp) {
      image.xmp = std::move(data);
      continue;
    }
    // An Exif item starts with the offset of the TIFF header after these 4 bytes.
    if (size < 4) continue;
    const std::uint32_t offset = (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                                 (std::uint32_t{data[2]} << 8) | data[3];
    if (offset < size - 4) image.exif.assign(data.begin() + 4 + offset, data.end());
  }
}

SourceInfo read_heif_header(std::span<const std::uint8_t> bytes, Format format) {
  InputBytes input = InputBytes::view(bytes);
  return read_heif_header(input, format);
}

SourceInfo read_heif_header(InputBytes& input, Format format) {
  const HeifFile file(input, format);
  const SourceInfo info = file.info(true);
  if (info.width <= 0 || info.height <= 0) {
    throw Error(ErrorCode::corrupt_input, std::string(format_name(format)) + " declares no size");
  }
  return info;
}

Image decode_heif(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options) {
  InputBytes input = InputBytes::view(bytes);
  return decode_heif(input, header, options);
}

Image decode_heif(InputBytes& input, const SourceInfo& header, const DecodeOptions& options) {
  HeifFile file(input, header.format);
  Image image;
  image.source = file.info(options.auto_orient);
  // Before any pixel: the sizes libheif will allocate for.
  check_pixel_limit(file.info(true), options.max_pixels);
  check_pixel_limit(file.info(false), options.max_pixels);

  const HandlePtr thumbnail = options.auto_orient ? file.thumbnail_for(options.at_least) : nullptr;
  const heif_image_handle* handle = thumbnail ? thumbnail.get() : file.primary();
  const bool alpha = heif_image_handle_has_alpha_channel(handle) != 0;
  const int bits = std::max(8, heif_image_handle_get_luma_bits_per_pixel(handle));
  const bool deep = bits > 8 && options.keep_16bit;

  std::unique_ptr<heif_decoding_options, DecodingOptionsFree> decoding(
      heif_decoding_options_alloc());
  if (!decoding) throw Error(ErrorCode::decode_error, "libheif: out of memory");
  decoding->ignore_transformations = options.auto_orient ? 0 : 1;
  decoding->convert_hdr_to_8bit = deep ? 0 : 1;
  const heif_chroma chroma =
      deep ? (alpha ? heif_chroma_interleaved_RRGGBBAA_LE : heif_chroma_interleaved_RRGGBB_LE)
           : (alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB);
  heif_image* decoded = nullptr;
  {
    const HevcDecodeScope hevc(skips_filters(heif_image_handle_get_width(handle),
                                             heif_image_handle_get_height(handle),
                                             options.at_least));
    const heif_error error =
        heif_decode_image(handle, &decoded, heif_colorspace_RGB, chroma, decoding.get());
    if (error.code != heif_error_Ok && hevc_decode_settings().timed_out) {
      throw timed_out_error("HEIF decode");
    }
    file.check(error);
  }
  const std::unique_ptr<heif_image, ImageRelease> pixels(decoded);
  const int stored_bits =
      deep ? heif_image_get_bits_per_pixel_range(decoded, heif_channel_interleaved) : 8;
  image.pixels = to_bgr(decoded, alpha, stored_bits, options.keep_16bit);
  // The boxes' size is what the caller planned with (and what the limit
  // checked); a coded image of another size is damage. (Untransformed, the
  // size is the coded image's own: libheif 1.15 reports the turned size as
  // the ispe of a rotated file it wrote itself, so ispe is no yardstick.)
  if (options.auto_orient) {
    const int width = heif_image_handle_get_width(handle);
    const int height = heif_image_handle_get_height(handle);
    if (image.pixels.cols != width || image.pixels.rows != height) {
      throw Error(ErrorCode::corrupt_input,
                  std::string(format_name(header.format)) + ": coded image is " +
                      std::to_string(image.pixels.cols) + "x" + std::to_string(image.pixels.rows) +
                      ", boxes say " + std::to_string(width) + "x" + std::to_string(height));
    }
  } else {
    image.source = {header.format, image.pixels.cols, image.pixels.rows};
    check_pixel_limit(image.source, options.max_pixels);
  }

  const std::size_t icc_size = heif_image_handle_get_raw_color_profile_size(file.primary());
  if (icc_size > 0) {
    image.icc.resize(icc_size);
    file.check(heif_image_handle_get_raw_color_profile(file.primary(), image.icc.data()));
  } else {
    nclx_colour(file.primary(), image);
  }
  return image;
}

}  // namespace imgflow::detail
