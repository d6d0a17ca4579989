// Internal: resize() fed one decoded row at a time (a streamed PNG decode),
// holding only the input rows the filters still need, never the whole image.
#pragma once

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "codec/row_sink.hpp"
#include "imgflow/resize.hpp"

namespace imgflow::detail {

/// Resizes a `source`-sized image to every one of `sizes` (several outputs
/// from one pass over the rows), giving exactly the pixels resize() gives.
class RowResizer final : public RowSink {
 public:
  RowResizer(const std::vector<Geometry>& sizes, const ResizeOptions& options, Size source);
  ~RowResizer() override;
  RowResizer(const RowResizer&) = delete;
  RowResizer& operator=(const RowResizer&) = delete;

  /// True if every size can be made from rows: the automatic or Lanczos
  /// filter, each output smaller than the source on both sides, and no
  /// content gravity (entropy and attention look at the whole image).
  static bool can_stream(Size source, const std::vector<Geometry>& sizes,
                         const ResizeOptions& options);

  void start(int width, int height, int type) override;
  void take_row(const void* pixels) override;

  /// After the last row: one image per size, in order. Throws
  /// imgflow::Error{resize_error} if fewer rows came than start() announced.
  std::vector<cv::Mat> finish();

 private:
  class Lane;
  std::vector<Geometry> sizes_;
  ResizeOptions options_;
  Size source_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace imgflow::detail
