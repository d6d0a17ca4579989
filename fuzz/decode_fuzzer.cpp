// libFuzzer target: the single-image path a batch runs for every file:
// decode (format sniffing, header checks, every decoder) with a 4-megapixel
// limit, then resize_to_fit 64x64, then encode as JPEG. Whatever decodes is
// decoded again with shrink-on-load to a quarter (JPEG's scaled and
// progressive early-stop paths, WebP without deblocking), that time with
// the metadata readers on (--keep-metadata: libexiv2 for JPEG, PNG, WebP and
// TIFF, libheif items, libjxl boxes). A GIF or WebP of several frames is
// also decoded frame by frame (--animated: animation_decode.cpp).
//
// Checked beyond "no crash, no sanitizer report, no leak":
//   - decode throws nothing but imgflow::Error (README: per-file codes);
//   - a decoded image has 8-bit pixels with 1, 3 or 4 channels, within the
//     pixel limit, and (no shrink-on-load asked) its source size is its
//     pixel size;
//   - the resized image fits in 64x64 and encodes to a non-empty JPEG;
//   - the shrunk decode, if it succeeds, reports the same source size and has
//     the same channels, at least the size asked for and at most the full size;
//   - metadata read is at most kMaxMetadataBytes each;
//   - every frame of an animation is an 8-bit BGRA canvas of the declared
//     size with a duration >= 0, and no more frames come than were declared.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "codec/animation.hpp"
#include "codec/decoders.hpp"
#include "imgflow/error.hpp"
#include "imgflow/geometry.hpp"
#include "imgflow/image.hpp"

namespace {

constexpr std::uint64_t kMaxPixels = 4'000'000;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "decode_fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // As during a run: OpenCV quiet and single-threaded.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  cv::setNumThreads(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  imgflow::DecodeOptions options;
  options.max_pixels = kMaxPixels;
  imgflow::Image image;
  try {
    image = imgflow::decode(std::span<const std::uint8_t>(data, size), options);
  } catch (const imgflow::Error&) {
    return 0;  // a per-file error: the expected outcome for most inputs
  }
  const cv::Mat& px = image.pixels;
  if (px.empty()) fail("decode returned no pixels");
  if (px.depth() != CV_8U) fail("decoded pixels are not 8-bit");
  if (px.channels() != 1 && px.channels() != 3 && px.channels() != 4) {
    fail("decoded pixels have an unexpected channel count");
  }
  if (static_cast<std::uint64_t>(px.cols) * static_cast<std::uint64_t>(px.rows) > kMaxPixels) {
    fail("decoded image is over the pixel limit");
  }
  if (image.source.width != px.cols || image.source.height != px.rows) {
    fail("reported source size differs from the decoded pixels");
  }

  imgflow::DecodeOptions shrinking = options;
  shrinking.at_least = {std::max(1, px.cols / 4), std::max(1, px.rows / 4)};
  shrinking.read_metadata = true;
  try {
    const imgflow::Image shrunk =
        imgflow::decode(std::span<const std::uint8_t>(data, size), shrinking);
    const cv::Mat& s = shrunk.pixels;
    if (shrunk.source.width != image.source.width || shrunk.source.height != image.source.height) {
      fail("shrink-on-load changed the reported source size");
    }
    if (s.channels() != px.channels() || s.depth() != CV_8U)
      fail("shrink-on-load changed the type");
    if (s.cols < shrinking.at_least.width || s.rows < shrinking.at_least.height ||
        s.cols > px.cols || s.rows > px.rows) {
      fail("shrink-on-load gave a size outside [asked, full]");
    }
    if (shrunk.exif.size() > imgflow::detail::kMaxMetadataBytes ||
        shrunk.xmp.size() > imgflow::detail::kMaxMetadataBytes) {
      fail("metadata over its limit");
    }
  } catch (const imgflow::Error&) {
  }

  try {
    const std::span<const std::uint8_t> bytes(data, size);
    const auto info = imgflow::detail::read_animation_info(bytes, imgflow::read_header(bytes));
    if (info) {
      imgflow::DecodeOptions frames = options;
      frames.max_frames = 64;
      std::uint64_t seen = 0;
      imgflow::detail::decode_animation(
          bytes, *info, frames, [&](const cv::Mat& canvas, int duration_ms) {
            if (canvas.type() != CV_8UC4 || canvas.cols != info->width ||
                canvas.rows != info->height) {
              fail("an animation frame is not a BGRA canvas of the declared size");
            }
            if (duration_ms < 0) fail("an animation frame has a negative duration");
            if (++seen > info->frames) fail("more frames than the animation declared");
          });
    }
  } catch (const imgflow::Error&) {
  }

  static const imgflow::Geometry box = imgflow::parse_geometry("64x64");
  const cv::Mat small = imgflow::resize_to_fit(px, box, {image.source.width, image.source.height});
  if (small.empty() || small.cols > 64 || small.rows > 64) fail("resize_to_fit missed 64x64");
  const auto jpeg = imgflow::encode(small, imgflow::EncodeOptions(imgflow::Format::jpeg, 85));
  if (jpeg.size() < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8) fail("encode gave no JPEG");
  return 0;
}
