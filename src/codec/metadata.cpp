// EXIF and XMP with libexiv2: read from any input it knows, edited for each
// output (orientation, pixel dimensions, location) and written back as bytes
// that the encoders embed.
//
// Cost, only with --keep-metadata or --strip-gps: one parse of the input's
// metadata, and one parse and write of the few kB of EXIF and XMP per output.
#include "codec/metadata.hpp"

#include <array>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>

// libexiv2 0.27's API hands out std::auto_ptr, deprecated since C++11.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <exiv2/exiv2.hpp>

#include "codec/decoders.hpp"
#include "codec/png_chunks.hpp"

namespace imgflow::detail {
namespace {

// XMP's toolkit keeps a global namespace registry: libexiv2 asks callers to
// initialize it once with a lock before threads use it. Its warnings (on
// stderr) are muted: a malformed block is dropped, never a reason to fail.
void initialize_exiv2() {
  static std::once_flag once;
  std::call_once(once, [] {
    static std::mutex xmp_lock;
    Exiv2::XmpParser::initialize(
        [](void* lock, bool take) {
          auto* m = static_cast<std::mutex*>(lock);
          if (take) {
            m->lock();
          } else {
            m->unlock();
          }
        },
        &xmp_lock);
    Exiv2::LogMsg::setLevel(Exiv2::LogMsg::mute);
    // BMFF (HEIF, AVIF, JPEG XL) stays off: libheif and libjxl read those.
  });
}

// XMP properties (exiv2 keys, matched as prefixes) that say where a photo was taken.
constexpr std::array<std::string_view, 8> kXmpLocation = {"Xmp.exif.GPS",
                                                          "Xmp.photoshop.City",
                                                          "Xmp.photoshop.State",
                                                          "Xmp.photoshop.Country",
                                                          "Xmp.iptc.Location",
                                                          "Xmp.iptc.CountryCode",
                                                          "Xmp.iptcExt.LocationCreated",
                                                          "Xmp.iptcExt.LocationShown"};

bool is_location(const std::string& key) {
  for (const auto prefix : kXmpLocation) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

// IFD0 tags that describe a TIFF's own pixels (layout, strips or tiles,
// compression, colour) or are carried apart from the EXIF (ICC profile, XMP,
// Photoshop and IPTC blocks): never taken from one file into another's IFD0.
bool describes_pixels(const Exiv2::Exifdatum& d) {
  if (d.groupName() != "Image") {
    // Sub-images (SubIFDs) and the thumbnail are other pictures' fields.
    return d.groupName().starts_with("SubImage") || d.groupName() == "Thumbnail";
  }
  switch (d.tag()) {
    case 0x00fe:  // NewSubfileType
    case 0x00ff:  // SubfileType
    case 0x0100:  // ImageWidth
    case 0x0101:  // ImageLength
    case 0x0102:  // BitsPerSample
    case 0x0103:  // Compression
    case 0x0106:  // PhotometricInterpretation
    case 0x0107:  // Thresholding
    case 0x010a:  // FillOrder
    case 0x0111:  // StripOffsets
    case 0x0115:  // SamplesPerPixel
    case 0x0116:  // RowsPerStrip
    case 0x0117:  // StripByteCounts
    case 0x0118:  // MinSampleValue
    case 0x0119:  // MaxSampleValue
    case 0x011c:  // PlanarConfiguration
    case 0x0122:  // GrayResponseUnit
    case 0x0123:  // GrayResponseCurve
    case 0x0124:  // T4Options
    case 0x0125:  // T6Options
    case 0x012d:  // TransferFunction
    case 0x013d:  // Predictor
    case 0x013e:  // WhitePoint
    case 0x013f:  // PrimaryChromaticities
    case 0x0140:  // ColorMap
    case 0x0142:  // TileWidth
    case 0x0143:  // TileLength
    case 0x0144:  // TileOffsets
    case 0x0145:  // TileByteCounts
    case 0x014a:  // SubIFDs
    case 0x014c:  // InkSet
    case 0x014d:  // InkNames
    case 0x014e:  // NumberOfInks
    case 0x0150:  // DotRange
    case 0x0151:  // TargetPrinter
    case 0x0152:  // ExtraSamples
    case 0x0153:  // SampleFormat
    case 0x0154:  // SMinSampleValue
    case 0x0155:  // SMaxSampleValue
    case 0x015b:  // JPEGTables
    case 0x0200:  // JPEGProc
    case 0x0201:  // JPEGInterchangeFormat
    case 0x0202:  // JPEGInterchangeFormatLength
    case 0x0211:  // YCbCrCoefficients
    case 0x0212:  // YCbCrSubSampling
    case 0x0213:  // YCbCrPositioning
    case 0x0214:  // ReferenceBlackWhite
    case 0x02bc:  // XMLPacket (XMP, kept apart)
    case 0x83bb:  // IPTCNAA
    case 0x8649:  // ImageResources (Photoshop)
    case 0x8773:  // InterColorProfile (ICC, kept apart)
    case 0x935c:  // ImageSourceData (Photoshop layers)
      return true;
    default:
      return false;
  }
}

template <typename Data, typename Key, typename Value>
void set_if_present(Data& data, const Key& key, const Value& value) {
  const auto it = data.findKey(key);
  if (it != data.end()) *it = value;
}

// Removes the entries of `data` (ExifData or XmpData) that `matches`.
template <typename Data, typename Predicate>
void erase_where(Data& data, Predicate matches) {
  for (auto it = data.begin(); it != data.end();)
    it = matches(*it) ? data.erase(it) : std::next(it);
}

// libexiv2 0.27 reads every text chunk of a PNG and inflates the compressed
// ones, with no check of ours inside: 20,000 zTXt comments of 60 kB each (a
// 1.9 MB file) kept it busy for 10.8 s. It is handed a copy with only what
// becomes EXIF or XMP: IHDR, eXIf, and the text chunks with the keywords it
// reads them from, at most kMaxPngMetadataChunks (real files have 1 to 3).
// Empty if the file is not a well-formed PNG (its metadata is then dropped).
constexpr std::size_t kMaxPngMetadataChunks = 16;

bool carries_exif_or_xmp(const PngChunk& chunk) {
  if (chunk.type == png_tag("eXIf")) return true;
  if (chunk.type != png_tag("tEXt") && chunk.type != png_tag("zTXt") &&
      chunk.type != png_tag("iTXt")) {
    return false;
  }
  const std::string_view text(reinterpret_cast<const char*>(chunk.data.data()), chunk.data.size());
  const std::string_view keyword = text.substr(0, text.find('\0'));
  return keyword == "XML:com.adobe.xmp" || keyword.starts_with("Raw profile type ");
}

std::vector<std::uint8_t> png_metadata_chunks(std::span<const std::uint8_t> png) {
  std::vector<PngChunk> chunks;
  if (!read_png_chunks(png, chunks) || chunks.front().type != png_tag("IHDR")) return {};
  std::vector<std::uint8_t> out(png.begin(), png.begin() + 8);  // the signature
  out.insert(out.end(), chunks.front().whole.begin(), chunks.front().whole.end());
  std::size_t kept = 0;
  for (const PngChunk& chunk : chunks) {
    if (kept == kMaxPngMetadataChunks) break;
    if (!carries_exif_or_xmp(chunk)) continue;
    out.insert(out.end(), chunk.whole.begin(), chunk.whole.end());
    ++kept;
  }
  out.insert(out.end(), chunks.back().whole.begin(), chunks.back().whole.end());  // IEND
  return out;
}

}  // namespace

void read_metadata(std::span<const std::uint8_t> bytes, Format format, Image& image) {
  if (bytes.empty()) return;
  try {
    if (format == Format::heif || format == Format::avif) {
      // libexiv2 0.27 misreads the item locations libheif itself writes.
      read_heif_metadata(bytes, format, image);
      return;
    }
    if (format == Format::jxl) {
      // libexiv2 0.27 cannot read the Brotli-compressed boxes cjxl writes.
      read_jxl_metadata(bytes, image);
      return;
    }
    // libexiv2 knows more formats (JPEG 2000, GIF, BMP...), but metadata is
    // carried only from these: its other parsers never see a hostile file.
    if (format != Format::jpeg && format != Format::png && format != Format::webp &&
        format != Format::tiff) {
      return;
    }
    std::vector<std::uint8_t> png_copy;
    if (format == Format::png) {
      png_copy = png_metadata_chunks(bytes);
      if (png_copy.empty()) return;
      bytes = png_copy;
    }
    initialize_exiv2();
    auto file = Exiv2::ImageFactory::open(bytes.data(), static_cast<long>(bytes.size()));
    if (file.get() == nullptr) return;
    file->readMetadata();
    Exiv2::ExifData& exif = file->exifData();
    // A TIFF's IFD0 is its EXIF's too: keep its descriptive tags only.
    if (format == Format::tiff) erase_where(exif, describes_pixels);
    if (!exif.empty()) {
      Exiv2::Blob tiff;
      Exiv2::ExifParser::encode(
          tiff,
          file->byteOrder() == Exiv2::invalidByteOrder ? Exiv2::littleEndian : file->byteOrder(),
          exif);
      if (tiff.size() <= kMaxMetadataBytes) image.exif.assign(tiff.begin(), tiff.end());
    }
    const std::string& xmp = file->xmpPacket();
    if (!xmp.empty() && xmp.size() <= kMaxMetadataBytes) image.xmp.assign(xmp.begin(), xmp.end());
  } catch (const std::exception&) {  // exiv2's, or an imgflow::Error from libheif
    image.exif.clear();
    image.xmp.clear();
  }
}

std::vector<std::uint8_t> exif_for_output(std::span<const std::uint8_t> exif,
                                          const MetadataEdit& edit) {
  if (exif.empty()) return {};
  initialize_exiv2();
  try {
    Exiv2::ExifData data;
    const Exiv2::ByteOrder order =
        Exiv2::ExifParser::decode(data, exif.data(), static_cast<std::uint32_t>(exif.size()));
    if (data.empty()) return {};
    set_if_present(data, Exiv2::ExifKey("Exif.Image.Orientation"),
                   static_cast<std::uint16_t>(edit.orientation));
    const auto width = static_cast<std::uint32_t>(edit.width);
    const auto height = static_cast<std::uint32_t>(edit.height);
    set_if_present(data, Exiv2::ExifKey("Exif.Photo.PixelXDimension"), width);
    set_if_present(data, Exiv2::ExifKey("Exif.Photo.PixelYDimension"), height);
    set_if_present(data, Exiv2::ExifKey("Exif.Image.ImageWidth"), width);
    set_if_present(data, Exiv2::ExifKey("Exif.Image.ImageLength"), height);
    Exiv2::ExifThumb(data).erase();
    if (edit.strip_location) {
      erase_where(data, [](const Exiv2::Exifdatum& d) {
        return d.groupName() == "GPSInfo" || d.key() == "Exif.Image.GPSTag";
      });
    }
    Exiv2::Blob out;
    Exiv2::ExifParser::encode(out, order == Exiv2::invalidByteOrder ? Exiv2::littleEndian : order,
                              data);
    return {out.begin(), out.end()};
  } catch (const std::exception&) {
    return {};
  }
}

std::vector<std::uint8_t> add_tiff_exif(std::vector<std::uint8_t> tiff,
                                        std::span<const std::uint8_t> exif) {
  initialize_exiv2();
  try {
    Exiv2::ExifData source;
    Exiv2::ExifParser::decode(source, exif.data(), static_cast<std::uint32_t>(exif.size()));
    erase_where(source, describes_pixels);
    if (source.empty()) return tiff;
    auto file = Exiv2::ImageFactory::open(tiff.data(), static_cast<long>(tiff.size()));
    if (file.get() == nullptr) return tiff;
    file->readMetadata();
    Exiv2::ExifData& data = file->exifData();
    for (const auto& d : source) {
      const auto it = data.findKey(Exiv2::ExifKey(d.key()));
      if (it == data.end()) {
        data.add(d);
      } else {
        *it = d;
      }
    }
    file->writeXmpFromPacket(true);  // the XMP encode_tiff wrote, as it is
    file->writeMetadata();
    Exiv2::BasicIo& io = file->io();
    const auto size = static_cast<std::size_t>(io.size());
    if (io.open() != 0) return tiff;
    std::vector<std::uint8_t> out(size);
    const auto read = static_cast<std::size_t>(io.read(out.data(), static_cast<long>(size)));
    io.close();
    if (read != size) return tiff;
    return out;
  } catch (const std::exception&) {
    return tiff;  // as for the other formats: malformed EXIF is dropped
  }
}

std::vector<std::uint8_t> xmp_for_output(std::span<const std::uint8_t> xmp,
                                         const MetadataEdit& edit) {
  if (xmp.empty()) return {};
  initialize_exiv2();
  try {
    Exiv2::XmpData data;
    if (Exiv2::XmpParser::decode(data, std::string(xmp.begin(), xmp.end())) != 0) return {};
    set_if_present(data, Exiv2::XmpKey("Xmp.tiff.Orientation"), std::to_string(edit.orientation));
    set_if_present(data, Exiv2::XmpKey("Xmp.exif.PixelXDimension"), std::to_string(edit.width));
    set_if_present(data, Exiv2::XmpKey("Xmp.exif.PixelYDimension"), std::to_string(edit.height));
    set_if_present(data, Exiv2::XmpKey("Xmp.tiff.ImageWidth"), std::to_string(edit.width));
    set_if_present(data, Exiv2::XmpKey("Xmp.tiff.ImageLength"), std::to_string(edit.height));
    if (edit.strip_location) {
      erase_where(data, [](const Exiv2::Xmpdatum& d) { return is_location(d.key()); });
    }
    if (data.empty()) return {};
    std::string packet;
    if (Exiv2::XmpParser::encode(packet, data) != 0) {
      return {};
    }
    return {packet.begin(), packet.end()};
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace imgflow::detail

#pragma GCC diagnostic pop
