// TIFF encoding with libtiff, into memory: 8- or 16-bit gray, RGB or RGBA
// (alpha as an unassociated ExtraSample), one page, contiguous samples, in
// strips of about kStripBytes, Orientation 1 (the pixels are upright, or the
// EXIF written with them says how to turn them), compressed with LZW (the
// default), Adobe Deflate or not at all, with the horizontal predictor for the
// two compressed schemes. The ICC profile goes into tag 34675 and the XMP
// packet into tag 700; EXIF (an EXIF IFD, GPS IFD and the descriptive IFD0
// tags) is merged in afterwards with libexiv2 (add_tiff_exif, metadata.cpp).
//
// This replaced OpenCV's imencode, which wrote no ICC or metadata, strips of
// 8 kB and RGBA without an ExtraSamples tag (readers warned and guessed).
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "codec/encoders.hpp"
#include "codec/metadata.hpp"
#include "codec/tiff_io.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

/// Uncompressed bytes per strip: large enough that per-strip overhead (the
/// codec's state, the strip tables) does not matter, small enough that a
/// reader decoding part of the image reads little more than it needs.
constexpr std::size_t kStripBytes = 64 * 1024;

// The file being written, growing in memory, and libtiff's first error.
struct Sink {
  std::vector<std::uint8_t> bytes;
  std::uint64_t at = 0;
  std::string error;
};

tmsize_t write_proc(thandle_t handle, void* data, tmsize_t size) {
  auto* s = static_cast<Sink*>(handle);
  if (size <= 0) return 0;
  const auto n = static_cast<std::uint64_t>(size);
  if (s->at + n > s->bytes.size()) {
    if (s->at + n > s->bytes.capacity()) {
      s->bytes.reserve(std::max<std::uint64_t>(s->at + n, s->bytes.capacity() * 2));
    }
    s->bytes.resize(s->at + n);
  }
  std::memcpy(s->bytes.data() + s->at, data, n);
  s->at += n;
  return size;
}

int map_proc(thandle_t, void**, toff_t*) {
  return 0;  // writing: nothing to map
}

void unmap_proc(thandle_t, void*, toff_t) {}

int error_handler(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* s = static_cast<Sink*>(user);
  if (s->error.empty()) {
    char text[512];
    std::vsnprintf(text, sizeof text, fmt, ap);
    s->error = module && *module ? std::string(module) + ": " + text : std::string(text);
  }
  return 1;  // handled: nothing printed
}

int warning_handler(TIFF*, void*, const char*, const char*, va_list) {
  return 1;  // writing our own fields: nothing worth passing on
}

struct TiffCloser {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
struct OptionsFree {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};

[[noreturn]] void fail(const Sink& s, const char* what) {
  throw Error(ErrorCode::encode_error,
              std::string("tiff: ") + (s.error.empty() ? std::string(what) : s.error));
}

std::uint16_t compression_code(TiffCompression c) {
  switch (c) {
    case TiffCompression::none:
      return COMPRESSION_NONE;
    case TiffCompression::deflate:
      return COMPRESSION_ADOBE_DEFLATE;  // 8: the registered code, no legacy warning
    case TiffCompression::lzw:
      break;
  }
  return COMPRESSION_LZW;
}

// Row y in TIFF's sample order: RGB(A) from OpenCV's BGR(A).
template <typename T>
void tiff_row(const cv::Mat& pixels, int y, T* out) {
  const int channels = pixels.channels();
  const T* in = pixels.ptr<T>(y);
  if (channels == 1) {
    std::memcpy(out, in, sizeof(T) * static_cast<std::size_t>(pixels.cols));
    return;
  }
  for (int x = 0; x < pixels.cols; ++x, in += channels, out += channels) {
    out[0] = in[2];
    out[1] = in[1];
    out[2] = in[0];
    if (channels == 4) out[3] = in[3];
  }
}

}  // namespace

