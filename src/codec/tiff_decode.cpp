// TIFF decoding with libtiff, from the bytes in memory or from a file read in
// pieces (InputBytes: libtiff's reads go through InputBytes::read, so only
// the directory, one strip or tile and the window are held): the first page
// (directory 0), in stored orientation (decode_with_header turns it by the
// Orientation tag, which read_header reports, as for JPEG's EXIF).
//
// Common layouts are read strip by strip or tile by tile into the output
// directly: 8- or 16-bit (and 32-bit float) gray, gray + alpha, RGB, RGBA,
// CMYK, and YCbCr in JPEG-compressed files (libjpeg converts to RGB). The rest
// (palette, 1/2/4-bit, other YCbCr, separate planes of 8-bit samples) goes
// through libtiff's TIFFRGBAImage, a band of rows at a time.
//
// Colour: the ICC profile (tag 34675) is returned in Image::icc like the other
// decoders'; CMYK goes to sRGB through it, or without one by the naive
// inversion the JPEG path uses. Associated (premultiplied) alpha is
// unpremultiplied: everything downstream works on straight alpha.
//
// Bounds: the header's size is checked against max_pixels before libtiff
// sees the file, libtiff's own (first) ImageWidth/ImageLength again after it
// read the directory; every strip or tile must lie inside the file, and none
// may decode to more than the image plus a margin; libtiff's allocations are
// capped to what the declared image can need. libtiff's messages go to a
// per-file sink (TIFFOpenOptions handlers), never to stderr.
#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "codec/color_management.hpp"
#include "codec/decoders.hpp"
#include "codec/tiff_io.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

// The file (whole or in pieces), and what libtiff said about it.
struct Source {
  InputBytes* input = nullptr;
  std::uint64_t at = 0;
  bool ran_out = false;                ///< libtiff asked for bytes past the end
  std::unique_ptr<Error> read_failed;  ///< a read of the file failed (read-error)
  std::string error;                   ///< libtiff's first error message
  std::vector<std::string> warnings;
};

tmsize_t read_proc(thandle_t handle, void* out, tmsize_t wanted) {
  auto* s = static_cast<Source*>(handle);
  if (wanted <= 0) return 0;
  // A failed read (read-error) must not unwind through libtiff's C frames:
  // it is kept and thrown once libtiff has returned.
  std::size_t n = 0;
  try {
    n = s->input->read(s->at, static_cast<std::uint8_t*>(out), static_cast<std::size_t>(wanted));
  } catch (const Error& e) {
    if (!s->read_failed) s->read_failed = std::make_unique<Error>(e);
  }
  s->at += n;
  if (n < static_cast<std::size_t>(wanted)) s->ran_out = true;
  return static_cast<tmsize_t>(n);
}

toff_t seek_proc(thandle_t handle, toff_t offset, int whence) {
  auto* s = static_cast<Source*>(handle);
  std::uint64_t base = 0;
  if (whence == SEEK_CUR) base = s->at;
  if (whence == SEEK_END) base = s->input->size();
  s->at = base + offset;
  return s->at;
}

toff_t size_proc(thandle_t handle) {
  return static_cast<Source*>(handle)->input->size();
}

tmsize_t write_proc(thandle_t, void*, tmsize_t) {
  return 0;
}

// Bytes in memory already: libtiff decodes strips straight from them
// (read-only) instead of copying each into a buffer of its own first. A file
// in pieces is not mapped: libtiff reads each strip through read_proc.
int map_proc(thandle_t handle, void** base, toff_t* size) {
  auto* s = static_cast<Source*>(handle);
  if (!s->input->whole()) return 0;
  *base = const_cast<std::uint8_t*>(s->input->head().data());
  *size = s->input->head().size();
  return 1;
}

void unmap_proc(thandle_t, void*, toff_t) {}

std::string format_message(const char* module, const char* fmt, va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  return module && *module ? std::string(module) + ": " + text : std::string(text);
}

