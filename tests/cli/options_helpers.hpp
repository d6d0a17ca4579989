// Helpers shared by the option suites tests/cli/options_*_test.cpp (the
// option_tests binary): running the binary, comparing pixels, small real
// photos, and reading JPEG, TIFF and PNG structure.
#pragma once

#include <lcms2.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "support/imgflow_runner.hpp"
#include "support/test_support.hpp"

namespace imgflow::test::option_tests {

using Bytes = std::vector<std::uint8_t>;
using json = nlohmann::json;

// Under AddressSanitizer or ThreadSanitizer (scripts/sanitize.sh instruments
// every target) shadow memory makes peak RSS meaningless, and the address
// space cannot be capped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

inline RunResult run(std::vector<std::string> args) {
  return run_imgflow(RunSpec(std::move(args)));
}

// prefix + n + suffix (GCC 12 warns falsely about "literal" + std::string).
inline std::string numbered(std::string prefix, int n, const std::string& suffix) {
  prefix += std::to_string(n);
  prefix += suffix;
  return prefix;
}

inline fs::path this_binary_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path();
}

inline cv::Mat read_image(const fs::path& path) {
  return cv::imread(path.string(), cv::IMREAD_UNCHANGED);
}

inline double mean_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar m = cv::mean(diff);
  double sum = 0;
  for (int c = 0; c < a.channels(); ++c) sum += m[c];
  return sum / a.channels();
}

inline double max_abs_diff(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 1e9;
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max);
  return max;
}

inline bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return max_abs_diff(a, b) == 0;
}

// Each channel of `pixel` within `tolerance` of `expected` (both BGR[A]).
inline ::testing::AssertionResult near_colour(const cv::Mat& image, int x, int y,
                                              const std::vector<int>& expected, int tolerance) {
  std::ostringstream got;
  bool ok = image.channels() == static_cast<int>(expected.size());
  for (int c = 0; c < image.channels(); ++c) {
    const int v = image.ptr<std::uint8_t>(y)[x * image.channels() + c];
    got << (c ? "," : "") << v;
    if (ok && std::abs(v - expected[static_cast<std::size_t>(c)]) > tolerance) ok = false;
  }
  if (ok) return ::testing::AssertionSuccess();
  std::ostringstream want;
  for (std::size_t c = 0; c < expected.size(); ++c) want << (c ? "," : "") << expected[c];
  return ::testing::AssertionFailure() << "pixel (" << x << "," << y << ") is " << got.str()
                                       << ", expected " << want.str() << " +-" << tolerance;
}

// Small real photos, downscaled once from sample_images/ for the whole file.
struct Photos {
  ScratchDir dir;
  fs::path landscape;  // kite.jpg at 400x250
  fs::path portrait;   // summer_1am_portrait.jpg at 250x400
  fs::path alpha;      // special/alpha.png at 400x250, RGBA with real transparency

  Photos() {
    landscape = dir / "landscape.jpg";
    portrait = dir / "portrait.jpg";
    alpha = dir / "alpha.png";
    shrink(sample_dir() / "kite.jpg", landscape, {400, 250}, cv::IMREAD_COLOR);
    shrink(sample_dir() / "summer_1am_portrait.jpg", portrait, {250, 400}, cv::IMREAD_COLOR);
    shrink(sample_dir() / "special" / "alpha.png", alpha, {400, 250}, cv::IMREAD_UNCHANGED);
  }

  static void shrink(const fs::path& from, const fs::path& to, cv::Size size, int mode) {
    const cv::Mat source = cv::imread(from.string(), mode);
    if (source.empty()) throw std::runtime_error("cannot read " + from.string());
    cv::Mat small;
    cv::resize(source, small, size, 0, 0, cv::INTER_AREA);
    if (!cv::imwrite(to.string(), small, {cv::IMWRITE_JPEG_QUALITY, 92})) {
      throw std::runtime_error("cannot write " + to.string());
    }
  }
};

inline const Photos& photos() {
  static const Photos p;
  return p;
}

