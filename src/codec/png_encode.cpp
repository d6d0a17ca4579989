// PNG encoding: each row filtered with the usual heuristic (of the five
// filters, the one whose output has the smallest sum of absolute values, as
// libpng's adaptive filtering does), all rows compressed in one call with
// libdeflate, and framed as IHDR, one IDAT, IEND. libpng cannot use
// libdeflate; zlib through libpng took 122 ms for an 800x533 photo at level 6
// (bench/results/micro.md), libdeflate at the same level about a third.
#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "codec/encoders.hpp"
#include "codec/png_filter.hpp"
#include "codec/thread_handle_cache.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {
namespace {

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_chunk(std::vector<std::uint8_t>& out, const char (&type)[5], const std::uint8_t* data,
               std::size_t size) {
  put_be32(out, static_cast<std::uint32_t>(size));
  const std::size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  if (size > 0) out.insert(out.end(), data, data + size);
  put_be32(out, libdeflate_crc32(0, &out[type_at], 4 + size));
}

// Row y in PNG's sample order: RGB(A) from OpenCV's BGR(A), 16-bit big-endian.
void png_row(const cv::Mat& pixels, int y, std::uint8_t* out) {
  const int channels = pixels.channels();
  const int width = pixels.cols;
  if (pixels.depth() == CV_8U) {
    const std::uint8_t* in = pixels.ptr<std::uint8_t>(y);
    if (channels == 1) {
      std::memcpy(out, in, static_cast<std::size_t>(width));
      return;
    }
    for (int x = 0; x < width; ++x, in += channels, out += channels) {
      out[0] = in[2];
      out[1] = in[1];
      out[2] = in[0];
      if (channels == 4) out[3] = in[3];
    }
    return;
  }
  const std::uint16_t* in = pixels.ptr<std::uint16_t>(y);
  for (int x = 0; x < width; ++x, in += channels) {
    for (int c = 0; c < channels; ++c) {
      const int from = channels >= 3 && c < 3 ? 2 - c : c;
      *out++ = static_cast<std::uint8_t>(in[from] >> 8);
      *out++ = static_cast<std::uint8_t>(in[from] & 0xFF);
    }
  }
}

// Writes `row` filtered with `Filter` into `out` and returns the sum of the
// filtered bytes read as signed: the smaller, the better deflate usually does.
template <int Filter>
std::uint64_t apply_filter(const std::uint8_t* row, const std::uint8_t* prior, std::size_t length,
                           std::size_t bpp, std::uint8_t* out) {
  std::uint64_t cost = 0;
  for (std::size_t i = 0; i < length; ++i) {
    const int a = i >= bpp ? row[i - bpp] : 0;
    const int b = prior[i];
    const int c = i >= bpp ? prior[i - bpp] : 0;
    int predicted = 0;
    if constexpr (Filter == 1) predicted = a;
    if constexpr (Filter == 2) predicted = b;
    if constexpr (Filter == 3) predicted = (a + b) >> 1;
    if constexpr (Filter == 4) predicted = paeth(a, b, c);
    const auto v = static_cast<std::uint8_t>(row[i] - predicted);
    out[i] = v;
    cost += static_cast<std::uint64_t>(std::abs(static_cast<std::int8_t>(v)));
  }
  return cost;
}

using FilterFunction = std::uint64_t (*)(const std::uint8_t*, const std::uint8_t*, std::size_t,
                                         std::size_t, std::uint8_t*);
constexpr FilterFunction kFilters[5] = {apply_filter<0>, apply_filter<1>, apply_filter<2>,
                                        apply_filter<3>, apply_filter<4>};

// One compressor per thread and level (level 0 stores, 9 squeezes hardest).
libdeflate_compressor* thread_compressor(int level) {
  auto* compressor = ThreadHandleCache<libdeflate_compressor*, libdeflate_free_compressor, 10>::get(
      static_cast<std::size_t>(level), [&] { return libdeflate_alloc_compressor(level); });
  if (!compressor) throw Error(ErrorCode::encode_error, "png: cannot create a compressor");
  return compressor;
}

// The metadata chunks, all before the image data: iCCP (a name, compression
// method 0, the zlib-compressed profile), eXIf (the TIFF block as it is) and
// XMP as iTXt with the keyword Adobe's specification gives, uncompressed.
void put_metadata(std::vector<std::uint8_t>& out, const EncodeOptions& settings) {
  if (!settings.icc.empty()) {
    libdeflate_compressor* compressor = thread_compressor(9);
    static constexpr char kName[] = "ICC profile";  // and its NUL
    std::vector<std::uint8_t> iccp(kName, kName + sizeof kName);
    iccp.push_back(0);  // compression method: zlib
    const std::size_t at = iccp.size();
    iccp.resize(at + libdeflate_zlib_compress_bound(compressor, settings.icc.size()));
    const std::size_t size = libdeflate_zlib_compress(
        compressor, settings.icc.data(), settings.icc.size(), &iccp[at], iccp.size() - at);
    if (size == 0) throw Error(ErrorCode::encode_error, "png: compression failed");
    iccp.resize(at + size);
    put_chunk(out, "iCCP", iccp.data(), iccp.size());
  }
  if (!settings.exif.empty()) put_chunk(out, "eXIf", settings.exif.data(), settings.exif.size());
  if (!settings.xmp.empty()) {
    // Keyword, NUL, compression flag 0 and method 0, empty language tag and
    // translated keyword (each NUL-terminated), then the text.
    static constexpr char kHeader[] = "XML:com.adobe.xmp\0\0\0\0";  // and the literal's NUL
    std::vector<std::uint8_t> itxt(kHeader, kHeader + sizeof kHeader);
    itxt.insert(itxt.end(), settings.xmp.begin(), settings.xmp.end());
    put_chunk(out, "iTXt", itxt.data(), itxt.size());
  }
}

}  // namespace