int error_handler(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* s = static_cast<Source*>(user);
  if (s->error.empty()) s->error = format_message(module, fmt, ap);
  return 1;  // handled: nothing printed
}

int warning_handler(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  auto* s = static_cast<Source*>(user);
  std::string text = format_message(module, fmt, ap);
  // Private and unknown tags are common and harmless; at most a few others.
  if (text.find("nknown field with tag") == std::string::npos && s->warnings.size() < 4) {
    s->warnings.push_back("tiff: " + std::move(text));
  }
  return 1;
}

[[noreturn]] void fail(const Source& s, const char* what) {
  if (s.read_failed) throw *s.read_failed;
  const std::string detail = s.error.empty() ? std::string(what) : s.error;
  if (s.ran_out) throw Error(ErrorCode::truncated_input, "tiff: data ends early: " + detail);
  throw Error(ErrorCode::corrupt_input, "tiff: " + detail);
}

struct TiffCloser {
  void operator()(TIFF* tif) const { TIFFClose(tif); }
};
struct OptionsFree {
  void operator()(TIFFOpenOptions* o) const { TIFFOpenOptionsFree(o); }
};

template <class T>
T field(TIFF* tif, ttag_t tag, T fallback) {
  T value = fallback;
  return TIFFGetFieldDefaulted(tif, tag, &value) == 1 ? value : fallback;
}

// How many bytes of pixels one byte of compressed data can at most become,
// with margin: LZW codes stand for strings of up to 4094 bytes, Deflate for
// 258 per bit pair (about 1032:1), PackBits 128 per 2 bytes, a flat JPEG 512:1.
double max_expansion(std::uint16_t compression) {
  if (compression == COMPRESSION_NONE) return 1.0;
  if (compression == COMPRESSION_PACKBITS) return 64.0;
  return 4096.0;
}

// Every strip or tile inside the file, and all together able to hold the
// declared image: a 200-byte file that declares gigabytes of pixels is
// refused before any buffer is made for them. One that runs past the end is
// a cut file (truncated-input), unless it declares more bytes than its
// pixels could ever take compressed (corrupt-input).
void check_striles(TIFF* tif, const Source& s, double image_bytes, std::uint16_t compression) {
  const bool tiled = TIFFIsTiled(tif);
  const std::uint32_t count = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
  // Compressed data a little larger than raw (noise through LZW or JPEG at
  // high quality) is possible; twice as large is not.
  const double most =
      2.0 * static_cast<double>(tiled ? TIFFTileSize64(tif) : TIFFStripSize64(tif)) + 4096.0;
  const std::uint64_t size = s.input->size();
  double stored = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    int err = 0;
    const std::uint64_t offset = TIFFGetStrileOffsetWithErr(tif, i, &err);
    const std::uint64_t length = TIFFGetStrileByteCountWithErr(tif, i, &err);
    if (err) fail(s, "cannot read the strip or tile offsets");
    if (offset <= size && length <= size - offset) {
      stored += static_cast<double>(length);
      continue;
    }
    if (static_cast<double>(length) > most) {
      throw Error(ErrorCode::corrupt_input, "tiff: strip or tile " + std::to_string(i) +
                                                " declares " + std::to_string(length) +
                                                " bytes, more than the file and its pixels");
    }
    throw Error(ErrorCode::truncated_input,
                "tiff: data ends before strip or tile " + std::to_string(i) + " does");
  }
  if (image_bytes > stored * max_expansion(compression) + 1e6) {
    throw Error(ErrorCode::corrupt_input,
                "tiff: " + std::to_string(static_cast<std::uint64_t>(stored)) +
                    " bytes of pixel data cannot hold the declared " +
                    std::to_string(static_cast<std::uint64_t>(image_bytes)) + " bytes");
  }
}

