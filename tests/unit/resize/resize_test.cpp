// Resizing pixels: exact sizes, padding, crop placement, alpha without fringes.
#include "imgflow/resize.hpp"

#include <gtest/gtest.h>

#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "resize/lanczos.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

TEST(Resize, AlphaEdgeHasNoDarkFringe) {
  // Left half opaque white, right half fully transparent *black* (as many
  // editors store it). Averaging without premultiplying pulls the edge grey.
  cv::Mat image(64, 64, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  image(cv::Rect(0, 0, 32, 64)).setTo(cv::Scalar(255, 255, 255, 255));
  const cv::Mat small = resize(image, parse_geometry("16x16"));
  ASSERT_EQ(small.size(), cv::Size(16, 16));
  // Column 7 and 8 straddle the edge (at 32 → 8 in the output).
  for (int x = 0; x < 16; ++x) {
    const cv::Vec4b px = small.at<cv::Vec4b>(8, x);
    if (px[3] > 0) {
      EXPECT_GE(px[0], 254) << "x=" << x << " alpha=" << int(px[3]);  // still white
      EXPECT_GE(px[2], 254) << "x=" << x;
    }
  }
  EXPECT_EQ(small.at<cv::Vec4b>(8, 0)[3], 255);
  EXPECT_EQ(small.at<cv::Vec4b>(8, 15)[3], 0);
}

TEST(Resize, HalfTransparentEdgeKeepsItsColour) {
  // A red disc whose soft edge is half transparent over transparent black.
  cv::Mat image(80, 80, CV_8UC4, cv::Scalar(0, 0, 0, 0));
  cv::circle(image, {40, 40}, 30, cv::Scalar(0, 0, 255, 128), -1);
  cv::circle(image, {40, 40}, 20, cv::Scalar(0, 0, 255, 255), -1);
  const cv::Mat small = resize(image, parse_geometry("20x20"));
  for (int y = 0; y < small.rows; ++y) {
    for (int x = 0; x < small.cols; ++x) {
      const cv::Vec4b px = small.at<cv::Vec4b>(y, x);
      if (px[3] >= 8) {
        EXPECT_GE(px[2], 250) << x << "," << y << " a=" << int(px[3]);  // red stays red
      }
    }
  }
}

TEST(Resize, ContainPadsWithTheBackground) {
  const cv::Mat photo = test::make_test_pixels(400, 200, 3);
  ResizeOptions options;
  options.spec.fit = Fit::contain;
  options.background = parse_color("#102030");
  const cv::Mat out = resize(photo, parse_geometry("100x100"), options);
  ASSERT_EQ(out.size(), cv::Size(100, 100));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 50), cv::Vec3b(0x30, 0x20, 0x10));   // top band, BGR
  EXPECT_EQ(out.at<cv::Vec3b>(99, 50), cv::Vec3b(0x30, 0x20, 0x10));  // bottom band
  EXPECT_NE(out.at<cv::Vec3b>(50, 50), cv::Vec3b(0x30, 0x20, 0x10));  // the picture

  const cv::Mat rgba = test::make_test_pixels(400, 200, 4);
  options.background = parse_color("transparent");
  const cv::Mat padded = resize(rgba, parse_geometry("100x100"), options);
  EXPECT_EQ(padded.at<cv::Vec4b>(0, 50)[3], 0);

  // An opaque photo on a see-through padding gains an alpha channel; a
  // half-transparent colour keeps its alpha.
  for (const char* background : {"transparent", "#10203080"}) {
    SCOPED_TRACE(background);
    options.background = parse_color(background);
    const Color c = options.background;
    for (const cv::Mat& opaque : {photo, test::make_test_pixels(400, 200, 1)}) {
      const cv::Mat out4 = resize(opaque, parse_geometry("100x100"), options);
      ASSERT_EQ(out4.type(), CV_8UC4);
      EXPECT_EQ(out4.at<cv::Vec4b>(0, 50), cv::Vec4b(c.b, c.g, c.r, c.a));
      EXPECT_EQ(out4.at<cv::Vec4b>(50, 50)[3], 255);  // the picture stays opaque
    }
  }
}

