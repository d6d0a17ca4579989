// PNG decoding with libpng: our own error and warning handlers capture
// libpng's messages per file instead of printing them, and the size is
// checked against the pixel limit before any row is allocated.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include "codec/decoders.hpp"
#include "core/deadline.hpp"
#include "core/input_bytes.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// Everything libpng's callbacks touch. The setjmp sections below hold no
// C++ objects with destructors, so a longjmp out of libpng skips nothing.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::size_t position = 0;
  InputBytes* source = nullptr;  ///< when set, the bytes come from it (data is its head)
  bool read_failed = false;      ///< source could not read: error holds why
  char error[256] = {};
  char warning[256] = {};
  int warnings = 0;
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  bool keep_16bit = false;  ///< in: keep 16-bit samples
  png_bytep icc = nullptr;  ///< out: the iCCP profile (owned by libpng)
  png_uint_32 icc_size = 0;
  int bit_depth = 8;  ///< out: 8 or 16
  int passes = 1;     ///< out: 7 for an interlaced image

  ~PngReader() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  }
};

extern "C" void on_png_error(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(reader->error, sizeof reader->error, "%s", message);
  png_longjmp(png, 1);
}

extern "C" void on_png_warning(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  if (reader->warnings++ == 0)
    std::snprintf(reader->warning, sizeof reader->warning, "%s", message);
}

extern "C" void read_from_memory(png_structp png, png_bytep out, std::size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->source) {
    // In pieces: what was read before is not held (see InputBytes::read).
    std::size_t got = 0;
    try {
      got = reader->source->read(reader->position, out, length);
    } catch (const std::exception& e) {
      std::snprintf(reader->error, sizeof reader->error, "%s", e.what());
      reader->read_failed = true;
    }
    if (reader->read_failed) png_longjmp(png, 1);  // outside the catch block
    if (got < length) png_error(png, "unexpected end of data");
    reader->position += length;
    return;
  }
  if (length > reader->size - reader->position) png_error(png, "unexpected end of data");
  std::memcpy(out, reader->data + reader->position, length);
  reader->position += length;
}

// The most libpng may allocate for one ancillary chunk, inflated: ICC
// profiles, the largest chunk we read, are at most a few MB.
constexpr png_alloc_size_t kMaxPngChunkBytes = 32 * 1024 * 1024;

