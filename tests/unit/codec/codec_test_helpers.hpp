// Helpers shared by the decoder tests (tests/unit/codec/*_decode*_test.cpp,
// decode_test.cpp, encode_test.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>

#include "imgflow/error.hpp"
#include "imgflow/image.hpp"

namespace imgflow {

inline ErrorCode decode_error(const std::vector<std::uint8_t>& bytes, DecodeOptions options = {}) {
  try {
    decode(bytes, options);
  } catch (const Error& e) {
    return e.code();
  }
  return ErrorCode::ok;
}

inline double psnr(const cv::Mat& a, const cv::Mat& b) {
  return cv::PSNR(a, b);
}

}  // namespace imgflow