std::vector<std::uint8_t> encode_png(const cv::Mat& pixels, const EncodeOptions& settings) {
  const int compression_level = settings.png_compression;
  const int channels = pixels.channels();
  if ((pixels.depth() != CV_8U && pixels.depth() != CV_16U) ||
      (channels != 1 && channels != 3 && channels != 4) || compression_level < 0 ||
      compression_level > 9) {
    throw Error(ErrorCode::encode_error,
                "png: needs 8- or 16-bit gray, BGR or BGRA pixels and a level of 0-9");
  }
  const int depth = pixels.depth() == CV_16U ? 16 : 8;
  const std::size_t bpp = static_cast<std::size_t>(channels) * (depth / 8);
  const std::size_t row_bytes = bpp * static_cast<std::size_t>(pixels.cols);
  const auto rows = static_cast<std::size_t>(pixels.rows);

  // Filtered rows, each led by its filter type, as deflate's input.
  std::vector<std::uint8_t> filtered(rows * (row_bytes + 1));
  std::vector<std::uint8_t> row(row_bytes), prior(row_bytes, 0), trial(row_bytes);
  // Filtering is most of the time; libdeflate's one call after it cannot be
  // stopped, but is bounded by the pixels (the pipeline checks when it returns).
  DeadlineCheck<16> deadline;
  for (std::size_t y = 0; y < rows; ++y) {
    if (deadline.passed()) throw timed_out_error("png encode");
    png_row(pixels, static_cast<int>(y), row.data());
    std::uint8_t* line = &filtered[y * (row_bytes + 1)];
    std::uint64_t best = UINT64_MAX;
    for (int filter = 0; filter <= 4; ++filter) {
      const std::uint64_t cost =
          kFilters[filter](row.data(), prior.data(), row_bytes, bpp, trial.data());
      if (cost < best) {
        best = cost;
        line[0] = static_cast<std::uint8_t>(filter);
        std::memcpy(line + 1, trial.data(), row_bytes);
      }
    }
    std::swap(row, prior);
  }

  libdeflate_compressor* compressor = thread_compressor(compression_level);
  std::vector<std::uint8_t> idat(libdeflate_zlib_compress_bound(compressor, filtered.size()));
  const std::size_t idat_size = libdeflate_zlib_compress(compressor, filtered.data(),
                                                         filtered.size(), idat.data(), idat.size());
  if (idat_size == 0) throw Error(ErrorCode::encode_error, "png: compression failed");
  filtered = {};

  std::vector<std::uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  out.reserve(idat_size + 64);
  std::vector<std::uint8_t> ihdr;
  put_be32(ihdr, static_cast<std::uint32_t>(pixels.cols));
  put_be32(ihdr, static_cast<std::uint32_t>(pixels.rows));
  const std::uint8_t colour_type = channels == 1 ? 0 : channels == 3 ? 2 : 6;
  ihdr.insert(ihdr.end(), {static_cast<std::uint8_t>(depth), colour_type, 0, 0, 0});
  put_chunk(out, "IHDR", ihdr.data(), ihdr.size());
  put_metadata(out, settings);
  // Chunks hold at most 2^31 - 1 bytes.
  constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
  for (std::size_t at = 0; at < idat_size; at += kMaxChunk) {
    put_chunk(out, "IDAT", idat.data() + at, std::min(kMaxChunk, idat_size - at));
  }
  put_chunk(out, "IEND", nullptr, 0);
  return out;
}

}  // namespace imgflow::detail
