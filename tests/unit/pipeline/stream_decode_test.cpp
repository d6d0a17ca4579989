// Large PNGs decoded row by row straight into the resizer (decode_resize_stage)
// against the whole-image path (decode_stage, then resize_stage), on PNGs made
// from the sample photos: identical pixels, metadata, warnings and errors. The
// threshold is lowered so that photos of a few megapixels stream.
#include <gtest/gtest.h>

#include <png.h>

#include <opencv2/imgcodecs.hpp>

#include "imgflow/imgflow.hpp"
#include "pipeline/decode_policy.hpp"
#include "pipeline/stages.hpp"
#include "support/test_support.hpp"

namespace imgflow {
namespace {

cv::Mat photo(const char* name, int flags = cv::IMREAD_COLOR) {
  return cv::imread((test::sample_dir() / name).string(), flags);
}

std::vector<std::uint8_t> as_png(const cv::Mat& pixels) {
  return encode(pixels, EncodeOptions(Format::png, 0));
}

// An interlaced (Adam7) PNG, which cannot be read by rows.
std::vector<std::uint8_t> interlaced_png(const cv::Mat& bgr) {
  std::vector<std::uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t size) {
        auto* v = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(p));
        v->insert(v->end(), data, data + size);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(bgr.cols), static_cast<png_uint_32>(bgr.rows), 8,
               PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_bgr(png);
  png_write_info(png, info);
  std::vector<png_bytep> rows;
  for (int y = 0; y < bgr.rows; ++y) rows.push_back(const_cast<png_bytep>(bgr.ptr(y)));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// libpng's simplified writer: `format` PNG_FORMAT_*, colour-mapped with `colormap`.
std::vector<std::uint8_t> libpng_png(const cv::Mat& pixels, png_uint_32 format,
                                     const std::vector<std::uint8_t>& colormap = {}) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(pixels.cols);
  image.height = static_cast<png_uint_32>(pixels.rows);
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap.size() / 4);
  png_alloc_size_t size = 0;
  const auto stride = static_cast<png_int_32>(pixels.step);
  const void* map = colormap.empty() ? nullptr : colormap.data();
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data, stride, map));
  std::vector<std::uint8_t> png(size);
  EXPECT_TRUE(png_image_write_to_memory(&image, png.data(), &size, 0, pixels.data, stride, map));
  png.resize(size);
  return png;
}

struct Outcome {
  std::vector<cv::Mat> outputs;
  Image decoded;
  ErrorCode error = ErrorCode::ok;
};

Outcome whole(const std::vector<std::uint8_t>& png, const Options& options) {
  Outcome o;
  try {
    o.decoded = detail::decode_stage(png, detail::DecodePolicy(options));
    o.outputs = detail::resize_stage(o.decoded, detail::ResizeSettings(options));
  } catch (const Error& e) {
    o.error = e.code();
  }
  return o;
}

Outcome streamed(const std::vector<std::uint8_t>& png, const Options& options) {
  detail::DecodePolicy policy(options);
  policy.stream_min_pixels = 1;
  EXPECT_TRUE(detail::streams_rows(png, policy));
  Outcome o;
  try {
    auto input = detail::InputBytes::view(png);
    o.outputs =
        detail::decode_resize_stage(input, policy, detail::ResizeSettings(options), o.decoded);
  } catch (const Error& e) {
    o.error = e.code();
  }
  return o;
}

void expect_same(const std::vector<std::uint8_t>& png, const Options& options,
                 const std::string& what) {
  const Outcome a = whole(png, options), b = streamed(png, options);
  ASSERT_EQ(a.error, ErrorCode::ok) << what;
  ASSERT_EQ(b.error, ErrorCode::ok) << what;
  ASSERT_EQ(a.outputs.size(), b.outputs.size()) << what;
  for (std::size_t i = 0; i < a.outputs.size(); ++i) {
    ASSERT_EQ(a.outputs[i].size(), b.outputs[i].size()) << what << " output " << i;
    ASSERT_EQ(a.outputs[i].type(), b.outputs[i].type()) << what << " output " << i;
    EXPECT_EQ(cv::norm(a.outputs[i], b.outputs[i], cv::NORM_INF), 0.0) << what << " output " << i;
  }
  EXPECT_TRUE(b.decoded.pixels.empty()) << what;
  EXPECT_EQ(a.decoded.source.format, b.decoded.source.format) << what;
  EXPECT_EQ(a.decoded.source.width, b.decoded.source.width) << what;
  EXPECT_EQ(a.decoded.source.height, b.decoded.source.height) << what;
  EXPECT_EQ(a.decoded.icc, b.decoded.icc) << what;
  EXPECT_EQ(a.decoded.warnings, b.decoded.warnings) << what;
}

Options with_sizes(std::initializer_list<const char*> boxes) {
  Options options;
  for (const char* box : boxes) options.sizes.push_back(parse_geometry(box));
  return options;
}

