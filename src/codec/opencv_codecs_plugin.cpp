// The plugin (libimgflow_opencv_codecs.so): OpenCV's imdecode behind a
// plain function, so that libimgflow itself never links imgcodecs.
#include <opencv2/imgcodecs.hpp>

#include "codec/opencv_codecs.hpp"

namespace {

bool decode(const std::uint8_t* data, std::size_t size, cv::Mat* out, std::string* error) {
  try {
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<std::uint8_t*>(data));
    *out = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    *error = e.msg;
    return false;
  }
  if (out->empty()) *error = "data could not be decoded";
  return !out->empty();
}

}  // namespace

extern "C" const imgflow::detail::OpenCvCodecs* imgflow_opencv_codecs() {
  static const imgflow::detail::OpenCvCodecs codecs{decode};
  return &codecs;
}