// What the pixels are and how they are laid out.
struct Layout {
  std::uint32_t width = 0, height = 0;
  std::uint16_t bits = 8, samples = 1, photometric = PHOTOMETRIC_MINISBLACK;
  std::uint16_t planar = PLANARCONFIG_CONTIG, format = SAMPLEFORMAT_UINT;
  std::uint16_t compression = COMPRESSION_NONE;
  int alpha = 0;  ///< EXTRASAMPLE_* of the first extra sample, or -1 for none
};

Layout read_layout(TIFF* tif) {
  Layout l;
  TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &l.width);
  TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &l.height);
  l.bits = field<std::uint16_t>(tif, TIFFTAG_BITSPERSAMPLE, 1);
  l.samples = field<std::uint16_t>(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
  l.planar = field<std::uint16_t>(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  l.format = field<std::uint16_t>(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
  l.compression = field<std::uint16_t>(tif, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  if (TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &l.photometric) != 1) {
    l.photometric = l.samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  }
  std::uint16_t extra = 0;
  std::uint16_t* kinds = nullptr;
  l.alpha = -1;
  if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &extra, &kinds) == 1 && extra > 0 && kinds) {
    l.alpha = kinds[0];
  }
  // A fourth sample of RGB (second of gray) without an ExtraSamples tag is
  // taken as straight alpha, as OpenCV, which writes such files (our own -f
  // tiff), means it.
  const bool gray =
      l.photometric == PHOTOMETRIC_MINISBLACK || l.photometric == PHOTOMETRIC_MINISWHITE;
  if (l.alpha < 0 &&
      ((l.photometric == PHOTOMETRIC_RGB && l.samples >= 4) || (gray && l.samples >= 2))) {
    l.alpha = EXTRASAMPLE_UNSPECIFIED;
  }
  return l;
}

// Samples of colour (before any extra samples) for the photometrics read directly.
int colour_samples(const Layout& l) {
  switch (l.photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
      return 1;
    case PHOTOMETRIC_RGB:
      return 3;
    case PHOTOMETRIC_SEPARATED:
      return 4;
    case PHOTOMETRIC_YCBCR:
      return l.compression == COMPRESSION_JPEG ? 3 : 0;
    default:
      return 0;
  }
}

// True if the strips or tiles can be copied straight into the output.
bool reads_directly(TIFF* tif, const Layout& l) {
  const int colour = colour_samples(l);
  if (colour == 0 || l.samples < colour) return false;
  if (l.photometric == PHOTOMETRIC_SEPARATED &&
      field<std::uint16_t>(tif, TIFFTAG_INKSET, INKSET_CMYK) != INKSET_CMYK) {
    return false;
  }
  if (l.planar != PLANARCONFIG_CONTIG && l.samples > 1) return false;
  if (l.format == SAMPLEFORMAT_IEEEFP) return l.bits == 32;
  if (l.format != SAMPLEFORMAT_UINT) return false;
  return l.bits == 8 || l.bits == 16;
}

