// PNG decoding with libpng's simplified API, which reports warnings and errors
// into the image struct instead of printing them.
#include <png.h>

#include <string>

#include "decoders.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

struct PngImage {
  png_image image{};
  PngImage() { image.version = PNG_IMAGE_VERSION; }
  ~PngImage() { png_image_free(&image); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
};

[[noreturn]] void throw_png_error(const char* message) {
  const std::string text = message;
  // libpng's words for running out of data while reading chunks or IDAT.
  if (text.find("Not enough image data") != std::string::npos ||
      text.find("Read Error") != std::string::npos ||
      text.find("unexpected end") != std::string::npos ||
      text.find("stream too short") != std::string::npos ||
      text.find("read beyond end of data") != std::string::npos) {
    throw Error(ErrorCode::truncated_input, "png data ends early (" + text + ")");
  }
  throw Error(ErrorCode::corrupt_input, "png: " + text);
}

}  // namespace

Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  PngImage png;
  if (!png_image_begin_read_from_memory(&png.image, bytes.data(), bytes.size())) {
    throw_png_error(png.image.message);
  }
  Image image;
  image.source = {Format::png, static_cast<int>(png.image.width),
                  static_cast<int>(png.image.height)};
  check_pixel_limit(image.source, options.max_pixels);

  const bool alpha = (png.image.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  const bool color = (png.image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  int channels = 3;
  if (alpha) {
    png.image.format = PNG_FORMAT_BGRA;  // gray+alpha too: OpenCV has no 2-channel images
    channels = 4;
  } else if (color) {
    png.image.format = PNG_FORMAT_BGR;
  } else {
    png.image.format = PNG_FORMAT_GRAY;
    channels = 1;
  }
  image.pixels.create(image.source.height, image.source.width, CV_8UC(channels));
  if (!png_image_finish_read(&png.image, nullptr, image.pixels.data,
                             static_cast<png_int_32>(image.pixels.step), nullptr)) {
    throw_png_error(png.image.message);
  }
  if (png.image.warning_or_error & PNG_IMAGE_WARNING) {
    image.warnings.push_back(std::string("png: ") + png.image.message);
  }
  return image;
}

}  // namespace imgflow::detail
