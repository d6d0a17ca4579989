// Encoding pixels to JPEG, PNG, WebP, TIFF, AVIF or HEIC bytes. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/color.hpp"
#include "imgflow/format.hpp"

namespace imgflow {

/// TIFF compression schemes.
enum class TiffCompression { none, lzw, deflate };

/// Parses "none", "lzw", "deflate". Throws imgflow::Error{ErrorCode::usage}.
TiffCompression parse_tiff_compression(std::string_view text);

/// Parses a JPEG chroma subsampling, "420" (false) or "444" (true), into
/// EncodeOptions::chroma_444. Throws imgflow::Error{ErrorCode::usage}.
bool parse_chroma_444(std::string_view text);

struct EncodeOptions {
  EncodeOptions() = default;
  EncodeOptions(Format f, int q, Color bg = {}) : format(f), quality(q), background(bg) {}

  Format format = Format::jpeg;  ///< jpeg, png, webp, tiff, avif, heif (HEIC) or jxl
  int quality = 85;          ///< 1..100 (lossy formats; AVIF/HEIC/JPEG XL mapped to match JPEG's)
  Color background;          ///< what alpha is flattened onto for JPEG (default white)
  bool progressive = false;  ///< JPEG: progressive scans
  bool chroma_444 = false;   ///< JPEG: full-resolution chroma (default 4:2:0)
  int png_compression = 6;   ///< PNG: zlib level 0..9
  bool lossless = false;     ///< WebP, AVIF, HEIC: lossless
  TiffCompression tiff_compression = TiffCompression::lzw;
  /// EXIF to embed, as a TIFF block (starting "II*\0" or "MM\0*"), or empty:
  /// JPEG (APP1), PNG (eXIf), WebP (EXIF), AVIF/HEIC (Exif item), JPEG XL
  /// (Exif box), TIFF (IFD0's descriptive tags, EXIF and GPS IFDs, merged by
  /// libexiv2). Written as given: see Image::exif.
  std::vector<std::uint8_t> exif;
  /// XMP packet to embed, or empty: JPEG (APP1), PNG (iTXt
  /// XML:com.adobe.xmp), WebP (XMP), AVIF/HEIC (XMP item), JPEG XL (xml box),
  /// TIFF (tag 700).
  std::vector<std::uint8_t> xmp;
  /// ICC profile to embed (the pixels are in its space), or empty: JPEG,
  /// PNG (iCCP), WebP (ICCP), AVIF/HEIC (colr prof), JPEG XL, TIFF (tag 34675).
  std::vector<std::uint8_t> icc;
};

/// Encodes to bytes. Alpha is flattened onto `background` for JPEG; 16-bit
/// pixels are kept for PNG and TIFF and reduced to 8 bits for JPEG and WebP.
/// JPEGs get optimised Huffman tables.
/// Throws imgflow::Error{ErrorCode::encode_error}.
std::vector<std::uint8_t> encode(const cv::Mat& pixels, const EncodeOptions& options);

}  // namespace imgflow
