// The common PNG (8-bit gray, RGB or RGBA, not interlaced, no tRNS) decoded in
// one pass: the IDAT stream inflated with libdeflate, which is about twice as
// fast as zlib at inflating a whole buffer, then each row unfiltered in place
// and converted to OpenCV's BGR(A) order. Anything else, and anything at all
// unexpected (a CRC mismatch, a missing IEND, too much or too little data, an
// unknown critical chunk), returns false: decode_png then reads the file with
// libpng, which handles every PNG and reports each problem in its own words.
#include <libdeflate.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <cstring>
#include <limits>
#include <utility>

#include "codec/decoders.hpp"
#include "codec/png_chunks.hpp"
#include "codec/png_filter.hpp"
#include "codec/thread_handle_cache.hpp"
#include "core/byte_order.hpp"

namespace imgflow::detail {
namespace {

// One decompressor per thread, reused across files.
libdeflate_decompressor* thread_decompressor() {
  return ThreadHandleCache<libdeflate_decompressor*, libdeflate_free_decompressor>::get(
      0, libdeflate_alloc_decompressor);
}

// iCCP: a name, a NUL, compression method 0, then the zlib-compressed profile.
bool inflate_icc(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& icc) {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(data.data(), 0, data.size()));
  if (!nul || nul + 2 > data.data() + data.size() || nul[1] != 0) return false;
  const std::span<const std::uint8_t> compressed(nul + 2, data.data() + data.size());
  for (std::size_t capacity = 64 * 1024; capacity <= 64 * 1024 * 1024; capacity *= 4) {
    icc.resize(capacity);
    std::size_t size = 0;
    const auto result = libdeflate_zlib_decompress(thread_decompressor(), compressed.data(),
                                                   compressed.size(), icc.data(), capacity, &size);
    if (result == LIBDEFLATE_SUCCESS) {
      icc.resize(size);
      return true;
    }
    if (result != LIBDEFLATE_INSUFFICIENT_SPACE) break;
  }
  icc.clear();
  return false;
}

#ifdef __SSE2__
// Sub, Average and Paeth depend on the pixel to the left, so a row cannot be
// vectorised along its length; a pixel's 3 or 4 bytes are independent,
// though, and are worked on together as 16-bit lanes of one SSE2 register
// (as libpng's own SSE2 filters do). Lanes past Bpp are never stored.
__m128i load_pixel(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return _mm_unpacklo_epi8(_mm_cvtsi32_si128(static_cast<int>(v)), _mm_setzero_si128());
}

template <int Bpp>
void store_pixel(std::uint8_t* p, __m128i v) {
  const __m128i bytes = _mm_and_si128(v, _mm_set1_epi16(0xFF));
  const auto packed = static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(bytes, bytes)));
  std::memcpy(p, &packed, Bpp);
}

__m128i abs16(__m128i v) {
  return _mm_max_epi16(v, _mm_sub_epi16(_mm_setzero_si128(), v));
}

__m128i select(__m128i mask, __m128i yes, __m128i no) {
  return _mm_or_si128(_mm_and_si128(mask, yes), _mm_andnot_si128(mask, no));
}

// Filter 1, 3 or 4 of a row of Bpp-byte pixels (Bpp 3 or 4); reads one byte
// past the row when Bpp is 3 (the caller pads the buffer).
template <int Filter, int Bpp>
void unfilter_pixels(std::uint8_t* row, const std::uint8_t* prior, std::size_t length) {
  __m128i a = _mm_setzero_si128(), c = _mm_setzero_si128();
  for (std::size_t i = 0; i + Bpp <= length; i += Bpp) {
    __m128i predicted;
    if constexpr (Filter == 1) {
      predicted = a;
    } else {
      const __m128i b = load_pixel(prior + i);
      if constexpr (Filter == 3) {
        predicted = _mm_srli_epi16(_mm_add_epi16(a, b), 1);
      } else {
        const __m128i pa = abs16(_mm_sub_epi16(b, c));
        const __m128i pb = abs16(_mm_sub_epi16(a, c));
        const __m128i pc = abs16(_mm_sub_epi16(_mm_add_epi16(a, b), _mm_add_epi16(c, c)));
        const __m128i smallest = _mm_min_epi16(pc, _mm_min_epi16(pa, pb));
        // Ties go to a, then b, then c.
        predicted =
            select(_mm_cmpeq_epi16(smallest, pa), a, select(_mm_cmpeq_epi16(smallest, pb), b, c));
      }
      c = b;
    }
    // The stored R, G, B(, A) as B, G, R(, A): see unfilter().
    const __m128i x = _mm_shufflelo_epi16(load_pixel(row + i), _MM_SHUFFLE(3, 0, 1, 2));
    a = _mm_and_si128(_mm_add_epi16(x, predicted), _mm_set1_epi16(0xFF));
    store_pixel<Bpp>(row + i, a);
  }
}
#endif

// Swaps the first and third byte of every Bpp-byte pixel: RGB(A) <-> BGR(A).
template <int Bpp>
void swap_red_blue(std::uint8_t* row, std::size_t length) {
  for (std::size_t i = 0; i + Bpp <= length; i += Bpp) std::swap(row[i], row[i + 2]);
}

