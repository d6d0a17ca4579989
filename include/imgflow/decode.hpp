// Decoding one image held in memory: format by content, header-only limits,
// orientation and colour management. Thread-safe: calls share no state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/format.hpp"
#include "imgflow/size.hpp"

namespace imgflow {

/// What the file header says about the stored image.
struct SourceInfo {
  Format format = Format::unknown;
  int width = 0;        ///< full width in pixels, upright (after orientation) once decoded
  int height = 0;       ///< full height in pixels, upright (after orientation) once decoded
  int orientation = 1;  ///< EXIF orientation as stored, 1..8 (1 = upright)
  /// Binary PNM and WebP: how many bytes the header says the file has (0 = unknown).
  std::uint64_t declared_bytes = 0;
  /// Progressive JPEG: the bytes of DCT coefficients the decoder holds for the
  /// whole image while it reads the scans (0 for other files).
  std::uint64_t coefficient_bytes = 0;
};

/// True for EXIF orientations 5..8, which swap width and height.
constexpr bool swaps_sides(int orientation) noexcept {
  return orientation >= 5 && orientation <= 8;
}

/// Applies an EXIF orientation (1..8) to stored pixels, giving upright pixels.
cv::Mat apply_orientation(const cv::Mat& stored, int orientation);

/// A decoded image: 8-bit (or, with DecodeOptions::keep_16bit, 16-bit) pixels,
/// 1 (gray), 3 (BGR) or 4 (BGRA) channels.
struct Image {
  cv::Mat pixels;
  SourceInfo source;
  /// Decoder messages that did not stop decoding (e.g. libpng's
  /// "iCCP: known incorrect sRGB profile"), captured instead of printed.
  std::vector<std::string> warnings;
  /// The ICC profile describing `pixels`; empty once they are sRGB (the default:
  /// see DecodeOptions::to_srgb).
  std::vector<std::uint8_t> icc;
  /// With DecodeOptions::read_metadata: the file's EXIF as a TIFF block
  /// (starting "II*\0" or "MM\0*", as stored: its orientation is the
  /// file's), or empty.
  std::vector<std::uint8_t> exif;
  /// With DecodeOptions::read_metadata: the file's XMP packet, or empty.
  std::vector<std::uint8_t> xmp;
};

struct DecodeOptions {
  /// Shrink-on-load: if set (non-zero), a JPEG may be decoded at a reduced
  /// scale, but never smaller than this (upright) size on either side.
  Size at_least;
  /// Apply the EXIF orientation, so that pixels come out upright (default).
  bool auto_orient = true;
  /// Convert pixels tagged with an ICC profile (Adobe RGB, Display P3, CMYK...)
  /// to sRGB with Little CMS (default). false keeps them, with Image::icc.
  bool to_srgb = true;
  /// Keep 16-bit samples (PNG, TIFF) as CV_16U instead of reducing them to 8 bits.
  bool keep_16bit = false;
  /// Read the EXIF and XMP into Image::exif and Image::xmp (libexiv2; JPEG,
  /// PNG, WebP, HEIF/AVIF, JPEG XL, TIFF). Off by default: it costs a
  /// parse of the file's metadata.
  bool read_metadata = false;
  /// Accept a truncated JPEG (the missing part is grey) with a warning,
  /// instead of failing with truncated-input.
  bool allow_truncated = false;
  /// A progressive JPEG decoded at a reduced scale stops reading scans once
  /// every coefficient that scale shows is within this many bits of full
  /// precision; -1 reads every scan. Measured on the bench's 100 JPEGs (37
  /// progressive) → 800x800: 0 bits: decode CPU -3%, outputs identical;
  /// 1 bit: -30%, 100 of 100 outputs within 47.4 dB of a full decode; 2 bits:
  /// -46% (total CPU -16%), within 43.2 dB (mean 51.5), mean PSNR against the
  /// reference 43.58 instead of 43.60 dB, less than the q85 encode loses.
  int progressive_bits = 2;
  /// Largest accepted width × height; 0 = no limit. Checked from the header.
  std::uint64_t max_pixels = 268'402'689;
  /// Most scans a progressive JPEG may have (too-complex beyond); 0 = no
  /// limit. Each scan costs a pass over the whole image: a crafted file can
  /// take minutes. The bench's 1,540 real JPEGs have at most 12.
  std::size_t max_scans = 500;
  /// Most frames an animation decoded whole (Options::animated) may have
  /// (too-complex beyond); 0 = no limit. Each frame costs a resize and an
  /// encode however small it is: a crafted GIF of 1x1 frames holds 45,000 in a
  /// megabyte.
  std::size_t max_frames = 10'000;
};

/// Reads the header only: format, full stored size and EXIF orientation. Throws imgflow::Error
/// (unknown-format, unsupported-format, corrupt-input, truncated-input, empty-input).
SourceInfo read_header(std::span<const std::uint8_t> bytes);

/// Decodes an encoded image held in memory. Throws imgflow::Error with a
/// per-file code (see error.hpp) on failure, including truncated data.
Image decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options = {});

/// How many images `decode()` has decoded in this process, successful or not
/// (several sizes and formats of one input cost one decode). Thread-safe.
std::uint64_t decode_count() noexcept;

/// Reads and decodes a file. Throws imgflow::Error (read-error, not-found, ...).
Image decode_file(const std::filesystem::path& path, const DecodeOptions& options = {});

}  // namespace imgflow
