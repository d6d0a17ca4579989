#include "codec/jpeg_metadata.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "core/tiff_ifd.hpp"

namespace imgflow::detail {
namespace {

constexpr std::uint8_t kExif[] = {'E', 'x', 'i', 'f', 0, 0};
constexpr char kIcc[] = "ICC_PROFILE";  // followed by NUL, sequence number, count

}  // namespace

JpegMetadata read_jpeg_metadata(Bytes jpeg) {
  std::vector<JpegSegment> segments;
  std::size_t i = 2;  // after SOI
  while (i + 4 <= jpeg.size()) {
    if (jpeg[i] != 0xFF) break;
    const std::uint8_t marker = jpeg[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // image data: no more metadata
    const std::size_t length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (length < 2 || i + 2 + length > jpeg.size()) break;
    segments.push_back({marker, jpeg.subspan(i + 4, length - 2)});
    i += 2 + length;
  }
  return jpeg_metadata_of(segments);
}

JpegMetadata jpeg_metadata_of(std::span<const JpegSegment> segments) {
  JpegMetadata meta;
  std::map<int, Bytes> icc_chunks;
  for (const auto& [marker, payload] : segments) {
    if (marker == 0xE1 && meta.exif.empty() && payload.size() > 6 &&
        std::equal(kExif, kExif + 6, payload.begin())) {
      meta.exif.assign(payload.begin(), payload.end());
      meta.orientation = exif_orientation(payload.subspan(6));
    } else if (marker == 0xE2 && payload.size() > 14 &&
               std::memcmp(payload.data(), kIcc, sizeof kIcc) == 0) {
      icc_chunks.emplace(payload[12], payload.subspan(14));
    } else if (marker == 0xEE && payload.size() >= 5 &&
               std::memcmp(payload.data(), "Adobe", 5) == 0) {
      meta.adobe = true;
    }
  }
  // The profile is split over numbered chunks; keep it only if none is missing.
  if (!icc_chunks.empty() && icc_chunks.begin()->first == 1 &&
      icc_chunks.rbegin()->first == static_cast<int>(icc_chunks.size())) {
    for (const auto& [sequence, chunk] : icc_chunks) {
      meta.icc.insert(meta.icc.end(), chunk.begin(), chunk.end());
    }
  }
  return meta;
}

std::size_t count_jpeg_scans(Bytes jpeg, std::size_t stop_at) {
  std::size_t scans = 0;
  std::size_t i = 2;  // after SOI
  while (scans < stop_at && i + 4 <= jpeg.size()) {
    if (jpeg[i] != 0xFF) {  // junk between segments: find the next marker
      const void* next = std::memchr(jpeg.data() + i, 0xFF, jpeg.size() - i);
      if (!next) break;
      i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(next) - jpeg.data());
      continue;
    }
    const std::uint8_t marker = jpeg[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD9) break;  // end of image
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      i += 2;
      continue;
    }
    const std::size_t length = (jpeg[i + 2] << 8) | jpeg[i + 3];
    if (length < 2) break;
    i += 2 + length;
    if (marker != 0xDA) continue;
    ++scans;
    // Entropy-coded data: up to the next 0xFF that starts a marker (not a
    // stuffed 0xFF00, a restart marker or a fill byte).
    while (i + 1 < jpeg.size()) {
      const void* ff = std::memchr(jpeg.data() + i, 0xFF, jpeg.size() - i);
      if (!ff) {
        i = jpeg.size();
        break;
      }
      i = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - jpeg.data());
      if (i + 1 >= jpeg.size()) break;
      const std::uint8_t next = jpeg[i + 1];
      if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
        i += 2;
      } else if (next == 0xFF) {
        ++i;
      } else {
        break;
      }
    }
  }
  return scans;
}

int jpeg_exif_orientation(Bytes jpeg) {
  return read_jpeg_metadata(jpeg).orientation;
}

}  // namespace imgflow::detail
