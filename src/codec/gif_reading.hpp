// Internal: giflib's record-level API over an input's bytes (in memory, or a
// large file read in pieces), shared by the first-frame decoder
// (gif_decode.cpp) and the animation decoder (gif_decode_frames.cpp).
#pragma once

#include <gif_lib.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <span>

#include <opencv2/core.hpp>

#include "core/input_bytes.hpp"

namespace imgflow::detail::gif {

/// Where giflib reads from.
struct Reader {
  InputBytes* input = nullptr;
  std::uint64_t at = 0;
  bool ran_out = false;         ///< giflib asked for bytes past the end
  std::exception_ptr failed{};  ///< a read of the file failed (read-error), kept out of giflib
};

struct Closer {
  void operator()(GifFileType* file) const { DGifCloseFile(file, nullptr); }
};
using File = std::unique_ptr<GifFileType, Closer>;

/// DGifOpen over `reader` (which must outlive the file): the screen
/// descriptor and global colour table read. Throws as check() does.
File open(Reader& reader);

/// Throws imgflow::Error for a giflib result of GIF_ERROR: truncated-input
/// when the data ran out, else corrupt-input (decode-error when out of memory).
void check(int result, GifFileType* file);

/// What a Graphic Control Extension says about the frame after it.
struct FrameControl {
  int transparent = NO_TRANSPARENT_COLOR;  ///< palette index drawn as nothing, or -1
  int disposal = DISPOSAL_UNSPECIFIED;     ///< what happens to the frame's area after it
  int delay_cs = 0;                        ///< how long it shows, in 1/100 s
};

/// Reads an extension record (after DGifGetRecordType gave
/// EXTENSION_RECORD_TYPE) to its end; a Graphic Control Extension sets `control`.
void read_extension(GifFileType* file, FrameControl& control);

/// The pixels giflib must decompress to draw the current frame (after
/// DGifGetImageDesc) on a screen `screen_height` rows high: a non-interlaced
/// frame is read only down to the screen's bottom edge, an interlaced one
/// whole (its passes interleave the rows).
std::uint64_t frame_cost(const GifImageDesc& frame, int screen_height);

/// Throws too-many-pixels if frame_cost() exceeds `max_pixels` (0 = no limit).
void check_frame_cost(const GifImageDesc& frame, int screen_height, std::uint64_t max_pixels);

/// Draws the current frame's pixels (after DGifGetImageDesc) onto `canvas`
/// (8-bit BGRA, the screen's size), leaving its `transparent` index and
/// whatever lies off the screen undrawn. Rows of a non-interlaced frame below
/// the screen are not decompressed: returns false when it stopped there, the
/// rest of the frame's data unread (see skip_frame_data()). Checks the
/// calling thread's deadline (--timeout) as it goes.
bool draw_frame(GifFileType* file, int transparent, cv::Mat& canvas);

/// Skips the sub-blocks of the current frame's data that draw_frame() left
/// unread (giflib reads whole sub-blocks, so `reader` is at one's length byte).
void skip_frame_data(Reader& reader);

}  // namespace imgflow::detail::gif