// Reads the header and sets up the transforms to 8-bit gray, BGR or BGRA.
bool read_info(PngReader* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_read_fn(r->png, r, read_from_memory);
  // libpng allocates an ancillary chunk's declared length before reading it:
  // an 85-byte file declaring a 1.9 GB tEXt chunk cost 1.9 GB and 7 s (found
  // by the decode fuzzer). We use no text chunks, so they are skipped unread,
  // and every other chunk libpng keeps (iCCP, inflated too) is bounded.
  static constexpr png_byte kTextChunks[] = "tEXt\0zTXt\0iTXt";
  png_set_keep_unknown_chunks(r->png, PNG_HANDLE_CHUNK_NEVER, kTextChunks, 3);
  png_set_chunk_malloc_max(r->png, kMaxPngChunkBytes);
#ifdef PNG_IGNORE_ADLER32
  // Each IDAT chunk's CRC already guards the compressed data; zlib's Adler-32
  // over the inflated pixels would cost 4% of PNG decoding again.
  png_set_option(r->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
  png_read_info(r->png, r->info);
  png_charp icc_name = nullptr;
  int compression = 0;
  png_get_iCCP(r->png, r->info, &icc_name, &compression, &r->icc, &r->icc_size);
  r->width = png_get_image_width(r->png, r->info);
  r->height = png_get_image_height(r->png, r->info);
  const int color_type = png_get_color_type(r->png, r->info);
  const int bit_depth = png_get_bit_depth(r->png, r->info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r->png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(r->png);
  if (png_get_valid(r->png, r->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r->png);
  if (bit_depth == 16 && !r->keep_16bit) png_set_scale_16(r->png);
  if (bit_depth == 16 && r->keep_16bit) png_set_swap(r->png);  // PNG is big-endian; cv::Mat is not
  // OpenCV has no gray+alpha: such images become BGRA.
  const bool has_alpha =
      (color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(r->png, r->info, PNG_INFO_tRNS);
  if (!(color_type & PNG_COLOR_MASK_COLOR) && has_alpha) png_set_gray_to_rgb(r->png);
  png_set_bgr(r->png);
  r->passes = png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);
  r->channels = png_get_channels(r->png, r->info);
  r->bit_depth = png_get_bit_depth(r->png, r->info);
  return true;
}

enum class RowsRead { done, failed, timed_out };

// png_read_image's loop, with the file's deadline (--timeout) checked every
// 16 rows. `deadline` is trivially destructible, so a longjmp may cross it.
RowsRead read_rows(PngReader* r, png_bytepp rows, DeadlineCheck<16>* deadline) {
  if (setjmp(png_jmpbuf(r->png))) return RowsRead::failed;
  for (int pass = 0; pass < r->passes; ++pass) {
    for (png_uint_32 y = 0; y < r->height; ++y) {
      if (deadline->passed()) return RowsRead::timed_out;
      png_read_row(r->png, rows[y], nullptr);
    }
  }
  png_read_end(r->png, nullptr);
  return RowsRead::done;
}

// One row at a time into `sink`, reusing one buffer. A longjmp comes only out
// of libpng's calls; the sink's frames are never crossed by one.
RowsRead read_rows_into(PngReader* r, RowSink* sink, png_bytep row, DeadlineCheck<16>* deadline) {
  if (setjmp(png_jmpbuf(r->png))) return RowsRead::failed;
  for (png_uint_32 y = 0; y < r->height; ++y) {
    if (deadline->passed()) return RowsRead::timed_out;
    png_read_row(r->png, row, nullptr);
    sink->take_row(row);
  }
  png_read_end(r->png, nullptr);
  return RowsRead::done;
}

[[noreturn]] void throw_png_error(const std::string& message) {
  if (message.find("unexpected end") != std::string::npos ||
      message.find("Not enough image data") != std::string::npos) {
    throw Error(ErrorCode::truncated_input, "png data ends early (" + message + ")");
  }
  throw Error(ErrorCode::corrupt_input, "png: " + message);
}

// Sets up libpng on `bytes` and reads the header into `image` (size, ICC),
// checking the pixel limit before any row is allocated.
void open_reader(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                 PngReader& reader, Image& image) {
  reader.data = bytes.data();
  reader.size = bytes.size();
  reader.keep_16bit = options.keep_16bit;
  reader.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, on_png_error, on_png_warning);
  if (reader.png) reader.info = png_create_info_struct(reader.png);
  if (!reader.png || !reader.info)
    throw Error(ErrorCode::decode_error, "cannot create a png reader");

  if (!read_info(&reader)) {
    if (reader.read_failed) throw Error(ErrorCode::read_error, reader.error);
    throw_png_error(reader.error);
  }
  image.source = {Format::png, static_cast<int>(reader.width), static_cast<int>(reader.height)};
  check_pixel_limit(image.source, options.max_pixels);
  if (reader.channels != 1 && reader.channels != 3 && reader.channels != 4) {
    throw Error(ErrorCode::decode_error, "png: unexpected channel count");
  }
  if (reader.icc && reader.icc_size > 0) image.icc.assign(reader.icc, reader.icc + reader.icc_size);
}

void check_rows_read(RowsRead result, const PngReader& reader) {
  if (result == RowsRead::failed && reader.read_failed) {
    throw Error(ErrorCode::read_error, reader.error);
  }
  if (result == RowsRead::failed) throw_png_error(reader.error);
  if (result == RowsRead::timed_out) throw timed_out_error("png decode");
}

int pixel_type(const PngReader& reader) {
  return CV_MAKETYPE(reader.bit_depth == 16 ? CV_16U : CV_8U, reader.channels);
}

void add_warnings(const PngReader& reader, Image& image) {
  if (reader.warnings > 0) {
    image.warnings.push_back(std::string("png: ") + reader.warning);
  }
}

// After open_reader: every row (every pass) into image.pixels, then the warnings.
void read_image(PngReader& reader, Image& image) {
  image.pixels.create(image.source.height, image.source.width, pixel_type(reader));
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.source.height));
  for (int y = 0; y < image.source.height; ++y)
    rows[static_cast<std::size_t>(y)] = image.pixels.ptr(y);
  DeadlineCheck<16> deadline;
  check_rows_read(read_rows(&reader, rows.data(), &deadline), reader);
  add_warnings(reader, image);
}

}  // namespace

Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  if (Image fast; decode_png_whole(bytes, options, fast)) return fast;
  PngReader reader;
  Image image;
  open_reader(bytes, options, reader, image);
  read_image(reader, image);
  return image;
}

bool png_rows_stream(std::span<const std::uint8_t> bytes) {
  // IHDR's interlace method, the 13th byte of its data: 0 = none.
  return bytes.size() > 28 && bytes[28] == 0;
}

bool png_interlaced(std::span<const std::uint8_t> bytes) {
  return bytes.size() > 28 && bytes[28] != 0;
}

Image decode_png_in_pieces(InputBytes& input, const DecodeOptions& options) {
  // Interlaced: each pass covers the whole image, so it is decoded whole,
  // but the file is read once, in order, never held (libpng's seven passes
  // come from one inflated stream).
  PngReader reader;
  reader.source = &input;
  Image image;
  open_reader(input.head(), options, reader, image);
  read_image(reader, image);
  return image;
}

void decode_png_rows(InputBytes& input, const DecodeOptions& options, RowSink& sink, Image& image) {
  PngReader reader;
  reader.source = &input;
  open_reader(input.head(), options, reader, image);
  if (png_get_interlace_type(reader.png, reader.info) != PNG_INTERLACE_NONE) {
    throw Error(ErrorCode::decode_error, "png: an interlaced image cannot be read by rows");
  }
  const int type = pixel_type(reader);
  std::vector<std::uint8_t> row(static_cast<std::size_t>(image.source.width) *
                                static_cast<std::size_t>(CV_ELEM_SIZE(type)));
  sink.start(image.source.width, image.source.height, type);
  DeadlineCheck<16> deadline;
  check_rows_read(read_rows_into(&reader, &sink, row.data(), &deadline), reader);
  add_warnings(reader, image);
}

}  // namespace imgflow::detail
