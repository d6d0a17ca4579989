// EXIF orientation: turning stored pixels upright (the tag itself is read in
// jpeg_metadata.cpp).
#include <opencv2/core.hpp>

#include "imgflow/decode.hpp"

namespace imgflow {

cv::Mat apply_orientation(const cv::Mat& stored, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(stored, out, 1);
      break;  // mirrored left-right
    case 3:
      cv::rotate(stored, out, cv::ROTATE_180);
      break;
    case 4:
      cv::flip(stored, out, 0);
      break;  // mirrored top-bottom
    case 5:
      cv::transpose(stored, out);
      break;  // mirrored along the main diagonal
    case 6:
      cv::rotate(stored, out, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:  // mirrored along the anti-diagonal
      cv::transpose(stored, out);
      cv::flip(out, out, -1);
      break;
    case 8:
      cv::rotate(stored, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      return stored;
  }
  return out;
}

}  // namespace imgflow