// Decodes strips or tiles (contiguous samples, `stored_type`) one at a time
// into a buffer that stays in cache, and hands each to `store(block, y, x)`
// (a Mat over the decoded samples, clipped to the image), which writes it to
// the output: one pass over the output's memory, not a decode and then a
// conversion of the whole image.
template <class Store>
void read_striles(TIFF* tif, Source& s, int width, int height, int stored_type, Store&& store) {
  const std::size_t pixel = CV_ELEM_SIZE(stored_type);
  DeadlineCheck<4> deadline;
  if (TIFFIsTiled(tif)) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    if (tw == 0 || th == 0) fail(s, "tiles without a size");
    const tmsize_t tile_bytes = TIFFTileSize(tif);
    if (tile_bytes <= 0 ||
        static_cast<std::uint64_t>(tile_bytes) < std::uint64_t{tw} * th * pixel) {
      fail(s, "tiles smaller than they declare");
    }
    std::vector<std::uint8_t> tile(static_cast<std::size_t>(tile_bytes));
    for (std::uint32_t y = 0; y < static_cast<std::uint32_t>(height); y += th) {
      for (std::uint32_t x = 0; x < static_cast<std::uint32_t>(width); x += tw) {
        if (deadline.passed()) throw timed_out_error("tiff decode");
        if (TIFFReadEncodedTile(tif, TIFFComputeTile(tif, x, y, 0, 0), tile.data(), tile_bytes) <
            0) {
          fail(s, "cannot decode a tile");
        }
        const int rows = static_cast<int>(std::min<std::uint32_t>(th, height - y));
        const int cols = static_cast<int>(std::min<std::uint32_t>(tw, width - x));
        store(cv::Mat(rows, cols, stored_type, tile.data(), tw * pixel), static_cast<int>(y),
              static_cast<int>(x));
      }
    }
    return;
  }
  const std::uint32_t per_strip = std::min<std::uint32_t>(
      field<std::uint32_t>(tif, TIFFTAG_ROWSPERSTRIP, height), static_cast<std::uint32_t>(height));
  const std::size_t row_bytes = static_cast<std::size_t>(width) * pixel;
  if (static_cast<std::uint64_t>(TIFFScanlineSize64(tif)) != row_bytes) {
    fail(s, "rows are not the size their samples make");
  }
  std::vector<std::uint8_t> buffer(per_strip * row_bytes);
  for (std::uint32_t y = 0, strip = 0; y < static_cast<std::uint32_t>(height);
       y += per_strip, ++strip) {
    if (deadline.passed()) throw timed_out_error("tiff decode");
    const std::uint32_t rows = std::min<std::uint32_t>(per_strip, height - y);
    if (TIFFReadEncodedStrip(tif, strip, buffer.data(), static_cast<tmsize_t>(rows * row_bytes)) <
        0) {
      fail(s, "cannot decode a strip");
    }
    store(cv::Mat(static_cast<int>(rows), width, stored_type, buffer.data(), row_bytes),
          static_cast<int>(y), 0);
  }
}

// Premultiplied colour back to straight colour, for `colour` samples before alpha.
template <class T>
void unpremultiply(cv::Mat& m, int colour, int alpha_at) {
  const double max = static_cast<double>(std::numeric_limits<T>::max());
  const int n = m.channels();
  for (int y = 0; y < m.rows; ++y) {
    T* p = m.ptr<T>(y);
    for (int x = 0; x < m.cols; ++x, p += n) {
      const T a = p[alpha_at];
      if (a == 0 || static_cast<double>(a) == max) continue;
      for (int c = 0; c < colour; ++c) {
        p[c] = static_cast<T>(std::min(max, std::round(p[c] * max / a)));
      }
    }
  }
}

