// Internal: one decoder per codec family, behind imgflow::decode().
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "codec/jpeg_metadata.hpp"
#include "codec/row_sink.hpp"
#include "core/input_bytes.hpp"
#include "imgflow/decode.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

/// TurboJPEG, with shrink-on-load by the library's M/8 scaling factors.
/// `header` is read_header's (a progressive file has coefficient_bytes > 0).
Image decode_jpeg(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options);

/// A progressive YCbCr or gray JPEG at scale `scale_num`/`scale_denom`
/// through libjpeg's API, which lets us stop it: below full scale, reading
/// scans only until every coefficient the scaled IDCT uses is within
/// `max_missing_bits` of full precision (-1, or at full scale: every scan;
/// see jpeg_decode_progressive.cpp). false (and `pixels` empty) when the
/// file is not such a JPEG, or libjpeg found anything wrong: the caller then
/// decodes it with TurboJPEG, which tells truncation from corruption. Throws
/// timed-out once the calling thread's deadline (core/deadline.hpp) passes.
bool decode_progressive(std::span<const std::uint8_t> bytes, int scale_num, int scale_denom,
                        int max_missing_bits, cv::Mat& pixels);

/// decode_progressive() from `input`, which may be in pieces (read through a
/// libjpeg source, never whole), counting scans as it reads them: throws
/// too-complex past `max_scans` (0: no limit), read-error if a read fails.
bool decode_progressive(InputBytes& input, int scale_num, int scale_denom, int max_missing_bits,
                        std::size_t max_scans, cv::Mat& pixels);

/// too-complex: "jpeg has more than N progressive scans (the scan limit)".
Error too_many_scans_error(std::size_t max_scans);

/// A JPEG's frame header and the metadata decoding needs, read by libjpeg
/// from `input` (in pieces: normally from its head alone).
struct JpegFrame {
  int width = 0, height = 0;
  bool gray = false, cmyk = false;  ///< stored as one gray channel; as CMYK or YCCK
  JpegMetadata meta;                ///< from the segments libjpeg saved
  bool data_ended = false;          ///< the file ended before the first scan
  std::string error;                ///< libjpeg's fatal error; empty if read
};
JpegFrame read_jpeg_frame(InputBytes& input);

/// The header read_header() gives for a JPEG, from `input` in pieces whose
/// frame header lies past its head (metadata segments before it): the
/// markers walked through InputBytes::read, never the whole file.
SourceInfo read_jpeg_header(InputBytes& input);

/// What a decode through libjpeg's API met, as TurboJPEG would report it.
struct LibjpegResult {
  bool decoded = false;  ///< false: a fatal error, `error` says what
  std::string error;
  int warnings = 0;           ///< corrupt or missing data, the image still made
  std::string first_warning;  ///< the text TurboJPEG reports
  bool data_ended = false;    ///< the file ended: libjpeg got a fake end-of-image marker
};

/// TurboJPEG's tjDecompress2 (no flags) through libjpeg's API, from `input`
/// (whole or in pieces), into `pixels` of type CV_8UC1 (gray), CV_8UC3
/// (BGR) or CV_8UC4 (CMYK), at `scale_num`/`scale_denom`: the same bytes.
/// Checks the thread's deadline and, if `max_scans` > 0, the scan count
/// while it reads (throws timed-out, too-complex; read-error).
LibjpegResult decode_jpeg_lines(InputBytes& input, int scale_num, int scale_denom, int cv_type,
                                std::size_t max_scans, cv::Mat& pixels);

/// decode_jpeg() for a file read in pieces (`input` is never read whole):
/// through libjpeg's API (decode_jpeg_lines, and decode_progressive first
/// for a progressive file), with the same scale, pixels, warnings and
/// errors. Scans are counted as they are read, so one that an early stop
/// skips is not counted against options.max_scans (it costs nothing).
Image decode_jpeg_in_pieces(InputBytes& input, const SourceInfo& header,
                            const DecodeOptions& options);

/// The common PNG (8-bit gray/RGB/RGBA, not interlaced, no tRNS) inflated
/// whole with libdeflate; false for anything else or anything unexpected (the
/// caller then decodes with libpng). Throws only too-many-pixels.
bool decode_png_whole(std::span<const std::uint8_t> bytes, const DecodeOptions& options,
                      Image& image);