// Undoes one row's filter in place (PNG spec, section 9) and, for colour,
// turns RGB(A) into BGR(A) on the way. `prior` is the previous row, already
// done (all zeros for the first row). Every filter works per channel with a
// whole pixel's offset, so swapping channels before or after gives the same.
template <int Bpp>
bool unfilter_row(int filter, std::uint8_t* row, const std::uint8_t* prior, std::size_t length) {
  if (filter == 0 || filter == 2) {
    if constexpr (Bpp >= 3) swap_red_blue<Bpp>(row, length);
    if (filter == 2) {
      for (std::size_t i = 0; i < length; ++i) row[i] = std::uint8_t(row[i] + prior[i]);
    }
    return true;
  }
#ifdef __SSE2__
  if constexpr (Bpp >= 3) {
    switch (filter) {
      case 1:
        unfilter_pixels<1, Bpp>(row, prior, length);
        return true;
      case 3:
        unfilter_pixels<3, Bpp>(row, prior, length);
        return true;
      case 4:
        unfilter_pixels<4, Bpp>(row, prior, length);
        return true;
      default:
        return false;
    }
  }
#endif
  if constexpr (Bpp >= 3) swap_red_blue<Bpp>(row, length);
  switch (filter) {
    case 1:
      for (std::size_t i = Bpp; i < length; ++i) row[i] = std::uint8_t(row[i] + row[i - Bpp]);
      return true;
    case 3:
      for (std::size_t i = 0; i < Bpp; ++i) row[i] = std::uint8_t(row[i] + (prior[i] >> 1));
      for (std::size_t i = Bpp; i < length; ++i) {
        row[i] = std::uint8_t(row[i] + ((row[i - Bpp] + prior[i]) >> 1));
      }
      return true;
    case 4:
      for (std::size_t i = 0; i < Bpp; ++i) row[i] = std::uint8_t(row[i] + prior[i]);
      for (std::size_t i = Bpp; i < length; ++i) {
        row[i] = std::uint8_t(row[i] + paeth(row[i - Bpp], prior[i], prior[i - Bpp]));
      }
      return true;
    default:
      return false;
  }
}

template <int Bpp>
bool unfilter(std::uint8_t* raw, std::size_t rows, std::size_t row_bytes) {
  const std::vector<std::uint8_t> zeros(row_bytes + 1, 0);
  const std::uint8_t* prior = zeros.data();
  for (std::size_t y = 0; y < rows; ++y) {
    std::uint8_t* line = raw + y * (row_bytes + 1);
    if (!unfilter_row<Bpp>(line[0], line + 1, prior, row_bytes)) return false;
    prior = line + 1;
  }
  return true;
}

}  // namespace

bool decode_png_whole(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                      Image& image) {
  std::vector<PngChunk> chunks;
  if (!read_png_chunks(bytes, chunks) || chunks.front().type != png_tag("IHDR") ||
      chunks.front().data.size() != 13) {
    return false;
  }
  const std::uint8_t* ihdr = chunks.front().data.data();
  const std::uint32_t width = be32(chunks.front().data, 0), height = be32(chunks.front().data, 4);
  const int bit_depth = ihdr[8], color_type = ihdr[9];
  const int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 6 ? 4 : 0;
  // compression, filter method, interlace: 0, 0, 0 (none) only.
  if (bit_depth != 8 || channels == 0 || ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] != 0 ||
      width == 0 || height == 0 || width > 0x7fffffffu || height > 0x7fffffffu) {
    return false;
  }
  image.source = {Format::png, static_cast<int>(width), static_cast<int>(height)};
  check_pixel_limit(image.source, options.max_pixels);

  std::size_t compressed_size = 0;
  bool idat_ended = false;
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    const PngChunk& c = chunks[i];
    if (c.type == png_tag("IDAT")) {
      if (idat_ended) return false;  // IDAT chunks must be consecutive
      compressed_size += c.data.size();
    } else {
      if (compressed_size > 0) idat_ended = true;
      if (c.type == png_tag("tRNS")) return false;  // transparency by colour key: libpng's job
      // One profile at most, as PNG allows: each inflates to up to 64 MiB in
      // several tries, so a file repeating a compressed bomb of a profile
      // would cost that much time per copy. A second one is libpng's to judge.
      if (c.type == png_tag("iCCP") && (!image.icc.empty() || !inflate_icc(c.data, image.icc))) {
        return false;
      }
      // Unknown critical chunks (upper-case first letter) other than these: give up.
      const bool critical = (c.type & 0x20000000u) == 0;
      if (critical && c.type != png_tag("IEND") && c.type != png_tag("PLTE")) return false;
    }
  }
  if (compressed_size == 0) return false;

  std::vector<std::uint8_t> compressed;
  compressed.reserve(compressed_size);
  for (const PngChunk& c : chunks) {
    if (c.type == png_tag("IDAT"))
      compressed.insert(compressed.end(), c.data.begin(), c.data.end());
  }
  const std::size_t row_bytes = std::size_t{width} * channels;
  const std::size_t raw_size = std::size_t{height} * (row_bytes + 1);
  // The inflated rows, each led by its filter byte, are unfiltered in place
  // and become the image: a view without the filter bytes (the extra row is
  // padding for unfilter_pixels' reads).
  if (raw_size > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  cv::Mat raw(static_cast<int>(height) + 1, static_cast<int>(row_bytes) + 1, CV_8U);
  // Exactly raw_size bytes, or it is not the simple case (nullptr: no shorter output).
  if (libdeflate_zlib_decompress(thread_decompressor(), compressed.data(), compressed.size(),
                                 raw.data, raw_size, nullptr) != LIBDEFLATE_SUCCESS) {
    return false;
  }
  compressed = {};
  const bool unfiltered = channels == 1   ? unfilter<1>(raw.data, height, row_bytes)
                          : channels == 3 ? unfilter<3>(raw.data, height, row_bytes)
                                          : unfilter<4>(raw.data, height, row_bytes);
  if (!unfiltered) return false;
  image.pixels =
      raw(cv::Range(0, static_cast<int>(height)), cv::Range(1, static_cast<int>(row_bytes) + 1))
          .reshape(channels);
  return true;
}

}  // namespace imgflow::detail