// Samples as stored to what OpenCV works in: gray, BGR or BGRA.
cv::Mat to_opencv_order(cv::Mat m, const Layout& l, std::span<const std::uint8_t> icc,
                        bool& used_icc) {
  const int colour =
      l.photometric == PHOTOMETRIC_SEPARATED                                                 ? 4
      : (l.photometric == PHOTOMETRIC_MINISBLACK || l.photometric == PHOTOMETRIC_MINISWHITE) ? 1
                                                                                             : 3;
  const bool alpha = l.samples > colour && l.alpha >= 0;
  if (l.alpha == EXTRASAMPLE_ASSOCALPHA && l.samples > colour) {
    if (m.depth() == CV_8U) unpremultiply<std::uint8_t>(m, colour, colour);
    if (m.depth() == CV_16U) unpremultiply<std::uint16_t>(m, colour, colour);
  }
  if (l.photometric == PHOTOMETRIC_MINISWHITE) {
    // 0 is white: invert the gray only.
    std::vector<cv::Mat> planes;
    cv::split(m, planes);
    if (m.depth() == CV_32F) {
      planes[0] = 1.0 - planes[0];
    } else {
      cv::bitwise_not(planes[0], planes[0]);
    }
    cv::merge(planes, m);
  }
  cv::Mat out;
  if (l.photometric == PHOTOMETRIC_SEPARATED) {
    cv::Mat cmyk;
    if (m.channels() != 4) {
      cv::mixChannels(std::vector<cv::Mat>{m},
                      std::vector<cv::Mat>{cmyk = cv::Mat(m.size(), CV_MAKETYPE(m.depth(), 4))},
                      {0, 0, 1, 1, 2, 2, 3, 3});
    } else {
      cmyk = m;
    }
    if (cmyk.depth() == CV_16U) cmyk.convertTo(cmyk, CV_8U, 1.0 / 257.0);
    if (cmyk.depth() == CV_32F) cmyk.convertTo(cmyk, CV_8U, 255.0);
    used_icc = !icc.empty() && cmyk_to_srgb(cmyk, false, icc, out);
    if (!used_icc) {
      out.create(cmyk.size(), CV_8UC3);
      for (int y = 0; y < cmyk.rows; ++y) {
        const auto* in = cmyk.ptr<std::uint8_t>(y);
        auto* o = out.ptr<std::uint8_t>(y);
        for (int x = 0; x < cmyk.cols; ++x, in += 4, o += 3) {
          const int k = 255 - in[3];
          o[0] = static_cast<std::uint8_t>((255 - in[2]) * k / 255);
          o[1] = static_cast<std::uint8_t>((255 - in[1]) * k / 255);
          o[2] = static_cast<std::uint8_t>((255 - in[0]) * k / 255);
        }
      }
    }
    return out;
  }
  if (colour == 1) {
    if (!alpha) {
      if (m.channels() == 1) return m;
      cv::extractChannel(m, out, 0);
      return out;
    }
    out.create(m.size(), CV_MAKETYPE(m.depth(), 4));
    cv::mixChannels(std::vector<cv::Mat>{m}, std::vector<cv::Mat>{out}, {0, 0, 0, 1, 0, 2, 1, 3});
    return out;
  }
  if (alpha) {
    out.create(m.size(), CV_MAKETYPE(m.depth(), 4));
    cv::mixChannels(std::vector<cv::Mat>{m}, std::vector<cv::Mat>{out}, {0, 2, 1, 1, 2, 0, 3, 3});
    return out;
  }
  if (m.channels() == 3) {
    cv::cvtColor(m, out, cv::COLOR_RGB2BGR);
  } else {
    out.create(m.size(), CV_MAKETYPE(m.depth(), 3));
    cv::mixChannels(std::vector<cv::Mat>{m}, std::vector<cv::Mat>{out}, {0, 2, 1, 1, 2, 0});
  }
  return out;
}

// libtiff's RGBA reader for everything else: 8-bit BGRA (BGR without alpha),
// straight alpha, stored row order. Read in bands of rows.
cv::Mat read_through_rgba(TIFF* tif, Source& s, const Layout& l) {
  char why[1024] = {};
  TIFFRGBAImage img;
  if (!TIFFRGBAImageOK(tif, why) || !TIFFRGBAImageBegin(&img, tif, 1, why)) {
    if (s.ran_out) fail(s, why);
    throw Error(ErrorCode::unsupported_format, std::string("tiff: ") + why);
  }
  std::unique_ptr<TIFFRGBAImage, void (*)(TIFFRGBAImage*)> end(&img, TIFFRGBAImageEnd);
  img.req_orientation = img.orientation;  // no flips: rows as stored
  const bool alpha = img.alpha != 0;
  cv::Mat rgba(static_cast<int>(l.height), static_cast<int>(l.width), CV_8UC4);
  constexpr std::uint32_t kBand = 64;
  DeadlineCheck<1> deadline;
  for (std::uint32_t y = 0; y < l.height; y += kBand) {
    if (deadline.passed()) throw timed_out_error("tiff decode");
    const std::uint32_t rows = std::min(kBand, l.height - y);
    img.row_offset = static_cast<int>(y);
    img.col_offset = 0;
    if (!TIFFRGBAImageGet(&img, reinterpret_cast<std::uint32_t*>(rgba.ptr(static_cast<int>(y))),
                          l.width, rows)) {
      fail(s, "cannot decode the image");
    }
  }
  // ABGR packed in native words: R, G, B, A bytes on a little-endian machine.
  cv::Mat out;
  if (!alpha) {
    cv::cvtColor(rgba, out, cv::COLOR_RGBA2BGR);
    return out;
  }
  // TIFFRGBAImage premultiplies unassociated alpha (and keeps associated).
  unpremultiply<std::uint8_t>(rgba, 3, 3);
  cv::cvtColor(rgba, out, cv::COLOR_RGBA2BGRA);
  return out;
}

