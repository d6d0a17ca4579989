// Format detection by content, and header-only size reading, so that limits
// are checked before any decoder allocates the declared image.
#include <algorithm>
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/decoders.hpp"
#include "codec/jpeg_metadata.hpp"
#include "core/byte_order.hpp"
#include "core/format_table.hpp"
#include "core/input_bytes.hpp"
#include "core/tiff_ifd.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/error.hpp"

namespace imgflow {
namespace {

using detail::be16;
using detail::be32;
using detail::Bytes;
using detail::le16;
using detail::le24;
using detail::le32;
using detail::starts_with;

// A progressive JPEG's coefficient buffer: 64 two-byte coefficients per 8x8
// block of every component, at the component's sampling (SOF at `at`).
std::uint64_t coefficient_bytes(Bytes b, std::size_t at, int width, int height) {
  if (at + 8 > b.size()) return 0;
  const int components = b[at + 7];
  if (at + 8 + 3 * static_cast<std::size_t>(components) > b.size()) return 0;
  int h_max = 1, v_max = 1;
  for (int c = 0; c < components; ++c) {
    const int sampling = b[at + 9 + 3 * c];
    h_max = std::max(h_max, sampling >> 4);
    v_max = std::max(v_max, sampling & 15);
  }
  std::uint64_t bytes = 0;
  for (int c = 0; c < components; ++c) {
    const int sampling = b[at + 9 + 3 * c];
    const std::uint64_t w =
        (static_cast<std::uint64_t>(width) * std::max(1, sampling >> 4) + 8 * h_max - 1) /
        (8 * h_max);
    const std::uint64_t h =
        (static_cast<std::uint64_t>(height) * std::max(1, sampling & 15) + 8 * v_max - 1) /
        (8 * v_max);
    bytes += w * h * 64 * 2;
  }
  return bytes;
}

std::int32_t le32s(Bytes b, std::size_t i) {
  return static_cast<std::int32_t>(le32(b, i));
}

[[noreturn]] void truncated_header(Format f) {
  throw Error(ErrorCode::truncated_input,
              std::string(format_name(f)) + " data ends before the image size");
}

// A start-of-frame marker (SOF0-SOF15 but DHT, JPG and DAC).
bool starts_frame(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the JPEG markers to the first start-of-frame.
SourceInfo jpeg_header(Bytes b) {
  std::size_t i = 2;
  while (true) {
    const std::size_t junk_start = i;
    while (i < b.size() && b[i] != 0xFF) ++i;  // tolerate junk between segments
    while (i < b.size() && b[i] == 0xFF) ++i;  // fill bytes
    if (i >= b.size()) {
      // Data that ends inside junk is damage, not a file cut short.
      if (i - junk_start > 16) {
        throw Error(ErrorCode::corrupt_input, "jpeg has no frame header (garbage after the start)");
      }
      truncated_header(Format::jpeg);
    }
    const std::uint8_t marker = b[i++];
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) continue;
    if (marker == 0xD9 || marker == 0xDA)
      throw Error(ErrorCode::corrupt_input, "jpeg has no frame header before its image data");
    if (i + 2 > b.size()) truncated_header(Format::jpeg);
    const std::size_t length = be16(b, i);
    const bool is_sof = starts_frame(marker);
    if (is_sof) {
      if (i + 7 > b.size()) truncated_header(Format::jpeg);
      SourceInfo info{Format::jpeg, static_cast<int>(be16(b, i + 5)),
                      static_cast<int>(be16(b, i + 3)), detail::jpeg_exif_orientation(b)};
      const bool progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE;
      if (progressive) info.coefficient_bytes = coefficient_bytes(b, i, info.width, info.height);
      return info;
    }
    if (length < 2) throw Error(ErrorCode::corrupt_input, "jpeg has a malformed marker segment");
    i += length;
  }
}

// jpeg_header() for a file in pieces whose frame header lies past its head
// (metadata segments before it: 1.5 GB of APP15 segments, say): the markers
// walked through InputBytes::read, and the start marker, the first Exif APP1
// (the orientation) and the frame header put together for jpeg_header().
SourceInfo jpeg_header_in_pieces(detail::InputBytes& input) {
  std::vector<std::uint8_t> kept = {0xFF, 0xD8};
  bool exif_kept = false;
  std::uint64_t at = 2;
  std::uint8_t byte = 0;
  const auto next = [&] { return input.read(at, &byte, 1) == 1; };
  // Appends the segment at `at` (its length bytes first) after its marker.
  const auto keep = [&](std::uint8_t marker, std::size_t length) {
    const std::size_t start = kept.size();
    kept.insert(kept.end(), {0xFF, marker});
    kept.resize(start + 2 + length);
    if (input.read(at, kept.data() + start + 2, length) != length) truncated_header(Format::jpeg);
  };
  while (true) {
    const std::uint64_t junk_start = at;
    while (next() && byte != 0xFF) ++at;
    while (next() && byte == 0xFF) ++at;
    if (!next()) {
      if (at - junk_start > 16) {
        throw Error(ErrorCode::corrupt_input, "jpeg has no frame header (garbage after the start)");
      }
      truncated_header(Format::jpeg);
    }
    const std::uint8_t marker = byte;
    ++at;
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      throw Error(ErrorCode::corrupt_input, "jpeg has no frame header before its image data");
    }
    std::array<std::uint8_t, 2> size{};
    if (input.read(at, size.data(), 2) != 2) truncated_header(Format::jpeg);
    const std::size_t length = (std::size_t{size[0]} << 8) | size[1];
    if (length < 2) throw Error(ErrorCode::corrupt_input, "jpeg has a malformed marker segment");
    const bool is_sof = starts_frame(marker);
    if (is_sof) {
      keep(marker, length);
      return jpeg_header(kept);
    }
    if (marker == 0xE1 && !exif_kept && length >= 8) {
      std::array<std::uint8_t, 8> head{};
      if (input.read(at, head.data(), 8) == 8 && std::memcmp(head.data() + 2, "Exif\0\0", 6) == 0) {
        keep(marker, length);
        exif_kept = true;
      }
    }
    at += length;
  }
}

SourceInfo webp_size(Bytes b);

// An Exif block as PNG's eXIf and WebP's EXIF chunks hold it: a TIFF block,
// which some writers prefix with JPEG's "Exif\0\0".
int chunk_exif_orientation(Bytes exif) {
  constexpr std::uint8_t kJpegPrefix[] = {'E', 'x', 'i', 'f', 0, 0};
  if (exif.size() > 6 && std::equal(kJpegPrefix, kJpegPrefix + 6, exif.begin())) {
    exif = exif.subspan(6);
  }
  return detail::exif_orientation(exif);
}

// A PNG's EXIF orientation, from an eXIf chunk before the image data (where
// the PNG specification places it; one after IDAT is not looked for, so the
// answer never depends on how much of the file has been read). As libvips
// and sharp, and browsers for PNG, imgflow turns such an image upright.
int png_orientation(Bytes b) {
  std::size_t at = 8;  // after the signature
  while (at + 8 <= b.size()) {
    const std::size_t length = be32(b, at);
    if (starts_with(b, at + 4, "IDAT")) break;
    if (length > b.size() - at - 8) break;  // a chunk the bytes held do not reach
    if (starts_with(b, at + 4, "eXIf")) return chunk_exif_orientation(b.subspan(at + 8, length));
    at += 12 + length;  // length, type, data, CRC
  }
  return 1;
}

// A WebP's EXIF orientation, from the EXIF chunk an extended (VP8X) file
// flags. The chunk usually follows the image data: a file read in pieces has
// it only if it lies within the bytes held.
int webp_orientation(Bytes b) {
  constexpr std::uint8_t kExifFlag = 0x08;
  if (!starts_with(b, 12, "VP8X") || b.size() < 21 || !(b[20] & kExifFlag)) return 1;
  std::size_t at = 12;  // after "RIFF", the size and "WEBP"
  while (at + 8 <= b.size()) {
    const std::size_t length = le32(b, at + 4);
    if (length > b.size() - at - 8) break;
    if (starts_with(b, at, "EXIF")) return chunk_exif_orientation(b.subspan(at + 8, length));
    at += 8 + length + (length & 1);  // chunks are padded to an even size
  }
  return 1;
}

SourceInfo webp_header(Bytes b) {
  if (b.size() < 30) truncated_header(Format::webp);
  SourceInfo info = webp_size(b);
  info.declared_bytes = static_cast<std::uint64_t>(le32s(b, 4) & 0x7FFFFFFF) + 8;  // RIFF size
  info.orientation = webp_orientation(b);
  return info;
}

SourceInfo webp_size(Bytes b) {
  if (starts_with(b, 12, "VP8 ")) {
    return {Format::webp, static_cast<int>(le16(b, 26) & 0x3FFF),
            static_cast<int>(le16(b, 28) & 0x3FFF)};
  }
  if (starts_with(b, 12, "VP8L")) {
    const std::uint32_t bits = le32(b, 21);
    return {Format::webp, static_cast<int>((bits & 0x3FFF) + 1),
            static_cast<int>(((bits >> 14) & 0x3FFF) + 1)};
  }
  if (starts_with(b, 12, "VP8X")) {
    return {Format::webp, static_cast<int>(le24(b, 24) + 1), static_cast<int>(le24(b, 27) + 1)};
  }
  throw Error(ErrorCode::corrupt_input, "webp has no image chunk");
}

// ImageWidth (256), ImageLength (257) and Orientation (274) from the first IFD.
SourceInfo tiff_header(Bytes b) {
  if (b.size() < 8) truncated_header(Format::tiff);
  SourceInfo info{Format::tiff, 0, 0};
  const auto walk =
      detail::walk_first_ifd(b, [&](const detail::IfdEntry& entry, const detail::ByteOrder& order) {
        // SHORT or LONG
        const std::uint32_t value =
            entry.type == 3 ? order.u16(b, entry.value_at) : order.u32(b, entry.value_at);
        // A repeated tag must not hide a larger size from the limit: keep the largest.
        const int v = static_cast<int>(std::min<std::uint32_t>(value, INT32_MAX));
        if (entry.tag == 256) info.width = std::max(info.width, v);
        if (entry.tag == 257) info.height = std::max(info.height, v);
        if (entry.tag == 274 && entry.type == 3 && value >= 1 && value <= 8) info.orientation = v;
        return true;
      });
  if (walk == detail::IfdWalk::truncated) truncated_header(Format::tiff);
  if (info.width <= 0 || info.height <= 0) {
    throw Error(ErrorCode::corrupt_input, "tiff declares no (or a zero) width or height");
  }
  return info;
}

// "P1".."P6", then width, height (and maxval) as text, with # comments.
SourceInfo pnm_header(Bytes b) {
  std::size_t i = 2;
  auto number = [&]() -> long {
    while (i < b.size()) {
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n') ++i;
      } else if (std::isspace(b[i])) {
        ++i;
      } else {
        break;
      }
    }
    if (i >= b.size()) truncated_header(Format::pnm);
    if (!std::isdigit(b[i])) throw Error(ErrorCode::corrupt_input, "pnm header is malformed");
    long v = 0;
    while (i < b.size() && std::isdigit(b[i]) && v < 100'000'000) v = v * 10 + (b[i++] - '0');
    return v;
  };
  const char kind = static_cast<char>(b[1]);
  const long width = number(), height = number();
  const long maxval = (kind == '1' || kind == '4') ? 1 : number();
  if (width <= 0 || height <= 0 || maxval <= 0 || maxval > 65535 || width > INT32_MAX ||
      height > INT32_MAX) {
    throw Error(ErrorCode::corrupt_input, "pnm header declares an invalid size or depth");
  }
  SourceInfo info{Format::pnm, static_cast<int>(width), static_cast<int>(height)};
  // Binary rasters have a known length: a shorter file was cut.
  if (kind >= '4' && i < b.size()) {
    const std::uint64_t sample = maxval > 255 ? 2 : 1;
    const std::uint64_t row = kind == '4'   ? (static_cast<std::uint64_t>(width) + 7) / 8
                              : kind == '5' ? width * sample
                                            : width * sample * 3;
    const std::uint64_t need = i + 1 + row * static_cast<std::uint64_t>(height);
    info.declared_bytes = need;
  }
  return info;
}

}  // namespace

