// Decoding: dispatch by content to each format's decoder, then colour and orientation.
#include <atomic>
#include <cstring>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "codec/metadata.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/error.hpp"
#include "imgflow/file_io.hpp"

namespace imgflow {

namespace detail {

void check_pixel_limit(const SourceInfo& info, std::uint64_t max_pixels) {
  if (info.width < 0 || info.height < 0) {
    throw Error(ErrorCode::corrupt_input, "header declares an invalid size");
  }
  const auto pixels = static_cast<std::uint64_t>(info.width) * info.height;
  if (max_pixels != 0 && pixels > max_pixels) {
    throw Error(ErrorCode::too_many_pixels,
                std::to_string(info.width) + "x" + std::to_string(info.height) +
                    " exceeds the limit of " + std::to_string(max_pixels) + " pixels");
  }
}

}  // namespace detail

namespace {
std::atomic<std::uint64_t> decodes{0};

void check_declared_size(const SourceInfo& header) {
  if ((header.width == 0 || header.height == 0) &&
      (header.format == Format::jpeg || header.format == Format::png ||
       header.format == Format::webp || header.format == Format::bmp)) {
    throw Error(ErrorCode::corrupt_input, "header declares a zero width or height");
  }
}

// Converts rows to sRGB on their way to `next`, as decode_with_header does
// with a whole image: the profile is known once the header has been read,
// before the first row.
class SrgbRows final : public detail::RowSink {
 public:
  SrgbRows(detail::RowSink& next, Image& image, bool to_srgb)
      : next_(next), image_(image), to_srgb_(to_srgb) {}

  void start(int width, int height, int type) override {
    if (to_srgb_ && !image_.icc.empty()) {
      if (!detail::is_srgb_profile(image_.icc)) {
        convert_ = converter_.open(image_.icc, type, why_);
      }
      image_.icc.clear();
    }
    width_ = width;
    row_.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(CV_ELEM_SIZE(type)));
    next_.start(width, height, type);
  }

  void take_row(const void* pixels) override {
    if (!convert_) return next_.take_row(pixels);
    std::memcpy(row_.data(), pixels, row_.size());
    converter_.convert(row_.data(), width_);
    next_.take_row(row_.data());
  }

  /// Why the profile was not applied (empty if it was, or there was none).
  const std::string& why() const { return why_; }

 private:
  detail::RowSink& next_;
  Image& image_;
  bool to_srgb_;
  bool convert_ = false;
  detail::SrgbConverter converter_;
  std::string why_;
  int width_ = 0;
  std::vector<std::uint8_t> row_;
};

}  // namespace

std::uint64_t decode_count() noexcept {
  return decodes.load(std::memory_order_relaxed);
}

Image decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  return detail::decode_with_header(bytes, read_header(bytes), options);
}

namespace {

// The caller's options in stored orientation: decoders do not turn pixels.
DecodeOptions stored_options(const SourceInfo& header, const DecodeOptions& options) {
  DecodeOptions stored = options;
  const int orientation = options.auto_orient ? header.orientation : 1;
  if (swaps_sides(orientation)) std::swap(stored.at_least.width, stored.at_least.height);
  return stored;
}

// After a decoder: metadata from `bytes` (if any: empty for a file read in
// pieces), sRGB, then upright.
void finish_decode(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                   const DecodeOptions& options, Image& image) {
  image.source.orientation = header.orientation;
  if (options.read_metadata && !bytes.empty()) {
    detail::read_metadata(bytes, header.format, image);
  }
  if (options.to_srgb && !image.icc.empty()) {
    std::string why;
    if (!detail::is_srgb_profile(image.icc) &&
        !detail::convert_to_srgb(image.pixels, image.icc, why)) {
      image.warnings.push_back(why);
    }
    image.icc.clear();
  }
  const int orientation = options.auto_orient ? header.orientation : 1;
  if (orientation != 1) {
    // Rotating after shrink-on-load touches the fewest pixels.
    image.pixels = apply_orientation(image.pixels, orientation);
    if (swaps_sides(orientation)) std::swap(image.source.width, image.source.height);
  }
}

}  // namespace