// libtiff's open options, its errors and warnings going to `s`.
std::unique_ptr<TIFFOpenOptions, OptionsFree> open_options_for(Source& s) {
  std::unique_ptr<TIFFOpenOptions, OptionsFree> options(TIFFOpenOptionsAlloc());
  if (!options) throw Error(ErrorCode::decode_error, "tiff: out of memory");
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), error_handler, &s);
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), warning_handler, &s);
  return options;
}

}  // namespace

SourceInfo read_tiff_header(InputBytes& input) {
  Source s;
  s.input = &input;
  const auto open_options = open_options_for(s);
  // The directory only: "O" leaves the strip and tile offsets unread.
  const std::unique_ptr<TIFF, TiffCloser> tiff(
      TIFFClientOpenExt("header", "rcO", &s, read_proc, write_proc, seek_proc, tiff_io::close,
                        size_proc, map_proc, unmap_proc, open_options.get()));
  if (!tiff) fail(s, "cannot read the first directory");
  std::uint32_t width = 0, height = 0;
  std::uint16_t orientation = 1;
  TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height);
  TIFFGetField(tiff.get(), TIFFTAG_ORIENTATION, &orientation);
  if (width == 0 || height == 0) {
    throw Error(ErrorCode::corrupt_input, "tiff declares no (or a zero) width or height");
  }
  return {Format::tiff, static_cast<int>(std::min<std::uint32_t>(width, INT32_MAX)),
          static_cast<int>(std::min<std::uint32_t>(height, INT32_MAX)),
          orientation >= 1 && orientation <= 8 ? orientation : 1};
}

Image decode_tiff(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options) {
  InputBytes input = InputBytes::view(bytes);
  return decode_tiff(input, header, options);
}