SourceInfo read_header(std::span<const std::uint8_t> b) {
  if (b.empty()) throw Error(ErrorCode::empty_input, "file is empty");
  const Format format = detect_format(b);
  if (format == Format::unknown) {
    throw Error(ErrorCode::unknown_format, "not an image format imgflow knows");
  }
  if (!detail::find_format(format)->readable) {
    throw Error(ErrorCode::unsupported_format,
                std::string(format_name(format)) + " images cannot be read by imgflow");
  }
  switch (format) {
    case Format::jpeg:
      return jpeg_header(b);
    case Format::png:
      if (b.size() < 24) truncated_header(format);
      if (!starts_with(b, 12, "IHDR")) throw Error(ErrorCode::corrupt_input, "png has no IHDR");
      return {format, static_cast<int>(be32(b, 16)), static_cast<int>(be32(b, 20)),
              png_orientation(b)};
    case Format::webp:
      return webp_header(b);
    case Format::bmp: {
      if (b.size() < 26) truncated_header(format);
      const std::int32_t w = le32s(b, 18), h = le32s(b, 22);  // height < 0: top-down rows
      if (w <= 0 || h == 0 || h == INT32_MIN) {
        throw Error(ErrorCode::corrupt_input, "bmp declares an invalid size");
      }
      return {format, w, h < 0 ? -h : h};
    }
    case Format::tiff:
      return tiff_header(b);
    case Format::pnm:
      return pnm_header(b);
    case Format::heif:
    case Format::avif:
      return detail::read_heif_header(b, format);
    case Format::gif:
      return detail::read_gif_header(b);
    case Format::jxl:
      return detail::read_jxl_header(b);
    default:
      return {format, 0, 0};  // size is read by the decoder (OpenCV checks its own limit)
  }
}

SourceInfo detail::read_jpeg_header(InputBytes& input) {
  return jpeg_header_in_pieces(input);
}

}  // namespace imgflow
