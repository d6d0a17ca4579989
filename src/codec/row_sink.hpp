// Internal: where a streamed decode puts its pixels, one row at a time, so
// that a large image never has to be held whole (see decode_rows() in
// decoders.hpp). The resampler implements it (resize/resize_rows.hpp).
#pragma once

namespace imgflow::detail {

/// Receives a decoded image top to bottom, one row at a time, in stored
/// orientation and after colour management.
class RowSink {
 public:
  virtual ~RowSink() = default;
  /// Before the first row: the image's size and its rows' OpenCV type
  /// (CV_8U or CV_16U; 1 gray, 3 BGR or 4 BGRA channels).
  virtual void start(int width, int height, int type) = 0;
  /// The next row: `width` pixels of start()'s type, valid only during the call.
  virtual void take_row(const void* pixels) = 0;
};

}  // namespace imgflow::detail
