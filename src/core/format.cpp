// The formats table, and detection by content.
#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "core/byte_order.hpp"
#include "core/format_table.hpp"
#include "imgflow/format.hpp"

namespace imgflow {
namespace detail {
namespace {

bool jpeg_magic(Bytes b) noexcept {
  return b.size() >= 2 && b[0] == 0xFF && b[1] == 0xD8;
}
bool png_magic(Bytes b) noexcept {
  return starts_with(b, 0, "\x89PNG\r\n\x1a\n");
}
bool webp_magic(Bytes b) noexcept {
  return starts_with(b, 0, "RIFF") && starts_with(b, 8, "WEBP");
}
bool tiff_magic(Bytes b) noexcept {
  return (starts_with(b, 0, "II*") || starts_with(b, 0, "MM")) && b.size() >= 4 &&
         (b[2] == 42 || b[3] == 42);
}
bool bmp_magic(Bytes b) noexcept {
  return starts_with(b, 0, "BM");
}
bool pnm_magic(Bytes b) noexcept {
  return b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6';
}
bool jpeg2000_magic(Bytes b) noexcept {
  return starts_with(b, 0, "\0\0\0\x0CjP  ") || starts_with(b, 0, "\xFF\x4F\xFF\x51");
}
bool gif_magic(Bytes b) noexcept {
  return starts_with(b, 0, "GIF87a") || starts_with(b, 0, "GIF89a");
}
// An ISO BMFF file whose 'ftyp' box names an image brand, major or
// compatible: AVIF if any brand is AV1's (a libheif AVIF also lists mif1),
// HEIF for HEVC's and the generic image brands.
enum class FtypBrand { none, heif, avif };

FtypBrand ftyp_brand(Bytes b) noexcept {
  if (!starts_with(b, 4, "ftyp") || b.size() < 16) return FtypBrand::none;
  const std::size_t box = std::min<std::size_t>(be32(b, 0), std::min<std::size_t>(b.size(), 256));
  bool heif = false;
  for (std::size_t at = 8; at + 4 <= box; at += 4) {
    if (at == 12) continue;  // minor version, not a brand
    if (starts_with(b, at, "avif") || starts_with(b, at, "avis")) return FtypBrand::avif;
    heif = heif || starts_with(b, at, "heic") || starts_with(b, at, "heix") ||
           starts_with(b, at, "hevc") || starts_with(b, at, "hevx") || starts_with(b, at, "heim") ||
           starts_with(b, at, "heis") || starts_with(b, at, "mif1") || starts_with(b, at, "msf1");
  }
  return heif ? FtypBrand::heif : FtypBrand::none;
}
bool heif_magic(Bytes b) noexcept {
  return ftyp_brand(b) == FtypBrand::heif;
}
bool avif_magic(Bytes b) noexcept {
  return ftyp_brand(b) == FtypBrand::avif;
}
// JPEG XL: a bare codestream, or the ISO BMFF container's signature box.
bool jxl_magic(Bytes b) noexcept {
  return starts_with(b, 0, "\xFF\x0A") || starts_with(b, 0, "\0\0\0\x0CJXL \r\n\x87\n");
}
// XML text whose first element is <svg (last: any file could contain it).
bool svg_magic(Bytes b) noexcept {
  const std::string_view head(reinterpret_cast<const char*>(b.data()),
                              std::min<std::size_t>(b.size(), 1024));
  return head.find("<svg") != std::string_view::npos;
}

constexpr std::array<FormatEntry, 12> kFormats = {{
    {Format::jpeg, "jpeg", {"jpg", "jpeg", "jpe"}, jpeg_magic, true, true},
    {Format::png, "png", {"png"}, png_magic, true, true},
    {Format::webp, "webp", {"webp"}, webp_magic, true, true},
    {Format::tiff, "tiff", {"tif", "tiff"}, tiff_magic, true, true},
    {Format::bmp, "bmp", {"bmp"}, bmp_magic, true, false},
    {Format::pnm, "pnm", {"pnm", "ppm", "pgm", "pbm"}, pnm_magic, true, false},
    {Format::jpeg2000, "jpeg2000", {"jp2"}, jpeg2000_magic, true, false},
    {Format::gif, "gif", {"gif"}, gif_magic, true, false},
    {Format::heif, "heif", {"heic", "heif", "hif"}, heif_magic, true, true},
    {Format::avif, "avif", {"avif"}, avif_magic, true, true},
    {Format::jxl, "jxl", {"jxl"}, jxl_magic, true, true},
    {Format::svg, "svg", {"svg"}, svg_magic, false, false},
}};

}  // namespace

std::span<const FormatEntry> format_table() noexcept {
  return kFormats;
}

const FormatEntry* find_format(Format format) noexcept {
  for (const auto& entry : kFormats) {
    if (entry.format == format) return &entry;
  }
  return nullptr;
}

Format format_from_extension(std::string_view extension) noexcept {
  if (extension.empty() || extension.front() != '.') return Format::unknown;
  std::string lower(extension.substr(1));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& entry : kFormats) {
    for (const auto ext : entry.extensions) {
      if (!ext.empty() && ext == lower) return entry.format;
    }
  }
  return Format::unknown;
}

std::vector<std::string_view> writable_format_names() {
  std::vector<std::string_view> names;
  for (const auto& entry : kFormats) {
    if (entry.writable) names.push_back(entry.name);
  }
  return names;
}

}  // namespace detail

std::string_view format_name(Format format) noexcept {
  const auto* entry = detail::find_format(format);
  return entry ? entry->name : "unknown";
}

std::string_view format_extension(Format format) noexcept {
  const auto* entry = detail::find_format(format);
  return entry ? entry->extensions.front() : "bin";
}

bool is_writable(Format format) noexcept {
  const auto* entry = detail::find_format(format);
  return entry && entry->writable;
}

Format detect_format(std::span<const std::uint8_t> bytes) noexcept {
  for (const auto& entry : detail::kFormats) {
    if (entry.magic(bytes)) return entry.format;
  }
  return Format::unknown;
}

}  // namespace imgflow
