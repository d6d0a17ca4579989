// JPEG XL decoding with libjxl: the first frame (composited, as a viewer
// shows it), upright.
//
// Orientation: libjxl turns the image by the codestream's orientation field
// itself (and a JPEG XL's EXIF box, if any, must agree with it), so the
// header reports orientation 1 with the upright size, as for HEIF: nothing is
// turned twice. --no-rotate keeps the stored orientation.
//
// Colour: a lossy (XYB) image has no colour space of its own until decoded:
// it is asked for in sRGB directly. Other images come in their own space,
// whose ICC profile goes to Image::icc for the common colour management.
//
// Depth: 8-bit, or 16-bit for deeper (and float) samples with
// DecodeOptions::keep_16bit. Alpha is unpremultiplied.
//
// No shrink-on-load: libjxl 0.7 renders its progressive (1:8) pass at full
// size, so it would save decode time only, at the cost of a blurrier source.
#include <jxl/decode.h>
#include <jxl/decode_cxx.h>
#include <jxl/encode.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/decoders.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// What the header tells: the stored size and how it is turned.
struct JxlHeader {
  JxlBasicInfo info{};
  SourceInfo upright;  ///< the size after the orientation field
  SourceInfo stored;   ///< the size as coded
};

[[noreturn]] void jxl_failed(JxlDecoderStatus status) {
  if (status == JXL_DEC_NEED_MORE_INPUT) {
    throw Error(ErrorCode::truncated_input, "jxl: the file ends before the image does");
  }
  throw Error(ErrorCode::corrupt_input, "jxl: libjxl could not decode the file");
}

// A file read in pieces, handed to libjxl one piece at a time: libjxl asks
// for more (JXL_DEC_NEED_MORE_INPUT) and tells how much of the last piece it
// has not consumed yet; those bytes are kept and the next piece appended.
class JxlPieces {
 public:
  explicit JxlPieces(InputBytes& input) : input_(input) {}

  /// The next piece into `decoder`: false at the end of the file (the
  /// caller then reports the file truncated, as libjxl does for a whole one).
  bool feed(JxlDecoder* decoder) {
    const std::size_t unused = fed_ ? JxlDecoderReleaseInput(decoder) : 0;
    fed_ = true;
    if (next_ >= input_.size()) return false;
    // Between pieces: libjxl has no progress callback of its own.
    check_deadline("jxl decode");
    // (An empty buffer's data() may be null: no memmove of nothing from it.)
    if (unused > 0) {
      std::memmove(buffer_.data(), buffer_.data() + (buffer_.size() - unused), unused);
    }
    buffer_.resize(unused + InputBytes::kPieceBytes);
    const std::size_t got = input_.read(next_, buffer_.data() + unused, InputBytes::kPieceBytes);
    buffer_.resize(unused + got);
    next_ += got;
    if (got == 0) return false;  // the file shrank
    if (JxlDecoderSetInput(decoder, buffer_.data(), buffer_.size()) != JXL_DEC_SUCCESS) {
      throw Error(ErrorCode::decode_error, "libjxl: cannot take the next piece of the file");
    }
    return true;
  }

 private:
  InputBytes& input_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t next_ = 0;
  bool fed_ = false;
};

// JxlDecoderProcessInput, fed from `pieces` (null: all input is set) while
// it asks for more.
JxlDecoderStatus process(JxlDecoder* decoder, JxlPieces* pieces) {
  for (;;) {
    const JxlDecoderStatus status = JxlDecoderProcessInput(decoder);
    if (status != JXL_DEC_NEED_MORE_INPUT || !pieces || !pieces->feed(decoder)) return status;
  }
}

// A decoder over all of `bytes` (which must outlive it; none: the caller
// sets the input), for the given events.
JxlDecoderPtr open_decoder(std::span<const std::uint8_t> bytes, int events) {
  JxlDecoderPtr decoder = JxlDecoderMake(nullptr);
  if (!decoder) throw Error(ErrorCode::decode_error, "libjxl: out of memory");
  if (JxlDecoderSubscribeEvents(decoder.get(), events) != JXL_DEC_SUCCESS ||
      (!bytes.empty() &&
       JxlDecoderSetInput(decoder.get(), bytes.data(), bytes.size()) != JXL_DEC_SUCCESS)) {
    throw Error(ErrorCode::decode_error, "libjxl: cannot set up a decoder");
  }
  // The input is left open: a file that ends too soon then reads as
  // JXL_DEC_NEED_MORE_INPUT (truncated), not as a decoding error.
  return decoder;
}

