// Encoding: JPEG with TurboJPEG, the other formats with OpenCV's imencode.
#include <turbojpeg.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"

namespace imgflow {
namespace {

tjhandle thread_compressor() {
  struct Handle {
    tjhandle h = tjInitCompress();
    ~Handle() {
      if (h) tjDestroy(h);
    }
  };
  thread_local Handle handle;
  if (!handle.h) throw Error(ErrorCode::encode_error, "cannot create a TurboJPEG compressor");
  return handle.h;
}

// JPEG has no alpha: composite onto the background (white by default, as
// browsers show transparent areas).
cv::Mat flatten(const cv::Mat& bgra, const Color& background) {
  const int bg[3] = {background.b, background.g, background.r};
  cv::Mat bgr(bgra.rows, bgra.cols, CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    const auto* in = bgra.ptr<std::uint8_t>(y);
    auto* out = bgr.ptr<std::uint8_t>(y);
    for (int x = 0; x < bgra.cols; ++x, in += 4, out += 3) {
      const int a = in[3];
      for (int c = 0; c < 3; ++c) {
        out[c] = static_cast<std::uint8_t>((in[c] * a + bg[c] * (255 - a) + 127) / 255);
      }
    }
  }
  return bgr;
}

std::vector<std::uint8_t> encode_jpeg(const cv::Mat& input, int quality, const Color& background) {
  cv::Mat pixels = input.channels() == 4 ? flatten(input, background) : input;
  if (!pixels.isContinuous()) pixels = pixels.clone();
  const bool gray = pixels.channels() == 1;
  tjhandle tj = thread_compressor();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj, pixels.data, pixels.cols, static_cast<int>(pixels.step),
                             pixels.rows, gray ? TJPF_GRAY : TJPF_BGR, &jpeg, &size,
                             gray ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  std::vector<std::uint8_t> out;
  if (rc == 0) out.assign(jpeg, jpeg + size);
  tjFree(jpeg);
  if (rc != 0) throw Error(ErrorCode::encode_error, std::string("jpeg: ") + tjGetErrorStr2(tj));
  return out;
}

}  // namespace

std::vector<std::uint8_t> encode(const cv::Mat& pixels, const EncodeOptions& options) {
  if (pixels.empty()) throw Error(ErrorCode::encode_error, "nothing to encode (empty image)");
  if (options.format == Format::jpeg) {
    return encode_jpeg(pixels, options.quality, options.background);
  }

  std::string ext;
  std::vector<int> params;
  switch (options.format) {
    case Format::png:
      ext = ".png";
      params = {cv::IMWRITE_PNG_COMPRESSION, 6};
      break;
    case Format::webp:
      ext = ".webp";
      params = {cv::IMWRITE_WEBP_QUALITY, options.quality};
      break;
    case Format::tiff:
      ext = ".tiff";
      break;
    default:
      throw Error(ErrorCode::encode_error,
                  "cannot write " + std::string(format_name(options.format)) + " images");
  }
  std::vector<std::uint8_t> out;
  try {
    if (!cv::imencode(ext, pixels, out, params)) {
      throw Error(ErrorCode::encode_error,
                  std::string(format_name(options.format)) + " encoder failed");
    }
  } catch (const cv::Exception& e) {
    throw Error(ErrorCode::encode_error, std::string(format_name(options.format)) + ": " + e.msg);
  }
  return out;
}

}  // namespace imgflow