/// libpng's simplified API: 8-bit gray, BGR or BGRA; warnings captured.
Image decode_png(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

/// True if decode_png_rows can read this PNG (`bytes` from its start, the
/// header already read): it is not interlaced.
bool png_rows_stream(std::span<const std::uint8_t> bytes);

/// libpng one row at a time, with decode_png's transforms, into `sink`;
/// `image` gets everything but the pixels (size, ICC, warnings). `input` may
/// be in pieces: it is read in order, once. Throws as decode_png does, on the
/// same errors (a truncated file, or one that shrank while it was read:
/// truncated-input; a failed read: read-error).
void decode_png_rows(InputBytes& input, const DecodeOptions& options, RowSink& sink, Image& image);

/// True if this PNG (`bytes` from its start) is interlaced (Adam7).
bool png_interlaced(std::span<const std::uint8_t> bytes);

/// decode_png() through libpng from `input`, which may be in pieces (read in
/// order, once, never whole), for an interlaced PNG (which cannot stream
/// rows): the same pixels, warnings and errors (truncated-input, read-error).
Image decode_png_in_pieces(InputBytes& input, const DecodeOptions& options);

/// libwebp, shrinking on load with its rescaler to at least `options.at_least`.
Image decode_webp(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options);

/// True if decode_webp_in_pieces() reads this WebP (`head`: its start) without
/// holding it: a still lossy image without alpha (see webp_decode.cpp).
bool webp_decodes_in_pieces(std::span<const std::uint8_t> head);

/// decode_webp() from `input`, which may be in pieces (fed to libwebp's
/// incremental decoder a step at a time, never whole), for a file
/// webp_decodes_in_pieces() accepts: the same pixels, ICC profile and errors.
Image decode_webp_in_pieces(InputBytes& input, const SourceInfo& header,
                            const DecodeOptions& options);

/// libheif: the primary image's size after its own transforms (irot, imir,
/// clap), from the boxes only; `format` is Format::heif or Format::avif.
SourceInfo read_heif_header(std::span<const std::uint8_t> bytes, Format format);

/// read_heif_header() from `input`, whole or in pieces (libheif reads the
/// boxes through a heif_reader on InputBytes::read, not the item data).
SourceInfo read_heif_header(InputBytes& input, Format format);

/// libheif: the primary image of a HEIF or AVIF, upright (libheif's own
/// transforms; EXIF orientation is never applied), 8-bit BGR(A) or, with
/// keep_16bit, 16-bit for deeper files; shrinks on load with the file's own
/// thumbnail where one is at least `options.at_least`. Checks max_pixels
/// before decoding any pixel.
Image decode_heif(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options);

/// decode_heif() from `input`, whole or in pieces: libheif reads the boxes and
/// then the data of the items it decodes through InputBytes::read, never the
/// whole file. The same pixels and errors; read-error if a read fails.
Image decode_heif(InputBytes& input, const SourceInfo& header, const DecodeOptions& options);

/// libheif: the primary image's Exif (the TIFF block, without the item's
/// offset field) and XMP into `image.exif` and `image.xmp`, each if at most
/// kMaxMetadataBytes. Throws as decode_heif does for a file libheif cannot parse.
void read_heif_metadata(std::span<const std::uint8_t> bytes, Format format, Image& image);

/// The most EXIF or XMP carried from an input: a JPEG segment holds 64 kB, and
/// real EXIF (maker notes included) and XMP stay well below this.
constexpr std::size_t kMaxMetadataBytes = 4 * 1024 * 1024;

/// libjxl: the Exif (the TIFF block, without the box's offset field) and xml
/// boxes of a JPEG XL container, Brotli-compressed or not, into `image.exif`
/// and `image.xmp`, each if at most kMaxMetadataBytes. Never throws for damage.
void read_jxl_metadata(std::span<const std::uint8_t> bytes, Image& image);

/// libjxl: the image's size after its orientation field, from the header only.
SourceInfo read_jxl_header(std::span<const std::uint8_t> bytes);

/// libjxl: the first frame, upright (libjxl's own orientation), in sRGB for
/// lossy (XYB) files or else with the file's ICC profile; 8-bit gray, BGR or
/// BGRA, or 16-bit with keep_16bit. Checks max_pixels before any pixel.
Image decode_jxl(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

/// decode_jxl() from `input`, whole or in pieces: a file in pieces is handed
/// to libjxl one piece (InputBytes::kPieceBytes) at a time, keeping only what
/// libjxl has not consumed yet; the same pixels and errors. Checks the
/// thread's deadline between pieces (timed-out); read-error if a read fails.
Image decode_jxl(InputBytes& input, const DecodeOptions& options);

/// The logical screen's size, from the first 10 bytes.
SourceInfo read_gif_header(std::span<const std::uint8_t> bytes);

/// giflib: the first frame on the logical screen, BGRA if anything is
/// transparent, else BGR. Checks max_pixels before reading any pixel.
Image decode_gif(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                 const DecodeOptions& options);

/// decode_gif() from `input`, which may be in pieces: read in order, and
/// only as far as the end of the first frame.
Image decode_gif(InputBytes& input, const SourceInfo& header, const DecodeOptions& options);

/// libtiff, from memory: the first page in stored orientation, 8-bit gray,
/// BGR or BGRA (16-bit with keep_16bit), its ICC profile in Image::icc (CMYK
/// converted to sRGB here). Checks max_pixels, and that every strip or tile
/// lies inside the file, before any pixel buffer.
Image decode_tiff(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                  const DecodeOptions& options);

/// The header read_header() gives for a TIFF, from `input` in pieces whose
/// first directory lies past its head (libtiff and the tools built on it
/// write it after the pixels): width, height and orientation as libtiff reads
/// them, through InputBytes::read.
SourceInfo read_tiff_header(InputBytes& input);

/// decode_tiff() from `input`, whole or in pieces (libtiff reads the
/// directory and each strip or tile through InputBytes::read, never the
/// whole file): the same pixels and errors; read-error if a read fails.
Image decode_tiff(InputBytes& input, const SourceInfo& header, const DecodeOptions& options);

/// Everything else OpenCV reads (BMP, PNM, JPEG 2000).
Image decode_with_opencv(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options);

/// imgflow::decode() for a caller that has read the header already (the
/// pipeline's decode stage reads it to plan shrink-on-load).
Image decode_with_header(std::span<const std::uint8_t> bytes, const SourceInfo& header,
                         const DecodeOptions& options);

/// decode_with_header() for a file whose rows go to `sink` as they are
/// decoded, in sRGB unless options.to_srgb is false: the returned image has no
/// pixels. Only for files can_decode_rows() accepts (their head()).
Image decode_rows(InputBytes& input, const SourceInfo& header, const DecodeOptions& options,
                  RowSink& sink);

/// decode_with_header() for a file can_decode_in_pieces() accepts (`input`
/// may be in pieces and is not read whole). Metadata (options.read_metadata)
/// is read only from a whole file.
Image decode_in_pieces(InputBytes& input, const SourceInfo& header, const DecodeOptions& options);

/// True if decode_in_pieces() can read this file (`head`: its start) without
/// holding it whole: a JPEG, TIFF, JPEG XL, HEIF or AVIF, a GIF (its first
/// frame), a still lossy WebP without alpha, an interlaced PNG.
bool can_decode_in_pieces(std::span<const std::uint8_t> head, const SourceInfo& header);

/// read_header() for `input`, whole or in pieces: from its head, except a
/// HEIF/AVIF (libheif reads its boxes through InputBytes) and a TIFF whose
/// first directory lies past the head (libtiff reads it through InputBytes).
SourceInfo header_of(InputBytes& input);

/// True if decode_rows() can read this file: a non-interlaced PNG. (PNG has
/// no orientation here, so rows come upright.)
bool can_decode_rows(std::span<const std::uint8_t> bytes, const SourceInfo& header);

/// Throws too-many-pixels if width × height exceeds `max_pixels` (0 = no limit).
void check_pixel_limit(const SourceInfo& info, std::uint64_t max_pixels);

}  // namespace imgflow::detail
