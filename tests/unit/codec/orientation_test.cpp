// EXIF orientation: one picture stored in each of the 8 orientations must come
// out identical (upright) by default, and as stored with auto_orient off.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "codec/jpeg_metadata.hpp"
#include "imgflow/image.hpp"
#include "support/test_support.hpp"
#include "unit/codec/codec_test_helpers.hpp"

namespace imgflow {
namespace {

// The transform that undoes orientation k (6 and 8 undo each other; the rest
// undo themselves).
int inverse(int k) {
  return k == 6 ? 8 : k == 8 ? 6 : k;
}

TEST(Orientation, AllEightComeOutUpright) {
  const cv::Mat upright = test::make_test_pixels(96, 64, 3, 7);
  for (int k = 1; k <= 8; ++k) {
    const cv::Mat stored = apply_orientation(upright, inverse(k));
    const auto jpeg = jpeg_with_orientation(stored, k, k % 2 == 0);
    EXPECT_EQ(detail::jpeg_exif_orientation(jpeg), k);
    EXPECT_EQ(read_header(jpeg).orientation, k);

    const Image image = decode(jpeg);
    ASSERT_EQ(image.pixels.size(), upright.size()) << "orientation " << k;
    EXPECT_EQ(image.source.width, 96);
    EXPECT_EQ(image.source.height, 64);
    EXPECT_EQ(image.source.orientation, k);
    EXPECT_GT(cv::PSNR(image.pixels, upright), 30.0) << "orientation " << k;

    DecodeOptions as_stored;
    as_stored.auto_orient = false;
    const Image raw = decode(jpeg, as_stored);
    EXPECT_EQ(raw.pixels.size(), stored.size()) << "orientation " << k;
  }
}

TEST(Orientation, ShrinkOnLoadUsesUprightSizes) {
  // A 6000x40-like tall strip would expose swapped sides: use a landscape photo
  // stored rotated (orientation 6), and ask for at least its upright size / 4.
  const cv::Mat photo = cv::imread(test::sample_jpeg().string());
  const cv::Mat stored = apply_orientation(photo, 8);  // stored rotated; 6 turns it back
  const auto jpeg = jpeg_with_orientation(stored, 6, false);
  DecodeOptions options;
  options.at_least = {photo.cols / 4, photo.rows / 4};
  const Image image = decode(jpeg, options);
  EXPECT_GE(image.pixels.cols, photo.cols / 4);
  EXPECT_GE(image.pixels.rows, photo.rows / 4);
  EXPECT_GT(image.pixels.cols, image.pixels.rows);  // landscape, upright
  EXPECT_EQ(image.source.width, photo.cols);
}

TEST(Orientation, MalformedExifIsIgnored) {
  const cv::Mat pixels = test::make_test_pixels(32, 16, 3);
  auto jpeg = jpeg_with_orientation(pixels, 6, false);
  jpeg[2 + 10 + 4] = 0xFF;  // IFD0 offset now points far outside the segment
  EXPECT_EQ(detail::jpeg_exif_orientation(jpeg), 1);
  EXPECT_EQ(decode(jpeg).pixels.size(), pixels.size());
  auto bad_value = jpeg_with_orientation(pixels, 9, false);  // out of range
  EXPECT_EQ(detail::jpeg_exif_orientation(bad_value), 1);
}

}  // namespace
}  // namespace imgflow
