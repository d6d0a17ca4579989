#include "imgflow/format.hpp"

namespace imgflow {

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::jpeg:
      return "jpeg";
    case Format::png:
      return "png";
    case Format::webp:
      return "webp";
    case Format::tiff:
      return "tiff";
    case Format::bmp:
      return "bmp";
    case Format::pnm:
      return "pnm";
    case Format::jpeg2000:
      return "jpeg2000";
    case Format::gif:
      return "gif";
    case Format::svg:
      return "svg";
    case Format::heif:
      return "heif";
    case Format::unknown:
      break;
  }
  return "unknown";
}

std::string_view format_extension(Format format) noexcept {
  switch (format) {
    case Format::jpeg:
      return "jpg";
    case Format::png:
      return "png";
    case Format::webp:
      return "webp";
    case Format::tiff:
      return "tif";
    case Format::bmp:
      return "bmp";
    case Format::pnm:
      return "pnm";
    case Format::jpeg2000:
      return "jp2";
    case Format::gif:
      return "gif";
    case Format::svg:
      return "svg";
    case Format::heif:
      return "heic";
    case Format::unknown:
      break;
  }
  return "bin";
}

bool is_writable(Format format) noexcept {
  return format == Format::jpeg || format == Format::png || format == Format::webp ||
         format == Format::tiff;
}

}  // namespace imgflow
