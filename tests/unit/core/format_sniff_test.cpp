#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

std::vector<std::uint8_t> encoded(const std::string& ext, const cv::Mat& pixels) {
  std::vector<std::uint8_t> out;
  EXPECT_TRUE(cv::imencode(ext, pixels, out));
  return out;
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

ErrorCode header_error(const std::vector<std::uint8_t>& bytes) {
  try {
    read_header(bytes);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

TEST(DetectFormat, ByContentNotName) {
  const cv::Mat pixels = test::make_test_pixels(37, 23, 3);
  EXPECT_EQ(detect_format(encoded(".jpg", pixels)), Format::jpeg);
  EXPECT_EQ(detect_format(encoded(".png", pixels)), Format::png);
  EXPECT_EQ(detect_format(encoded(".webp", pixels)), Format::webp);
  EXPECT_EQ(detect_format(encoded(".tiff", pixels)), Format::tiff);
  EXPECT_EQ(detect_format(encoded(".bmp", pixels)), Format::bmp);
  EXPECT_EQ(detect_format(encoded(".ppm", pixels)), Format::pnm);
  EXPECT_EQ(detect_format(bytes_of("GIF89a....")), Format::gif);
  EXPECT_EQ(detect_format(bytes_of("<?xml version=\"1.0\"?><svg width=\"10\">")), Format::svg);
  EXPECT_EQ(detect_format(bytes_of("hello, not an image")), Format::unknown);
  EXPECT_EQ(detect_format({}), Format::unknown);
}

// An ISO BMFF 'ftyp' box: major brand, minor version 0, compatible brands.
std::vector<std::uint8_t> ftyp(const std::string& major, const std::vector<std::string>& brands) {
  std::string box = std::string(3, '\0') + static_cast<char>(16 + 4 * brands.size()) + "ftyp" +
                    major + std::string(4, '\0');
  for (const auto& b : brands) box += b;
  box += std::string(16, '\0');  // the next box
  return bytes_of(box);
}

TEST(DetectFormat, HeifAndAvifByTheirFtypBrands) {
  EXPECT_EQ(detect_format(ftyp("heic", {"mif1", "heic"})), Format::heif);  // an iPhone photo
  EXPECT_EQ(detect_format(ftyp("heix", {})), Format::heif);
  EXPECT_EQ(detect_format(ftyp("mif1", {"heic"})), Format::heif);
  EXPECT_EQ(detect_format(ftyp("avif", {"mif1", "miaf"})), Format::avif);
  EXPECT_EQ(detect_format(ftyp("avis", {})), Format::avif);
  EXPECT_EQ(detect_format(ftyp("mif1", {"miaf", "avif"})), Format::avif);  // AV1 in a HEIF
  EXPECT_EQ(detect_format(ftyp("isom", {"mp41"})), Format::unknown);       // a video
  // A brand past the box's own size is not the box's.
  auto short_box = ftyp("isom", {"mp41"});
  std::copy_n("avif", 4, short_box.begin() + 24);
  EXPECT_EQ(detect_format(short_box), Format::unknown);
}

TEST(ReadHeader, SizesWithoutDecoding) {
  const cv::Mat pixels = test::make_test_pixels(37, 23, 3);
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp"}) {
    const SourceInfo info = read_header(encoded(ext, pixels));
    EXPECT_EQ(info.width, 37) << ext;
    EXPECT_EQ(info.height, 23) << ext;
  }
  const cv::Mat alpha = test::make_test_pixels(41, 19, 4);
  const SourceInfo lossless = read_header(encoded(".webp", alpha));  // VP8L or VP8X
  EXPECT_EQ(lossless.width, 41);
  EXPECT_EQ(lossless.height, 19);
}

TEST(ReadHeader, StableErrorCodes) {
  EXPECT_EQ(header_error({}), ErrorCode::empty_input);
  EXPECT_EQ(header_error(bytes_of("just text")), ErrorCode::unknown_format);
  EXPECT_EQ(header_error(bytes_of("<svg width=\"10\" height=\"10\"></svg>")),
            ErrorCode::unsupported_format);
  EXPECT_EQ(header_error(bytes_of("GIF89a\x01\x00")), ErrorCode::truncated_input);
  EXPECT_EQ(header_error({'G', 'I', 'F', '8', '9', 'a', 0, 0, 1, 0}), ErrorCode::corrupt_input);
  EXPECT_EQ(header_error({0xFF, 0xD8, 0xFF, 0xE0, 0x00}), ErrorCode::truncated_input);
  EXPECT_EQ(header_error({0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0}),
            ErrorCode::truncated_input);
}

}  // namespace
}  // namespace imgflow
