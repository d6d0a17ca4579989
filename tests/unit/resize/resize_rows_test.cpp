// The streamed resizer (RowResizer) against resize() on the whole image:
// real photos, every channel count and depth, several sizes at once, each fit,
// both filters it takes. The pixels must be identical.
#include "resize/resize_rows.hpp"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

std::vector<cv::Mat> by_rows(const cv::Mat& pixels, const std::vector<Geometry>& sizes,
                             const ResizeOptions& options) {
  detail::RowResizer resizer(sizes, options, {pixels.cols, pixels.rows});
  resizer.start(pixels.cols, pixels.rows, pixels.type());
  for (int y = 0; y < pixels.rows; ++y) resizer.take_row(pixels.ptr(y));
  return resizer.finish();
}

void expect_same_as_whole(const cv::Mat& pixels, const std::vector<std::string>& boxes,
                          const ResizeOptions& options, const std::string& what) {
  std::vector<Geometry> sizes;
  for (const auto& box : boxes) sizes.push_back(parse_geometry(box));
  ASSERT_TRUE(detail::RowResizer::can_stream({pixels.cols, pixels.rows}, sizes, options)) << what;
  const auto streamed = by_rows(pixels, sizes, options);
  ASSERT_EQ(streamed.size(), sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const cv::Mat whole = resize(pixels, sizes[i], options);
    const std::string where = what + " -s " + boxes[i];
    ASSERT_EQ(streamed[i].size(), whole.size()) << where;
    ASSERT_EQ(streamed[i].type(), whole.type()) << where;
    EXPECT_EQ(cv::norm(streamed[i], whole, cv::NORM_INF), 0.0) << where;
  }
}

// The sample photos as 8-bit gray, BGR and BGRA (a real alpha channel), and as
// 16-bit BGR and BGRA.
std::vector<std::pair<std::string, cv::Mat>> photos() {
  const auto dir = test::sample_dir();
  const cv::Mat kite = cv::imread((dir / "kite.jpg").string());                     // 2000x1250
  const cv::Mat portrait = cv::imread((dir / "summer_1am_portrait.jpg").string());  // 1000x1600
  const cv::Mat alpha = cv::imread((dir / "special/alpha.png").string(), cv::IMREAD_UNCHANGED);
  const cv::Mat gray = cv::imread((dir / "special/grayscale.jpg").string(), cv::IMREAD_GRAYSCALE);
  cv::Mat kite16, alpha16;
  kite.convertTo(kite16, CV_16U, 257.0);
  alpha.convertTo(alpha16, CV_16U, 257.0);
  return {{"kite BGR", kite},  {"portrait BGR", portrait}, {"alpha.png BGRA", alpha},
          {"grayscale", gray}, {"kite 16-bit", kite16},    {"alpha.png 16-bit", alpha16}};
}

TEST(ResizeRows, SameAsWholeImageForEveryPhotoAndSize) {
  // 200x125 from 2000x1250: box factors that divide exactly (OpenCV's integer
  // area path); the others leave fractions (its weighted path) or no box at all.
  // x217 and 480x479 from 2000x1250: 2x2 (OpenCV's SIMD path), 400x400!: 2x1.
  const std::vector<std::string> boxes = {"700",   "200x125", "333x",    "x217",
                                          "97x61", "50%",     "480x479", "400x400!"};
  for (const auto& [name, pixels] : photos()) {
    ASSERT_FALSE(pixels.empty()) << name;
    expect_same_as_whole(pixels, boxes, {}, name);
    ResizeOptions lanczos;
    lanczos.filter = Filter::lanczos;
    expect_same_as_whole(pixels, boxes, lanczos, name + " lanczos");
  }
}

TEST(ResizeRows, SameAsWholeImageForEveryFit) {
  const cv::Mat kite = cv::imread((test::sample_dir() / "kite.jpg").string());
  const cv::Mat alpha =
      cv::imread((test::sample_dir() / "special/alpha.png").string(), cv::IMREAD_UNCHANGED);
  for (const Fit fit : {Fit::cover, Fit::contain, Fit::fill, Fit::outside}) {
    for (const Gravity gravity : {Gravity::centre, Gravity::northeast, Gravity::south}) {
      ResizeOptions options;
      options.spec = {fit, gravity, false};
      options.background = parse_color("#20304080");
      const std::string what = "fit " + std::to_string(static_cast<int>(fit)) + " gravity " +
                               std::to_string(static_cast<int>(gravity));
      expect_same_as_whole(kite, {"300x300", "640x200", "150x400"}, options, what);
      expect_same_as_whole(alpha, {"300x300", "64x200"}, options, what + " alpha");
    }
  }
}

TEST(ResizeRows, ThingsThatNeedTheWholeImageAreNotStreamed) {
  const Size source{2000, 1250};
  const std::vector<Geometry> thumb = {parse_geometry("300x300")};
  EXPECT_TRUE(detail::RowResizer::can_stream(source, thumb, {}));
  ResizeOptions attention;
  attention.spec = {Fit::cover, Gravity::attention, false};
  EXPECT_FALSE(detail::RowResizer::can_stream(source, thumb, attention));
  attention.spec.fit = Fit::inside;  // no crop: the gravity does not matter
  EXPECT_TRUE(detail::RowResizer::can_stream(source, thumb, attention));
  ResizeOptions nearest;
  nearest.filter = Filter::nearest;
  EXPECT_FALSE(detail::RowResizer::can_stream(source, thumb, nearest));
  EXPECT_FALSE(detail::RowResizer::can_stream(source, {parse_geometry("2000x2000")}, {}));
  EXPECT_FALSE(detail::RowResizer::can_stream(source, {}, {}));
  EXPECT_FALSE(detail::RowResizer::can_stream(
      source, {parse_geometry("300x300"), parse_geometry("2000x1300")}, {}));
}

TEST(ResizeRows, TooFewRowsFail) {
  const cv::Mat pixels = test::make_test_pixels(400, 300, 3);
  detail::RowResizer resizer({parse_geometry("100")}, {}, {400, 300});
  resizer.start(400, 300, pixels.type());
  for (int y = 0; y < 200; ++y) resizer.take_row(pixels.ptr(y));
  try {
    resizer.finish();
    FAIL() << "finish() accepted 200 of 300 rows";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::resize_error);
  }
}

}  // namespace
}  // namespace imgflow