// Runs `decoder` up to its basic info and reads it.
JxlHeader basic_info(JxlDecoder* decoder, JxlPieces* pieces = nullptr) {
  const JxlDecoderStatus status = process(decoder, pieces);
  if (status != JXL_DEC_BASIC_INFO) jxl_failed(status);
  JxlHeader header;
  if (JxlDecoderGetBasicInfo(decoder, &header.info) != JXL_DEC_SUCCESS) jxl_failed(JXL_DEC_ERROR);
  const auto& info = header.info;
  if (info.xsize == 0 || info.ysize == 0 || info.xsize > INT32_MAX || info.ysize > INT32_MAX) {
    throw Error(ErrorCode::corrupt_input, "jxl declares an invalid size");
  }
  const int width = static_cast<int>(info.xsize), height = static_cast<int>(info.ysize);
  header.stored = {Format::jxl, width, height};
  // Orientations 5 to 8 turn by a quarter: the sides swap.
  header.upright = info.orientation >= JXL_ORIENT_TRANSPOSE ? SourceInfo{Format::jxl, height, width}
                                                            : header.stored;
  return header;
}

// The ICC profile of the pixels the decoder hands out (empty if it has none).
std::vector<std::uint8_t> data_profile(const JxlDecoder* decoder) {
  std::size_t size = 0;
  if (JxlDecoderGetICCProfileSize(decoder, nullptr, JXL_COLOR_PROFILE_TARGET_DATA, &size) !=
          JXL_DEC_SUCCESS ||
      size == 0) {
    return {};
  }
  std::vector<std::uint8_t> icc(size);
  if (JxlDecoderGetColorAsICCProfile(decoder, nullptr, JXL_COLOR_PROFILE_TARGET_DATA, icc.data(),
                                     icc.size()) != JXL_DEC_SUCCESS) {
    return {};
  }
  return icc;
}

// Interleaved gray, gray+alpha, RGB or RGBA as what OpenCV works in: gray,
// BGR or BGRA.
cv::Mat to_opencv_order(cv::Mat pixels) {
  cv::Mat out;
  switch (pixels.channels()) {
    case 2:
      // Gray + alpha: the gray into B, G and R, the alpha into A.
      out.create(pixels.size(), CV_MAKETYPE(pixels.depth(), 4));
      cv::mixChannels(std::vector<cv::Mat>{pixels}, std::vector<cv::Mat>{out},
                      {0, 0, 0, 1, 0, 2, 1, 3});
      return out;
    case 3:
      cv::cvtColor(pixels, pixels, cv::COLOR_RGB2BGR);
      return pixels;
    case 4:
      cv::cvtColor(pixels, pixels, cv::COLOR_RGBA2BGRA);
      return pixels;
    default:
      return pixels;
  }
}

}  // namespace

void read_jxl_metadata(std::span<const std::uint8_t> bytes, Image& image) {
  const JxlDecoderPtr decoder = open_decoder(bytes, JXL_DEC_BOX);
  JxlDecoder* d = decoder.get();
  JxlDecoderCloseInput(d);
  // cjxl stores a JPEG's EXIF and XMP Brotli-compressed ("brob" boxes).
  if (JxlDecoderSetDecompressBoxes(d, JXL_TRUE) != JXL_DEC_SUCCESS) return;
  std::vector<std::uint8_t> box;
  std::vector<std::uint8_t>* target = nullptr;  // image.exif or image.xmp while in their box
  // Ends the box being read: its contents are box[0, size - unused).
  const auto finish = [&] {
    if (!target) return;
    box.resize(box.size() - JxlDecoderReleaseBoxBuffer(d));
    *target = std::move(box);
    target = nullptr;
  };
  for (;;) {
    const JxlDecoderStatus status = JxlDecoderProcessInput(d);
    if (status == JXL_DEC_BOX) {
      finish();
      JxlBoxType type;
      if (JxlDecoderGetBoxType(d, type, JXL_TRUE) != JXL_DEC_SUCCESS) break;
      const std::string_view name(type, 4);
      if (name == "Exif" && image.exif.empty()) target = &image.exif;
      if (name == "xml " && image.xmp.empty()) target = &image.xmp;
      if (target) {
        box.assign(64 * 1024, 0);
        JxlDecoderSetBoxBuffer(d, box.data(), box.size());
      }
    } else if (status == JXL_DEC_BOX_NEED_MORE_OUTPUT && target) {
      const std::size_t used = box.size() - JxlDecoderReleaseBoxBuffer(d);
      if (box.size() >= kMaxMetadataBytes) {  // too large: dropped
        target = nullptr;
        continue;
      }
      box.resize(box.size() * 2);
      JxlDecoderSetBoxBuffer(d, box.data() + used, box.size() - used);
    } else if (status == JXL_DEC_SUCCESS) {
      finish();
      break;
    } else {
      break;  // damage: what was read completely is kept
    }
  }
  // An Exif box starts with the offset of the TIFF header after these 4 bytes.
  if (image.exif.size() >= 4) {
    const std::uint32_t offset = (std::uint32_t{image.exif[0]} << 24) |
                                 (std::uint32_t{image.exif[1]} << 16) |
                                 (std::uint32_t{image.exif[2]} << 8) | image.exif[3];
    if (offset < image.exif.size() - 4) {
      image.exif.erase(image.exif.begin(), image.exif.begin() + 4 + offset);
    } else {
      image.exif.clear();
    }
  } else {
    image.exif.clear();
  }
}