// Copies `from` to `to`, creating the folders.
inline void copy_to(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

inline void write_pixels(const fs::path& path, const cv::Mat& pixels) {
  fs::create_directories(path.parent_path());
  ASSERT_TRUE(cv::imwrite(path.string(), pixels)) << path;
}

// --- JPEG structure ---------------------------------------------------------

struct JpegSegment {
  std::uint8_t marker;
  Bytes payload;  // without the length field
};

// The marker segments before the first scan (SOS).
inline std::vector<JpegSegment> jpeg_segments(const Bytes& jpeg) {
  std::vector<JpegSegment> out;
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) return out;
  std::size_t i = 2;
  while (i + 4 <= jpeg.size() && jpeg[i] == 0xFF) {
    const std::uint8_t marker = jpeg[i + 1];
    const std::size_t length = (std::size_t(jpeg[i + 2]) << 8) | jpeg[i + 3];
    if (length < 2 || i + 2 + length > jpeg.size()) break;
    out.push_back({marker, Bytes(jpeg.begin() + static_cast<std::ptrdiff_t>(i + 4),
                                 jpeg.begin() + static_cast<std::ptrdiff_t>(i + 2 + length))});
    if (marker == 0xDA) break;
    i += 2 + length;
  }
  return out;
}

inline bool has_marker(const std::vector<JpegSegment>& segments, std::uint8_t marker) {
  return std::any_of(segments.begin(), segments.end(),
                     [&](const JpegSegment& s) { return s.marker == marker; });
}

inline bool payload_starts_with(const Bytes& payload, const std::string& prefix) {
  return payload.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), payload.begin(),
                    [](char a, std::uint8_t b) { return static_cast<std::uint8_t>(a) == b; });
}

// The sampling factors (H<<4 | V) of each frame component, from SOF0/1/2.
inline std::vector<int> jpeg_sampling_factors(const Bytes& jpeg) {
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xC0 || s.marker == 0xC1 || s.marker == 0xC2) {
      std::vector<int> factors;
      const int components = s.payload.size() > 5 ? s.payload[5] : 0;
      for (int c = 0; c < components; ++c) {
        const std::size_t at = 6 + 3 * static_cast<std::size_t>(c) + 1;
        if (at < s.payload.size()) factors.push_back(s.payload[at]);
      }
      return factors;
    }
  }
  return {};
}

// The ICC profile of a JPEG (APP2 "ICC_PROFILE\0" chunks in order), or empty.
inline Bytes jpeg_icc(const Bytes& jpeg) {
  Bytes icc;
  const std::string tag("ICC_PROFILE\0", 12);
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xE2 && payload_starts_with(s.payload, tag) && s.payload.size() >= 14) {
      icc.insert(icc.end(), s.payload.begin() + 14, s.payload.end());
    }
  }
  return icc;
}

// The Exif APP1 payload's TIFF structure, or empty.
inline Bytes jpeg_exif_tiff(const Bytes& jpeg) {
  const std::string tag("Exif\0\0", 6);
  for (const auto& s : jpeg_segments(jpeg)) {
    if (s.marker == 0xE1 && payload_starts_with(s.payload, tag)) {
      return Bytes(s.payload.begin() + 6, s.payload.end());
    }
  }
  return {};
}

// Inserts `segment` (marker and payload) right after a JPEG's SOI marker.
inline Bytes with_segment(const Bytes& jpeg, std::uint8_t marker, const Bytes& payload) {
  // Element-wise: GCC 12 warns falsely about vector::insert here at -O3.
  Bytes out = {0xFF,
               0xD8,
               0xFF,
               marker,
               static_cast<std::uint8_t>((payload.size() + 2) >> 8),
               static_cast<std::uint8_t>(payload.size() + 2)};
  out.reserve(jpeg.size() + payload.size() + 4);
  for (const auto byte : payload) out.push_back(byte);
  for (std::size_t k = 2; k < jpeg.size(); ++k) out.push_back(jpeg[k]);
  return out;
}

// --- TIFF structure (Exif and TIFF outputs) ----------------------------------