TEST(Resize, CoverKeepsTheSideTheGravityNames) {
  // Top half black, bottom half white, 100x200 → 100x100 cover.
  cv::Mat image(200, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  image(cv::Rect(0, 100, 100, 100)).setTo(cv::Scalar(255, 255, 255));
  ResizeOptions options;
  options.spec.fit = Fit::cover;
  options.spec.gravity = Gravity::north;
  EXPECT_EQ(cv::mean(resize(image, parse_geometry("100x100"), options))[0], 0.0);
  options.spec.gravity = Gravity::south;
  EXPECT_EQ(cv::mean(resize(image, parse_geometry("100x100"), options))[0], 255.0);
}

TEST(Resize, EntropyAndAttentionFindTheDetail) {
  // Flat grey everywhere except a textured, colourful square at the right.
  cv::Mat image(100, 400, CV_8UC3, cv::Scalar(128, 128, 128));
  cv::Mat detail = test::make_test_pixels(100, 100, 3, 3);
  detail.copyTo(image(cv::Rect(300, 0, 100, 100)));
  for (const Gravity g : {Gravity::entropy, Gravity::attention}) {
    ResizeOptions options;
    options.spec.fit = Fit::cover;
    options.spec.gravity = g;
    const cv::Mat out = resize(image, parse_geometry("100x100"), options);
    ASSERT_EQ(out.size(), cv::Size(100, 100));
    EXPECT_LT(cv::norm(out, detail, cv::NORM_INF), 1.0) << "gravity " << int(g);
  }
}

TEST(Resize, SixteenBitStaysSixteenBit) {
  cv::Mat image(100, 100, CV_16UC3, cv::Scalar(1000, 30000, 65535));
  const cv::Mat out = resize(image, parse_geometry("10x10"));
  ASSERT_EQ(out.type(), CV_16UC3);
  EXPECT_EQ(out.at<cv::Vec3w>(5, 5)[1], 30000);
}

TEST(Resize, FiltersAllGiveTheSameSizeAndEachItsOwnPixels) {
  // 300 -> 70 (4.29x: not a whole factor, where linear and cubic would both
  // land on source pixels; and enough for auto's box pre-shrink by 2).
  const cv::Mat photo = test::make_test_pixels(300, 200, 3);
  const char* const names[] = {"auto", "nearest", "area", "linear", "cubic", "lanczos"};
  std::vector<cv::Mat> outputs;
  for (const char* name : names) {
    ResizeOptions options;
    options.filter = parse_filter(name);
    outputs.push_back(resize(photo, parse_geometry("70x"), options));
    EXPECT_EQ(outputs.back().size(), cv::Size(70, 47)) << name;
  }
  // nearest, area, linear and cubic are OpenCV's, exactly.
  const int opencv[] = {cv::INTER_NEAREST, cv::INTER_AREA, cv::INTER_LINEAR, cv::INTER_CUBIC};
  for (int i = 0; i < 4; ++i) {
    cv::Mat expected;
    cv::resize(photo, expected, cv::Size(70, 47), 0, 0, opencv[i]);
    EXPECT_EQ(cv::norm(outputs[static_cast<std::size_t>(i) + 1], expected, cv::NORM_INF), 0.0)
        << names[i + 1];
  }
  // No two filters give the same image.
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    for (std::size_t j = i + 1; j < outputs.size(); ++j) {
      EXPECT_GT(cv::norm(outputs[i], outputs[j], cv::NORM_INF), 0.0)
          << names[i] << " = " << names[j];
    }
  }
  EXPECT_THROW(parse_filter("bicubic"), Error);
}

