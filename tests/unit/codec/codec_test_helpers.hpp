// Helpers shared by the decoder tests (tests/unit/codec/*_decode*_test.cpp,
// decode_test.cpp, encode_test.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <lcms2.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"

namespace imgflow {

/// ImageMagick's convert with `args` (scripts/setup.sh installs imagemagick).
inline void magick(std::vector<std::string> args) {
  args.insert(args.begin(), "convert");
  const auto r = test::run_command(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

/// The same picture's pixels (8-bit BGR, sRGB) expressed in the given RGB profile.
inline cv::Mat from_srgb(const cv::Mat& bgr, const std::vector<std::uint8_t>& icc) {
  cmsHPROFILE srgb = cmsCreate_sRGBProfile();
  cmsHPROFILE target = cmsOpenProfileFromMem(icc.data(), static_cast<cmsUInt32Number>(icc.size()));
  cmsHTRANSFORM t =
      cmsCreateTransform(srgb, TYPE_BGR_8, target, TYPE_BGR_8, INTENT_RELATIVE_COLORIMETRIC, 0);
  cv::Mat out(bgr.size(), CV_8UC3);
  for (int y = 0; y < bgr.rows; ++y) {
    cmsDoTransform(t, bgr.ptr(y), out.ptr(y), static_cast<cmsUInt32Number>(bgr.cols));
  }
  cmsDeleteTransform(t);
  cmsCloseProfile(target);
  cmsCloseProfile(srgb);
  return out;
}

inline ErrorCode decode_error(const std::vector<std::uint8_t>& bytes, DecodeOptions options = {}) {
  try {
    decode(bytes, options);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

/// A sample photo resized to `width` x `height`, written as a q95 JPEG at
/// `jpeg` (an input for the reference encoders); returns that JPEG's pixels.
inline cv::Mat small_photo(const std::filesystem::path& jpeg, int width, int height) {
  cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  cv::resize(photo, photo, {width, height}, 0, 0, cv::INTER_AREA);
  EXPECT_TRUE(cv::imwrite(jpeg.string(), photo, {cv::IMWRITE_JPEG_QUALITY, 95}));
  return cv::imread(jpeg.string(), cv::IMREAD_COLOR);
}

/// `bytes` (an image of width x height) decodes at a pixel limit of exactly
/// its size, and is too-many-pixels one pixel below it.
inline void expect_exact_pixel_limit(const std::vector<std::uint8_t>& bytes, int width,
                                     int height) {
  DecodeOptions options;
  options.max_pixels = static_cast<std::uint64_t>(width) * height - 1;
  EXPECT_EQ(decode_error(bytes, options), ErrorCode::too_many_pixels);
  options.max_pixels += 1;
  EXPECT_EQ(decode_error(bytes, options), ErrorCode::ok);
}

// Four flat quadrants, red, blue / green, white: no two of the eight EXIF
// orientations look alike, and flat areas survive HEVC's 4:2:0.
inline cv::Mat quadrants() {
  cv::Mat bgr(30, 50, CV_8UC3, cv::Scalar(0, 0, 255));
  bgr(cv::Rect(25, 0, 25, 15)).setTo(cv::Scalar(255, 0, 0));
  bgr(cv::Rect(0, 15, 25, 15)).setTo(cv::Scalar(0, 255, 0));
  bgr(cv::Rect(25, 15, 25, 15)).setTo(cv::Scalar(255, 255, 255));
  return bgr;
}

inline double psnr(const cv::Mat& a, const cv::Mat& b) {
  return cv::PSNR(a, b);
}

// A JPEG of `stored` with an Exif APP1 segment carrying `orientation`.
inline std::vector<std::uint8_t> jpeg_with_orientation(const cv::Mat& stored, int orientation,
                                                       bool big_endian) {
  std::vector<std::uint8_t> jpeg;
  EXPECT_TRUE(cv::imencode(".jpg", stored, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
  std::vector<std::uint8_t> tiff;
  if (big_endian) {
    tiff = {'M',  'M',  0, 42, 0, 0, 0, 8,  // header, IFD0 at 8
            0,    1,                        // one entry
            0x01, 0x12, 0, 3,  0, 0, 0, 1, 0, static_cast<std::uint8_t>(orientation),
            0,    0,    0, 0,  0, 0};  // no next IFD
  } else {
    tiff = {'I',
            'I',
            42,
            0,
            8,
            0,
            0,
            0,
            1,
            0,
            0x12,
            0x01,
            3,
            0,
            1,
            0,
            0,
            0,
            static_cast<std::uint8_t>(orientation),
            0,
            0,
            0,
            0,
            0,
            0,
            0};
  }
  std::vector<std::uint8_t> app1 = {0xFF, 0xE1, 0, 0, 'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const std::size_t length = app1.size() - 2;
  app1[2] = static_cast<std::uint8_t>(length >> 8);
  app1[3] = static_cast<std::uint8_t>(length & 0xFF);
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());  // right after SOI
  return jpeg;
}

}  // namespace imgflow