Image decode_tiff(InputBytes& input, const SourceInfo& header, const DecodeOptions& options) {
  check_pixel_limit(header, options.max_pixels);
  Source s;
  s.input = &input;
  const auto open_options = open_options_for(s);
  // No single allocation of libtiff's beyond what the declared image needs
  // (up to five 32-bit samples a pixel), plus room for tables and strips.
  const std::uint64_t image_bytes = static_cast<std::uint64_t>(header.width) * header.height * 20;
  TIFFOpenOptionsSetMaxSingleMemAlloc(
      open_options.get(), static_cast<tmsize_t>(std::min<std::uint64_t>(image_bytes + (64u << 20),
                                                                        std::uint64_t{1} << 62)));
  // "c": no strip chopping, so the strips checked are the ones the file
  // declares (we decode into the output). The bytes are "mapped": libtiff
  // checks its reads of them against the size itself, and strips are checked
  // against the file below.
  const std::unique_ptr<TIFF, TiffCloser> tiff(
      TIFFClientOpenExt("memory", "rc", &s, read_proc, write_proc, seek_proc, tiff_io::close,
                        size_proc, map_proc, unmap_proc, open_options.get()));
  if (!tiff) fail(s, "cannot read the first directory");
  TIFF* tif = tiff.get();
  Layout l = read_layout(tif);
  if (l.width == 0 || l.height == 0 || l.width > INT32_MAX || l.height > INT32_MAX) {
    throw Error(ErrorCode::corrupt_input, "tiff declares an invalid size");
  }
  Image image;
  image.source = {Format::tiff, static_cast<int>(l.width), static_cast<int>(l.height),
                  header.orientation};
  // libtiff's own reading of the size (the first of repeated tags) too.
  check_pixel_limit(image.source, options.max_pixels);
  check_striles(tif, s, static_cast<double>(l.width) * l.height * l.samples * l.bits / 8.0,
                l.compression);
  if (TIFFIsTiled(tif)) {
    // A tile may overhang the image, but not by absurd amounts (a 1x1 image
    // in one 65536x65536 tile would decode 16 GB).
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    if (tw > l.width + 1024 || th > l.height + 1024) {
      throw Error(ErrorCode::corrupt_input, "tiff: tiles far larger than the image");
    }
  }

  std::uint32_t icc_size = 0;
  void* icc_data = nullptr;
  std::vector<std::uint8_t> icc;
  if (TIFFGetField(tif, TIFFTAG_ICCPROFILE, &icc_size, &icc_data) == 1 && icc_data) {
    const auto* p = static_cast<const std::uint8_t*>(icc_data);
    icc.assign(p, p + icc_size);
  }

  if (l.photometric == PHOTOMETRIC_YCBCR && l.compression == COMPRESSION_JPEG) {
    // libjpeg converts to RGB (and upsamples the chroma) as it decodes.
    TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    l.photometric = PHOTOMETRIC_RGB;
  }
  if (reads_directly(tif, l)) {
    const int depth = l.bits == 8 ? CV_8U : l.bits == 16 ? CV_16U : CV_32F;
    if (l.samples > CV_CN_MAX) fail(s, "too many samples per pixel");
    const int stored_type = CV_MAKETYPE(depth, l.samples);
    const int width = static_cast<int>(l.width), height = static_cast<int>(l.height);
    // The common case, RGB or RGBA with straight alpha, turned into BGR(A)
    // block by block; everything else whole, afterwards.
    const bool plain_rgb =
        l.photometric == PHOTOMETRIC_RGB && depth != CV_32F &&
        (l.samples == 3 || (l.samples == 4 && l.alpha >= 0 && l.alpha != EXTRASAMPLE_ASSOCALPHA));
    if (plain_rgb) {
      image.pixels.create(height, width, stored_type);
      const int code = l.samples == 3 ? cv::COLOR_RGB2BGR : cv::COLOR_RGBA2BGRA;
      read_striles(tif, s, width, height, stored_type, [&](const cv::Mat& block, int y, int x) {
        cv::Mat target = image.pixels(cv::Rect(x, y, block.cols, block.rows));
        cv::cvtColor(block, target, code);
      });
      image.icc = std::move(icc);
    } else {
      cv::Mat stored(height, width, stored_type);
      read_striles(tif, s, width, height, stored_type, [&](const cv::Mat& block, int y, int x) {
        block.copyTo(stored(cv::Rect(x, y, block.cols, block.rows)));
      });
      bool used_icc = false;
      image.pixels = to_opencv_order(std::move(stored), l, icc, used_icc);
      if (!used_icc && l.photometric != PHOTOMETRIC_SEPARATED) image.icc = std::move(icc);
    }
  } else {
    image.pixels = read_through_rgba(tif, s, l);
    // TIFFRGBAImage gives RGB for every photometric it reads: a profile
    // applies only if it described RGB pixels in the first place.
    if (l.photometric == PHOTOMETRIC_RGB || l.photometric == PHOTOMETRIC_PALETTE ||
        l.photometric == PHOTOMETRIC_YCBCR) {
      image.icc = std::move(icc);
    }
  }
  // Everything downstream works on 8-bit (or 16-bit) gray, BGR or BGRA.
  if (image.pixels.depth() == CV_16U && !options.keep_16bit) {
    image.pixels.convertTo(image.pixels, CV_8U, 1.0 / 257.0);
  } else if (image.pixels.depth() == CV_32F) {
    image.pixels.convertTo(image.pixels, CV_8U, 255.0);
  }
  if (s.read_failed) throw *s.read_failed;
  image.warnings = std::move(s.warnings);
  return image;
}

}  // namespace imgflow::detail