TEST(Resize, NoMoireOnAFineCheckerboard) {
  // One-pixel checks average to mid grey; an aliasing filter shows patterns.
  cv::Mat checks(999, 999, CV_8UC1);
  for (int y = 0; y < checks.rows; ++y) {
    for (int x = 0; x < checks.cols; ++x) checks.at<std::uint8_t>(y, x) = (x + y) % 2 ? 255 : 0;
  }
  for (const char* name : {"auto", "lanczos", "area"}) {
    ResizeOptions options;
    options.filter = parse_filter(name);
    const cv::Mat small = resize(checks, parse_geometry("300x300"), options);
    cv::Scalar mean, stddev;
    cv::meanStdDev(small(cv::Rect(5, 5, 290, 290)), mean, stddev);  // away from the borders
    EXPECT_NEAR(mean[0], 127.5, 2.0) << name;
    EXPECT_LT(stddev[0], 4.0) << name;
  }
  ResizeOptions nearest;
  nearest.filter = Filter::nearest;
  cv::Scalar mean, stddev;
  cv::meanStdDev(resize(checks, parse_geometry("300x300"), nearest), mean, stddev);
  EXPECT_GT(stddev[0], 60.0);  // the test can tell aliasing apart
}

TEST(Resize, LanczosMatchesAnIntegerBoxAverageClosely) {
  // Shrinking a real photo 4x: Lanczos-3 and an exact 4x4 box average agree
  // closely (they differ only in how sharp they are). Measured: 43.56 dB on
  // 2000x1250 -> 500x312; 35.58 dB on the noisier synthetic 800x600 image.
  const cv::Mat photo = cv::imread(test::sample_jpeg().string(), cv::IMREAD_COLOR);
  ASSERT_EQ(photo.size(), cv::Size(2000, 1250));
  cv::Mat box;
  cv::resize(photo, box, cv::Size(500, 312), 0, 0, cv::INTER_AREA);
  ResizeOptions lanczos;
  lanczos.filter = Filter::lanczos;
  EXPECT_GT(cv::PSNR(resize(photo, parse_geometry("500x312!"), lanczos), box), 43.0);
  const cv::Mat synthetic = test::make_test_pixels(800, 600, 3, 11);
  cv::resize(synthetic, box, cv::Size(200, 150), 0, 0, cv::INTER_AREA);
  EXPECT_GT(cv::PSNR(resize(synthetic, parse_geometry("200x150")), box), 35.0);
}

TEST(ResizeToFit, ExactSizesAndNoEnlarging) {
  const cv::Mat pixels = test::make_test_pixels(1000, 333, 3);
  EXPECT_EQ(resize_to_fit(pixels, parse_geometry("500x")).size(), cv::Size(500, 167));
  EXPECT_EQ(resize_to_fit(pixels, parse_geometry("2000x2000")).size(), cv::Size(1000, 333));
  const cv::Mat strip = test::make_test_pixels(6000, 40, 3);
  EXPECT_EQ(resize_to_fit(strip, parse_geometry("100x100")).size(), cv::Size(100, 1));
}

TEST(ResizeToFit, UsesTheFullSourceSizeForShrunkPixels) {
  // Pixels decoded at 1/4 of a 4000x3000 source; the box applies to the source.
  const cv::Mat quarter = test::make_test_pixels(1000, 750, 3);
  EXPECT_EQ(resize_to_fit(quarter, parse_geometry("800x800"), {4000, 3000}).size(),
            cv::Size(800, 600));
}

}  // namespace
}  // namespace imgflow

// The 8-bit path rounds each float row as it is made instead of the whole
// float image at the end: same pixels, one row of floats held instead of the
// image's.
TEST(Resize, LanczosToEightBitRowByRowIsTheFloatImageRounded) {
  const cv::Mat photo = cv::imread(imgflow::test::sample_jpeg().string(), cv::IMREAD_COLOR);
  ASSERT_FALSE(photo.empty());
  for (const cv::Size size : {cv::Size(500, 312), cv::Size(37, 801), cv::Size(1, 1)}) {
    cv::Mat expected;
    imgflow::detail::lanczos3(photo, size).convertTo(expected, CV_8U);
    const cv::Mat rows = imgflow::detail::lanczos3(photo, size, CV_8U);
    ASSERT_EQ(rows.type(), CV_8UC3);
    ASSERT_EQ(rows.size(), size);
    EXPECT_EQ(cv::norm(rows, expected, cv::NORM_INF), 0.0) << size;
  }
}