std::vector<std::uint8_t> encode_tiff(const cv::Mat& pixels, const EncodeOptions& settings) {
  const int channels = pixels.channels();
  if ((pixels.depth() != CV_8U && pixels.depth() != CV_16U) ||
      (channels != 1 && channels != 3 && channels != 4)) {
    throw Error(ErrorCode::encode_error, "tiff: needs 8- or 16-bit gray, BGR or BGRA pixels");
  }
  const int bits = pixels.depth() == CV_16U ? 16 : 8;
  const std::size_t row_bytes =
      static_cast<std::size_t>(pixels.cols) * static_cast<std::size_t>(channels) * (bits / 8);
  const std::uint64_t image_bytes = static_cast<std::uint64_t>(row_bytes) * pixels.rows;

  Sink sink;
  sink.bytes.reserve(static_cast<std::size_t>(
      std::min<std::uint64_t>(image_bytes / 2 + 4096, std::uint64_t{1} << 30)));
  std::unique_ptr<TIFFOpenOptions, OptionsFree> open_options(TIFFOpenOptionsAlloc());
  TIFFOpenOptionsSetErrorHandlerExtR(open_options.get(), error_handler, &sink);
  TIFFOpenOptionsSetWarningHandlerExtR(open_options.get(), warning_handler, &sink);
  // Classic TIFF addresses 4 GB; BigTIFF only when the pixels alone could pass
  // that (uncompressed, plus room for the metadata).
  const bool big = image_bytes + settings.icc.size() + settings.xmp.size() + (1u << 20) >
                   std::uint64_t{0xFFFFFFFF};
  std::unique_ptr<TIFF, TiffCloser> tif(TIFFClientOpenExt(
      "output", big ? "wl8" : "wl", &sink, tiff_io::read<Sink>, write_proc, tiff_io::seek<Sink>,
      tiff_io::close, tiff_io::size<Sink>, map_proc, unmap_proc, open_options.get()));
  if (!tif) fail(sink, "cannot start a file");

  const std::uint16_t compression = compression_code(settings.tiff_compression);
  const auto rows_per_strip = static_cast<std::uint32_t>(std::clamp<std::size_t>(
      kStripBytes / std::max<std::size_t>(row_bytes, 1), 1, static_cast<std::size_t>(pixels.rows)));
  TIFF* t = tif.get();
  bool ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, static_cast<std::uint32_t>(pixels.cols)) &&
            TIFFSetField(t, TIFFTAG_IMAGELENGTH, static_cast<std::uint32_t>(pixels.rows)) &&
            TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bits) &&
            TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, channels) &&
            TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT) &&
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                         channels == 1 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB) &&
            TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
            TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
            TIFFSetField(t, TIFFTAG_COMPRESSION, compression) &&
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip);
  if (ok && compression != COMPRESSION_NONE) {
    ok = TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
  }
  if (ok && channels == 4) {
    const std::uint16_t kinds[1] = {EXTRASAMPLE_UNASSALPHA};
    ok = TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, kinds);
  }
  if (ok && !settings.icc.empty()) {
    ok = TIFFSetField(t, TIFFTAG_ICCPROFILE, static_cast<std::uint32_t>(settings.icc.size()),
                      settings.icc.data());
  }
  if (ok && !settings.xmp.empty()) {
    ok = TIFFSetField(t, TIFFTAG_XMLPACKET, static_cast<std::uint32_t>(settings.xmp.size()),
                      settings.xmp.data());
  }
  if (!ok) fail(sink, "cannot set the image's fields");

  std::vector<std::uint8_t> row(row_bytes);
  DeadlineCheck<16> deadline;
  for (int y = 0; y < pixels.rows; ++y) {
    if (deadline.passed()) throw timed_out_error("tiff encode");
    if (bits == 8) {
      tiff_row(pixels, y, row.data());
    } else {
      tiff_row(pixels, y, reinterpret_cast<std::uint16_t*>(row.data()));
    }
    if (TIFFWriteScanline(t, row.data(), static_cast<std::uint32_t>(y), 0) != 1) {
      fail(sink, "cannot write the pixels");
    }
  }
  if (TIFFWriteDirectory(t) != 1) fail(sink, "cannot write the directory");
  tif.reset();  // flushes; the Sink holds the file
  if (!sink.error.empty()) fail(sink, "");
  if (settings.exif.empty()) return std::move(sink.bytes);
  return add_tiff_exif(std::move(sink.bytes), settings.exif);
}

}  // namespace imgflow::detail