SourceInfo read_jxl_header(std::span<const std::uint8_t> bytes) {
  const JxlDecoderPtr decoder = open_decoder(bytes, JXL_DEC_BASIC_INFO);
  return basic_info(decoder.get()).upright;
}

Image decode_jxl(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  InputBytes input = InputBytes::view(bytes);
  return decode_jxl(input, options);
}

Image decode_jxl(InputBytes& input, const DecodeOptions& options) {
  constexpr int kEvents = JXL_DEC_BASIC_INFO | JXL_DEC_COLOR_ENCODING | JXL_DEC_FULL_IMAGE;
  // Whole: all of it at once. In pieces: the first piece, then one by one.
  JxlPieces pieces(input);
  const JxlDecoderPtr decoder =
      open_decoder(input.whole() ? input.head() : std::span<const std::uint8_t>{}, kEvents);
  JxlDecoder* d = decoder.get();
  JxlPieces* feed = input.whole() ? nullptr : &pieces;
  if (feed && !feed->feed(d)) jxl_failed(JXL_DEC_NEED_MORE_INPUT);
  JxlDecoderSetKeepOrientation(d, options.auto_orient ? JXL_FALSE : JXL_TRUE);
  JxlDecoderSetUnpremultiplyAlpha(d, JXL_TRUE);
  const JxlHeader header = basic_info(d, feed);
  Image image;
  image.source = options.auto_orient ? header.upright : header.stored;
  // Before any pixel: the size the output buffer will have.
  check_pixel_limit(image.source, options.max_pixels);

  const auto& info = header.info;
  const bool gray = info.num_color_channels == 1;
  const bool alpha = info.alpha_bits > 0;
  const bool deep =
      options.keep_16bit && (info.bits_per_sample > 8 || info.exponent_bits_per_sample);
  const JxlPixelFormat format{(gray ? 1u : 3u) + (alpha ? 1u : 0u),
                              deep ? JXL_TYPE_UINT16 : JXL_TYPE_UINT8, JXL_NATIVE_ENDIAN, 0};
  cv::Mat pixels;
  for (;;) {
    const JxlDecoderStatus status = process(d, feed);
    if (status == JXL_DEC_COLOR_ENCODING) {
      if (!info.uses_original_profile) {
        // XYB: decoded straight into sRGB (else libjxl would pick linear sRGB).
        JxlColorEncoding srgb;
        JxlColorEncodingSetToSRGB(&srgb, gray ? JXL_TRUE : JXL_FALSE);
        JxlDecoderSetPreferredColorProfile(d, &srgb);
      }
      image.icc = data_profile(d);
    } else if (status == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
      pixels.create(image.source.height, image.source.width,
                    CV_MAKETYPE(deep ? CV_16U : CV_8U, static_cast<int>(format.num_channels)));
      std::size_t needed = 0;
      if (JxlDecoderImageOutBufferSize(d, &format, &needed) != JXL_DEC_SUCCESS ||
          needed != pixels.total() * pixels.elemSize() ||
          JxlDecoderSetImageOutBuffer(d, &format, pixels.data, needed) != JXL_DEC_SUCCESS) {
        throw Error(ErrorCode::corrupt_input, "jxl: the frame does not match the declared size");
      }
    } else if (status == JXL_DEC_FULL_IMAGE) {
      break;  // the first frame: the still image, or an animation's first
    } else {
      jxl_failed(status);
    }
  }
  image.pixels = to_opencv_order(std::move(pixels));
  return image;
}

}  // namespace imgflow::detail
