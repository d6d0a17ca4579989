// EXIF orientation: reading the tag from a JPEG's APP1 segment, and turning
// stored pixels upright.
#include "orientation.hpp"

#include <opencv2/core.hpp>

#include "imgflow/image.hpp"

namespace imgflow {
namespace detail {
namespace {

using Bytes = std::span<const std::uint8_t>;

struct TiffReader {
  Bytes tiff;
  bool big_endian = false;
  bool ok(std::size_t offset, std::size_t length) const {
    return offset <= tiff.size() && length <= tiff.size() - offset;
  }
  std::uint32_t u16(std::size_t i) const {
    return big_endian ? (tiff[i] << 8) | tiff[i + 1] : tiff[i] | (tiff[i + 1] << 8);
  }
  std::uint32_t u32(std::size_t i) const {
    return big_endian ? (std::uint32_t(tiff[i]) << 24) | (tiff[i + 1] << 16) | (tiff[i + 2] << 8) |
                            tiff[i + 3]
                      : tiff[i] | (tiff[i + 1] << 8) | (tiff[i + 2] << 16) |
                            (std::uint32_t(tiff[i + 3]) << 24);
  }
};

// Orientation (tag 0x0112) from IFD0 of an Exif TIFF block; 1 if absent or malformed.
int orientation_from_tiff(Bytes tiff) {
  TiffReader r{tiff};
  if (!r.ok(0, 8)) return 1;
  if (tiff[0] == 'M' && tiff[1] == 'M') {
    r.big_endian = true;
  } else if (!(tiff[0] == 'I' && tiff[1] == 'I')) {
    return 1;
  }
  const std::size_t ifd = r.u32(4);
  if (!r.ok(ifd, 2)) return 1;
  const std::size_t entries = r.u16(ifd);
  for (std::size_t e = 0; e < entries; ++e) {
    const std::size_t at = ifd + 2 + e * 12;
    if (!r.ok(at, 12)) return 1;
    if (r.u16(at) != 0x0112) continue;
    const std::uint32_t value = r.u16(at + 8);  // SHORT, stored left-justified
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

}  // namespace

int jpeg_exif_orientation(Bytes jpeg) {
  std::size_t i = 2;  // after SOI
  while (i + 4 <= jpeg.size()) {
    if (jpeg[i] != 0xFF) return 1;
    const std::uint8_t marker = jpeg[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return 1;  // image data: no more metadata
    const std::size_t length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (length < 2 || i + 2 + length > jpeg.size()) return 1;
    const Bytes payload = jpeg.subspan(i + 4, length - 2);
    static constexpr std::uint8_t kExif[] = {'E', 'x', 'i', 'f', 0, 0};
    if (marker == 0xE1 && payload.size() > 6 && std::equal(kExif, kExif + 6, payload.begin())) {
      return orientation_from_tiff(payload.subspan(6));
    }
    i += 2 + length;
  }
  return 1;
}

}  // namespace detail

cv::Mat apply_orientation(const cv::Mat& stored, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(stored, out, 1);
      break;  // mirrored left-right
    case 3:
      cv::rotate(stored, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(stored, out, 0);
      break;  // mirrored top-bottom
    case 5:
      cv::transpose(stored, out);
      break;  // mirrored along the main diagonal
    case 6:
      cv::rotate(stored, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:  // mirrored along the anti-diagonal
      cv::transpose(stored, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(stored, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return stored;
  }
  return out;
}

}  // namespace imgflow