Image detail::decode_with_header(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                                 const DecodeOptions& options) {
  decodes.fetch_add(1, std::memory_order_relaxed);
  check_declared_size(header);
  const DecodeOptions stored = stored_options(header, options);
  Image image;
  switch (header.format) {
    case Format::jpeg:
      image = detail::decode_jpeg(bytes, header, stored);
      break;
    case Format::png:
      image = detail::decode_png(bytes, stored);
      break;
    case Format::webp:
      image = detail::decode_webp(bytes, header, stored);
      break;
    case Format::heif:
    case Format::avif:
      image = detail::decode_heif(bytes, header, stored);
      break;
    case Format::gif:
      image = detail::decode_gif(bytes, header, stored);
      break;
    case Format::jxl:
      image = detail::decode_jxl(bytes, stored);
      break;
    case Format::tiff:
      image = detail::decode_tiff(bytes, header, stored);
      break;
    default:
      image = detail::decode_with_opencv(bytes, header, stored);
      break;
  }
  finish_decode(bytes, header, options, image);
  return image;
}

bool detail::can_decode_in_pieces(std::span<const std::uint8_t> head, const SourceInfo& header) {
  switch (header.format) {
    case Format::jpeg:
    case Format::gif:
    case Format::tiff:
    case Format::jxl:
    case Format::heif:
    case Format::avif:
      return true;
    case Format::webp:
      return webp_decodes_in_pieces(head);
    case Format::png:
      return png_interlaced(head);  // the others stream rows (decode_rows)
    default:
      return false;
  }
}

SourceInfo detail::header_of(InputBytes& input) {
  if (input.whole()) return read_header(input.head());
  const Format format = detect_format(input.head());
  // libheif checks every item's data against the file's size: not from the head.
  if (format == Format::heif || format == Format::avif) return read_heif_header(input, format);
  try {
    return read_header(input.head());
  } catch (const Error& e) {
    // A TIFF's first directory is usually after its pixels, past the head; a
    // JPEG's frame header may follow megabytes of metadata segments.
    if (e.code() != ErrorCode::truncated_input) throw;
    if (format == Format::tiff) return read_tiff_header(input);
    if (format == Format::jpeg) return read_jpeg_header(input);
    throw;
  }
}

Image detail::decode_in_pieces(InputBytes& input, const SourceInfo& header,
                               const DecodeOptions& options) {
  if (input.whole()) return decode_with_header(input.bytes(), header, options);
  if (!can_decode_in_pieces(input.head(), header)) {
    throw Error(ErrorCode::decode_error, "this file cannot be decoded in pieces");
  }
  decodes.fetch_add(1, std::memory_order_relaxed);
  check_declared_size(header);
  const DecodeOptions stored = stored_options(header, options);
  Image image;
  switch (header.format) {
    case Format::webp:
      image = detail::decode_webp_in_pieces(input, header, stored);
      break;
    case Format::png:
      image = detail::decode_png_in_pieces(input, stored);
      break;
    case Format::tiff:
      image = detail::decode_tiff(input, header, stored);
      break;
    case Format::jxl:
      image = detail::decode_jxl(input, stored);
      break;
    case Format::heif:
    case Format::avif:
      image = detail::decode_heif(input, header, stored);
      break;
    case Format::gif:
      image = detail::decode_gif(input, header, stored);
      break;
    default:
      image = detail::decode_jpeg_in_pieces(input, header, stored);
      break;
  }
  // Only files read whole carry metadata here: the pipeline reads every file
  // whole when it keeps metadata (ReadSettings).
  finish_decode({}, header, options, image);
  return image;
}

bool detail::can_decode_rows(std::span<const std::uint8_t> bytes, const SourceInfo& header) {
  return header.format == Format::png && header.orientation == 1 && png_rows_stream(bytes);
}

Image detail::decode_rows(InputBytes& input, const SourceInfo& header, const DecodeOptions& options,
                          RowSink& sink) {
  decodes.fetch_add(1, std::memory_order_relaxed);
  check_declared_size(header);
  // Before libpng, whose own size limits would call the file corrupt.
  check_pixel_limit(header, options.max_pixels);
  if (!can_decode_rows(input.head(), header)) {
    throw Error(ErrorCode::decode_error, "this file cannot be decoded row by row");
  }
  Image image;
  SrgbRows colour(sink, image, options.to_srgb);
  decode_png_rows(input, options, colour, image);
  if (!colour.why().empty()) image.warnings.push_back(colour.why());
  image.source.orientation = header.orientation;
  // Only files read whole carry metadata here: the pipeline reads every file
  // whole when it keeps metadata (ReadSettings).
  if (options.read_metadata && input.whole()) {
    detail::read_metadata(input.bytes(), header.format, image);
  }
  return image;
}

Image decode_file(const std::filesystem::path& path, const DecodeOptions& options) {
  const auto bytes = read_file(path);
  return decode(bytes, options);
}

}  // namespace imgflow