struct TiffReader {
  Bytes b;
  bool little;
  explicit TiffReader(Bytes bytes) : b(std::move(bytes)), little(b.size() > 1 && b[0] == 'I') {}
  std::uint32_t u16(std::size_t at) const {
    if (at + 2 > b.size()) return 0;
    return little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1];
  }
  std::uint32_t u32(std::size_t at) const {
    if (at + 4 > b.size()) return 0;
    return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2);
  }
  // The offset of IFD0's entry for `tag`, or 0.
  std::size_t entry(std::uint16_t tag) const {
    const std::size_t ifd = u32(4);
    const std::uint32_t count = u16(ifd);
    for (std::uint32_t k = 0; k < count; ++k) {
      const std::size_t e = ifd + 2 + 12 * static_cast<std::size_t>(k);
      if (u16(e) == tag) return e;
    }
    return 0;
  }
  // A SHORT tag's value (-1 if absent).
  long short_value(std::uint16_t tag) const {
    const std::size_t e = entry(tag);
    return e ? static_cast<long>(u16(e + 8)) : -1;
  }
  // An ASCII tag's text without its NUL ("" if absent).
  std::string ascii_value(std::uint16_t tag) const {
    const std::size_t e = entry(tag);
    if (!e) return "";
    const std::uint32_t count = u32(e + 4);
    const std::size_t at = count <= 4 ? e + 8 : u32(e + 8);
    std::string s;
    for (std::size_t i = 0; i < count && at + i < b.size() && b[at + i] != 0; ++i) {
      s.push_back(static_cast<char>(b[at + i]));
    }
    return s;
  }
};

// An Exif APP1 payload (little-endian) with Make = "imgflow-test" and Orientation.
inline Bytes exif_payload(int orientation) {
  const std::string make = "imgflow-test";  // 12 chars + NUL = 13 bytes, stored at offset 38
  Bytes b = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0};
  auto le16 = [&](std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
  };
  auto le32 = [&](std::uint32_t v) {
    le16(v & 0xFFFF);
    le16(v >> 16);
  };
  le16(0x010F);  // Make, ASCII
  le16(2);
  le32(static_cast<std::uint32_t>(make.size() + 1));
  le32(38);
  le16(0x0112);  // Orientation, SHORT
  le16(3);
  le32(1);
  le16(static_cast<std::uint32_t>(orientation));
  le16(0);
  le32(0);  // no next IFD
  for (char c : make) b.push_back(static_cast<std::uint8_t>(c));
  b.push_back(0);
  return b;
}

// A wide-gamut RGB ICC profile (ProPhoto-like primaries, gamma 1.8), made
// with Little CMS.
inline Bytes wide_gamut_profile() {
  const cmsCIExyY d50 = {0.3457, 0.3585, 1.0};
  const cmsCIExyYTRIPLE primaries = {
      {0.7347, 0.2653, 1.0}, {0.1596, 0.8404, 1.0}, {0.0366, 0.0001, 1.0}};
  cmsToneCurve* gamma = cmsBuildGamma(nullptr, 1.8);
  cmsToneCurve* curves[3] = {gamma, gamma, gamma};
  cmsHPROFILE profile = cmsCreateRGBProfile(&d50, &primaries, curves);
  cmsFreeToneCurve(gamma);
  cmsUInt32Number size = 0;
  cmsSaveProfileToMem(profile, nullptr, &size);
  Bytes out(size);
  cmsSaveProfileToMem(profile, out.data(), &size);
  cmsCloseProfile(profile);
  return out;
}

// --- PNG headers --------------------------------------------------------------

inline void put_be32(Bytes& v, std::uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<std::uint8_t>(x >> s));
}

inline void put_png_chunk(Bytes& png, const std::string& type, const Bytes& data) {
  put_be32(png, static_cast<std::uint32_t>(data.size()));
  Bytes typed(type.begin(), type.end());
  typed.insert(typed.end(), data.begin(), data.end());
  png.insert(png.end(), typed.begin(), typed.end());
  put_be32(png, png_crc(typed.data(), typed.size()));
}

// An 8-bit RGB PNG declaring `width`x`height`, with a valid but tiny IDAT
// (100 zero bytes of the image data): a few dozen bytes in all.
inline Bytes png_declaring(std::uint32_t width, std::uint32_t height) {
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  for (std::uint8_t v : {8, 2, 0, 0, 0}) ihdr.push_back(v);
  put_png_chunk(png, "IHDR", ihdr);
  const Bytes raw(100, 0);
  uLongf size = compressBound(raw.size());
  Bytes idat(size);
  compress(idat.data(), &size, raw.data(), raw.size());
  idat.resize(size);
  put_png_chunk(png, "IDAT", idat);
  put_png_chunk(png, "IEND", {});
  return png;
}

}  // namespace imgflow::test::option_tests
