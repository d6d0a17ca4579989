// Internal: EXIF and XMP carried from an input into its outputs
// (--keep-metadata, --strip-gps), read and edited with libexiv2.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "imgflow/decode.hpp"

namespace imgflow::detail {

/// Reads the EXIF (as a TIFF block) and the XMP packet of an encoded image
/// into `image.exif` and `image.xmp`: JPEG (APP1), PNG (eXIf, iTXt, zTXt raw
/// profiles) and WebP (EXIF, XMP chunks) with libexiv2; HEIF/AVIF items with
/// libheif and JPEG XL boxes (Brotli-compressed too) with libjxl, which
/// libexiv2 0.27 misreads; TIFF (its IFD0's descriptive tags, EXIF and GPS
/// IFDs, tag 700) with libexiv2, without the tags that describe the file's
/// own pixels (strips, compression, ICC, ...). Malformed or missing metadata leaves them empty:
/// never fails a decode. Thread-safe.
void read_metadata(std::span<const std::uint8_t> bytes, Format format, Image& image);

/// How an output's metadata differs from its source's.
struct MetadataEdit {
  int orientation = 1;  ///< EXIF/XMP orientation of the output's pixels
  int width = 0;        ///< the output's size: PixelXDimension and the like
  int height = 0;
  bool strip_location = false;  ///< drop the GPS IFD and XMP location fields
};

/// `exif` (a TIFF block) for an output: the orientation and pixel dimensions
/// (where present) set by `edit`, the embedded thumbnail dropped (it shows the
/// source, uncropped and maybe turned), GPS removed if asked. Empty if `exif`
/// is empty or malformed. Thread-safe.
std::vector<std::uint8_t> exif_for_output(std::span<const std::uint8_t> exif,
                                          const MetadataEdit& edit);

/// `tiff` (encode_tiff's, one page) with the tags of `exif` (a TIFF block,
/// as exif_for_output returns) merged into its IFD0, EXIF IFD and GPS IFD
/// by libexiv2; the tags describing `tiff`'s own pixels are kept, the
/// source's of that kind dropped. `tiff` itself if `exif` is malformed.
std::vector<std::uint8_t> add_tiff_exif(std::vector<std::uint8_t> tiff,
                                        std::span<const std::uint8_t> exif);

/// `xmp` (a packet) for an output, edited as exif_for_output edits EXIF
/// (tiff:Orientation, exif:PixelXDimension..., and with strip_location every
/// exif:GPS* property, photoshop:City/State/Country, Iptc4xmpCore:Location
/// and CountryCode, Iptc4xmpExt:LocationCreated/LocationShown). Empty if
/// `xmp` is empty or malformed. Thread-safe.
std::vector<std::uint8_t> xmp_for_output(std::span<const std::uint8_t> xmp,
                                         const MetadataEdit& edit);

}  // namespace imgflow::detail