TEST(StreamDecode, SamePixelsAsTheWholeImagePath) {
  const cv::Mat kite = photo("kite.jpg");
  cv::Mat kite16;
  kite.convertTo(kite16, CV_16U, 257.0);
  cv::Mat alpha16;
  photo("special/alpha.png", cv::IMREAD_UNCHANGED).convertTo(alpha16, CV_16U, 257.0);
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> pngs = {
      {"colorful_cups.png", test::read_bytes(test::sample_dir() / "more/colorful_cups.png")},
      {"alpha.png", test::read_bytes(test::sample_dir() / "special/alpha.png")},
      {"kite RGB", as_png(kite)},
      {"portrait RGB", as_png(photo("summer_1am_portrait.jpg"))},
      {"grayscale", as_png(photo("special/grayscale.jpg", cv::IMREAD_GRAYSCALE))},
      {"kite 16-bit", as_png(kite16)},
      {"alpha 16-bit", as_png(alpha16)},
  };
  for (const auto& [name, png] : pngs) {
    expect_same(png, with_sizes({"300"}), name);
    expect_same(png, with_sizes({"400x400", "97x61", "25%"}), name + ", three sizes");
    Options cover = with_sizes({"200x200"});
    cover.fit = Fit::cover;
    cover.gravity = Gravity::north;
    expect_same(png, cover, name + ", cover");
    Options contain = with_sizes({"320x100"});
    contain.fit = Fit::contain;
    contain.background = parse_color("transparent");
    expect_same(png, contain, name + ", contain");
    Options fill = with_sizes({"123x45"});
    fill.fit = Fit::fill;
    fill.filter = Filter::lanczos;
    expect_same(png, fill, name + ", fill lanczos");
  }
  // 16-bit survives only into PNG/TIFF outputs; for JPEG it is read as 8-bit.
  Options to_jpeg = with_sizes({"300"});
  to_jpeg.formats = {OutputFormat::jpeg};
  expect_same(as_png(kite16), to_jpeg, "16-bit to JPEG");
}

TEST(StreamDecode, PaletteTransparencyAndGrayAlphaAsTheWholeImagePath) {
  // libpng expands these (palette + tRNS, gray + alpha) to BGRA on both paths.
  const cv::Mat gray = photo("special/grayscale.jpg", cv::IMREAD_GRAYSCALE);
  cv::Mat gray_alpha(gray.size(), CV_8UC2);
  for (int y = 0; y < gray.rows; ++y) {
    for (int x = 0; x < gray.cols; ++x) {
      gray_alpha.at<cv::Vec2b>(y, x) = {gray.at<std::uint8_t>(y, x),
                                        static_cast<std::uint8_t>(x * 255 / gray.cols)};
    }
  }
  // 64 grey levels of the photo, the darker ones partly transparent.
  cv::Mat indices = gray / 4;
  std::vector<std::uint8_t> colormap;
  for (int i = 0; i < 64; ++i) {
    const auto v = static_cast<std::uint8_t>(i * 4);
    colormap.insert(colormap.end(), {v, static_cast<std::uint8_t>(255 - v), v,
                                     static_cast<std::uint8_t>(i < 32 ? i * 8 : 255)});
  }
  const std::vector<std::pair<std::string, std::vector<std::uint8_t>>> pngs = {
      {"gray + alpha", libpng_png(gray_alpha, PNG_FORMAT_GA)},
      {"palette + tRNS", libpng_png(indices, PNG_FORMAT_RGBA_COLORMAP, colormap)},
  };
  for (const auto& [name, png] : pngs) {
    ASSERT_TRUE(png.size() > 29 && png[25] == (name == "gray + alpha" ? 4 : 3)) << name;
    expect_same(png, with_sizes({"300", "97x61"}), name);
    const Outcome o = streamed(png, with_sizes({"300"}));
    ASSERT_EQ(o.error, ErrorCode::ok) << name;
    EXPECT_EQ(o.outputs[0].channels(), 4) << name;
  }
}

TEST(StreamDecode, IccProfileConvertedOrKeptAsTheWholeImagePath) {
  const auto adobe = test::adobe_rgb_profile();
  const auto png = test::png_with_icc(as_png(photo("kite.jpg")), adobe);
  expect_same(png, with_sizes({"300"}), "Adobe RGB to sRGB");
  EXPECT_TRUE(streamed(png, with_sizes({"300"})).decoded.icc.empty());
  Options keep = with_sizes({"300"});
  keep.keep_icc = true;
  keep.formats = {OutputFormat::jpeg};
  expect_same(png, keep, "--keep-icc");
  EXPECT_EQ(streamed(png, keep).decoded.icc, adobe);
  // The profile changes the pixels: the stream really converts.
  EXPECT_GT(
      cv::norm(streamed(png, with_sizes({"300"})).outputs[0],
               streamed(as_png(photo("kite.jpg")), with_sizes({"300"})).outputs[0], cv::NORM_INF),
      2.0);
}

