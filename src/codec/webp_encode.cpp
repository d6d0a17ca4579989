// WebP encoding with libwebp: lossy at a quality, or lossless, stopped by the
// file's deadline through its progress hook; gray is written as BGR (WebP has no gray), alpha kept.
#include <webp/encode.h>

#include <opencv2/imgproc.hpp>

#include "codec/encoders.hpp"
#include "codec/webp_config.hpp"
#include "core/deadline.hpp"
#include "imgflow/error.hpp"

namespace imgflow::detail {

std::vector<std::uint8_t> encode_webp(const cv::Mat& pixels, int quality, bool lossless) {
  if (pixels.depth() != CV_8U || pixels.channels() == 2 || pixels.channels() > 4) {
    throw Error(ErrorCode::encode_error, "webp: needs 8-bit gray, BGR or BGRA pixels");
  }
  cv::Mat colour = pixels;
  if (pixels.channels() == 1) cv::cvtColor(pixels, colour, cv::COLOR_GRAY2BGR);
  // The settings of libwebp's simple API (WebPEncodeBGR and
  // WebPEncodeLosslessBGR, which use quality 70), so outputs are unchanged;
  // its advanced API is used for the progress hook, which stops the encode.
  WebPConfig config;
  if (!webp_config(quality, lossless, config)) {
    throw Error(ErrorCode::encode_error, "webp: cannot set up the encoder");
  }
  WebPMemoryWriter writer;
  WebPMemoryWriterInit(&writer);
  WebPPicture picture;
  WebPPictureInit(&picture);
  picture.use_argb = lossless ? 1 : 0;
  picture.width = colour.cols;
  picture.height = colour.rows;
  picture.writer = WebPMemoryWrite;
  picture.custom_ptr = &writer;
  // libwebp calls the hook as it goes; returning 0 stops the encode.
  DeadlineCheck<1> deadline;
  picture.user_data = &deadline;
  picture.progress_hook = [](int, const WebPPicture* p) {
    return static_cast<DeadlineCheck<1>*>(p->user_data)->passed() ? 0 : 1;
  };
  const int stride = static_cast<int>(colour.step);
  const bool imported = colour.channels() == 4
                            ? WebPPictureImportBGRA(&picture, colour.data, stride)
                            : WebPPictureImportBGR(&picture, colour.data, stride);
  const bool encoded = imported && WebPEncode(&config, &picture);
  const WebPEncodingError error = picture.error_code;
  WebPPictureFree(&picture);
  std::vector<std::uint8_t> out;
  if (encoded) out.assign(writer.mem, writer.mem + writer.size);
  WebPMemoryWriterClear(&writer);
  if (error == VP8_ENC_ERROR_USER_ABORT) throw timed_out_error("webp encode");
  if (!encoded || out.empty()) {
    throw Error(ErrorCode::encode_error, "webp encoder failed (image too large?)");
  }
  return out;
}

}  // namespace imgflow::detail