TEST(StreamDecode, BrokenFilesFailWithTheSameCodes) {
  const auto png = as_png(photo("kite.jpg"));
  const Options options = with_sizes({"300"});
  const std::vector<std::uint8_t> cut(png.begin(), png.begin() + static_cast<long>(png.size() / 2));
  EXPECT_EQ(whole(cut, options).error, ErrorCode::truncated_input);
  EXPECT_EQ(streamed(cut, options).error, ErrorCode::truncated_input);
  auto damaged = png;
  for (std::size_t i = damaged.size() / 3; i < damaged.size() / 3 + 64; ++i) damaged[i] ^= 0x5a;
  EXPECT_EQ(whole(damaged, options).error, ErrorCode::corrupt_input);
  EXPECT_EQ(streamed(damaged, options).error, ErrorCode::corrupt_input);
  Options limited = options;
  limited.max_pixels = 1000;
  EXPECT_EQ(whole(png, limited).error, ErrorCode::too_many_pixels);
  EXPECT_EQ(streamed(png, limited).error, ErrorCode::too_many_pixels);
}

// A PNG read in pieces as it is decoded (InputBytes::open on a file above the
// threshold) gives the pixels of the same PNG in memory; when the file is
// cut short after it was opened (another process truncating it during the
// run), the file fails with truncated-input, and the process lives on.
TEST(StreamDecode, ReadInPiecesAsInMemoryAndAFileCutWhileReadIsTruncated) {
  const Options options = with_sizes({"300x300"});
  detail::DecodePolicy policy(options);
  policy.stream_min_pixels = 1;
  EncodeOptions stored(Format::png, 0);
  stored.png_compression = 0;  // several MB: the file is read in several pieces
  const auto png = encode(photo("kite.jpg"), stored);
  ASSERT_GT(png.size(), 4 * detail::InputBytes::kPieceBytes);
  test::ScratchDir dir;
  test::write_bytes(dir / "kite.png", png);
  const Outcome in_memory = streamed(png, options);
  ASSERT_EQ(in_memory.error, ErrorCode::ok);

  auto input = detail::InputBytes::open(dir / "kite.png", 0, 1);
  ASSERT_FALSE(input.whole());
  Image decoded;
  const auto outputs =
      detail::decode_resize_stage(input, policy, detail::ResizeSettings(options), decoded);
  ASSERT_EQ(outputs.size(), 1u);
  ASSERT_EQ(outputs[0].size(), in_memory.outputs[0].size());
  EXPECT_EQ(cv::norm(outputs[0], in_memory.outputs[0], cv::NORM_INF), 0.0);

  auto cut = detail::InputBytes::open(dir / "kite.png", 0, 1);
  ASSERT_FALSE(cut.whole());
  std::filesystem::resize_file(dir / "kite.png", png.size() / 2);
  try {
    detail::decode_resize_stage(cut, policy, detail::ResizeSettings(options), decoded);
    ADD_FAILURE() << "a file cut to half decoded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::truncated_input) << e.what();
  }
}

TEST(StreamDecode, OnlyLargeNonInterlacedPngsWithStreamableSizes) {
  const cv::Mat kite = photo("kite.jpg");
  const auto png = as_png(kite);
  detail::DecodePolicy policy(with_sizes({"300"}));
  EXPECT_FALSE(detail::streams_rows(png, policy));  // 2.5 MP: below the threshold
  policy.stream_min_pixels = 1;
  EXPECT_TRUE(detail::streams_rows(png, policy));
  EXPECT_FALSE(detail::streams_rows(interlaced_png(kite), policy));
  EXPECT_FALSE(detail::streams_rows(test::read_bytes(test::sample_jpeg()), policy));
  Options attention = with_sizes({"300x300"});
  attention.fit = Fit::cover;
  attention.gravity = Gravity::attention;  // looks at the whole image
  detail::DecodePolicy whole_needed(attention);
  whole_needed.stream_min_pixels = 1;
  EXPECT_FALSE(detail::streams_rows(png, whole_needed));
  detail::DecodePolicy no_size{Options{}};
  no_size.stream_min_pixels = 1;
  EXPECT_FALSE(detail::streams_rows(png, no_size));
}

TEST(StreamDecode, MemoryEstimateIsTheOutputsNotTheImage) {
  const auto png = as_png(photo("kite.jpg"));  // 2000x1250
  detail::DecodePolicy policy(with_sizes({"300"}));
  const std::uint64_t whole_image = detail::estimated_memory(png, policy);
  EXPECT_EQ(whole_image, png.size() + 2000u * 1250u * 4u);
  policy.stream_min_pixels = 1;
  const std::uint64_t rows = detail::estimated_memory(png, policy);
  EXPECT_GT(rows, png.size());
  EXPECT_LT(rows - png.size(), (whole_image - png.size()) / 4);
}

}  // namespace
}  // namespace imgflow
